/*
 * pledgectl fix-address OLD NEW [--by WHO]: correct an artist's address
 * (one recorded from a broken From header, a typo in an import).  The
 * artist keeps its history; a request that failed to the old address is
 * sent to the new one by the next send.  Undone by fixing it back; both
 * are recorded as corrections with who and when.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char fix_usage[] =
    "usage: pledgectl fix-address OLD NEW [--by WHO]\n";

int
cmd_fix_address(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"by", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	enum store_status sr;
	const char *by, *why = NULL;
	char old[256], new[256], who[64];
	int ch, rc;

	by = cmd_login_name(who, sizeof(who));
	while ((ch = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			by = optarg;
			break;
		case 'h':
			printf("%s\nCorrect an artist's address; the history "
			       "stays, and a request that\nfailed is sent to "
			       "the new address by the next send.\n",
			    fix_usage);
			return EX_OK;
		default:
			fputs(fix_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 2 != argc) {
		fputs(fix_usage, stderr);
		return EX_USAGE;
	}
	if (cmd_normalise_address(argv[optind], old, sizeof(old)) != 0 ||
	    cmd_new_address(argv[optind + 1], new, sizeof(new)) != 0)
		return EX_USAGE;
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if ((sr = store_begin(st)) != STORE_OK) {
		rc = cmd_store_exit(sr);
		goto out;
	}
	sr = store_artist_fix_address(st, old, new, by, &why);
	if (sr != STORE_OK) {
		store_rollback(st);
		if (why != NULL) {
			fprintf(stderr, "pledgectl: fix-address: %s\n", why);
			rc = EX_DATAERR;
		} else
			rc = cmd_store_exit(sr);
		goto out;
	}
	if ((sr = store_commit(st)) != STORE_OK) {
		rc = cmd_store_exit(sr);
		goto out;
	}
	printf("%s is now %s (by %s)\n", old, new, by);
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
