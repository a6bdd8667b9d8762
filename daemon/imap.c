/*
 * imap: the session.  See imap.h.
 *
 * Connection.  We make the TCP connection ourselves rather than through
 * libetpan: it lets us check the descriptor (libetpan waits with select(),
 * which aborts on descriptors >= 1024), check that a plaintext peer is
 * really a loopback address, and bound the connect by the timeout.  The
 * socket is then handed to libetpan's TLS or plain stream.  SNI is set in
 * the TLS callback (libetpan 1.9.4 sends none by itself).
 *
 * Trust.  libetpan verifies nothing; the tls module checks the chain the
 * stream received, right after the handshake and before the greeting is
 * even read, so no credential can reach an unverified peer.
 *
 * Stream guard.  Every stream gets a thin mailstream_low driver of ours
 * between libetpan's parser and the real (TLS or socket) driver:
 *  - a read of 0 bytes (end of file) becomes an error.  libetpan's
 *    literal loop (mailimap_literal_parse_progress) only stops on -1, so a
 *    plaintext server closing mid-literal would spin at 100% CPU forever;
 *  - each read and write gets the time left before the operation's
 *    deadline as the real driver's wait, and fails once it has passed.
 *    libetpan's own timeout is per read, so a server trickling a byte per
 *    interval could otherwise hold a fetch for ever.
 * Each public operation sets the deadline (imap_op_begin) from the
 * timeout and its size.  No signals, no threads: the bound lives in the
 * one place every byte goes through.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pledged/log.h"
#include "pledged/tls.h"
#include "imap_p.h"

/* libetpan uses select(): descriptors must stay below FD_SETSIZE. */
#define IMAP_FD_LIMIT 1024

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
		/* DESIGN's exit codes have no EX_PROTOCOL: a server that
		 * breaks the protocol cannot be used, like one that is down. */
	case IMAP_UNAVAILABLE:
	case IMAP_TLS_FAILED:
	case IMAP_NO_MAILBOX:
		break;
	}
	return 69; /* EX_UNAVAILABLE */
}

/* ---- the stream guard ---- */

struct guard {
	mailstream_low *inner;
	struct imap_conn *conn;
};

static long
remaining_ms(const struct imap_conn *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (c->deadline.tv_sec - now.tv_sec) * 1000 +
	    (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

/* Give the real driver the smaller of the timeout and the time left. */
static bool
guard_arm(struct guard *g)
{
	long left = remaining_ms(g->conn), secs;

	if (left <= 0)
		return false;
	secs = (left + 999) / 1000;
	if (secs > g->conn->timeout)
		secs = g->conn->timeout;
	mailstream_low_set_timeout(g->inner, (time_t)secs);
	return true;
}

static ssize_t
guard_read(mailstream_low *s, void *buf, size_t count)
{
	struct guard *g = s->data;
	ssize_t r;

	if (!guard_arm(g))
		return -1;
	r = mailstream_low_read(g->inner, buf, count);
	/* End of file: an error, or libetpan's literal loop spins. */
	if (r == 0 && count > 0)
		return -1;
	return r;
}

static ssize_t
guard_write(mailstream_low *s, const void *buf, size_t count)
{
	struct guard *g = s->data;

	if (!guard_arm(g))
		return -1;
	return mailstream_low_write(g->inner, buf, count);
}

static int
guard_close(mailstream_low *s)
{
	struct guard *g = s->data;

	return mailstream_low_close(g->inner);
}

static int
guard_get_fd(mailstream_low *s)
{
	struct guard *g = s->data;

	return mailstream_low_get_fd(g->inner);
}

static void
guard_free(mailstream_low *s)
{
	struct guard *g = s->data;

	mailstream_low_free(g->inner);
	free(g);
	free(s);
}

static void
guard_cancel(mailstream_low *s)
{
	struct guard *g = s->data;

	mailstream_low_cancel(g->inner);
}

static struct mailstream_cancel *
guard_get_cancel(mailstream_low *s)
{
	struct guard *g = s->data;

	return mailstream_low_get_cancel(g->inner);
}

static carray *
guard_get_certificate_chain(mailstream_low *s)
{
	struct guard *g = s->data;

	return mailstream_low_get_certificate_chain(g->inner);
}

static mailstream_low_driver guard_driver = {
    .mailstream_read = guard_read,
    .mailstream_write = guard_write,
    .mailstream_close = guard_close,
    .mailstream_get_fd = guard_get_fd,
    .mailstream_free = guard_free,
    .mailstream_cancel = guard_cancel,
    .mailstream_get_cancel = guard_get_cancel,
    .mailstream_get_certificate_chain = guard_get_certificate_chain,
    /* IDLE: we poll the descriptor ourselves (imap_idle.c). */
    .mailstream_setup_idle = NULL,
    .mailstream_unsetup_idle = NULL,
    .mailstream_interrupt_idle = NULL,
};

/* Put the guard between 'stream' and its current driver. */
static bool
guard_install(mailstream *stream, struct imap_conn *c)
{
	struct guard *g;
	mailstream_low *low;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return false;
	g->inner = mailstream_get_low(stream);
	g->conn = c;
	if ((low = mailstream_low_new(g, &guard_driver)) == NULL) {
		free(g);
		return false;
	}
	mailstream_set_low(stream, low);
	return true;
}

/* ---- operations, results ---- */

bool
imap_op_begin(struct imap_conn *c, const char *what, long seconds)
{
	if (c->dead || c->imap == NULL || c->imap->imap_stream == NULL) {
		log_warnx("imap: %s: connection already lost", what);
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += seconds;
	return true;
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
		log_warnx("imap: %s: connection lost or timed out", what);
		return IMAP_TEMPFAIL;
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

static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static bool
is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* Non-blocking connect bounded by 'timeout' seconds; fd or -1. */
static int
connect_one(const struct addrinfo *ai, int timeout, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(*err);
	int fd, flags, on = 1;

	fd = socket(
	    ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		*err = errno;
		return -1;
	}
	if (fd >= IMAP_FD_LIMIT) {
		close(fd);
		*err = EMFILE;
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		int r;

		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, timeout * 1000);
		while (r == -1 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) == -1)
			goto fail;
		if (*err != 0) {
			close(fd);
			return -1;
		}
	}
	if (fcntl(fd, F_SETFL, flags) == -1)
		goto fail;
	/* IDLE can sit quiet for many minutes: notice a vanished peer. */
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	return fd;
fail:
	*err = errno;
	close(fd);
	return -1;
}

static enum imap_status
tcp_connect(const struct imap_params *p, int *fdp)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int r, fd = -1, err = 0;
	bool skipped = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", p->port);
	if ((r = getaddrinfo(p->host, port, &hints, &res)) != 0) {
		log_warnx("imap: %s: %s", p->host, gai_strerror(r));
		return r == EAI_AGAIN ? IMAP_TEMPFAIL : IMAP_UNAVAILABLE;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		/* Plaintext only ever goes to this machine. */
		if (p->tls == IMAP_TLS_NONE && !is_loopback(ai->ai_addr)) {
			skipped = true;
			continue;
		}
		fd = connect_one(ai, p->timeout, &err);
	}
	freeaddrinfo(res);
	if (fd == -1 && skipped && err == 0) {
		log_warnx("imap: %s: plaintext IMAP refused to a host that "
			  "is not loopback",
		    p->host);
		return IMAP_TLS_FAILED;
	}
	if (fd == -1) {
		log_warnx("imap: connect %s port %d: %s", p->host, p->port,
		    strerror(err));
		return err == ETIMEDOUT ? IMAP_TEMPFAIL : IMAP_UNAVAILABLE;
	}
	*fdp = fd;
	return IMAP_OK;
}

static void
sni_callback(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	/* RFC 6066: no SNI for address literals. */
	if (!is_ip_literal(host))
		(void)mailstream_ssl_set_server_name(
		    ctx, (char *)(uintptr_t)host);
}

/* Check the chain the stream received against ca_file and host. */
static enum imap_status
verify_peer(mailstream *stream, const struct imap_params *p)
{
	carray *chain;
	struct tls_cert certs[16];
	char reason[256];
	unsigned int i, n;
	enum tls_status st;

	if ((chain = mailstream_get_certificate_chain(stream)) == NULL) {
		log_warnx("imap: %s: no certificate from the server", p->host);
		return IMAP_TLS_FAILED;
	}
	n = carray_count(chain);
	if (n > sizeof(certs) / sizeof(certs[0]))
		n = sizeof(certs) / sizeof(certs[0]); /* the rest: unused */
	for (i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);

		certs[i].der = (const unsigned char *)der->str;
		certs[i].len = der->len;
	}
	st = tls_verify_chain(
	    certs, n, p->host, p->ca_file, reason, sizeof(reason));
	mailstream_certificate_chain_free(chain);
	if (st != TLS_OK) {
		log_warnx(
		    "imap: %s: certificate not accepted: %s", p->host, reason);
		return IMAP_TLS_FAILED;
	}
	return IMAP_OK;
}

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
	/* Connect, handshake, greeting, STARTTLS, LOGIN: one budget. */
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += 4L * p->timeout;

	if ((st = tcp_connect(p, &fd)) != IMAP_OK)
		goto out;
	if (p->tls == IMAP_TLS_IMPLICIT) {
		stream = mailstream_ssl_open_with_callback_timeout(
		    fd, p->timeout, sni_callback, (void *)(uintptr_t)p->host);
		if (stream == NULL) {
			/*
			 * A stalled or overloaded server fails here too, so
			 * this is worth a retry; a server that cannot speak
			 * our TLS at all shows up in the log.
			 */
			log_warnx("imap: %s: TLS handshake failed", p->host);
			imap_port_hint(p);
			st = IMAP_TEMPFAIL;
			goto out;
		}
		fd = -1; /* the stream owns it */
		if ((st = verify_peer(stream, p)) != IMAP_OK)
			goto out;
	} else {
		stream = mailstream_socket_open_timeout(fd, p->timeout);
		if (stream == NULL) {
			log_warnx(
			    "imap: %s: cannot set up the stream", p->host);
			st = IMAP_TEMPFAIL;
			goto out;
		}
		fd = -1;
	}
	if (!guard_install(stream, c)) {
		log_warnx("imap: out of memory");
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
		    c->imap, sni_callback, (void *)(uintptr_t)p->host);
		if (r != MAILIMAP_NO_ERROR) {
			/* Never fall back to plaintext. */
			(void)imap_result(c, r, "STARTTLS", IMAP_TLS_FAILED);
			st = IMAP_TLS_FAILED;
			goto out;
		}
		if ((st = verify_peer(c->imap->imap_stream, p)) != IMAP_OK)
			goto out;
		if (!guard_install(c->imap->imap_stream, c)) {
			log_warnx("imap: out of memory");
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
