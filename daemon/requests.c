/*
 * requests: issue, deliver and record confirmation requests
 * (include/pledged/requests.h has the order of work and why).
 *
 * Design note.  The store is the journal: a token is committed as issued
 * before its request leaves, and marked sent only after the server (or
 * the file system) took it.  Everything a second run needs in order to
 * skip, reuse or retry is read back from there, so there is no other
 * state to keep or lose.  The SMTP session is opened before any token is
 * issued, so that a server we cannot use (wrong certificate, refused
 * login) leaves the store untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pledged/addr.h"
#include "pledged/config.h"
#include "pledged/log.h"
#include "pledged/request.h"
#include "pledged/requests.h"
#include "pledged/smtp.h"
#include "pledged/store.h"
#include "pledged/token.h"

/* An issued, never sent token is used again only with a day left. */
#define REUSE_MIN_LEFT 86400
/* The daemon's own mail: at most one request per artist in this time. */
#define AUTO_MIN_INTERVAL 86400
/*
 * Messages per SMTP connection.  Servers cap them (dovecot's submission
 * and large providers answer "452 Too many messages" after 100), so a
 * long run opens a fresh connection well before that.
 */
#define MESSAGES_PER_SESSION 50
/*
 * After the SMTP server could not be reached or would not talk, seconds
 * before the next try: a run with many requests to send (or a daemon
 * pass with many new pledges) then costs one timeout, not one each.
 */
#define SERVER_RETRY 300

struct requests {
	struct requests_opts o;
	/* Owned by an auto_confirm context (requests_open_auto). */
	struct token_secret *own_key;
	char *own_password;
	struct request_templates *tmpl;
	struct smtp *smtp;
	int session_messages; /* submitted on the open connection */
	time_t down_until;    /* no connection attempt before this */
	enum requests_status down_status;
	char envelope_from[256];
	struct timespec last_submit; /* tv_sec 0: none yet */
	long fault_kill_after;	     /* 0: off */
	long delivered;
	const char *reason; /* requests_last_reason */
	char *preview;	    /* dry run: the first request */
	char *preview_to;
	long previews;
};

static void set_detail(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_detail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

enum requests_status
requests_issue(struct store *st, const struct token_secret *key,
    const char *campaign, const char *address, int phase, int64_t ttl,
    int64_t now, struct store_token *out)
{
	struct token_claims c;
	enum store_status s;
	char *token = NULL, ref[27];
	int64_t artist_id;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof c);
	if (snprintf(c.sub, sizeof c.sub, "%s", address) >= (int)sizeof c.sub) {
		log_warnx("requests: address too long");
		return REQUESTS_ERR;
	}
	c.phase = phase;
	token_new_jti(c.jti);
	/* The request's reference: as random as the jti, and no function
	 * of it, so exports and Message-IDs do not give it away. */
	token_new_jti(ref);
	c.iat = now;
	c.exp = now + ttl;
	if (token_sign(key, &c, campaign, &token) != 0) {
		log_warnx("requests: %s: signing failed", c.jti);
		return REQUESTS_ERR;
	}
	if ((s = store_begin(st)) != STORE_OK)
		goto fail;
	if ((s = store_artist_upsert(st, c.sub, NULL, &artist_id)) !=
		STORE_OK ||
	    (s = store_token_issue(st, c.jti, artist_id, phase, token, c.iat,
		 c.exp, ref)) != STORE_OK ||
	    (s = store_commit(st)) != STORE_OK) {
		store_rollback(st);
		goto fail;
	}
	snprintf(out->jti, sizeof out->jti, "%s", c.jti);
	out->artist_id = artist_id;
	out->phase = phase;
	out->token = token;
	out->issued_at = c.iat;
	out->expires_at = c.exp;
	snprintf(out->state, sizeof out->state, "issued");
	snprintf(out->request_ref, sizeof out->request_ref, "%s", ref);
	return REQUESTS_OK;
fail:
	free(token);
	return s == STORE_BUSY ? REQUESTS_BUSY : REQUESTS_ERR;
}

enum requests_status
requests_open(const struct requests_opts *o, struct requests **out)
{
	struct requests *rq;
	const char *fault;

	*out = NULL;
	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		log_warn("requests");
		return REQUESTS_ERR;
	}
	rq->o = *o;
	if (o->cfg->smtp.from == NULL ||
	    request_from_address(o->cfg->smtp.from, rq->envelope_from,
		sizeof rq->envelope_from) != 0) {
		log_warnx("requests: [smtp] from has no address");
		goto fail;
	}
	if (request_templates_load(o->cfg->smtp.templates, &rq->tmpl) != 0)
		goto fail;
#ifdef PLEDGED_TEST_HOOKS
	if ((fault = getenv("PLEDGED_FAULT_KILL_AFTER")) != NULL)
		rq->fault_kill_after = strtol(fault, NULL, 10);
#else
	(void)fault;
#endif
	*out = rq;
	return REQUESTS_OK;
fail:
	requests_close(rq);
	return REQUESTS_ERR;
}

void
requests_close(struct requests *rq)
{
	if (rq == NULL)
		return;
	smtp_close(rq->smtp);
	free(rq->preview);
	free(rq->preview_to);
	request_templates_free(rq->tmpl);
	token_secret_free(rq->own_key);
	config_secret_free(rq->own_password);
	free(rq);
}

enum requests_status
requests_connect(struct requests *rq, char *why, size_t whylen)
{
	const struct config *cfg = rq->o.cfg;
	struct smtp_opts so = {
	    .host = cfg->smtp.host,
	    .port = cfg->smtp.port,
	    .tls = cfg->smtp.tls,
	    .ca_file = cfg->smtp.ca_file,
	    .user = cfg->smtp.user,
	    .password = rq->o.smtp_password,
	    .timeout = cfg->smtp.timeout,
	};

	if (rq->o.outbox != NULL || rq->o.dry_run)
		return REQUESTS_OK;
	if (rq->smtp != NULL && rq->session_messages < MESSAGES_PER_SESSION)
		return REQUESTS_OK;
	smtp_close(rq->smtp);
	rq->smtp = NULL;
	rq->session_messages = 0;
	if (time(NULL) < rq->down_until) {
		set_detail(why, whylen,
		    "%s: failed moments ago; next try in %lld s",
		    cfg->smtp.host, (long long)(rq->down_until - time(NULL)));
		return rq->down_status;
	}
	switch (smtp_open(&so, &rq->smtp, why, whylen)) {
	case SMTP_OK:
		return REQUESTS_OK;
	case SMTP_TEMPFAIL:
		rq->down_status = REQUESTS_DEFERRED;
		break;
	case SMTP_UNAVAILABLE:
		rq->down_status = REQUESTS_UNAVAILABLE;
		break;
	case SMTP_AUTH:
		return REQUESTS_AUTH;
	default:
		return REQUESTS_ERR;
	}
	rq->down_until = time(NULL) + SERVER_RETRY;
	return rq->down_status;
}

/* Write the request to DIR/<jti>.eml: temporary file, fsync, rename. */
static enum requests_status
write_outbox(const char *dir, const char *jti, const char *msg, size_t len)
{
	char tmp[4096], path[4096];
	enum requests_status rc = REQUESTS_CANTCREAT;
	size_t off = 0;
	int fd = -1, dfd = -1;

	if (snprintf(tmp, sizeof tmp, "%s/.%s.eml.tmp", dir, jti) >=
		(int)sizeof tmp ||
	    snprintf(path, sizeof path, "%s/%s.eml", dir, jti) >=
		(int)sizeof path) {
		log_warnx("requests: %s: path too long", dir);
		return rc;
	}
	/*
	 * O_EXCL | O_NOFOLLOW: a file or symlink planted at the temporary's
	 * name is never written through.  One left by a crash (or planted)
	 * is unlinked -- that removes the link, not its target -- and the
	 * file created anew.
	 */
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("requests: %s", tmp);
		return rc;
	}
	while (off < len) {
		ssize_t w = write(fd, msg + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			log_warn("requests: %s", tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		log_warn("requests: %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		log_warn("requests: %s", path);
		goto out;
	}
	/* The rename itself must survive a crash before we record it. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		log_warn("requests: %s", dir);
		goto out;
	}
	rc = REQUESTS_OK;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (rc != REQUESTS_OK)
		unlink(tmp);
	return rc;
}

/* Wait until the next submission keeps to rate_per_minute. */
static void
pace(struct requests *rq)
{
	struct timespec now, next;
	long long gap_ns = 60000000000LL / rq->o.cfg->smtp.rate_per_minute;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rq->last_submit.tv_sec != 0) {
		long long due =
		    (long long)rq->last_submit.tv_sec * 1000000000LL +
		    rq->last_submit.tv_nsec + gap_ns;
		long long cur =
		    (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
		if (due > cur) {
			next.tv_sec = (time_t)(due / 1000000000LL);
			next.tv_nsec = (long)(due % 1000000000LL);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				   &next, NULL) == EINTR)
				;
			clock_gettime(CLOCK_MONOTONIC, &now);
		}
	}
	rq->last_submit = now;
}

/*
 * Decide from the artist's latest token of the phase: 1 skip (detail
 * set), 0 issue a new token, 2 reuse 'latest' (issued, never sent).
 */
static int
decide(struct requests *rq, enum store_status ls,
    const struct store_token *latest, int64_t now, int64_t changed_at,
    char *detail, size_t detaillen)
{
	if (ls == STORE_NOT_FOUND)
		return 0;
	if (strcmp(latest->state, "issued") == 0 && latest->token != NULL &&
	    latest->expires_at > now + REUSE_MIN_LEFT)
		return 2;
	if (rq->o.auto_submitted &&
	    latest->issued_at > now - AUTO_MIN_INTERVAL) {
		set_detail(detail, detaillen, "a request was made today");
		rq->reason = "asked today";
		return 1;
	}
	if (rq->o.resend)
		return 0;
	if (strcmp(latest->state, "sent") == 0 && latest->expires_at > now) {
		set_detail(
		    detail, detaillen, "request %s pending", latest->jti);
		rq->reason = "request pending";
		return 1;
	}
	if (strcmp(latest->state, "failed") == 0 && changed_at > 0 &&
	    latest->issued_at <= changed_at)
		return 0; /* the address was corrected since */
	if (strcmp(latest->state, "failed") == 0 ||
	    strcmp(latest->state, "bounced") == 0) {
		set_detail(detail, detaillen,
		    "request %s %s (--resend tries again)", latest->jti,
		    latest->state);
		rq->reason = strcmp(latest->state, "failed") == 0
		    ? "request failed before"
		    : "request bounced";
		return 1;
	}
	return 0; /* expired, or an issued token about to expire */
}

static enum requests_status
from_store(enum store_status s)
{
	return s == STORE_BUSY ? REQUESTS_BUSY : REQUESTS_ERR;
}

/* Placeholders of a dry run: well-formed, and nothing verifies them. */
#define PREVIEW_JTI "preview-nothing-recorded00"
#define PREVIEW_TOKEN "v4.public.PREVIEW-not-a-token-nothing-was-issued"

/*
 * Dry run: build the request with placeholders and keep the first one,
 * or write each to preview_dir/NNNN.eml.  Nothing touches the store.
 */
static enum requests_status
preview(struct requests *rq, const struct request_params *base, char *detail,
    size_t detaillen)
{
	struct request_params p = *base;
	char *msg = NULL, name[32];
	size_t len;
	enum requests_status rc = REQUESTS_OK;

	p.token = PREVIEW_TOKEN;
	p.jti = PREVIEW_JTI;
	if (request_build(rq->tmpl, &p, &msg, &len, NULL) != 0)
		return REQUESTS_ERR;
	rq->previews++;
	if (rq->o.preview_dir != NULL) {
		snprintf(name, sizeof name, "%04ld", rq->previews);
		rc = write_outbox(rq->o.preview_dir, name, msg, len);
	} else if (rq->preview == NULL) {
		rq->preview = msg;
		msg = NULL;
		if ((rq->preview_to = strdup(p.to)) == NULL)
			rc = REQUESTS_ERR;
	}
	free(msg);
	set_detail(detail, detaillen, "would be sent");
	return rc;
}

/*
 * An address no server can take (recorded from a broken From): a token
 * marked failed with the reason, so the artist shows as failed, the
 * round goes on, and the next run skips it until the address is fixed.
 */
static enum requests_status
malformed(struct requests *rq, const char *address, int phase, int64_t now,
    char *detail, size_t detaillen)
{
	struct store *st = rq->o.st;
	enum store_status s;
	char why[160], jti[TOKEN_JTI_MAX + 1];
	int64_t artist_id;

	snprintf(why, sizeof why, "malformed address: %s",
	    addr_invalid_reason(address));
	set_detail(detail, detaillen, "%s", why);
	rq->reason = "malformed address";
	if (rq->o.dry_run)
		return REQUESTS_FAILED;
	/*
	 * Nothing to sign (a token's sub must be an address): the row
	 * records the attempt, without token text, as failed.
	 */
	token_new_jti(jti);
	if ((s = store_begin(st)) != STORE_OK)
		return from_store(s);
	if ((s = store_artist_upsert(st, address, NULL, &artist_id)) !=
		STORE_OK ||
	    (s = store_token_issue(st, jti, artist_id, phase, NULL, now,
		 now + rq->o.ttl, NULL)) != STORE_OK ||
	    (s = store_token_failed(st, jti, why)) != STORE_OK ||
	    (s = store_commit(st)) != STORE_OK) {
		store_rollback(st);
		return from_store(s);
	}
	return REQUESTS_FAILED;
}

enum requests_status
requests_send_one(struct requests *rq, const char *address, int phase,
    char *detail, size_t detaillen)
{
	struct store *st = rq->o.st;
	struct store_artist_phase ap;
	struct store_token latest, tok;
	struct request_params p;
	enum requests_status rc;
	enum store_status s, ls;
	char msgid[REQUEST_MSGID_MAX], reply[512] = "";
	char *msg = NULL;
	size_t len;
	int64_t now = time(NULL);
	int d;

	memset(&latest, 0, sizeof latest);
	memset(&tok, 0, sizeof tok);
	set_detail(detail, detaillen, "%s", "");
	rq->reason = "";
	s = store_artist_phase(st, address, phase, &ap);
	if (s == STORE_NOT_FOUND)
		return REQUESTS_NO_ARTIST;
	if (s != STORE_OK)
		return from_store(s);
	rc = REQUESTS_SKIPPED;
	if (ap.forgotten) {
		set_detail(detail, detaillen, "forgotten");
		rq->reason = "forgotten";
		goto out;
	}
	if (ap.excluded) {
		set_detail(detail, detaillen, "excluded from the counts");
		rq->reason = "excluded";
		goto out;
	}
	if (ap.linked) {
		set_detail(detail, detaillen, "a linked second address");
		rq->reason = "linked address";
		goto out;
	}
	if (strcmp(ap.pledge_state, "withdrawn") == 0) {
		set_detail(detail, detaillen, "withdrawn");
		rq->reason = "withdrawn";
		goto out;
	}
	if (ap.answered) {
		set_detail(detail, detaillen, "answered phase %d", phase);
		rq->reason = "answered";
		goto out;
	}
	ls = store_token_latest(st, ap.artist_id, phase, &latest);
	if (ls != STORE_OK && ls != STORE_NOT_FOUND) {
		rc = from_store(ls);
		goto out;
	}
	if ((d = decide(rq, ls, &latest, now, ap.address_changed_at, detail,
		 detaillen)) == 1)
		goto out;
	if (!addr_valid(address)) {
		rc = malformed(rq, address, phase, now, detail, detaillen);
		goto out;
	}

	p = (struct request_params){
	    .from = rq->o.cfg->smtp.from,
	    .to = address,
	    .to_name = ap.name,
	    .campaign = rq->o.cfg->tokens.campaign,
	    .phase = phase,
	    .expires_at = now + rq->o.ttl,
	    .date = now,
	    .auto_submitted = rq->o.auto_submitted,
	};
	if (rq->o.dry_run) {
		rc = preview(rq, &p, detail, detaillen);
		goto out;
	}
	/* The server first: a refusal must leave no token behind. */
	if ((rc = requests_connect(rq, detail, detaillen)) != REQUESTS_OK)
		goto out;
	if (d == 2) {
		tok = latest;
		latest.token = NULL;
	} else if ((rc = requests_issue(st, rq->o.key,
			rq->o.cfg->tokens.campaign, address, phase, rq->o.ttl,
			now, &tok)) != REQUESTS_OK)
		goto out;
	p.token = tok.token;
	p.jti = tok.jti;
	p.expires_at = tok.expires_at;
	p.ref = tok.request_ref[0] != '\0' ? tok.request_ref : NULL;
	if (request_build(rq->tmpl, &p, &msg, &len, msgid) != 0) {
		rc = REQUESTS_ERR;
		goto out;
	}

	if (rq->o.outbox != NULL) {
		if ((rc = write_outbox(rq->o.outbox, tok.jti, msg, len)) !=
		    REQUESTS_OK)
			goto out;
	} else {
		pace(rq);
		rq->session_messages++;
		switch (smtp_send(rq->smtp, rq->envelope_from, address, msg,
		    len, reply, sizeof reply)) {
		case SMTP_OK:
			break;
		case SMTP_TEMPFAIL:
			if (!smtp_alive(rq->smtp)) {
				smtp_close(rq->smtp);
				rq->smtp = NULL;
			}
			set_detail(detail, detaillen, "%s", reply);
			s = store_token_deferred(st, tok.jti, reply);
			rc = s == STORE_OK ? REQUESTS_DEFERRED : from_store(s);
			goto out;
		case SMTP_PERMFAIL:
			set_detail(detail, detaillen, "%s", reply);
			rq->reason = "refused by the server";
			s = store_token_failed(st, tok.jti, reply);
			rc = s == STORE_OK ? REQUESTS_FAILED : from_store(s);
			goto out;
		default:
			rc = REQUESTS_ERR;
			goto out;
		}
	}
	rq->delivered++;
	if (rq->fault_kill_after > 0 && rq->delivered >= rq->fault_kill_after)
		raise(SIGKILL); /* test hook: see requests.h */
	if ((s = store_token_sent(st, tok.jti, msgid, now)) != STORE_OK) {
		rc = from_store(s);
		goto out;
	}
	set_detail(detail, detaillen, "%s", tok.jti);
	rc = REQUESTS_OK;
out:
	free(msg);
	free(tok.token);
	free(latest.token);
	free(ap.name);
	return rc;
}

const char *
requests_last_reason(const struct requests *rq)
{
	return rq->reason != NULL ? rq->reason : "";
}

const char *
requests_preview(const struct requests *rq, const char **to)
{
	if (to != NULL)
		*to = rq->preview_to;
	return rq->preview;
}

enum requests_status
requests_open_auto(const struct config *cfg, struct store *st,
    struct requests **out, bool *perm)
{
	struct requests_opts o = {
	    .cfg = cfg,
	    .st = st,
	    .ttl = 30 * 86400,
	    .auto_submitted = true,
	};
	struct token_secret *key = NULL;
	char *secret = NULL, *password = NULL;
	enum config_status cs;

	*out = NULL;
	*perm = false;
	if (!cfg->tokens.auto_confirm)
		return REQUESTS_OK;
	if (config_require(cfg, CONFIG_NEED_SMTP) != CONFIG_OK)
		return REQUESTS_ERR;
	/* config_load refuses auto_confirm without a secret_key_file. */
	cs = config_read_secret(cfg->tokens.secret_key_file, &secret);
	if (cs == CONFIG_OK && token_secret_from_paserk(secret, &key) != 0) {
		fprintf(stderr, "%s: not a k4.secret PASERK\n",
		    cfg->tokens.secret_key_file);
		cs = CONFIG_ERR;
	}
	config_secret_free(secret);
	if (cs == CONFIG_OK && cfg->smtp.password_file != NULL)
		cs = config_read_secret(cfg->smtp.password_file, &password);
	if (cs != CONFIG_OK) {
		*perm = cs == CONFIG_PERM;
		token_secret_free(key);
		return REQUESTS_ERR;
	}
	o.key = key;
	o.smtp_password = password;
	if (requests_open(&o, out) != REQUESTS_OK) {
		token_secret_free(key);
		config_secret_free(password);
		return REQUESTS_ERR;
	}
	(*out)->own_key = key;
	(*out)->own_password = password;
	return REQUESTS_OK;
}
