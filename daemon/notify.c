/*
 * notify: the organizers' digest (include/pledged/notify.h).
 *
 * Order of work, as for requests: open the SMTP session (a server we
 * cannot use leaves the store untouched), commit the digest's row with
 * its Message-ID and the events it covers (audit ids up to a mark taken
 * before the events were read, so an event recorded meanwhile waits for
 * the next digest), hand the mail to the server once per organizer, then
 * mark the row sent.  A crash between the hand-over and that mark leaves
 * the row 'sending': it is never sent again, and the next digest starts
 * after its events.  A server that takes the mail for no organizer marks
 * it 'failed', and its events stay to be told.
 *
 * The text is plain UTF-8, one line per item, the artists' own words
 * quoted below their item, with control characters blanked and long
 * lines folded, since the words come from mail anyone can send.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pledged/config.h"
#include "pledged/fault.h"
#include "pledged/log.h"
#include "pledged/notify.h"
#include "pledged/report.h"
#include "pledged/request.h"
#include "pledged/smtp.h"
#include "pledged/store.h"

/* Longest line of the text, in bytes; mail allows 998. */
#define LINE_MAX_BYTES 900
/* Items listed per kind; the rest are counted. */
#define ITEMS_MAX 100

/* The numbers a digest compares, in campaign_counts' words. */
static const char *const count_keys[] = {"pledged", "confirmed_phase1",
    "confirmed_phase2", "withdrawn", "declined", "review"};
#define NCOUNTS (sizeof count_keys / sizeof count_keys[0])

static void
counts_of(const struct store_stats *s, int64_t v[NCOUNTS])
{
	v[0] = s->pledged;
	v[1] = s->confirmed_phase1;
	v[2] = s->confirmed_phase2;
	v[3] = s->withdrawn;
	v[4] = s->declined;
	v[5] = s->review;
}

/* The digest being made. */
struct digest {
	int64_t now, since; /* since: the last digest's time, 0: none */
	int64_t lo, hi;	    /* audit ids in (lo, hi] are new */
	int64_t forgotten, forgotten_max;
	int64_t now_counts[NCOUNTS], then_counts[NCOUNTS];
	bool have_then;
	/* The feed: stale now (no good pass for stale_after), and as the
	 * last digest told it. */
	bool stale, then_stale;
	struct store_health health;
	struct store_stats stats;
	size_t n_review, n_bounce, n_withdraw;
	FILE *review, *bounce, *withdraw; /* the items, as text */
	char *review_buf, *bounce_buf, *withdraw_buf;
	size_t review_len, bounce_len, withdraw_len;
};

static void
digest_free(struct digest *d)
{
	if (d->review != NULL)
		fclose(d->review);
	if (d->bounce != NULL)
		fclose(d->bounce);
	if (d->withdraw != NULL)
		fclose(d->withdraw);
	free(d->review_buf);
	free(d->bounce_buf);
	free(d->withdraw_buf);
	store_health_free(&d->health);
}

/*
 * Text from mail as lines after 'indent': control characters blank,
 * lines folded at LINE_MAX_BYTES (on a UTF-8 boundary).
 */
static void
put_quoted(FILE *fp, const char *s, const char *indent)
{
	size_t col = 0;

	fputs(indent, fp);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			fputc('\n', fp);
			fputs(indent, fp);
			col = 0;
			continue;
		}
		if (col >= LINE_MAX_BYTES && (c & 0xc0) != 0x80) {
			fputc('\n', fp);
			fputs(indent, fp);
			col = 0;
		}
		fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
		col++;
	}
	fputc('\n', fp);
}

static const char *
utc(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, 32, "-");
	return buf;
}

static bool
is_new(const struct digest *d, int64_t id)
{
	return id > d->lo && id <= d->hi;
}

static int
review_item(const struct store_audit_row *r, void *arg)
{
	struct digest *d = arg;
	const struct store_audit *a = &r->audit;
	char when[32];

	if (!is_new(d, r->id))
		return 0;
	if (d->n_review++ >= ITEMS_MAX)
		return 0;
	fprintf(d->review, "  #%" PRId64 "  ", r->id);
	put_quoted(d->review, r->artist != NULL ? r->artist : a->from_addr, "");
	fprintf(d->review, "      reason: %s", a->reason);
	if (a->phase != 0)
		fprintf(d->review, ", phase %d", a->phase);
	fprintf(d->review, "; written %s\n", utc(a->written_at, when));
	if (a->own_text != NULL && a->own_text[0] != '\0')
		put_quoted(d->review, a->own_text, "      | ");
	else
		fputs("      (no words of their own)\n", d->review);
	return 0;
}

static int
bounce_item(const struct store_audit_row *r, void *arg)
{
	struct digest *d = arg;
	const struct store_audit *a = &r->audit;
	char when[32];

	if (!is_new(d, r->id) || a->reason == NULL ||
	    strcmp(a->reason, "bounce") != 0)
		return 0;
	if (d->n_bounce++ >= ITEMS_MAX)
		return 0;
	fprintf(d->bounce, "  #%" PRId64 "  %s, from ", r->id,
	    utc(a->written_at, when));
	put_quoted(d->bounce, a->from_addr != NULL ? a->from_addr : "-", "");
	if (a->subject != NULL)
		put_quoted(d->bounce, a->subject, "      subject: ");
	return 0;
}

static int
withdraw_item(const struct store_audit_row *r, void *arg)
{
	struct digest *d = arg;
	const struct store_audit *a = &r->audit;
	char when[32];

	if (!is_new(d, r->id))
		return 0;
	if (d->n_withdraw++ >= ITEMS_MAX)
		return 0;
	fprintf(d->withdraw, "  #%" PRId64 "  ", r->id);
	put_quoted(
	    d->withdraw, r->artist != NULL ? r->artist : "(forgotten)", "");
	fprintf(d->withdraw, "      written %s\n", utc(a->written_at, when));
	if (a->own_text != NULL && a->own_text[0] != '\0')
		put_quoted(d->withdraw, a->own_text, "      | ");
	return 0;
}

/* The previous digest's numbers, from its JSON. */
static void
parse_then(struct digest *d, const char *json)
{
	json_t *o = json != NULL ? json_loads(json, 0, NULL) : NULL;

	if (o == NULL)
		return;
	for (size_t i = 0; i < NCOUNTS; i++)
		d->then_counts[i] =
		    json_integer_value(json_object_get(o, count_keys[i]));
	d->then_stale = json_is_true(json_object_get(o, "feed_stale"));
	d->have_then = true;
	json_decref(o);
}

/* The numbers now, as JSON for the digest's row; new, or NULL. */
static char *
counts_json(const struct digest *d)
{
	json_t *o = json_object();
	char *s = NULL;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < NCOUNTS; i++)
		if (json_object_set_new(
			o, count_keys[i], json_integer(d->now_counts[i])) != 0)
			goto out;
	if (json_object_set_new(o, "feed_stale", json_boolean(d->stale)) != 0)
		goto out;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	return s;
}

/*
 * Gather what happened since the last digest.  Returns 0, or -1
 * (logged).
 */
static int
gather(struct store *st, int64_t now, int64_t stale_after, struct digest *d,
    struct store_digest *last)
{
	enum store_status rc;

	memset(d, 0, sizeof *d);
	d->now = now;
	rc = store_digest_last(st, last);
	if (rc == STORE_ERR || rc == STORE_BUSY)
		return -1;
	if (rc == STORE_OK) {
		d->since = last->created_at;
		d->lo = last->audit_upto;
		parse_then(d, last->counts);
	}
	/* The mark first: what is recorded after it waits its turn. */
	if (store_digest_marks(st, &d->hi,
		rc == STORE_OK ? last->forgotten_upto : 0, &d->forgotten,
		&d->forgotten_max) != STORE_OK ||
	    store_stats(st, &d->stats) != STORE_OK)
		return -1;
	counts_of(&d->stats, d->now_counts);
	/*
	 * Stale for the digest: mail read once, and not for stale_after.
	 * A pass or two that fail are not worth a mail; a feed down for an
	 * hour is, and so is its recovery.
	 */
	if (store_health_get(st, &d->health) != STORE_OK)
		return -1;
	d->stale = d->health.last_ok_at > 0 && d->health.failed_since > 0 &&
	    now - d->health.last_ok_at > stale_after;
	d->review = open_memstream(&d->review_buf, &d->review_len);
	d->bounce = open_memstream(&d->bounce_buf, &d->bounce_len);
	d->withdraw = open_memstream(&d->withdraw_buf, &d->withdraw_len);
	if (d->review == NULL || d->bounce == NULL || d->withdraw == NULL) {
		log_warn("notify");
		return -1;
	}
	if (store_audit_foreach(st, "review", true, 0, review_item, d) !=
		STORE_OK ||
	    store_audit_foreach(st, "ignore", false, 0, bounce_item, d) !=
		STORE_OK ||
	    store_audit_foreach(st, "withdraw", false, 0, withdraw_item, d) !=
		STORE_OK)
		return -1;
	if (fflush(d->review) != 0 || fflush(d->bounce) != 0 ||
	    fflush(d->withdraw) != 0) {
		log_warn("notify");
		return -1;
	}
	return 0;
}

static bool
counts_moved(const struct digest *d)
{
	for (size_t i = 0; i < NCOUNTS; i++)
		if (d->now_counts[i] != (d->have_then ? d->then_counts[i] : 0))
			return true;
	return false;
}

/* News: events to tell, or numbers that moved since the last digest. */
static bool
has_news(const struct digest *d)
{
	return d->n_review + d->n_bounce + d->n_withdraw > 0 ||
	    d->forgotten > 0 || counts_moved(d) || d->stale != d->then_stale;
}

/* The feed, when it has stopped or started again since the last one. */
static void
feed(FILE *fp, const struct digest *d)
{
	const struct store_health *h = &d->health;
	char a[32];

	if (d->stale) {
		fprintf(fp,
		    "THE FEED HAS STOPPED: mail has not been read since %s; "
		    "%" PRId64 " passes failed since.\n",
		    utc(h->last_ok_at, a), h->failed_since);
		if (h->last_error != NULL)
			put_quoted(fp, h->last_error, "  last error: ");
		fputs("  (pledgectl status says more.)\n\n", fp);
	} else if (d->then_stale)
		fprintf(fp, "The feed reads mail again (last read %s).\n\n",
		    utc(h->last_ok_at, a));
}

static void
section(
    FILE *fp, const char *title, size_t n, const char *hint, const char *items)
{
	if (n == 0)
		return;
	fprintf(fp, "%s (%zu)%s\n\n%s", title, n, hint, items);
	if (n > ITEMS_MAX)
		fprintf(fp, "  ... and %zu more\n", n - ITEMS_MAX);
	fputc('\n', fp);
}

static void
count_line(FILE *fp, const struct digest *d, size_t i, const char *label,
    const char *what)
{
	fprintf(fp, "  %-22s %6" PRId64 " %s", label, d->now_counts[i], what);
	if (d->have_then)
		fprintf(fp, " (%+" PRId64 ")",
		    d->now_counts[i] - d->then_counts[i]);
	fputc('\n', fp);
}

/* The body, LF line ends. */
static void
body(FILE *fp, const struct digest *d, const char *campaign)
{
	char a[32], b[32], shares[256];

	fprintf(fp, "Campaign %s: what happened ", campaign);
	if (d->since > 0)
		fprintf(fp, "between %s and %s.\n\n", utc(d->since, a),
		    utc(d->now, b));
	else
		fprintf(fp, "up to %s.\n\n", utc(d->now, b));
	feed(fp, d);
	section(fp, "Replies held for review", d->n_review,
	    " -- decide with \"pledgectl review\"", d->review_buf);
	section(fp, "Requests that bounced", d->n_bounce, "", d->bounce_buf);
	section(fp, "Artists who withdrew", d->n_withdraw, "", d->withdraw_buf);
	if (d->forgotten > 0)
		fprintf(fp,
		    "Artists forgotten at their request: %" PRId64 "\n\n",
		    d->forgotten);
	fprintf(fp, "The numbers%s:\n\n",
	    d->have_then ? " (change since the last digest)" : "");
	count_line(fp, d, 0, "pledged", "artists");
	count_line(fp, d, 1, "confirmed, phase one", "artists");
	count_line(fp, d, 2, "confirmed, phase two", "artists");
	count_line(fp, d, 3, "withdrawn", "artists");
	count_line(fp, d, 4, "declined", "artists");
	count_line(fp, d, 5, "held for review", "messages");
	fprintf(fp, "\n  Phase two: %s.\n",
	    report_phase2_shares(shares, sizeof shares, &d->stats));
	fputs("\n-- \nSent by pledged to the campaign's organizers ([notify] "
	      "to).\n",
	    fp);
}

static void
subject(char *buf, size_t len, const struct digest *d, const char *campaign)
{
	int n = snprintf(buf, len, "[%s] digest:%s", campaign,
	    d->stale ? " FEED STOPPED," : "");
	const char *sep = " ";

	if (d->n_review > 0) {
		n += snprintf(buf + n, len - (size_t)n, "%s%zu to review", sep,
		    d->n_review);
		sep = ", ";
	}
	if (d->n_bounce > 0 && (size_t)n < len) {
		n += snprintf(buf + n, len - (size_t)n, "%s%zu bounced", sep,
		    d->n_bounce);
		sep = ", ";
	}
	if (d->n_withdraw > 0 && (size_t)n < len) {
		n += snprintf(buf + n, len - (size_t)n, "%s%zu withdrew", sep,
		    d->n_withdraw);
		sep = ", ";
	}
	if ((size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s%" PRId64 " pledged", sep,
		    d->now_counts[0]);
}

/* "<digest.TIME.RANDOM@domain-of-from>" into buf; -1 without a domain. */
static int
digest_message_id(const char *from, int64_t now, char *buf, size_t len)
{
	char addr[256];
	unsigned char r[8];
	const char *at;
	int n;

	if (request_from_address(from, addr, sizeof addr) != 0 ||
	    (at = strrchr(addr, '@')) == NULL)
		return -1;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return -1;
	n = snprintf(buf, len,
	    "<digest.%" PRId64 ".%02x%02x%02x%02x%02x%02x%02x%02x%s>", now,
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], at);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/*
 * The whole message, LF line ends (crlf() converts for the wire).
 * Returns a new string, or NULL (logged).
 */
static char *
message(const struct config *cfg, const struct digest *d, const char *msgid)
{
	const char *campaign =
	    cfg->tokens.campaign != NULL ? cfg->tokens.campaign : "pledged";
	char subj[256], date[64];
	struct tm tm;
	time_t tt = (time_t)d->now;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		log_warn("notify");
		return NULL;
	}
	gmtime_r(&tt, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	subject(subj, sizeof subj, d, campaign);
	fprintf(fp, "From: %s\nTo: ", cfg->smtp.from);
	for (size_t i = 0; i < cfg->notify.to.n; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "", cfg->notify.to.items[i]);
	fprintf(fp,
	    "\nSubject: %s\nDate: %s\nMessage-ID: %s\n"
	    "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n",
	    subj, date, msgid);
	body(fp, d, campaign);
	if (fclose(fp) != 0) {
		log_warn("notify");
		free(buf);
		return NULL;
	}
	return buf;
}

/* LF to CRLF; new string or NULL. */
static char *
crlf(const char *s, size_t *outlen)
{
	size_t n = 0, lf = 0;
	char *out, *p;

	for (const char *c = s; *c != '\0'; c++, n++)
		lf += *c == '\n';
	if ((out = malloc(n + lf + 1)) == NULL)
		return NULL;
	for (p = out; *s != '\0'; s++) {
		if (*s == '\n')
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	*outlen = (size_t)(p - out);
	return out;
}

enum notify_status
notify_preview(
    const struct config *cfg, struct store *st, int64_t now, FILE *fp)
{
	struct store_digest last;
	struct digest d;
	enum notify_status rc = NOTIFY_ERR;
	char *msg = NULL;

	if (gather(st, now, config_stale_after(cfg), &d, &last) != 0)
		goto out;
	if (!has_news(&d)) {
		rc = NOTIFY_NO_NEWS;
		goto out;
	}
	if ((msg = message(
		 cfg, &d, "<digest.(assigned when sent)@localhost>")) == NULL)
		goto out;
	fputs(msg, fp);
	rc = NOTIFY_SENT;
out:
	free(msg);
	digest_free(&d);
	store_digest_free(&last);
	return rc;
}

static enum notify_status
open_smtp(const struct config *cfg, struct smtp **out)
{
	struct smtp_opts so = {
	    .host = cfg->smtp.host,
	    .port = cfg->smtp.port,
	    .tls = cfg->smtp.tls,
	    .ca_file = cfg->smtp.ca_file,
	    .user = cfg->smtp.user,
	    .timeout = cfg->smtp.timeout,
	};
	char *password = NULL, why[256];
	enum smtp_status ss;

	if (cfg->smtp.password_file != NULL &&
	    config_read_secret(cfg->smtp.password_file, &password) != CONFIG_OK)
		return NOTIFY_ERR;
	so.password = password;
	ss = smtp_open(&so, out, why, sizeof why);
	config_secret_free(password);
	if (ss == SMTP_OK)
		return NOTIFY_SENT;
	log_warnx("notify: %s: %s", cfg->smtp.host, why);
	return ss == SMTP_TEMPFAIL || ss == SMTP_UNAVAILABLE ? NOTIFY_TEMPFAIL
							     : NOTIFY_ERR;
}

/* Hand the message to the server for each organizer; how many took it. */
static size_t
deliver(const struct config *cfg, struct smtp *s, const char *wire, size_t len,
    char *err, size_t errlen)
{
	char envelope[256], reply[512];
	size_t ok = 0;

	err[0] = '\0';
	if (request_from_address(cfg->smtp.from, envelope, sizeof envelope) !=
	    0)
		return 0;
	for (size_t i = 0; i < cfg->notify.to.n; i++) {
		const char *rcpt = cfg->notify.to.items[i];

		reply[0] = '\0';
		if (smtp_send(s, envelope, rcpt, wire, len, reply,
			sizeof reply) == SMTP_OK) {
			ok++;
			continue;
		}
		snprintf(err, errlen, "%s: %s", rcpt,
		    reply[0] ? reply : "not accepted");
		log_warnx("notify: digest to %s", err);
	}
	return ok;
}

/* The organizers' addresses, ", "-separated; new, or NULL. */
static char *
join_to(const struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->notify.to.n; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "", cfg->notify.to.items[i]);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A digest ready to go: its text, and the row that records it. */
struct outgoing {
	struct store_digest last, rec;
	struct digest d;
	char msgid[320];
	char *msg, *wire;
	size_t len;
};

static void
outgoing_free(struct outgoing *o)
{
	free(o->wire);
	free(o->msg);
	free(o->rec.counts);
	digest_free(&o->d);
	store_digest_free(&o->last);
	memset(o, 0, sizeof *o);
}

/*
 * Is a digest due (unless 'force') and is there news?  If so, make it.
 * NOTIFY_SENT means "ready".
 */
static enum notify_status
prepare(const struct config *cfg, struct store *st, int64_t now, bool force,
    struct outgoing *o)
{
	memset(o, 0, sizeof *o);
	if (gather(st, now, config_stale_after(cfg), &o->d, &o->last) != 0)
		return NOTIFY_ERR;
	if (!force && o->d.since > 0 && now - o->d.since < cfg->notify.interval)
		return NOTIFY_NOT_DUE;
	if (!has_news(&o->d))
		return NOTIFY_NO_NEWS;
	if (digest_message_id(cfg->smtp.from, now, o->msgid, sizeof o->msgid) !=
		0 ||
	    (o->msg = message(cfg, &o->d, o->msgid)) == NULL ||
	    (o->wire = crlf(o->msg, &o->len)) == NULL ||
	    (o->rec.counts = counts_json(&o->d)) == NULL) {
		log_warnx("notify: cannot make the digest");
		return NOTIFY_ERR;
	}
	o->rec.created_at = now;
	o->rec.audit_upto = o->d.hi;
	o->rec.forgotten_upto = o->d.forgotten_max;
	return NOTIFY_SENT;
}

/*
 * Decide again under the write lock and record the digest as 'sending',
 * so that two processes (the daemon, an organizer's pledgectl digest)
 * never send the same news twice.
 */
static enum notify_status
claim(const struct config *cfg, struct store *st, int64_t now, bool force,
    struct outgoing *o, int64_t *id)
{
	enum notify_status rc;
	char *rcpts = NULL;

	if (store_begin(st) != STORE_OK)
		return NOTIFY_TEMPFAIL;
	outgoing_free(o);
	if ((rc = prepare(cfg, st, now, force, o)) != NOTIFY_SENT)
		goto out;
	rc = NOTIFY_ERR;
	if ((rcpts = join_to(cfg)) == NULL)
		goto out;
	if (store_digest_begin(st, &o->rec, o->msgid, rcpts, id) != STORE_OK)
		goto out;
	if (store_commit(st) != STORE_OK)
		goto out;
	rc = NOTIFY_SENT;
out:
	free(rcpts);
	store_rollback(st); /* a no-op after the commit */
	return rc;
}

enum notify_status
notify_send(const struct config *cfg, struct store *st, int64_t now, bool force)
{
	struct outgoing o;
	struct smtp *s = NULL;
	enum notify_status rc;
	char err[600];
	size_t ok;
	int64_t id = 0;

	if (cfg->notify.to.n == 0)
		return NOTIFY_OFF;
	if (cfg->smtp.host == NULL || cfg->smtp.from == NULL) {
		log_warnx("notify: [smtp] host and from are needed to send "
			  "the digest");
		return NOTIFY_ERR;
	}
	/* A first look without the lock: most passes stop here. */
	if ((rc = prepare(cfg, st, now, force, &o)) != NOTIFY_SENT)
		goto out;
	if ((rc = open_smtp(cfg, &s)) != NOTIFY_SENT)
		goto out;
	if ((rc = claim(cfg, st, now, force, &o, &id)) != NOTIFY_SENT)
		goto out;
	ok = deliver(cfg, s, o.wire, o.len, err, sizeof err);
	fault_point("notify", "digest-after-send");
	if (store_digest_end(st, id, ok > 0, (int64_t)time(NULL),
		err[0] ? err : NULL) != STORE_OK) {
		rc = NOTIFY_ERR;
		goto out;
	}
	if (ok == 0) {
		rc = NOTIFY_TEMPFAIL;
		goto out;
	}
	log_info("notify: digest %s sent to %zu of %zu organizers", o.msgid, ok,
	    cfg->notify.to.n);
	rc = NOTIFY_SENT;
out:
	smtp_close(s);
	outgoing_free(&o);
	return rc;
}

void
notify_after_pass(const struct config *cfg, struct store *st)
{
	if (cfg->notify.to.n == 0)
		return;
	(void)notify_send(cfg, st, (int64_t)time(NULL), false);
}
