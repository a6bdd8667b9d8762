/*
 * smtp: message submission over libetpan (include/pledged/smtp.h).
 *
 * Design note.  libetpan speaks the protocol and does the TLS handshake;
 * it checks no certificate and sends no SNI (LIBETPAN.md).  So the
 * handshake callback names the host (SNI), and right after the handshake
 * -- before EHLO is repeated, before AUTH -- the chain the server sent is
 * handed to the tls module, which alone decides whether we trust it.  A
 * server we do not trust gets nothing: not our name, not the password,
 * not a message.  Errors are classified by the reply code the server
 * gave (4xx temporary, 5xx permanent) or, where it gave none, by where
 * they happened (connection and TLS: unavailable; a dropped or stalled
 * session: temporary, the session is dead).
 *
 * The connection is the net module's, as for IMAP: our own bounded
 * connect (plaintext only to loopback), SNI for names only, and the
 * stream guard, so that every operation (the whole opening: connect,
 * greeting, EHLO, STARTTLS, AUTH; each message; QUIT) has an overall
 * deadline from [smtp] timeout whatever the TLS mode, every reply line
 * and every reply a byte cap, and a stop signal ends a wait at once.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "pledged/log.h"
#include "pledged/net.h"
#include "pledged/smtp.h"
#include "pledged/tls.h"

/*
 * Byte caps.  RFC 5321 allows reply lines of 512 bytes; a multiline
 * reply (EHLO) is a few dozen of them.
 */
#define SMTP_LINE_MAX 4096
#define SMTP_RESPONSE_MAX (64 * 1024)
/* Budget of an operation, in timeouts. */
#define SMTP_OP_TIMEOUTS 4

struct smtp {
	mailsmtp *s;
	char *host;
	int timeout;
	struct net_budget budget; /* deadline and byte caps, net.h */
	bool dead;		  /* the stream failed: only closing is left */
};

/* Start an operation of 'timeouts' timeouts, plus one per MiB sent. */
static void
op_begin(struct smtp *sm, long timeouts, size_t bytes)
{
	net_begin(&sm->budget, (timeouts + (long)(bytes >> 20)) * sm->timeout,
	    SMTP_RESPONSE_MAX, 0);
}

/* Why the stream failed, when the guard knows better than libetpan. */
static const char *
stream_why(const struct smtp *sm, int r)
{
	if (sm->budget.fail != NET_FAIL_NONE)
		return net_fail_str(sm->budget.fail);
	return mailsmtp_strerror(r);
}

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* The server's last reply as one printable line ("550 5.1.1 ..."). */
static void
last_reply(const mailsmtp *s, char *buf, size_t len)
{
	const char *text = s->response != NULL ? s->response : "";
	size_t n;

	if (buf == NULL || len == 0)
		return;
	snprintf(buf, len, "%d %s", s->response_code, text);
	for (n = 0; buf[n] != '\0'; n++)
		if ((unsigned char)buf[n] < ' ' || buf[n] == 0x7f)
			buf[n] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

/* Map a failed command: by reply code, else by where it failed. */
static enum smtp_status
classify(struct smtp *sm, int r, enum smtp_status otherwise)
{
	int code = sm->s->response_code;

	if (r == MAILSMTP_ERROR_STREAM || r == MAILSMTP_ERROR_SSL) {
		sm->dead = true;
		return SMTP_TEMPFAIL;
	}
	if (r == MAILSMTP_ERROR_MEMORY)
		return SMTP_ERR;
	if (code >= 400 && code < 500)
		return SMTP_TEMPFAIL;
	if (code >= 500 && code < 600)
		return SMTP_PERMFAIL;
	return otherwise;
}

/* EHLO, falling back to HELO for a server that knows no ESMTP. */
static int
greet(struct smtp *sm)
{
	int r = mailesmtp_ehlo(sm->s);

	if (r == MAILSMTP_ERROR_NOT_IMPLEMENTED)
		r = mailsmtp_helo(sm->s);
	return r;
}

static enum smtp_status
login(struct smtp *sm, const struct smtp_opts *o, char *why, size_t whylen)
{
	const char *mech;
	char reply[256];
	int r;

	if (sm->s->auth & MAILSMTP_AUTH_PLAIN)
		mech = "PLAIN";
	else if (sm->s->auth & MAILSMTP_AUTH_LOGIN)
		mech = "LOGIN";
	else {
		set_why(why, whylen,
		    "%s: the server offers no AUTH PLAIN or LOGIN", sm->host);
		log_warnx("smtp: %s", why != NULL ? why : sm->host);
		return SMTP_AUTH;
	}
	r = mailesmtp_auth_sasl(sm->s, mech, o->host, NULL, NULL, o->user,
	    o->user, o->password, NULL);
	if (r == MAILSMTP_NO_ERROR)
		return SMTP_OK;
	last_reply(sm->s, reply, sizeof reply);
	if (sm->s->response_code == 0)
		/* libsasl2-modules missing reads as error 17 (AUTH_LOGIN). */
		set_why(why, whylen,
		    "%s: AUTH %s failed: %s (is "
		    "libsasl2-modules installed?)",
		    sm->host, mech, mailsmtp_strerror(r));
	else
		set_why(why, whylen, "%s: AUTH %s as %s refused: %s", sm->host,
		    mech, o->user, reply);
	log_warnx("smtp: %s", why != NULL ? why : sm->host);
	if (r == MAILSMTP_ERROR_STREAM) {
		sm->dead = true;
		return SMTP_TEMPFAIL;
	}
	return sm->s->response_code >= 400 && sm->s->response_code < 500
	    ? SMTP_TEMPFAIL
	    : SMTP_AUTH;
}

enum smtp_status
smtp_open(
    const struct smtp_opts *o, struct smtp **out, char *why, size_t whylen)
{
	struct smtp *sm;
	enum smtp_status rc = SMTP_UNAVAILABLE;
	mailstream *stream;
	char reply[256];
	const char *hint;
	int r, fd = -1;

	*out = NULL;
	set_why(why, whylen, "%s", "");
	if (o->host == NULL || o->port <= 0 || o->port > 65535 ||
	    (o->user != NULL && o->password == NULL)) {
		log_warnx("smtp: bad options");
		return SMTP_ERR;
	}
	if ((sm = calloc(1, sizeof(*sm))) == NULL ||
	    (sm->host = strdup(o->host)) == NULL ||
	    (sm->s = mailsmtp_new(0, NULL)) == NULL) {
		log_warn("smtp: %s", o->host);
		rc = SMTP_ERR;
		goto fail;
	}
	sm->timeout = o->timeout > 0 ? o->timeout : 60;
	mailsmtp_set_timeout(sm->s, sm->timeout);
	sm->budget.timeout = sm->timeout;
	sm->budget.line_max = SMTP_LINE_MAX;
	sm->budget.stoppable = true;
	sm->budget.untab = true;
	/* Connect, greeting, EHLO, STARTTLS, AUTH: one budget. */
	op_begin(sm, SMTP_OP_TIMEOUTS, 0);
	if (net_stopping()) {
		set_why(why, whylen, "%s: stopping", o->host);
		rc = SMTP_TEMPFAIL;
		goto fail;
	}
	switch (net_connect("smtp", o->host, o->port, o->tls == CONFIG_TLS_NONE,
	    sm->timeout, &fd)) {
	case NET_OK:
		break;
	case NET_TEMPFAIL:
		rc = SMTP_TEMPFAIL;
		/* FALLTHROUGH */
	default:
		set_why(why, whylen, "%s port %d: cannot connect", o->host,
		    o->port);
		goto fail;
	}
	stream = net_stream_open(
	    "smtp", fd, o->tls == CONFIG_TLS_IMPLICIT, o->host, sm->timeout);
	if (stream == NULL) {
		set_why(why, whylen, "%s port %d: cannot connect%s", o->host,
		    o->port, o->tls == CONFIG_TLS_IMPLICIT ? " with TLS" : "");
		goto fail;
	}
	if (o->tls == CONFIG_TLS_IMPLICIT &&
	    net_verify("smtp", stream, o->host, o->ca_file, why, whylen) !=
		NET_OK) {
		mailstream_close(stream);
		goto fail;
	}
	if (!net_guard_install(stream, &sm->budget)) {
		set_why(why, whylen, "%s: cannot guard the stream", o->host);
		log_warnx("smtp: %s", why != NULL ? why : o->host);
		mailstream_close(stream);
		goto fail;
	}
	/* mailsmtp_connect owns the stream, and closes it on failure. */
	if ((r = mailsmtp_connect(sm->s, stream)) != MAILSMTP_NO_ERROR) {
		if (sm->s->response_code >= 400) {
			last_reply(sm->s, reply, sizeof reply);
			set_why(why, whylen, "%s port %d: greeting: %s",
			    o->host, o->port, reply);
			rc = sm->s->response_code < 500 ? SMTP_TEMPFAIL
							: SMTP_UNAVAILABLE;
		} else {
			set_why(why, whylen, "%s port %d: greeting: %s",
			    o->host, o->port, stream_why(sm, r));
			rc = SMTP_TEMPFAIL;
		}
		log_warnx("smtp: %s", why != NULL ? why : o->host);
		hint = tls_port_hint(
		    "smtp", o->tls == CONFIG_TLS_IMPLICIT, o->port, true);
		if (hint != NULL) {
			log_warnx("smtp: %s: %s", o->host, hint);
			if (why != NULL && strlen(why) + 3 < whylen)
				set_why(why + strlen(why), whylen - strlen(why),
				    " (%s)", hint);
		}
		goto fail;
	}
	if ((r = greet(sm)) != MAILSMTP_NO_ERROR) {
		last_reply(sm->s, reply, sizeof reply);
		set_why(why, whylen, "%s: EHLO: %s", o->host,
		    sm->s->response_code ? reply : stream_why(sm, r));
		log_warnx("smtp: %s", why != NULL ? why : o->host);
		rc = classify(sm, r, SMTP_UNAVAILABLE);
		goto fail;
	}
	if (o->tls == CONFIG_TLS_STARTTLS) {
		/* A failed STARTTLS is the end: never go on in plain text. */
		if (!(sm->s->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
			set_why(why, whylen,
			    "%s: the server offers no STARTTLS", o->host);
			log_warnx("smtp: %s", why != NULL ? why : o->host);
			rc = SMTP_UNAVAILABLE;
			goto fail;
		}
		r = mailsmtp_socket_starttls_with_callback(
		    sm->s, net_sni_callback, sm->host);
		if (r != MAILSMTP_NO_ERROR) {
			set_why(why, whylen, "%s: STARTTLS failed: %s", o->host,
			    stream_why(sm, r));
			log_warnx("smtp: %s", why != NULL ? why : o->host);
			rc = SMTP_UNAVAILABLE;
			goto fail;
		}
		if (net_verify("smtp", sm->s->stream, o->host, o->ca_file, why,
			whylen) != NET_OK) {
			rc = SMTP_UNAVAILABLE;
			goto fail;
		}
		/* The guard went away with the plain stream's driver. */
		if (!net_guard_install(sm->s->stream, &sm->budget)) {
			set_why(why, whylen, "%s: cannot guard the stream",
			    o->host);
			log_warnx("smtp: %s", why != NULL ? why : o->host);
			rc = SMTP_UNAVAILABLE;
			goto fail;
		}
		/* What was offered before TLS means nothing now. */
		if ((r = greet(sm)) != MAILSMTP_NO_ERROR) {
			set_why(why, whylen, "%s: EHLO after STARTTLS: %s",
			    o->host, stream_why(sm, r));
			log_warnx("smtp: %s", why != NULL ? why : o->host);
			rc = classify(sm, r, SMTP_UNAVAILABLE);
			goto fail;
		}
	}
	if (o->user != NULL && (rc = login(sm, o, why, whylen)) != SMTP_OK)
		goto fail;
	*out = sm;
	return SMTP_OK;
fail:
	if (sm != NULL && sm->s != NULL)
		sm->dead = true; /* no QUIT to a server we gave up on */
	smtp_close(sm);
	return rc;
}

enum smtp_status
smtp_send(struct smtp *sm, const char *mail_from, const char *rcpt,
    const char *msg, size_t len, char *reply, size_t replylen)
{
	const char *step;
	enum smtp_status rc;
	char buf[512];
	int r;

	if (reply != NULL && replylen > 0)
		reply[0] = '\0';
	if (sm == NULL || sm->dead) {
		if (reply != NULL && replylen > 0)
			snprintf(reply, replylen, "connection lost");
		return SMTP_TEMPFAIL;
	}
	op_begin(sm, SMTP_OP_TIMEOUTS, len);
	step = "MAIL FROM";
	if ((r = mailsmtp_mail(sm->s, mail_from)) != MAILSMTP_NO_ERROR)
		goto fail;
	step = "RCPT TO";
	if ((r = mailsmtp_rcpt(sm->s, rcpt)) != MAILSMTP_NO_ERROR)
		goto fail;
	step = "DATA";
	if ((r = mailsmtp_data(sm->s)) != MAILSMTP_NO_ERROR)
		goto fail;
	step = "end of data";
	if ((r = mailsmtp_data_message(sm->s, msg, len)) != MAILSMTP_NO_ERROR)
		goto fail;
	return SMTP_OK;
fail:
	rc = classify(sm, r, SMTP_TEMPFAIL);
	if (sm->dead || sm->s->response_code == 0)
		snprintf(buf, sizeof buf, "%s: %s", step, stream_why(sm, r));
	else
		last_reply(sm->s, buf, sizeof buf);
	if (reply != NULL && replylen > 0)
		snprintf(reply, replylen, "%s", buf);
	/* A refusal is the caller's to report; a lost session is ours. */
	if (sm->dead)
		log_warnx("smtp: %s: %s: %s", sm->host, rcpt, buf);
	/* Leave the session ready for the next message. */
	if (!sm->dead && mailsmtp_reset(sm->s) == MAILSMTP_ERROR_STREAM)
		sm->dead = true;
	return rc;
}

int
smtp_alive(const struct smtp *sm)
{
	return sm != NULL && !sm->dead;
}

void
smtp_close(struct smtp *sm)
{
	if (sm == NULL)
		return;
	if (sm->s != NULL) {
		if (!sm->dead && sm->s->stream != NULL) {
			op_begin(sm, 1, 0);
			mailsmtp_quit(sm->s);
		}
		/* mailsmtp_free closes the stream without waiting. */
		mailsmtp_free(sm->s);
	}
	free(sm->host);
	free(sm);
}
