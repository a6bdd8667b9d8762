/*
 * report: the campaign page (include/pledged/report.h).
 *
 * No external assets, no script: the page must render the same from a
 * file, a web server or an email attachment, and must not call home.
 * Every text from mail is HTML-escaped, and the public variant never
 * prints any: the functions that print mail text are called only for
 * the organizers' page.  The chart is inline SVG drawn from the timeline
 * view, whose columns add up to the cards above it (both count artists).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pledged/log.h"
#include "pledged/report.h"
#include "pledged/store.h"

/* Days on the chart: ten years is more than any campaign. */
#define REPORT_DAYS_MAX 3660
#define REPORT_RECENT 20
#define REPORT_REVIEW_MAX 50

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
	    (struct day){
		t, r->pledged, r->confirmed_phase1, r->confirmed_phase2});
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
    {"Pledged", "#c2410c"},
    {"Confirmed, phase one", "#1d4ed8"},
    {"Confirmed, phase two", "#15803d"},
};

static int64_t
series_value(const struct day *d, size_t s)
{
	return s == 0 ? d->pledges : s == 1 ? d->conf1 : d->conf2;
}

static void
legend(FILE *fp)
{
	fputs("<div class=\"legend\">", fp);
	for (size_t s = 0; s < 3; s++)
		fprintf(fp, "<span><i style=\"background:%s\"></i>%s</span>",
		    series[s].color, series[s].label);
	fputs("</div>\n", fp);
}

static void
chart(FILE *fp, const struct days *d)
{
	const double W = 960, H = 312, L = 56, R = 24, T = 16, B = 56;
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
	/* The legend is HTML above the chart (legend()), so that it stays
	 * in sight when the chart scrolls on a phone. */
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
	    "<text x=\"%.1f\" y=\"%.1f\" class=\"xlabel\">day written (UTC)"
	    "</text>\n</svg>\n",
	    L + pw / 2, H - 8);
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
    "margin-top:28px}\n"
    /* Phones: nothing wider than the screen; long addresses wrap. */
    "td,th,.warn,.note,p{overflow-wrap:anywhere}\n"
    ".tablewrap{overflow-x:auto}table{table-layout:fixed}"
    ".col-date{width:9.5em}\n"
    /* The chart keeps a legible size and scrolls inside its panel,
     * starting at its right end: the latest days (rtl, no script). */
    ".chart{overflow-x:auto;direction:rtl}.chart svg{direction:ltr}\n"
    ".warn{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b;"
    "border-radius:10px;padding:12px 16px;margin:0 0 18px}\n"
    ".words{white-space:pre-wrap;color:#374151}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 0 8px;"
    "font-size:14px}.legend i{display:inline-block;width:12px;"
    "height:12px;border-radius:3px;margin-right:6px}\n"
    ".defs{margin:14px 0 0;color:#4b5563}.defs summary{cursor:pointer}"
    ".defs ul{margin:8px 0;padding-left:20px}\n"
    "@media (max-width:600px){main{padding:18px 12px 28px}"
    ".num{font-size:24px}h1{font-size:22px}"
    "td,th{padding:6px 6px}.col-date{width:5.5em}"
    ".nowrap{white-space:normal}.chart svg{min-width:600px}}\n";

const char *
report_share(
    char *buf, size_t len, int64_t part, int64_t base, const char *base_words)
{
	if (base <= 0)
		snprintf(buf, len, "%" PRId64 " of 0 %s", part, base_words);
	else
		snprintf(buf, len, "%" PRId64 " of the %" PRId64 " %s (%.0f%%)",
		    part, base, base_words,
		    100.0 * (double)part / (double)base);
	return buf;
}

const char *
report_phase2_shares(char *buf, size_t len, const struct store_stats *s)
{
	char a[96], b[96];

	report_share(
	    a, sizeof a, s->phase2_of_pledged, s->pledged, "who pledged");
	/* A campaign that skipped the phase-one round has no such base: no
	 * "0 of the 0 confirmed in phase one". */
	if (s->confirmed_phase1 == 0)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s; %s", a,
		    report_share(b, sizeof b, s->phase2_of_phase1,
			s->confirmed_phase1, "confirmed in phase one"));
	return buf;
}

static const char *
time_utc(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, 32, "never");
	return buf;
}

static void
card(FILE *fp, const char *label, int64_t n, const char *note)
{
	fprintf(fp,
	    "<div class=\"card\"><div class=\"num\">%" PRId64 "</div>"
	    "<div class=\"label\">%s</div>",
	    n, label);
	if (note != NULL) {
		fputs("<div class=\"note\">", fp);
		html(fp, note);
		fputs("</div>", fp);
	}
	fputs("</div>\n", fp);
}

/* A share as a labelled bar. */
static void
share_bar(FILE *fp, int64_t part, int64_t base, const char *base_words)
{
	char words[128];
	double pct = base > 0 ? 100.0 * (double)part / (double)base : 0;

	if (pct > 100)
		pct = 100;
	fputs("<p>", fp);
	html(fp, report_share(words, sizeof words, part, base, base_words));
	fprintf(fp,
	    "</p>\n<div class=\"bar\"><div style=\"width:%.1f%%\"></div>"
	    "</div>\n",
	    pct);
}

/*
 * "Last updated", and a warning when the feed is stale: the last pass
 * failed, or no good pass for 'stale_after'.  The public page names no
 * error (it could name the mailbox or the server).
 */
static void
feed_line(FILE *fp, const struct store_health *h, const struct report_opts *o)
{
	char a[32], b[32];
	bool stale = h->failed_since > 0 ||
	    (h->passes > 0 &&
		(h->last_ok_at == 0 ||
		    o->now - h->last_ok_at > o->stale_after));

	fprintf(fp,
	    "<p class=\"sub\">Last updated %s UTC &middot; mail last read "
	    "%s%s</p>\n",
	    time_utc(o->now, a), time_utc(h->last_ok_at, b),
	    h->last_ok_at > 0 ? " UTC" : "");
	if (o->live)
		fprintf(fp,
		    "<p class=\"muted\">This page is rewritten at least every "
		    "%" PRId64 " minutes while pledged runs: an older time "
		    "above means it has stopped.</p>\n",
		    o->stale_after / 2 / 60);
	if (!stale)
		return;
	fputs("<div class=\"warn\" role=\"alert\"><strong>The feed is "
	      "stale.</strong> ",
	    fp);
	if (h->last_ok_at > 0)
		fprintf(fp, "Mail has not been read since %s UTC",
		    time_utc(h->last_ok_at, a));
	else
		fputs("Mail has never been read successfully", fp);
	if (h->failed_since > 0)
		fprintf(fp, "; %" PRId64 " %s failed since", h->failed_since,
		    h->failed_since == 1 ? "try" : "tries");
	fputs(". The numbers below may be behind.", fp);
	if (!o->public_page && h->last_error != NULL) {
		fprintf(fp, " Last error (%s UTC, exit %d): ",
		    time_utc(h->last_error_at, a), h->last_error_exit);
		html(fp, h->last_error);
	}
	fputs("</div>\n", fp);
}

static void
counts(FILE *fp, const struct store_stats *s, bool public_page)
{
	char note[128];

	fputs("<div class=\"cards\">\n", fp);
	card(fp, "pledged", s->pledged, "artists whose pledge stands");
	card(fp, "confirmed, phase one", s->confirmed_phase1,
	    report_share(note, sizeof note, s->confirmed_phase1, s->pledged,
		"who pledged"));
	card(fp, "confirmed, phase two", s->confirmed_phase2,
	    "artists; shares below");
	card(fp, "withdrawn", s->withdrawn, "artists");
	card(fp, "declined", s->declined, "artists");
	if (!public_page) {
		card(fp, "held for review", s->review, "messages");
		snprintf(note, sizeof note, "%" PRId64 " bounced",
		    s->requests_bounced);
		card(fp, "requests sent", s->requests_sent, note);
		card(fp, "messages read", s->messages, NULL);
	}
	fputs("</div>\n", fp);
}

/* The one definition of each number (sql/views.sql), in words. */
static void
definitions(FILE *fp)
{
	fputs("<details class=\"defs\"><summary>What the numbers count"
	      "</summary>\n<ul>\n"
	      "<li><b>pledged</b>: artists whose pledge stands (received or "
	      "confirmed, not withdrawn).</li>\n"
	      "<li><b>confirmed, phase one</b>: artists who confirmed their "
	      "pledge; a part of pledged.</li>\n"
	      "<li><b>confirmed, phase two</b>: artists whose latest "
	      "phase-two answer is yes and who have not withdrawn.</li>\n"
	      "<li><b>withdrawn</b>, <b>declined</b>: artists whose pledge is "
	      "withdrawn; artists whose latest answer in a phase is no.</li>\n"
	      "<li>Held for review, requests and messages count messages, "
	      "not artists.</li>\n"
	      "<li>The chart counts each artist of a number once, on the day "
	      "they wrote the message that put them there.</li>\n"
	      "</ul></details>\n",
	    fp);
}

static int
review_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[32];
	FILE *fp = arg;

	fprintf(fp, "<tr><td class=\"nowrap\">%s</td><td>",
	    time_utc(a->written_at, when));
	html(fp, r->artist != NULL ? r->artist : a->from_addr);
	fprintf(fp, "<br><span class=\"muted\">#%" PRId64 " ", r->id);
	html(fp, a->reason);
	fputs("</span></td><td class=\"words\">", fp);
	if (a->own_text != NULL)
		html(fp, a->own_text);
	else
		fputs(
		    "<span class=\"muted\">(no words of their own)</span>", fp);
	fputs("</td></tr>\n", fp);
	return ferror(fp) ? 1 : 0;
}

static int
recent_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[32];
	FILE *fp = arg;

	fprintf(fp, "<tr><td class=\"nowrap\">%s</td><td>",
	    time_utc(a->processed_at, when));
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

/* The organizers' lists: what waits for them, and what happened. */
static int
lists(FILE *fp, struct store *st, const struct store_stats *s)
{
	fprintf(fp,
	    "<h2>Held for review</h2>\n<p class=\"muted\">%" PRId64
	    " %s for a decision (pledgectl review).</p>\n"
	    "<div class=\"tablewrap\"><table>\n<tr><th class=\"col-date\">"
	    "Written (UTC)</th><th>Artist, reason</th><th>Their own words"
	    "</th></tr>\n",
	    s->review, s->review == 1 ? "message waits" : "messages wait");
	if (store_audit_foreach(st, "review", true, 0, review_row, fp) !=
	    STORE_OK)
		return -1;
	fputs("</table></div>\n", fp);
	fprintf(fp,
	    "<h2>Recent activity</h2>\n<p class=\"muted\">The last %d "
	    "messages decided; %" PRId64 " in all, %" PRId64
	    " rejected, %" PRId64 " ignored.</p>\n<div class=\"tablewrap\">"
	    "<table>\n<tr><th class=\"col-date\">Read (UTC)</th><th>Artist"
	    "</th><th>Decision</th></tr>\n",
	    REPORT_RECENT, s->messages, s->rejected, s->ignored);
	if (store_audit_recent(st, REPORT_RECENT, recent_row, fp) != STORE_OK)
		return -1;
	if (s->messages == 0)
		fputs("<tr><td colspan=\"3\" class=\"muted\">No messages "
		      "yet.</td></tr>\n",
		    fp);
	fputs("</table></div>\n", fp);
	return 0;
}

int
report_write(FILE *fp, struct store *st, const struct report_opts *o)
{
	struct store_stats s;
	struct store_health h;
	struct days d = {NULL, 0, 0, false};
	int ret = -1;

	memset(&h, 0, sizeof h);
	if (store_stats(st, &s) != STORE_OK ||
	    store_timeline_foreach(st, day_row, &d) != STORE_OK ||
	    store_health_get(st, &h) != STORE_OK)
		goto out;
	if (d.failed) {
		log_warnx("report: out of memory");
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<meta name=\"viewport\" "
	      "content=\"width=device-width, initial-scale=1\">\n<title>",
	    fp);
	html(fp, o->campaign);
	fprintf(fp,
	    " &mdash; campaign report</title>\n<style>\n%s</style>\n"
	    "</head>\n<body>\n<main>\n<h1>",
	    css);
	html(fp, o->campaign);
	fputs("</h1>\n", fp);
	feed_line(fp, &h, o);
	counts(fp, &s, o->public_page);
	definitions(fp);

	fputs("<h2>Artists per day, by the day they wrote</h2>\n<div "
	      "class=\"panel\">\n",
	    fp);
	if (d.n > 0)
		legend(fp);
	fputs("<div class=\"chart\">\n", fp);
	chart(fp, &d);
	fputs("</div>\n<p class=\"muted\">Each artist counted once, on the day "
	      "they wrote the message that put them in a number; the bars "
	      "add up to the numbers above.</p>\n</div>\n",
	    fp);

	fprintf(fp,
	    "<h2>Phase two</h2>\n<div class=\"panel\">\n<p><strong>%" PRId64
	    "</strong> artists have confirmed phase two.</p>\n",
	    s.confirmed_phase2);
	share_bar(fp, s.phase2_of_pledged, s.pledged, "who pledged");
	if (s.confirmed_phase1 > 0) /* none when phase one never ran */
		share_bar(fp, s.phase2_of_phase1, s.confirmed_phase1,
		    "confirmed in phase one");
	fputs("</div>\n", fp);

	if (!o->public_page && lists(fp, st, &s) != 0)
		goto out;
	fputs("<footer>Made by pledged " PLEDGED_VERSION
	      " from the campaign's ledger.</footer>\n</main>\n</body>\n"
	      "</html>\n",
	    fp);
	ret = ferror(fp) ? -1 : 0;
out:
	store_health_free(&h);
	free(d.v);
	return ret;
}

/*
 * Create a new file beside 'path' for writing: O_EXCL|O_NOFOLLOW, so a
 * link or file planted under the name is never followed nor reused.
 * The name is 'path' with a random suffix.  Returns the descriptor, or
 * -1 (logged); 'tmp' gets the name.
 */
static int
atomic_tmp_open(const char *path, char *tmp, size_t len)
{
	unsigned char r[6];
	int fd, n;

	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			log_warn("report: getrandom");
			return -1;
		}
		n = snprintf(tmp, len, "%s.%02x%02x%02x%02x%02x%02x.tmp", path,
		    r[0], r[1], r[2], r[3], r[4], r[5]);
		if (n < 0 || (size_t)n >= len) {
			log_warnx("report: %s: name too long", path);
			return -1;
		}
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		log_warn("report: %s", tmp);
	return fd;
}

/* fsync the directory holding 'path', so the rename survives a crash. */
static void
sync_dir(const char *path)
{
	char buf[4096];
	int fd;

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return;
	if ((fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

int
atomic_write_file(
    const char *path, mode_t mode, int (*fill)(FILE *fp, void *arg), void *arg)
{
	char tmp[4096];
	FILE *fp = NULL;
	int fd, rc = -1;

	if ((fd = atomic_tmp_open(path, tmp, sizeof tmp)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		log_warn("report: %s", tmp);
		close(fd);
		goto out;
	}
	if (fill(fp, arg) != 0) {
		if (ferror(fp))
			log_warnx("report: %s: write error", tmp);
		goto out;
	}
	/* fchmod: the mode must not depend on the umask. */
	if (fflush(fp) != 0 || fchmod(fileno(fp), mode) != 0 ||
	    fsync(fileno(fp)) != 0) {
		log_warn("report: %s", tmp);
		goto out;
	}
	rc = fclose(fp);
	fp = NULL;
	if (rc != 0) {
		log_warn("report: %s", tmp);
		rc = -1;
		goto out;
	}
	if (rename(tmp, path) != 0) {
		log_warn("report: %s", path);
		rc = -1;
		goto out;
	}
	sync_dir(path);
	return 0;
out:
	if (fp != NULL)
		fclose(fp);
	unlink(tmp);
	return -1;
}

struct page_args {
	struct store *st;
	const struct report_opts *o;
};

static int
fill_page(FILE *fp, void *arg)
{
	struct page_args *a = arg;

	return report_write(fp, a->st, a->o);
}

int
report_write_file(const char *path, mode_t mode, struct store *st,
    const struct report_opts *o)
{
	struct page_args a = {st, o};

	return atomic_write_file(path, mode, fill_page, &a);
}
