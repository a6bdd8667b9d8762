/*
 * pledgectl stats [--json]: the campaign's counts, from one consistent
 * read of the store (store_stats is a single SELECT).  The JSON member
 * names are an interface (DESIGN.md, pledgectl(1)); new members may be
 * added, none renamed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/report.h"
#include "pledged/store.h"

static const char stats_usage[] = "usage: pledgectl stats [--json]\n";

static int
print_json(const struct store_stats *s)
{
	json_t *o;
	char *text = NULL;
	int rc = EX_SOFTWARE;

	o = json_pack("{sIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsIsI}", "artists",
	    s->artists, "pledged", s->pledged, "confirmed_phase1",
	    s->confirmed_phase1, "confirmed_phase2", s->confirmed_phase2,
	    "declined", s->declined, "withdrawn", s->withdrawn, "review",
	    s->review, "rejected", s->rejected, "ignored", s->ignored,
	    "messages", s->messages, "tokens_issued", s->tokens_issued,
	    "requests_sent", s->requests_sent, "requests_bounced",
	    s->requests_bounced, "requests_failed", s->requests_failed,
	    "phase2_requested", s->phase2_requested, "phase2_of_pledged",
	    s->phase2_of_pledged, "phase2_of_phase1", s->phase2_of_phase1,
	    "imported", s->imported, "added", s->added, "excluded", s->excluded,
	    "linked", s->linked);
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "pledgectl: stats: out of memory\n");
		goto out;
	}
	printf("%s\n", text);
	rc = EX_OK;
out:
	free(text);
	json_decref(o);
	return rc;
}

static void
line(const char *label, int64_t n, const char *what, const char *note)
{
	if (note[0] == '\0')
		printf("%-22s %7" PRId64 "  %s\n", label, n, what);
	else
		printf("%-22s %7" PRId64 "  %-9s  %s\n", label, n, what, note);
}

/*
 * Each line says what it counts (artists or messages), and each share
 * its part and its base in words (report_share), so that no percentage
 * can be read against the wrong base.
 */
static void
print_text(const struct store_stats *s)
{
	char note[192], a[96], b[96];

	line("artists", s->artists, "artists", "");
	line("pledged", s->pledged, "artists", "");
	if (s->imported > 0 || s->added > 0) {
		snprintf(note, sizeof(note),
		    "(%" PRId64 " imported, %" PRId64 " added by hand)",
		    s->imported, s->added);
		line("  not by email", s->imported + s->added, "artists", note);
	}
	line("confirmed, phase one", s->confirmed_phase1, "artists",
	    report_share(note, sizeof note, s->confirmed_phase1, s->pledged,
		"who pledged"));
	line("confirmed, phase two", s->confirmed_phase2, "artists", "");
	line("  among pledgers", s->phase2_of_pledged, "artists",
	    report_share(
		a, sizeof a, s->phase2_of_pledged, s->pledged, "who pledged"));
	/* A campaign that skipped the phase-one round has no such base. */
	if (s->confirmed_phase1 > 0)
		line("  among phase one", s->phase2_of_phase1, "artists",
		    report_share(b, sizeof b, s->phase2_of_phase1,
			s->confirmed_phase1, "confirmed in phase one"));
	line("declined", s->declined, "artists", "");
	line("withdrawn", s->withdrawn, "artists", "");
	line("held for review", s->review, "messages", "");
	line("rejected", s->rejected, "messages", "");
	line("ignored", s->ignored, "messages", "");
	line("messages read", s->messages, "messages", "");
	line("tokens issued", s->tokens_issued, "tokens", "");
	line("requests sent", s->requests_sent, "requests", "");
	line("phase two asked", s->phase2_requested, "artists", "");
	line("requests failed", s->requests_failed, "requests", "");
	line("requests bounced", s->requests_bounced, "requests", "");
	if (s->excluded > 0 || s->linked > 0) {
		line("excluded from counts", s->excluded, "artists", "");
		line("linked addresses", s->linked, "addresses", "");
	}
}

int
cmd_stats(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct store_stats s;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("%s\nPrint the campaign's counts; with --json, "
			       "as one JSON object.\n",
			    stats_usage);
			return EX_OK;
		default:
			fputs(stats_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(stats_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if ((rc = cmd_store_exit(store_stats(st, &s))) != EX_OK)
		goto out;
	if (json)
		rc = print_json(&s);
	else
		print_text(&s);
	if (rc == EX_OK)
		rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
