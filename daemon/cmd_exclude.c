/*
 * pledgectl exclude ADDR [--note TEXT] [--by WHO] and pledgectl include
 * ADDR: take a test or spam pledge out of every count (stats, list,
 * export, report, the views) and out of every send, or put it back.
 *
 * Unlike forget, nothing is erased and the counts change; each is the
 * other's undo, and both are recorded as corrections with who and when.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static int
run(int argc, char **argv, const char *config_path, bool exclude)
{
	static const struct option opts[] = {
	    {"note", required_argument, NULL, 'n'},
	    {"by", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	enum store_status sr;
	const char *note = NULL, *by, *verb = exclude ? "exclude" : "include";
	char addr[256], who[64];
	int64_t id = 0;
	int ch, rc;

	by = cmd_login_name(who, sizeof(who));
	while ((ch = getopt_long(argc, argv, "n:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			note = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'h':
			printf("usage: pledgectl %s ADDRESS [--note TEXT] "
			       "[--by WHO]\n\n%s\n",
			    verb,
			    exclude ? "Take the artist out of every count and "
				      "every send (a test or spam\npledge); "
				      "'include' puts it back."
				    : "Put an excluded artist back into the "
				      "counts.");
			return EX_OK;
		default:
			fprintf(stderr, "usage: pledgectl %s ADDRESS\n", verb);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: pledgectl %s ADDRESS\n", verb);
		return EX_USAGE;
	}
	if (cmd_normalise_address(argv[optind], addr, sizeof(addr)) != 0)
		return EX_USAGE;
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	sr = store_artist_exclude(st, addr, exclude, note, by, &id);
	if (sr == STORE_NOT_FOUND) {
		fprintf(stderr, "pledgectl: %s: no artist has the address %s\n",
		    verb, addr);
		rc = EX_DATAERR;
		goto out;
	}
	if (sr == STORE_DUPLICATE) {
		printf("%s was %s already\n", addr,
		    exclude ? "excluded" : "included");
		rc = cmd_flush(stdout);
		goto out;
	}
	if ((rc = cmd_store_exit(sr)) != EX_OK)
		goto out;
	printf("artist #%" PRId64 " (%s) %s the counts by %s\n", id, addr,
	    exclude ? "excluded from" : "back in", by);
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}

int
cmd_exclude(int argc, char **argv, const char *config_path)
{
	return run(argc, argv, config_path, true);
}

int
cmd_include(int argc, char **argv, const char *config_path)
{
	return run(argc, argv, config_path, false);
}
