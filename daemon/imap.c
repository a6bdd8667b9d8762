/*
 * imap: the session.  See imap.h.
 *
 * Connection, trust and the stream guard live in the net module, shared
 * with smtp: the TCP connection made by us (loopback check for plaintext,
 * descriptors below 1024, a bounded connect), SNI for names only, the
 * certificate chain checked before the greeting is even read, and a guard
 * between libetpan's parser and the real stream that keeps each public
 * operation within its deadline and its byte caps (imap_op_begin sets
 * them from the timeout and the operation's size).  A server that sends
 * an endless greeting, line or list of untagged responses, or announces a
 * literal larger than the message it described, meets a clear error long
 * before it can make us allocate much.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pledged/log.h"
#include "pledged/net.h"
#include "pledged/tls.h"
#include "imap_p.h"

const char *
imap_status_str(enum imap_status st)
{
	switch (st) {
	case IMAP_OK:
		return "ok";
	case IMAP_UNAVAILABLE:
		return "unavailable";
	case IMAP_TEMPFAIL:
		return "tempfail";
	case IMAP_TLS_FAILED:
		return "tls failed";
	case IMAP_AUTH_FAILED:
		return "authentication failed";
	case IMAP_PROTOCOL:
		return "protocol error";
	case IMAP_NO_MAILBOX:
		return "no such mailbox";
	case IMAP_ABORTED:
		return "aborted";
	case IMAP_REFUSED:
		return "refused";
	}
	return "unknown";
}

int
imap_status_exit(enum imap_status st)
{
	switch (st) {
	case IMAP_OK:
		return 0;
	case IMAP_TEMPFAIL:
	case IMAP_ABORTED:
		return 75; /* EX_TEMPFAIL */
	case IMAP_AUTH_FAILED:
		return 77; /* EX_NOPERM */
	case IMAP_PROTOCOL:
	case IMAP_REFUSED:
		/* DESIGN's exit codes have no EX_PROTOCOL: a server that
		 * breaks the protocol (or a byte cap) cannot be used, like
		 * one that is down. */
	case IMAP_UNAVAILABLE:
	case IMAP_TLS_FAILED:
	case IMAP_NO_MAILBOX:
		break;
	}
	return 69; /* EX_UNAVAILABLE */
}

/* ---- operations, results ---- */

bool
imap_op_begin(struct imap_conn *c, const char *what, long seconds)
{
	if (c->dead || c->imap == NULL || c->imap->imap_stream == NULL) {
		log_warnx("imap: %s: connection already lost", what);
		return false;
	}
	net_begin(&c->budget, seconds, IMAP_RESPONSE_MAX, IMAP_LITERAL_MAX);
	c->budget.line_max = IMAP_LINE_MAX;
	return true;
}

void
imap_op_caps(struct imap_conn *c, uint64_t response_max, uint64_t literal_max,
    size_t line_max)
{
	c->budget.response_max = response_max;
	c->budget.literal_max = literal_max;
	c->budget.line_max = line_max;
}

/* The server's last response text, made printable and short for a log. */
static void
server_text(const struct imap_conn *c, char *buf, size_t sz)
{
	const char *t = c->imap != NULL ? c->imap->imap_response : NULL;
	size_t i, j = 0;

	if (sz == 0)
		return;
	for (i = 0; t != NULL && t[i] != '\0' && j + 1 < sz && i < 200; i++)
		buf[j++] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
	buf[j] = '\0';
}

enum imap_status
imap_result(
    struct imap_conn *c, int r, const char *what, enum imap_status refused)
{
	char text[256];

	switch (r) {
	case MAILIMAP_NO_ERROR:
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		return IMAP_OK;
	case MAILIMAP_ERROR_STREAM:
		c->dead = true;
		switch (c->budget.fail) {
		case NET_FAIL_LINE:
		case NET_FAIL_RESPONSE:
		case NET_FAIL_LITERAL:
			/* The server broke a cap: not a network hiccup. */
			log_warnx("imap: %s: the server sent %s; connection "
				  "closed",
			    what, net_fail_str(c->budget.fail));
			return IMAP_PROTOCOL;
		case NET_FAIL_NONE:
			log_warnx(
			    "imap: %s: connection lost or timed out", what);
			return IMAP_TEMPFAIL;
		default:
			log_warnx(
			    "imap: %s: %s", what, net_fail_str(c->budget.fail));
			return IMAP_TEMPFAIL;
		}
	case MAILIMAP_ERROR_MEMORY:
		c->dead = true; /* the parser's state is unknown */
		log_warnx("imap: %s: out of memory", what);
		return IMAP_TEMPFAIL;
	case MAILIMAP_ERROR_PARSE:
		c->dead = true;
		log_warnx("imap: %s: unparseable response", what);
		return IMAP_PROTOCOL;
	default:
		server_text(c, text, sizeof(text));
		log_warnx("imap: %s: refused (%d): %s", what, r,
		    text[0] != '\0' ? text : "no text");
		return refused;
	}
}

struct mailimap_set *
imap_uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set;
	size_t i = 0;

	if ((set = mailimap_set_new_empty()) == NULL)
		return NULL;
	while (i < n) {
		uint32_t first = uids[i], last = uids[i];

		/* Extend the run; last < UINT32_MAX guards the increment. */
		while (
		    i + 1 < n && last < UINT32_MAX && uids[i + 1] == last + 1)
			last = uids[++i];
		i++;
		if (mailimap_set_add_interval(set, first, last) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* ---- connecting ---- */

/* CAPABILITY again: libetpan keeps the answer for mailimap_has_*(). */
static enum imap_status
refresh_capabilities(struct imap_conn *c)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_capability(c->imap, &caps);
	if (caps != NULL)
		mailimap_capability_data_free(caps);
	return imap_result(c, r, "CAPABILITY", IMAP_PROTOCOL);
}

/* After a failed handshake or greeting: the likely cause, if it is one. */
static void
imap_port_hint(const struct imap_params *p)
{
	const char *hint =
	    tls_port_hint("imap", p->tls == IMAP_TLS_IMPLICIT, p->port, true);

	if (hint != NULL)
		log_warnx("imap: %s: %s", p->host, hint);
}

static bool
params_ok(const struct imap_params *p)
{
	if (p == NULL || p->host == NULL || *p->host == '\0' ||
	    p->user == NULL || p->password == NULL || p->port < 1 ||
	    p->port > 65535 || p->timeout <= 0 || p->timeout > 3600 ||
	    (p->tls != IMAP_TLS_IMPLICIT && p->tls != IMAP_TLS_STARTTLS &&
		p->tls != IMAP_TLS_NONE)) {
		log_warnx("imap: invalid connection parameters");
		return false;
	}
	return true;
}

enum imap_status
imap_connect(const struct imap_params *p, struct imap_conn **connp)
{
	struct imap_conn *c = NULL;
	mailstream *stream = NULL;
	enum imap_status st;
	int fd = -1, r;
	bool preauth;

	*connp = NULL;
	if (!params_ok(p))
		return IMAP_UNAVAILABLE;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("imap: connect");
		return IMAP_TEMPFAIL;
	}
	c->timeout = p->timeout;
	c->max_message = p->max_message_bytes > 0 ? p->max_message_bytes
						  : IMAP_MESSAGE_MAX_DEFAULT;
	c->budget.timeout = p->timeout;
	c->budget.line_max = IMAP_LINE_MAX;
	c->budget.literals = true;
	/* Connect, handshake, greeting, STARTTLS, LOGIN: one budget. */
	net_begin(
	    &c->budget, 4L * p->timeout, IMAP_RESPONSE_MAX, IMAP_LITERAL_MAX);

	switch (net_connect("imap", p->host, p->port, p->tls == IMAP_TLS_NONE,
	    p->timeout, &fd)) {
	case NET_OK:
		break;
	case NET_TEMPFAIL:
		st = IMAP_TEMPFAIL;
		goto out;
	case NET_INSECURE:
		st = IMAP_TLS_FAILED;
		goto out;
	default:
		st = IMAP_UNAVAILABLE;
		goto out;
	}
	stream = net_stream_open(
	    "imap", fd, p->tls == IMAP_TLS_IMPLICIT, p->host, p->timeout);
	fd = -1; /* the stream owns it, or it is closed */
	if (stream == NULL) {
		/* A stalled server fails here too, so it is worth a retry;
		 * a wrong TLS mode for the port is named in the log. */
		if (p->tls == IMAP_TLS_IMPLICIT)
			imap_port_hint(p);
		st = IMAP_TEMPFAIL;
		goto out;
	}
	if (p->tls == IMAP_TLS_IMPLICIT &&
	    net_verify("imap", stream, p->host, p->ca_file, NULL, 0) !=
		NET_OK) {
		st = IMAP_TLS_FAILED;
		goto out;
	}
	if (!net_guard_install(stream, &c->budget)) {
		log_warnx("imap: %s: cannot guard the stream", p->host);
		st = IMAP_TEMPFAIL;
		goto out;
	}
	if ((c->imap = mailimap_new(0, NULL)) == NULL) {
		log_warnx("imap: out of memory");
		st = IMAP_TEMPFAIL;
		goto out;
	}
	mailimap_set_timeout(c->imap, p->timeout);
	r = mailimap_connect(c->imap, stream);
	/* mailimap_connect keeps the stream even when the greeting fails. */
	if (c->imap->imap_stream == stream)
		stream = NULL;
	if ((st = imap_result(c, r, "greeting", IMAP_PROTOCOL)) != IMAP_OK) {
		imap_port_hint(p);
		goto out;
	}
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (preauth && p->tls == IMAP_TLS_STARTTLS) {
		/* Authenticated in plaintext: STARTTLS is no longer allowed,
		 * the classic stripping move. */
		log_warnx(
		    "imap: %s: PREAUTH greeting before STARTTLS", p->host);
		st = IMAP_TLS_FAILED;
		goto out;
	}

	if (p->tls == IMAP_TLS_STARTTLS) {
		/* The guard goes away with the plain low stream; re-added. */
		r = mailimap_socket_starttls_with_callback(
		    c->imap, net_sni_callback, (void *)(uintptr_t)p->host);
		if (r != MAILIMAP_NO_ERROR) {
			/* Never fall back to plaintext. */
			(void)imap_result(c, r, "STARTTLS", IMAP_TLS_FAILED);
			st = IMAP_TLS_FAILED;
			goto out;
		}
		if (net_verify("imap", c->imap->imap_stream, p->host,
			p->ca_file, NULL, 0) != NET_OK) {
			st = IMAP_TLS_FAILED;
			goto out;
		}
		if (!net_guard_install(c->imap->imap_stream, &c->budget)) {
			log_warnx("imap: %s: cannot guard the stream", p->host);
			st = IMAP_TEMPFAIL;
			goto out;
		}
		/* What was said before TLS does not count. */
		if ((st = refresh_capabilities(c)) != IMAP_OK)
			goto out;
	}

	r = preauth ? MAILIMAP_NO_ERROR
		    : mailimap_login(c->imap, p->user, p->password);
	if (r == MAILIMAP_ERROR_LOGIN) {
		char text[256];

		server_text(c, text, sizeof(text));
		log_warnx("imap: login as %s refused: %s", p->user, text);
		st = IMAP_AUTH_FAILED;
		goto out;
	}
	if ((st = imap_result(c, r, "login", IMAP_AUTH_FAILED)) != IMAP_OK)
		goto out;
	/* Extensions such as MOVE and UIDPLUS are announced after login. */
	if ((st = refresh_capabilities(c)) != IMAP_OK)
		goto out;
	*connp = c;
	c = NULL;
out:
	if (fd != -1)
		close(fd);
	if (stream != NULL)
		mailstream_close(stream);
	imap_close(c);
	return st;
}

void
imap_close(struct imap_conn *c)
{
	if (c == NULL)
		return;
	if (c->imap != NULL) {
		/*
		 * mailimap_free would send LOGOUT and wait a timeout on a
		 * dead server: close the stream first.
		 */
		if (c->imap->imap_stream != NULL) {
			mailstream_close(c->imap->imap_stream);
			c->imap->imap_stream = NULL;
		}
		mailimap_free(c->imap);
	}
	free(c);
}
