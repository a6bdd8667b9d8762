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
/*
 * Wait (up to 'secs') for the peer's next event: 'c' for a connection
 * accepted, or what a script passed to tu_peer_event.  Returns it, or -1.
 */
int tu_peer_wait_event(struct tu_peer *p, int secs);
/* From a script: report event 'c' to tu_peer_wait_event. */
void tu_peer_event(char c);

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
/*
 * The peak memory in KiB of a child that does nothing (what it inherits,
 * and a sanitizer's own), to measure against.
 */
long tu_baseline_rss(void);

/* What a scripted IMAP server does wrong. */
enum tu_hostile {
	TU_H_ENDLESS_GREETING, /* "* OK " and never a line end */
	TU_H_ENDLESS_LINE,     /* SELECT: one line without end */
	TU_H_ENDLESS_UNTAGGED, /* SELECT: untagged responses for ever */
	TU_H_HUGE_LITERAL,     /* size 10, then BODY[] {4294967295} */
	TU_H_DUPLICATE_UID,    /* FETCH 1:2 answered with UID 1 twice */
	TU_H_BOGUS_UID,	       /* SEARCH answers 4000000000 (UIDNEXT 3) */
	TU_H_NO_SIZE,	       /* FETCH answered without RFC822.SIZE */
	TU_H_STORE_NO,	       /* STORE answered NO (read-only) */
	TU_H_IDLE_NO,	       /* IDLE answered NO */
	TU_H_IDLE_BYE,	       /* IDLE answered * BYE, connection closed */
	TU_H_NORMAL,	       /* nothing wrong */
};

/* Message n (1 or 2) of the scripted mailbox into buf; its length. */
size_t tu_hostile_msg(int n, char *buf, size_t len);
/* An IMAP server that does 'arg' (an enum tu_hostile *) wrong: events
 * 'l' LOGIN, 'e' SELECT, 's' SEARCH, 'S' STORE, 'i' IDLE. */
void tu_hostile_imap(int fd, void *arg);

#endif
