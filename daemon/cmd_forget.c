/*
 * pledgectl forget ADDR: erase an artist's personal data on request, and
 * keep every row, so that counts, outcomes and the timeline stay as they
 * were (store_artist_forget says what is erased).
 *
 * Idempotent: forgetting an address with nothing left under it is done
 * (exit 0), since a repeated erasure request must not look like a
 * failure.  What was done is logged to syslog without the address (the
 * log must not undo the erasure), naming the artist's number and who
 * ran the command.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/log.h"
#include "pledged/store.h"

static const char forget_usage[] = "usage: pledgectl forget ADDRESS\n";

int
cmd_forget(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	enum store_status sr;
	char addr[256], who[64];
	int64_t id = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			printf("%s\nErase the artist's personal data (address, "
			       "name, their messages'\nheaders and text, their "
			       "tokens); counts and outcomes stay.\nThis "
			       "cannot be undone.\n",
			    forget_usage);
			return EX_OK;
		default:
			fputs(forget_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(forget_usage, stderr);
		return EX_USAGE;
	}
	if (cmd_normalise_address(argv[optind], addr, sizeof(addr)) != 0)
		return EX_USAGE;
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	sr = store_artist_forget_id(st, addr, &id);
	if (sr == STORE_NOT_FOUND) {
		printf("nothing recorded under that address (already "
		       "forgotten?)\n");
		rc = cmd_flush(stdout);
		goto out;
	}
	if ((rc = cmd_store_exit(sr)) != EX_OK)
		goto out;
	cmd_login_name(who, sizeof(who));
	log_init("pledgectl", LOG_TO_SYSLOG, false);
	if (id != 0)
		log_info("forget: artist #%" PRId64 " erased by %s", id, who);
	else
		log_info(
		    "forget: messages of an unknown sender erased by %s", who);
	log_init("pledgectl", LOG_TO_STDERR, false);
	if (id != 0)
		printf("artist #%" PRId64 " forgotten\n", id);
	else
		printf("messages from that address forgotten\n");
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
