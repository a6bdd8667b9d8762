/*
 * net: connections and the stream guard.  See net.h.
 *
 * Why a guard in the stream rather than checks after parsing: libetpan
 * reads a whole response (every untagged line, every literal) into memory
 * before returning, and allocates a literal's announced length up front.
 * Nothing after the parse can bound that.  Every byte passes through a
 * mailstream_low driver's read, so that is where the bound lives: a small
 * scanner there follows lines and IMAP literals ("{N}" CRLF at a line's
 * end, then N raw bytes) and fails the read that would break a cap before
 * libetpan has seen its bytes.
 *
 * The same driver keeps the overall deadline: each read and write gets
 * the smaller of the timeout and the time left as the real driver's wait,
 * and fails once the operation's time is up (libetpan's timeout is per
 * read, so a server trickling a byte per interval would otherwise hold an
 * operation for ever).  A read of 0 bytes (end of file) is an error too:
 * libetpan's literal loop stops only on -1, and a plaintext server closing
 * mid-literal would make it spin at 100% CPU.
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

#include <libetpan/libetpan.h>

#include "pledged/log.h"
#include "pledged/net.h"
#include "pledged/tls.h"

/* A literal's length above this cannot be ours: 2^32 and more. */
#define NUMBER_MAX ((uint64_t)1 << 40)

static volatile sig_atomic_t *stop_flag;

void
net_set_stop(volatile sig_atomic_t *stop)
{
	stop_flag = stop;
}

bool
net_stopping(void)
{
	return stop_flag != NULL && *stop_flag != 0;
}

void
net_begin(struct net_budget *b, long seconds, uint64_t response_max,
    uint64_t literal_max)
{
	clock_gettime(CLOCK_MONOTONIC, &b->deadline);
	b->deadline.tv_sec += seconds;
	b->response_max = response_max;
	b->literal_max = literal_max;
	b->got = 0;
	b->fail = NET_FAIL_NONE;
}

const char *
net_fail_str(enum net_fail fail)
{
	switch (fail) {
	case NET_FAIL_NONE:
		break;
	case NET_FAIL_DEADLINE:
		return "no complete answer in time";
	case NET_FAIL_EOF:
		return "the server closed the connection";
	case NET_FAIL_LINE:
		return "a line over the size limit";
	case NET_FAIL_RESPONSE:
		return "an answer over the size limit";
	case NET_FAIL_LITERAL:
		return "a literal over the size limit";
	case NET_FAIL_STOPPED:
		return "stopping";
	}
	return "connection lost";
}

/* ---- the scanner ---- */

enum {
	SC_TEXT = 0, /* within a line */
	SC_DIGITS,   /* after '{', reading the length */
	SC_CLOSE,    /* after "{N}" */
	SC_CR,	     /* after "{N}\r" */
};

static bool
scan_fail(struct net_budget *b, enum net_fail why)
{
	b->fail = why;
	return false;
}

/* The line ended with "{N}" CRLF: N raw bytes follow. */
static bool
scan_literal(struct net_budget *b)
{
	b->state = SC_TEXT;
	if (b->number > b->literal_max)
		return scan_fail(b, NET_FAIL_LITERAL);
	b->literal_left = b->number;
	return true;
}

static bool
scan_byte(struct net_budget *b, unsigned char ch)
{
	if (ch == '\n') {
		if (b->literals && (b->state == SC_CR || b->state == SC_CLOSE))
			return scan_literal(b);
		b->line = 0;
		b->state = SC_TEXT;
		return true;
	}
	if (++b->line > b->line_max)
		return scan_fail(b, NET_FAIL_LINE);
	if (!b->literals)
		return true;
	switch (b->state) {
	case SC_DIGITS:
		if (ch >= '0' && ch <= '9') {
			b->number = b->number * 10 + (ch - '0');
			if (b->number > NUMBER_MAX)
				b->number = NUMBER_MAX;
			return true;
		}
		if (ch == '}') {
			b->state = SC_CLOSE;
			return true;
		}
		break;
	case SC_CLOSE:
		if (ch == '\r') {
			b->state = SC_CR;
			return true;
		}
		break;
	default:
		break;
	}
	if (ch == '{') {
		b->state = SC_DIGITS;
		b->number = 0;
	} else
		b->state = SC_TEXT;
	return true;
}

bool
net_scan(struct net_budget *b, const char *buf, size_t len)
{
	size_t i = 0;

	if (b->fail != NET_FAIL_NONE)
		return false;
	if (len > b->response_max || b->got > b->response_max - len)
		return scan_fail(b, NET_FAIL_RESPONSE);
	b->got += len;
	while (i < len) {
		if (b->literal_left > 0) {
			size_t k = len - i;

			if (k > b->literal_left)
				k = (size_t)b->literal_left;
			b->literal_left -= k;
			i += k;
			continue;
		}
		if (!scan_byte(b, (unsigned char)buf[i++]))
			return false;
	}
	return true;
}

/* ---- the stream guard ---- */

struct guard {
	mailstream_low *inner;
	struct net_budget *b;
};

static long
remaining_ms(const struct net_budget *b)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (b->deadline.tv_sec - now.tv_sec) * 1000 +
	    (b->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

/* Give the real driver the smaller of the timeout and the time left. */
static bool
guard_arm(struct guard *g)
{
	long left, secs;

	if (g->b->fail != NET_FAIL_NONE)
		return false; /* a broken cap: the stream is done */
	if (g->b->stoppable && net_stopping()) {
		g->b->fail = NET_FAIL_STOPPED;
		return false;
	}
	if ((left = remaining_ms(g->b)) <= 0) {
		g->b->fail = NET_FAIL_DEADLINE;
		return false;
	}
	secs = (left + 999) / 1000;
	if (secs > g->b->timeout)
		secs = g->b->timeout;
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
	if (r == 0 && count > 0) {
		/* End of file: an error, or libetpan's literal loop spins. */
		g->b->fail = NET_FAIL_EOF;
		return -1;
	}
	if (r < 0) {
		if (g->b->stoppable && net_stopping())
			g->b->fail = NET_FAIL_STOPPED;
		else if (remaining_ms(g->b) <= 0)
			g->b->fail = NET_FAIL_DEADLINE;
		return -1;
	}
	if (!net_scan(g->b, buf, (size_t)r))
		return -1;
	if (g->b->untab) {
		/*
		 * mailesmtp_parse_ehlo skips spaces between AUTH mechanisms
		 * but stops on a tab without moving: one tab in an EHLO
		 * answer would spin the process for ever.
		 */
		char *p = buf, *end = p + r;

		while ((p = memchr(p, '\t', (size_t)(end - p))) != NULL)
			*p++ = ' ';
	}
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
    /* IDLE: the imap module polls the descriptor itself. */
    .mailstream_setup_idle = NULL,
    .mailstream_unsetup_idle = NULL,
    .mailstream_interrupt_idle = NULL,
};

bool
net_guard_install(mailstream *stream, struct net_budget *b)
{
	struct guard *g;
	mailstream_low *low;

	if (mailstream_low_get_fd(mailstream_get_low(stream)) >= NET_FD_LIMIT)
		return false;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return false;
	g->inner = mailstream_get_low(stream);
	g->b = b;
	if ((low = mailstream_low_new(g, &guard_driver)) == NULL) {
		free(g);
		return false;
	}
	mailstream_set_low(stream, low);
	return true;
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

bool
net_is_ip_literal(const char *host)
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
	if (fd >= NET_FD_LIMIT) {
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
		/* A signal ends the wait only when it asks us to stop. */
		do
			r = poll(&pfd, 1, timeout * 1000);
		while (r == -1 && errno == EINTR && !net_stopping());
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

enum net_status
net_connect(const char *who, const char *host, int port, bool plaintext,
    int timeout, int *fdp)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int r, fd = -1, err = 0;
	bool skipped = false;

	*fdp = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((r = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		log_warnx("%s: %s: %s", who, host, gai_strerror(r));
		return r == EAI_AGAIN ? NET_TEMPFAIL : NET_UNAVAILABLE;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		/* Plaintext only ever goes to this machine. */
		if (plaintext && !is_loopback(ai->ai_addr)) {
			skipped = true;
			continue;
		}
		fd = connect_one(ai, timeout, &err);
	}
	freeaddrinfo(res);
	if (fd == -1 && skipped && err == 0) {
		log_warnx("%s: %s: plaintext refused to a host that is not "
			  "loopback",
		    who, host);
		return NET_INSECURE;
	}
	if (fd == -1) {
		log_warnx("%s: connect %s port %d: %s", who, host, port,
		    strerror(err));
		return err == ETIMEDOUT || err == EINTR ? NET_TEMPFAIL
							: NET_UNAVAILABLE;
	}
	*fdp = fd;
	return NET_OK;
}

void
net_sni_callback(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	/* RFC 6066: no SNI for address literals. */
	if (!net_is_ip_literal(host) &&
	    mailstream_ssl_set_server_name(ctx, (char *)(uintptr_t)host) != 0)
		log_warnx("net: %s: cannot set the TLS server name", host);
}

mailstream *
net_stream_open(
    const char *who, int fd, bool tls, const char *host, int timeout)
{
	mailstream *s;

	if (tls)
		s = mailstream_ssl_open_with_callback_timeout(
		    fd, timeout, net_sni_callback, (void *)(uintptr_t)host);
	else
		s = mailstream_socket_open_timeout(fd, timeout);
	if (s == NULL) {
		/*
		 * A stalled or overloaded server fails here too, so this
		 * is worth a retry; a server that cannot speak our TLS at
		 * all shows up in the log.
		 */
		log_warnx("%s: %s: %s", who, host,
		    tls ? "TLS handshake failed" : "cannot set up the stream");
		close(fd);
	}
	return s;
}

enum net_status
net_verify(const char *who, mailstream *stream, const char *host,
    const char *ca_file, char *why, size_t whylen)
{
	carray *chain;
	struct tls_cert certs[16];
	char reason[256] = "";
	unsigned int i, n;
	enum tls_status st;

	if ((chain = mailstream_get_certificate_chain(stream)) == NULL ||
	    carray_count(chain) == 0) {
		if (chain != NULL)
			mailstream_certificate_chain_free(chain);
		snprintf(
		    reason, sizeof(reason), "the server sent no certificate");
		st = TLS_REJECTED;
		goto out;
	}
	n = carray_count(chain);
	if (n > sizeof(certs) / sizeof(certs[0]))
		n = sizeof(certs) / sizeof(certs[0]); /* the rest: unused */
	for (i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);

		certs[i].der = (const unsigned char *)der->str;
		certs[i].len = der->len;
	}
	st = tls_verify_chain(certs, n, host, ca_file, reason, sizeof(reason));
	mailstream_certificate_chain_free(chain);
out:
	if (st == TLS_OK)
		return NET_OK;
	if (why != NULL && whylen > 0)
		snprintf(
		    why, whylen, "%s: certificate refused: %s", host, reason);
	log_warnx("%s: %s: certificate refused: %s", who, host, reason);
	return NET_REJECTED;
}
