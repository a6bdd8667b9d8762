/*
 * Scripted peers for the network tests: a forked process that listens on
 * a loopback port and plays a server (well behaved or hostile) to each
 * connection, and a way to run the client side in a child of its own so
 * that its peak memory and its time can be measured.  Test code only.
 */
#ifndef PLEDGED_TESTUTIL_PEER_H
#define PLEDGED_TESTUTIL_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Serve one connection on 'fd'; the peer process closes it afterwards. */
typedef void tu_peer_fn(int fd, void *arg);

struct tu_peer {
	pid_t pid;
	int port;
	int events; /* read end: one byte per connection accepted */
};

/* Listen on 127.0.0.1 (a free port) and serve connections for ever. */
void tu_peer_start(struct tu_peer *p, tu_peer_fn *fn, void *arg);
/* Kill the peer and reap it. */
void tu_peer_stop(struct tu_peer *p);
/* Wait (up to 'secs') for the peer to accept its next connection. */
int tu_peer_wait_conn(struct tu_peer *p, int secs);

/* A line from 'fd' (CRLF kept), at most n-1 bytes; -1 at end of file. */
int tu_peer_line(int fd, char *buf, size_t n);
/* Write all of 's'; -1 when the client is gone. */
int tu_peer_send(int fd, const char *s);
/*
 * Write 'unit' again and again, up to 'max' bytes or until the client is
 * gone; returns the bytes written.
 */
uint64_t tu_peer_flood(int fd, const char *unit, uint64_t max);

/*
 * Run fn(arg) in a child process; returns its exit status (128 + signal
 * when killed), with its peak resident memory in KiB and its run time in
 * seconds.
 */
int tu_measure(int (*fn)(void *), void *arg, long *maxrss_kib, double *secs);

#endif
