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
	char *token = NULL;
	int64_t artist_id;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof c);
	if (snprintf(c.sub, sizeof c.sub, "%s", address) >= (int)sizeof c.sub) {
		log_warnx("requests: address too long");
		return REQUESTS_ERR;
	}
	c.phase = phase;
	token_new_jti(c.jti);
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
		 c.exp)) != STORE_OK ||
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
	if ((fault = getenv("PLEDGED_FAULT_KILL_AFTER")) != NULL)
		rq->fault_kill_after = strtol(fault, NULL, 10);
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

	if (rq->o.outbox != NULL)
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
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) ==
	    -1) {
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
decide(const struct requests *rq, enum store_status ls,
    const struct store_token *latest, int64_t now, char *detail,
    size_t detaillen)
{
	if (ls == STORE_NOT_FOUND)
		return 0;
	if (strcmp(latest->state, "issued") == 0 && latest->token != NULL &&
	    latest->expires_at > now + REUSE_MIN_LEFT)
		return 2;
	if (rq->o.auto_submitted &&
	    latest->issued_at > now - AUTO_MIN_INTERVAL) {
		set_detail(detail, detaillen, "a request was made today");
		return 1;
	}
	if (rq->o.resend)
		return 0;
	if (strcmp(latest->state, "sent") == 0 && latest->expires_at > now) {
		set_detail(
		    detail, detaillen, "request %s pending", latest->jti);
		return 1;
	}
	if (strcmp(latest->state, "failed") == 0 ||
	    strcmp(latest->state, "bounced") == 0) {
		set_detail(detail, detaillen,
		    "request %s %s (--resend tries again)", latest->jti,
		    latest->state);
		return 1;
	}
	return 0; /* expired, or an issued token about to expire */
}

static enum requests_status
from_store(enum store_status s)
{
	return s == STORE_BUSY ? REQUESTS_BUSY : REQUESTS_ERR;
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
	s = store_artist_phase(st, address, phase, &ap);
	if (s == STORE_NOT_FOUND)
		return REQUESTS_NO_ARTIST;
	if (s != STORE_OK)
		return from_store(s);
	rc = REQUESTS_SKIPPED;
	if (ap.forgotten) {
		set_detail(detail, detaillen, "forgotten");
		goto out;
	}
	if (strcmp(ap.pledge_state, "withdrawn") == 0) {
		set_detail(detail, detaillen, "withdrawn");
		goto out;
	}
	if (ap.answered) {
		set_detail(detail, detaillen, "answered phase %d", phase);
		goto out;
	}
	ls = store_token_latest(st, ap.artist_id, phase, &latest);
	if (ls != STORE_OK && ls != STORE_NOT_FOUND) {
		rc = from_store(ls);
		goto out;
	}
	if ((d = decide(rq, ls, &latest, now, detail, detaillen)) == 1)
		goto out;
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

	p = (struct request_params){
	    .from = rq->o.cfg->smtp.from,
	    .to = address,
	    .to_name = ap.name,
	    .token = tok.token,
	    .jti = tok.jti,
	    .campaign = rq->o.cfg->tokens.campaign,
	    .phase = phase,
	    .expires_at = tok.expires_at,
	    .date = now,
	    .auto_submitted = rq->o.auto_submitted,
	};
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
