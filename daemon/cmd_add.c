/*
 * pledgectl add ADDR [--name N] [--note TEXT] [--at TIME] [--by WHO]: a
 * pledge that came another way (by phone, a form, a manager on the
 * artist's behalf), recorded with source "manual" and a correction row.
 *
 * An address that has a pledge already keeps it (65: nothing changed);
 * an added pledge is taken back out of the counts with "exclude".
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char add_usage[] =
    "usage: pledgectl add ADDRESS [--name NAME] [--note TEXT] [--by WHO]\n";

int
cmd_add(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'N'},
	    {"note", required_argument, NULL, 'n'},
	    {"by", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct store_pledge_in in = {.source = "manual"};
	enum store_status sr;
	char addr[256], who[64];
	int64_t id = 0;
	int ch, rc;

	cmd_login_name(who, sizeof(who));
	in.by = who;
	while ((ch = getopt_long(argc, argv, "N:n:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'N':
			in.name = optarg;
			break;
		case 'n':
			in.note = optarg;
			break;
		case 'b':
			in.by = optarg;
			break;
		case 'h':
			printf("%s\nRecord a pledge that came another way "
			       "(phone, a form, a manager),\nwith a note; "
			       "'exclude' takes it out of the counts again.\n",
			    add_usage);
			return EX_OK;
		default:
			fputs(add_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(add_usage, stderr);
		return EX_USAGE;
	}
	if (cmd_new_address(argv[optind], addr, sizeof(addr)) != 0)
		return EX_USAGE;
	in.address = addr;
	in.detail = in.note;
	/* A campaign may start with its first pledge added by hand. */
	if ((rc = cmd_load_config(config_path, CONFIG_NEED_STORE, &cfg)) !=
		EX_OK ||
	    (rc = cmd_open_store(cfg, true, &st)) != EX_OK)
		goto out;
	if ((sr = store_begin(st)) != STORE_OK ||
	    ((sr = store_pledge_add(st, &in, &id)) != STORE_OK &&
		sr != STORE_DUPLICATE)) {
		store_rollback(st);
		rc = cmd_store_exit(sr);
		goto out;
	}
	if (sr == STORE_DUPLICATE) {
		store_rollback(st);
		fprintf(stderr,
		    "pledgectl: add: %s has a pledge already (its history "
		    "stays); nothing changed\n",
		    addr);
		rc = EX_DATAERR;
		goto out;
	}
	if ((sr = store_commit(st)) != STORE_OK) {
		rc = cmd_store_exit(sr);
		goto out;
	}
	printf("pledge recorded for %s (artist #%" PRId64 ") by %s\n", addr, id,
	    in.by);
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
