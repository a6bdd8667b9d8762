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
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "pledged/log.h"
#include "pledged/smtp.h"
#include "pledged/tls.h"

struct smtp {
	mailsmtp *s;
	char *host;
	bool dead; /* the stream failed: only closing is left */
};

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

/* SNI: libetpan 1.9.4 does not send it unless told. */
static void
tls_callback(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	if (mailstream_ssl_set_server_name(ctx, (char *)(uintptr_t)host) != 0)
		log_warnx("smtp: %s: cannot set the TLS server name", host);
}

/*
 * Verify the chain the server sent for 'host': the one call that decides
 * whether anything else is said on this connection.
 */
static enum smtp_status
verify_peer(struct smtp *sm, const char *ca_file, char *why, size_t whylen)
{
	carray *chain = mailstream_get_certificate_chain(sm->s->stream);
	struct tls_cert *certs = NULL;
	enum smtp_status rc = SMTP_UNAVAILABLE;
	char reason[256] = "";
	unsigned n;

	if (chain == NULL || (n = carray_count(chain)) == 0) {
		set_why(why, whylen, "%s: the server sent no certificate",
		    sm->host);
		goto out;
	}
	if ((certs = calloc(n, sizeof(*certs))) == NULL) {
		log_warn("smtp: %s", sm->host);
		rc = SMTP_ERR;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);
		certs[i].der = (const unsigned char *)der->str;
		certs[i].len = der->len;
	}
	switch (tls_verify_chain(
	    certs, n, sm->host, ca_file, reason, sizeof reason)) {
	case TLS_OK:
		rc = SMTP_OK;
		break;
	case TLS_REJECTED:
		set_why(why, whylen, "%s: certificate refused: %s", sm->host,
		    reason);
		break;
	default:
		set_why(why, whylen, "%s: cannot verify the certificate: %s",
		    sm->host, reason);
		break;
	}
out:
	free(certs);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	if (rc != SMTP_OK && rc != SMTP_ERR)
		log_warnx("smtp: %s", why != NULL ? why : sm->host);
	return rc;
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
	char reply[256];
	const char *hint;
	int r;

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
	mailsmtp_set_timeout(sm->s, o->timeout > 0 ? o->timeout : 60);

	if (o->tls == CONFIG_TLS_IMPLICIT)
		r = mailsmtp_ssl_connect_with_callback(
		    sm->s, o->host, (uint16_t)o->port, tls_callback, sm->host);
	else
		r = mailsmtp_socket_connect(sm->s, o->host, (uint16_t)o->port);
	if (r != MAILSMTP_NO_ERROR) {
		if (sm->s->response_code >= 400) {
			last_reply(sm->s, reply, sizeof reply);
			set_why(why, whylen, "%s port %d: greeting: %s",
			    o->host, o->port, reply);
			rc = sm->s->response_code < 500 ? SMTP_TEMPFAIL
							: SMTP_UNAVAILABLE;
		} else
			set_why(why, whylen, "%s port %d: cannot connect%s: %s",
			    o->host, o->port,
			    o->tls == CONFIG_TLS_IMPLICIT ? " with TLS" : "",
			    mailsmtp_strerror(r));
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
	if (o->tls == CONFIG_TLS_IMPLICIT &&
	    (rc = verify_peer(sm, o->ca_file, why, whylen)) != SMTP_OK)
		goto fail;
	if ((r = greet(sm)) != MAILSMTP_NO_ERROR) {
		last_reply(sm->s, reply, sizeof reply);
		set_why(why, whylen, "%s: EHLO: %s", o->host,
		    sm->s->response_code ? reply : mailsmtp_strerror(r));
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
		    sm->s, tls_callback, sm->host);
		if (r != MAILSMTP_NO_ERROR) {
			set_why(why, whylen, "%s: STARTTLS failed: %s", o->host,
			    mailsmtp_strerror(r));
			log_warnx("smtp: %s", why != NULL ? why : o->host);
			rc = SMTP_UNAVAILABLE;
			goto fail;
		}
		if ((rc = verify_peer(sm, o->ca_file, why, whylen)) != SMTP_OK)
			goto fail;
		/* What was offered before TLS means nothing now. */
		if ((r = greet(sm)) != MAILSMTP_NO_ERROR) {
			set_why(why, whylen, "%s: EHLO after STARTTLS: %s",
			    o->host, mailsmtp_strerror(r));
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
		snprintf(buf, sizeof buf, "%s: %s", step, mailsmtp_strerror(r));
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
		if (!sm->dead && sm->s->stream != NULL)
			mailsmtp_quit(sm->s);
		/* mailsmtp_free closes the stream without waiting. */
		mailsmtp_free(sm->s);
	}
	free(sm->host);
	free(sm);
}
