/*
 * pledgectl link ADDR OTHER [--by WHO] and pledgectl unlink OTHER: a
 * second address for an artist (a manager, a band member, a new
 * address).  Mail from OTHER counts for the artist at ADDR, a token
 * issued to either verifies for the artist when it comes back from the
 * other, and the artist counts once.  unlink undoes it; both are
 * recorded as corrections with who and when.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static int
run(int argc, char **argv, const char *config_path, bool link)
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
	const char *usage = link ? "usage: pledgectl link ADDRESS OTHER "
				   "[--by WHO]\n"
				 : "usage: pledgectl unlink OTHER [--by WHO]\n";
	char addr[256], other[256], who[64];
	int ch, rc, nargs = link ? 2 : 1;

	by = cmd_login_name(who, sizeof(who));
	while ((ch = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			by = optarg;
			break;
		case 'h':
			printf("%s\n%s\n", usage,
			    link ? "Make OTHER a second address of the "
				   "artist at ADDRESS: replies and\ntokens "
				   "from either count for the artist, once."
				 : "Make a linked address an artist of its "
				   "own again.");
			return EX_OK;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + nargs != argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	if (cmd_normalise_address(argv[optind], addr, sizeof(addr)) != 0 ||
	    (link &&
		cmd_new_address(argv[optind + 1], other, sizeof(other)) != 0))
		return EX_USAGE;
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if ((sr = store_begin(st)) != STORE_OK) {
		rc = cmd_store_exit(sr);
		goto out;
	}
	sr = link ? store_artist_link(st, addr, other, by, &why)
		  : store_artist_unlink(st, addr, by);
	if (sr != STORE_OK) {
		store_rollback(st);
		if (sr == STORE_DUPLICATE && why == NULL) {
			printf("%s\n",
			    link ? "linked already"
				 : "that address is not linked");
			rc = cmd_flush(stdout);
		} else if (sr == STORE_NOT_FOUND || sr == STORE_DUPLICATE) {
			fprintf(stderr, "pledgectl: %s: %s\n", argv[0],
			    why != NULL ? why : "no artist has that address");
			rc = EX_DATAERR;
		} else
			rc = cmd_store_exit(sr);
		goto out;
	}
	if ((sr = store_commit(st)) != STORE_OK) {
		rc = cmd_store_exit(sr);
		goto out;
	}
	if (link)
		printf("%s is now a second address of %s (by %s)\n", other,
		    addr, by);
	else
		printf("%s is an artist of its own again (by %s)\n", addr, by);
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}

int
cmd_link(int argc, char **argv, const char *config_path)
{
	return run(argc, argv, config_path, true);
}

int
cmd_unlink(int argc, char **argv, const char *config_path)
{
	return run(argc, argv, config_path, false);
}
