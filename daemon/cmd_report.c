/*
 * pledgectl report --html FILE: one self-contained page an organizer can
 * publish or mail around: the headline counts, a timeline of pledges and
 * confirmations per day (inline SVG from the daily_counts view), phase
 * two among every pledger (and, separately, of the phase-one confirmed),
 * and the latest decisions.
 *
 * No external assets, no script: the page must render the same from a
 * file, a web server or an email attachment, and must not call home.
 * Every text from mail is HTML-escaped.  The file is written to a new
 * temporary beside FILE (FILE.XXXXXX, created O_EXCL by mkostemp, so a
 * symlink or file planted there is never followed nor truncated), synced,
 * and renamed over FILE, so a web server never serves half a page and a
 * symlink at FILE is replaced, not followed.  Its mode is 0666 less the
 * umask, as for any file the user writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char report_usage[] = "usage: pledgectl report --html FILE\n";

/* Days on the chart: ten years is more than any campaign. */
#define REPORT_DAYS_MAX 3660
#define REPORT_RECENT 20

struct day {
	int64_t t; /* midnight UTC */
	int64_t pledges, conf1, conf2;
};

struct days {
	struct day *v;
	size_t n, cap;
	bool failed;
};

static void
html(FILE *fp, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			/* Other controls have no business in a page. */
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc(' ', fp);
			else
				fputc(*s, fp);
		}
	}
}

static int64_t
day_time(const char *day)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(day, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* Append a day: 0, 1 when the chart is full, -1 out of memory. */
static int
push_day(struct days *d, struct day v)
{
	struct day *nv;
	size_t cap;

	if (d->n >= REPORT_DAYS_MAX)
		return 1;
	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 64;
		if ((nv = realloc(d->v, cap * sizeof(*nv))) == NULL) {
			d->failed = true;
			return -1;
		}
		d->v = nv;
		d->cap = cap;
	}
	d->v[d->n++] = v;
	return 0;
}

static int
day_row(const struct store_day_row *r, void *arg)
{
	struct days *d = arg;
	int64_t t = day_time(r->day);
	int rc;

	if (t < 0)
		return 0;
	/* Fill the days without mail, so the x axis is time. */
	while (d->n > 0 && d->v[d->n - 1].t + 86400 < t)
		if ((rc = push_day(d,
			 (struct day){d->v[d->n - 1].t + 86400, 0, 0, 0})) != 0)
			return rc < 0;
	rc = push_day(d,
	    (struct day){t, r->pledges, r->confirmations_phase1,
		r->confirmations_phase2});
	return rc < 0;
}

/* A round step for 'max' over about five ticks: 1, 2, 5, 10, 20, ... */
static int64_t
tick_step(int64_t max)
{
	int64_t step = 1;

	for (;;) {
		if (max / step <= 5)
			return step;
		if (max / (step * 2) <= 5)
			return step * 2;
		if (max / (step * 5) <= 5)
			return step * 5;
		step *= 10;
	}
}

static const struct {
	const char *label, *color;
} series[] = {
    {"Pledges", "#c2410c"},
    {"Confirmed, phase one", "#1d4ed8"},
    {"Confirmed, phase two", "#15803d"},
};

static int64_t
series_value(const struct day *d, size_t s)
{
	return s == 0 ? d->pledges : s == 1 ? d->conf1 : d->conf2;
}

static void
chart(FILE *fp, const struct days *d)
{
	const double W = 960, H = 340, L = 56, R = 24, T = 44, B = 56;
	double pw = W - L - R, ph = H - T - B, x, y, bw;
	char label[16];
	int64_t max = 0, step, v;
	size_t i, s, every;
	struct tm tm;
	time_t tt;

	if (d->n == 0) {
		fputs("<p class=\"empty\">No mail processed yet: the timeline "
		      "starts with the first message.</p>\n",
		    fp);
		return;
	}
	for (i = 0; i < d->n; i++)
		for (s = 0; s < 3; s++)
			if ((v = series_value(&d->v[i], s)) > max)
				max = v;
	step = tick_step(max > 0 ? max : 1);
	max = ((max + step - 1) / step) * step;
	if (max == 0)
		max = step;
	fprintf(fp,
	    "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"Pledges and confirmations per day\" "
	    "xmlns=\"http://www.w3.org/2000/svg\">\n",
	    W, H);
	/* Legend, top left. */
	for (s = 0, x = L; s < 3; s++) {
		fprintf(fp,
		    "<rect x=\"%.1f\" y=\"12\" width=\"14\" height=\"14\" "
		    "rx=\"3\" fill=\"%s\"/><text x=\"%.1f\" y=\"24\" "
		    "class=\"legend\">%s</text>\n",
		    x, series[s].color, x + 20, series[s].label);
		x += 40 + 8.2 * (double)strlen(series[s].label);
	}
	/* Grid and y axis. */
	for (v = 0; v <= max; v += step) {
		y = T + ph - ph * (double)v / (double)max;
		fprintf(fp,
		    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "class=\"ytick\">%" PRId64 "</text>\n",
		    L, L + pw, y, y, v == 0 ? "axis" : "grid", L - 8, y + 4, v);
	}
	fprintf(fp,
	    "<text x=\"14\" y=\"%.1f\" class=\"ylabel\" "
	    "transform=\"rotate(-90 14 %.1f)\">per day</text>\n",
	    T + ph / 2, T + ph / 2);
	/* Bars, grouped per day: counts per day are discrete. */
	bw = pw / (double)d->n;
	for (i = 0; i < d->n; i++) {
		double gx = L + bw * (double)i + bw * 0.15;
		double sw = bw * 0.7 / 3;

		for (s = 0; s < 3; s++) {
			v = series_value(&d->v[i], s);
			if (v == 0)
				continue;
			y = ph * (double)v / (double)max;
			tt = (time_t)d->v[i].t;
			gmtime_r(&tt, &tm);
			strftime(label, sizeof(label), "%Y-%m-%d", &tm);
			fprintf(fp,
			    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			    "height=\"%.2f\" fill=\"%s\"><title>%s: %" PRId64
			    " %s</title></rect>\n",
			    gx + sw * (double)s, T + ph - y,
			    sw > 1 ? sw - 0.5 : sw, y, series[s].color, label,
			    v, series[s].label);
		}
	}
	/* x labels: at most about ten, always the first and the last. */
	every = d->n / 10 + 1;
	for (i = 0; i < d->n; i++) {
		if (i % every != 0 && i + 1 != d->n)
			continue;
		if (i + 1 == d->n && i % every != 0 &&
		    i % every < every / 2 + 1)
			continue; /* too close to the previous label */
		tt = (time_t)d->v[i].t;
		gmtime_r(&tt, &tm);
		strftime(label, sizeof(label), "%b %e", &tm);
		x = L + bw * ((double)i + 0.5);
		fprintf(fp,
		    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"axis\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "class=\"xtick\">%s</text>\n",
		    x, x, T + ph, T + ph + 5, x, T + ph + 20, label);
	}
	fprintf(fp,
	    "<text x=\"%.1f\" y=\"%.1f\" class=\"xlabel\">day (UTC)"
	    "</text>\n</svg>\n",
	    L + pw / 2, H - 8);
}

static void
card(FILE *fp, const char *label, int64_t n, const char *note)
{
	fprintf(fp,
	    "<div class=\"card\"><div class=\"num\">%" PRId64 "</div>"
	    "<div class=\"label\">%s</div>",
	    n, label);
	if (note != NULL)
		fprintf(fp, "<div class=\"note\">%s</div>", note);
	fputs("</div>\n", fp);
}

static int
recent_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[CMD_TIME_MAX];
	FILE *fp = arg;

	fprintf(fp, "<tr><td class=\"nowrap\">%s</td><td>",
	    cmd_time_utc(a->processed_at, when));
	if (r->artist != NULL)
		html(fp, r->artist);
	else if (a->from_addr != NULL)
		html(fp, a->from_addr);
	else
		fputs("<span class=\"muted\">(not recorded)</span>", fp);
	fprintf(fp, "</td><td><span class=\"tag %s\">%s</span>", a->outcome,
	    a->outcome);
	if (a->reason != NULL) {
		fputs(" ", fp);
		html(fp, a->reason);
	}
	if (a->phase != 0)
		fprintf(fp, " <span class=\"muted\">phase %d</span>", a->phase);
	if (r->decision != NULL) {
		fprintf(
		    fp, " <span class=\"muted\">&rarr; %s by ", r->decision);
		html(fp, r->decided_by != NULL ? r->decided_by : "?");
		fputs("</span>", fp);
	}
	fputs("</td></tr>\n", fp);
	return ferror(fp) ? 1 : 0;
}

static const char css[] =
    "body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"DejaVu Sans\",sans-serif;color:#1f2937;background:#f6f7f9;"
    "margin:0}\n"
    "main{max-width:1040px;margin:0 auto;padding:28px 24px 40px}\n"
    "h1{font-size:26px;margin:0 0 2px}h2{font-size:18px;margin:32px 0 "
    "10px}\n"
    ".sub{color:#6b7280;margin:0 0 22px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(112px,1fr));gap:12px}\n"
    ".card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;"
    "padding:14px 16px}\n"
    ".num{font-size:30px;font-weight:650;font-variant-numeric:"
    "tabular-nums}\n"
    ".label{color:#4b5563}.note{color:#6b7280;font-size:13px}\n"
    ".panel{background:#fff;border:1px solid #e5e7eb;border-radius:10px;"
    "padding:16px}\n"
    "svg{width:100%;height:auto;display:block}\n"
    "svg text{font:13px system-ui,\"DejaVu Sans\",sans-serif;fill:#4b5563}"
    "\n"
    "svg .ytick{text-anchor:end}svg .xtick,svg .xlabel{text-anchor:middle}"
    "\n"
    "svg .legend{fill:#1f2937}svg .grid{stroke:#e5e7eb}"
    "svg .axis{stroke:#9ca3af}\n"
    ".bar{background:#e5e7eb;border-radius:6px;height:22px;overflow:"
    "hidden}\n"
    ".bar>div{background:#15803d;height:100%}\n"
    "table{width:100%;border-collapse:collapse;background:#fff}\n"
    "td,th{text-align:left;padding:7px 10px;border-bottom:1px solid "
    "#eef0f3;vertical-align:top}\n"
    "th{color:#6b7280;font-weight:600;font-size:13px}\n"
    ".nowrap{white-space:nowrap}.muted{color:#6b7280}\n"
    ".tag{display:inline-block;padding:0 8px;border-radius:9px;"
    "font-size:13px;background:#eef0f3}\n"
    ".tag.pledge{background:#ffedd5}.tag.confirm{background:#dbeafe}\n"
    ".tag.withdraw,.tag.decline{background:#fee2e2}"
    ".tag.review{background:#fef9c3}\n"
    ".empty{color:#6b7280}footer{color:#9ca3af;font-size:13px;"
    "margin-top:28px}\n";

static int
write_page(FILE *fp, struct store *st, const char *campaign)
{
	struct store_stats s;
	struct days d = {NULL, 0, 0, false};
	char when[CMD_TIME_MAX], note[96];
	enum store_status rc;
	double share = 0;
	int ret = EX_IOERR;

	if ((rc = store_stats(st, &s)) != STORE_OK ||
	    (rc = store_daily_foreach(st, day_row, &d)) != STORE_OK) {
		ret = cmd_store_exit(rc);
		goto out;
	}
	if (d.failed) {
		fprintf(stderr, "pledgectl: report: out of memory\n");
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<meta name=\"viewport\" "
	      "content=\"width=device-width, initial-scale=1\">\n<title>",
	    fp);
	html(fp, campaign);
	fprintf(fp,
	    " &mdash; campaign report</title>\n<style>\n%s</style>\n"
	    "</head>\n<body>\n<main>\n<h1>",
	    css);
	html(fp, campaign);
	fprintf(fp, "</h1>\n<p class=\"sub\">Campaign report, %s UTC</p>\n",
	    cmd_time_utc((int64_t)time(NULL), when));

	fputs("<div class=\"cards\">\n", fp);
	card(fp, "artists", s.artists, NULL);
	card(fp, "pledged", s.pledged, NULL);
	card(fp, "confirmed, phase one", s.confirmed_phase1, NULL);
	card(fp, "confirmed, phase two", s.confirmed_phase2, NULL);
	card(fp, "withdrawn", s.withdrawn, NULL);
	card(fp, "declined", s.declined, NULL);
	card(fp, "held for review", s.review, NULL);
	snprintf(note, sizeof(note), "%" PRId64 " bounced", s.requests_bounced);
	card(fp, "requests sent", s.requests_sent, note);
	fputs("</div>\n", fp);

	fputs("<h2>Pledges and confirmations per day</h2>\n<div "
	      "class=\"panel\">\n",
	    fp);
	chart(fp, &d);
	fputs("</div>\n", fp);

	/*
	 * Phase two among every pledger (a campaign may skip phase one);
	 * the share of the phase-one confirmed only where there are any,
	 * labelled as such.
	 */
	if (s.pledged > 0)
		share = 100.0 * (double)s.phase2_of_pledged / (double)s.pledged;
	fprintf(fp,
	    "<h2>Phase two</h2>\n<div class=\"panel\">\n<p>%" PRId64
	    " of the %" PRId64 " artists who pledged have confirmed phase "
	    "two: <strong>%.0f%%</strong> (%" PRId64 " asked so far).</p>\n"
	    "<div class=\"bar\"><div style=\"width:%.1f%%\"></div></div>\n",
	    s.phase2_of_pledged, s.pledged, share, s.phase2_requested, share);
	if (s.confirmed_phase1 > 0)
		fprintf(fp,
		    "<p class=\"muted\">Of the %" PRId64 " artists confirmed "
		    "in phase one, %" PRId64 " (%.0f%%) have confirmed phase "
		    "two.</p>\n",
		    s.confirmed_phase1, s.phase2_of_phase1,
		    100.0 * (double)s.phase2_of_phase1 /
			(double)s.confirmed_phase1);
	fputs("</div>\n", fp);

	fprintf(fp,
	    "<h2>Recent activity</h2>\n<p class=\"muted\">The last %d "
	    "messages decided; %" PRId64 " in all, %" PRId64
	    " rejected, %" PRId64 " ignored.</p>\n<table>\n<tr><th>Date "
	    "(UTC)</th><th>Artist</th><th>Decision</th></tr>\n",
	    REPORT_RECENT, s.messages, s.rejected, s.ignored);
	if ((rc = store_audit_recent(st, REPORT_RECENT, recent_row, fp)) !=
	    STORE_OK) {
		ret = cmd_store_exit(rc);
		goto out;
	}
	if (s.messages == 0)
		fputs("<tr><td colspan=\"3\" class=\"muted\">No messages "
		      "yet.</td></tr>\n",
		    fp);
	fputs("</table>\n<footer>Made by pledgectl " PLEDGED_VERSION
	      " from the campaign's ledger.</footer>\n</main>\n</body>\n"
	      "</html>\n",
	    fp);
	ret = ferror(fp) ? EX_IOERR : EX_OK;
out:
	free(d.v);
	return ret;
}

int
cmd_report(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"html", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *out = NULL;
	char *tmp = NULL;
	FILE *fp = NULL;
	int ch, rc, fd = -1;

	while ((ch = getopt_long(argc, argv, "H:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			out = optarg;
			break;
		case 'h':
			printf("%s\nWrite a self-contained HTML page: the "
			       "counts, a timeline of pledges\nand "
			       "confirmations, phase two, recent activity.\n",
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
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0) {
		tmp = NULL;
		rc = EX_OSERR;
		goto done;
	}
	rc = EX_CANTCREAT;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		fprintf(stderr, "pledgectl: report: %s: %s\n", tmp,
		    strerror(errno));
		free(tmp);
		tmp = NULL; /* nothing of ours to unlink */
		goto done;
	}
	{
		mode_t um = umask(0);
		umask(um);
		if (fchmod(fd, 0666 & ~um) == -1) {
			fprintf(stderr, "pledgectl: report: %s: %s\n", tmp,
			    strerror(errno));
			goto done;
		}
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "pledgectl: report: %s: %s\n", tmp,
		    strerror(errno));
		goto done;
	}
	fd = -1;
	rc = write_page(fp, st,
	    cfg->tokens.campaign != NULL ? cfg->tokens.campaign : "pledged");
	if (rc != EX_OK)
		goto done;
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		fprintf(stderr, "pledgectl: report: %s: %s\n", tmp,
		    strerror(errno));
		rc = EX_IOERR;
		goto done;
	}
	ch = fclose(fp);
	fp = NULL;
	if (ch != 0 || rename(tmp, out) != 0) {
		fprintf(stderr, "pledgectl: report: %s: %s\n", out,
		    strerror(errno));
		rc = EX_IOERR;
		goto done;
	}
	free(tmp);
	tmp = NULL;
	printf("wrote %s\n", out);
	rc = cmd_flush(stdout);
done:
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	store_close(st);
	config_free(cfg);
	return rc;
}
