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
line(const char *label, int64_t n, const char *note)
{
	printf(
	    "%-24s %7" PRId64 "%s%s\n", label, n, note[0] ? "   " : "", note);
}

static void
print_text(const struct store_stats *s)
{
	char note[96];

	line("artists", s->artists, "");
	line("pledged", s->pledged, "");
	if (s->imported > 0 || s->added > 0) {
		snprintf(note, sizeof(note),
		    "(%" PRId64 " imported, %" PRId64 " added by hand)",
		    s->imported, s->added);
		line("  not by email", s->imported + s->added, note);
	}
	line("confirmed, phase one", s->confirmed_phase1, "");
	/* The base of phase two is every pledger: a campaign may skip the
	 * phase-one round.  The phase-one share is a separate line. */
	note[0] = '\0';
	if (s->pledged > 0)
		snprintf(note, sizeof(note),
		    "(%.0f%% of the %" PRId64 " who pledged)",
		    100.0 * (double)s->phase2_of_pledged / (double)s->pledged,
		    s->pledged);
	line("confirmed, phase two", s->confirmed_phase2, note);
	if (s->confirmed_phase1 > 0) {
		snprintf(note, sizeof(note),
		    "(%.0f%% of the %" PRId64 " confirmed in phase one)",
		    100.0 * (double)s->phase2_of_phase1 /
			(double)s->confirmed_phase1,
		    s->confirmed_phase1);
		line("  of them phase one too", s->phase2_of_phase1, note);
	}
	line("declined", s->declined, "");
	line("withdrawn", s->withdrawn, "");
	line("held for review", s->review, "");
	line("rejected", s->rejected, "");
	line("ignored", s->ignored, "");
	line("messages read", s->messages, "");
	line("tokens issued", s->tokens_issued, "");
	line("requests sent", s->requests_sent, "");
	line("phase two asked", s->phase2_requested, "(artists)");
	line("requests failed", s->requests_failed, "");
	line("requests bounced", s->requests_bounced, "");
	if (s->excluded > 0 || s->linked > 0) {
		line("excluded from counts", s->excluded, "");
		line("linked addresses", s->linked, "");
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
