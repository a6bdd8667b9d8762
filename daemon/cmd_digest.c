/*
 * pledgectl digest [--dry-run]: the organizers' digest (the notify
 * module) now, whatever the interval: sent to [notify] to when there is
 * news; with --dry-run, printed as it would go out, nothing changed.
 * The daemon sends the same digest after a pass when it is due.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/notify.h"
#include "pledged/store.h"

static const char digest_usage[] = "usage: pledgectl digest [--dry-run]\n";

int
cmd_digest(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	bool dry = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = true;
			break;
		case 'h':
			printf(
			    "%s\nSend the organizers' digest now: replies held "
			    "for review, bounced requests,\nwithdrawals and "
			    "how the counts moved since the last one.  With "
			    "--dry-run,\nprint it instead.\n",
			    digest_usage);
			return EX_OK;
		default:
			fputs(digest_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(digest_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if (!dry && cfg->notify.to.n == 0) {
		fprintf(stderr, "%s: [notify] to is not set: no digest\n",
		    cfg->path);
		rc = EX_CONFIG;
		goto out;
	}
	if (!dry && config_require(cfg, CONFIG_NEED_SMTP) != CONFIG_OK) {
		rc = EX_CONFIG;
		goto out;
	}
	switch (dry ? notify_preview(cfg, st, (int64_t)time(NULL), stdout)
		    : notify_send(cfg, st, (int64_t)time(NULL), true)) {
	case NOTIFY_SENT:
		if (!dry)
			printf("digest sent\n");
		break;
	case NOTIFY_NO_NEWS:
	case NOTIFY_NOT_DUE:
		printf("no news since the last digest: nothing %s\n",
		    dry ? "to say" : "sent");
		break;
	case NOTIFY_TEMPFAIL:
		rc = EX_TEMPFAIL;
		goto out;
	default:
		rc = EX_SOFTWARE;
		goto out;
	}
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
