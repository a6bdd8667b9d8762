/*
 * net: what an IMAP and an SMTP connection share, so both get the same
 * guarantees against a broken or hostile server.
 *
 *  - net_connect: the TCP connection, made by us rather than by libetpan,
 *    bounded by the timeout, refused when plaintext would go to an
 *    address that is not loopback (checked on each resolved address), and
 *    only with descriptors below 1024 (libetpan waits with select()).
 *  - net_stream_open: libetpan's plain or TLS stream on that socket, SNI
 *    sent for host names only (RFC 6066: never for address literals).
 *  - net_verify: the certificate chain the stream received, checked by
 *    the tls module against the CA file and the host name.
 *  - net_guard_install: a thin stream driver between libetpan's parser and
 *    the real one that enforces a budget (struct net_budget): an overall
 *    deadline per operation, a byte cap per line, per response (all bytes
 *    read in one operation) and per IMAP literal ({N} at a line's end), and
 *    an end of file read as an error.  A read that would break a cap fails
 *    before libetpan sees its bytes, so libetpan never allocates what a
 *    server merely announces, and memory stays bounded by the caps.
 *
 * This module and its two users (imap, smtp) are the only ones that
 * include libetpan.  Nothing here logs the bytes read.
 *
 * Memory: all memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_NET_H
#define PLEDGED_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* libetpan's types, declared as it does, so this header needs none of
 * its headers: only net.c, imap and smtp include libetpan. */
typedef struct _mailstream mailstream;
struct mailstream_ssl_context;

/* libetpan uses select(): descriptors must stay below FD_SETSIZE. */
#define NET_FD_LIMIT 1024

enum net_status {
	NET_OK = 0,
	NET_UNAVAILABLE, /* resolution or connection refused */
	NET_TEMPFAIL,	 /* timeout, temporary resolution failure,
			    TLS handshake failed */
	NET_INSECURE,	 /* plaintext to an address that is not loopback */
	NET_REJECTED,	 /* the certificate does not verify for the host */
};

/* Why the guard failed a read or write (NET_FAIL_NONE: it did not). */
enum net_fail {
	NET_FAIL_NONE = 0,
	NET_FAIL_DEADLINE, /* the operation's time is up */
	NET_FAIL_EOF,	   /* the server closed the connection */
	NET_FAIL_LINE,	   /* a line longer than line_max */
	NET_FAIL_RESPONSE, /* more than response_max bytes in one operation */
	NET_FAIL_LITERAL,  /* a literal announced larger than literal_max */
	NET_FAIL_STOPPED,  /* the stop flag (net_set_stop) is set */
};

/*
 * The limits and the state of one connection, owned by the connection
 * (it outlives the stream drivers: STARTTLS replaces them).  Set timeout,
 * line_max and literals once; net_begin starts each operation.  The rest
 * is the guard's.
 */
struct net_budget {
	int timeout;	 /* seconds per single wait, > 0 */
	size_t line_max; /* bytes of one line, literal bytes excluded */
	bool literals;	 /* IMAP: "{N}" CRLF announces N raw bytes */
	bool stoppable;	 /* fail at once when the stop flag is set */
	bool untab;	 /* SMTP: hand tabs over as spaces (libetpan 1.9.4
			    loops for ever on "AUTH X<TAB>") */
	/* per operation: net_begin */
	struct timespec deadline; /* CLOCK_MONOTONIC */
	uint64_t response_max;	  /* bytes read in this operation */
	uint64_t literal_max;	  /* bytes of one literal */
	uint64_t got;		  /* bytes read in this operation */
	/* the scanner, across operations */
	size_t line;	       /* bytes of the current line so far */
	uint64_t literal_left; /* bytes of a literal still to come */
	uint64_t number;       /* digits after '{' */
	int state;
	enum net_fail fail; /* why the last failure happened */
};

/*
 * The flag a signal handler sets to stop the process.  Budgets with
 * 'stoppable' set fail every read, write and connect once it is non-zero,
 * so a stalled server cannot hold a stopping process.  NULL: none.
 */
void net_set_stop(volatile sig_atomic_t *stop);
/* Whether the stop flag is set. */
bool net_stopping(void);

/*
 * Start an operation allowed 'seconds' in total and at most
 * 'response_max' bytes read, with literals of at most 'literal_max'
 * bytes.  Clears the failure reason.
 */
void net_begin(struct net_budget *b, long seconds, uint64_t response_max,
    uint64_t literal_max);

/*
 * Feed 'len' bytes read from the server to the scanner of 'b'.  Returns
 * false, with b->fail set, when they break a cap; the bytes must then not
 * reach the parser.  The guard calls this; exposed for tests and fuzzing.
 */
bool net_scan(struct net_budget *b, const char *buf, size_t len);

/* A fixed English phrase for b->fail ("a line over the limit", ...). */
const char *net_fail_str(enum net_fail fail);

/* Whether 'host' is an IPv4 or IPv6 address literal. */
bool net_is_ip_literal(const char *host);

/*
 * Resolve 'host' and connect to 'port', each attempt bounded by 'timeout'
 * seconds.  With 'plaintext', addresses that are not loopback are skipped
 * (NET_INSECURE when nothing else was left).  On NET_OK *fdp is a blocking,
 * close-on-exec socket below NET_FD_LIMIT with SO_KEEPALIVE set.  Errors
 * are logged as "WHO: HOST: ...".
 */
enum net_status net_connect(const char *who, const char *host, int port,
    bool plaintext, int timeout, int *fdp);

/*
 * A libetpan stream on socket 'fd' (which it then owns, also on failure):
 * TLS with SNI for 'host' when 'tls' is set, else plain.  NULL on failure
 * (a TLS handshake that failed or stalled), logged as "WHO: HOST: ...".
 */
mailstream *net_stream_open(
    const char *who, int fd, bool tls, const char *host, int timeout);

/*
 * The TLS callback for libetpan's STARTTLS calls: SNI for 'data' (the
 * host, a const char *) when it is a name.
 */
void net_sni_callback(struct mailstream_ssl_context *ctx, void *data);

/*
 * Verify the certificate chain 'stream' received for 'host' against
 * 'ca_file' (NULL: the system store).  On failure 'why' (may be NULL)
 * gets the reason, which is also logged as "WHO: HOST: ...".
 */
enum net_status net_verify(const char *who, mailstream *stream,
    const char *host, const char *ca_file, char *why, size_t whylen);

/*
 * Put the guard of budget 'b' between 'stream' and its driver.  'b' must
 * outlive the stream.  False (nothing changed) when out of memory or when
 * one of the stream's descriptors is at or above NET_FD_LIMIT.
 */
bool net_guard_install(mailstream *stream, struct net_budget *b);

#endif
