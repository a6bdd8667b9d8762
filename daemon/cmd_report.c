/*
 * pledgectl report --html FILE [--public]: the campaign page (the report
 * module), written atomically so a web server never serves half a page.
 * With --public, the variant for anyone: counts and the timeline only.
 * The daemon writes the same pages itself ([report] html, public_html).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/report.h"
#include "pledged/store.h"

static const char report_usage[] =
    "usage: pledgectl report --html FILE [--public]\n";

int
cmd_report(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"html", required_argument, NULL, 'H'},
	    {"public", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct report_opts o = {0};
	const char *out = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "H:ph", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			out = optarg;
			break;
		case 'p':
			o.public_page = true;
			break;
		case 'h':
			printf("%s\nWrite a self-contained HTML page: the "
			       "counts, a timeline of artists by the\nday they "
			       "wrote, phase two, and (not with --public) the "
			       "messages held\nfor review and recent "
			       "activity.\n",
			    report_usage);
			return EX_OK;
		default:
			fputs(report_usage, stderr);
			return EX_USAGE;
		}
	}
	if (out == NULL || *out == '\0' || optind != argc) {
		fputs(report_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto done;
	o.campaign =
	    cfg->tokens.campaign != NULL ? cfg->tokens.campaign : "pledged";
	o.now = (int64_t)time(NULL);
	o.stale_after = config_stale_after(cfg);
	if (report_write_file(out, o.public_page ? 0644 : 0640, st, &o) != 0) {
		rc = EX_CANTCREAT;
		goto done;
	}
	printf("wrote %s\n", out);
	rc = cmd_flush(stdout);
done:
	store_close(st);
	config_free(cfg);
	return rc;
}
