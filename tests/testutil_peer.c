/*
 * Scripted peers (testutil_peer.h).  The peer is a process, not a
 * thread, so a client that blocks or is killed cannot take it along, and
 * each connection is served by a child of the peer, so a script may
 * simply block or exit.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "testutil_peer.h"

static int peer_events = -1;

void
tu_peer_event(char c)
{
	(void)!write(peer_events, &c, 1);
}

static void
serve(int lfd, int events, tu_peer_fn *fn, void *arg)
{
	peer_events = events;
	signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (fd == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		(void)!write(events, "c", 1);
		if ((pid = fork()) == 0) {
			/* Never outlive the peer, whatever happens to it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			fn(fd, arg);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

void
tu_peer_start(struct tu_peer *p, tu_peer_fn *fn, void *arg)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int lfd, ev[2];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	assert_int_equal(pipe(ev), 0);
	p->port = ntohs(sin.sin_port);
	p->pid = fork();
	assert_true(p->pid != -1);
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* nor the test */
		close(ev[0]);
		serve(lfd, ev[1], fn, arg);
	}
	close(lfd);
	close(ev[1]);
	p->events = ev[0];
}

void
tu_peer_stop(struct tu_peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (p->events >= 0)
		close(p->events);
	p->pid = 0;
	p->events = -1;
}

int
tu_peer_wait_event(struct tu_peer *p, int secs)
{
	struct pollfd pfd = {.fd = p->events, .events = POLLIN};
	char c;

	if (poll(&pfd, 1, secs * 1000) != 1 || read(p->events, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

int
tu_peer_wait_conn(struct tu_peer *p, int secs)
{
	int c;

	while ((c = tu_peer_wait_event(p, secs)) != -1 && c != 'c')
		;
	return c == 'c' ? 0 : -1;
}

int
tu_peer_line(int fd, char *buf, size_t n)
{
	size_t i = 0;

	while (i + 1 < n) {
		ssize_t r = read(fd, buf + i, 1);

		if (r <= 0)
			return -1;
		if (buf[i++] == '\n')
			break;
	}
	buf[i] = '\0';
	return (int)i;
}

int
tu_peer_send(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

uint64_t
tu_peer_flood(int fd, const char *unit, uint64_t max)
{
	char buf[65536];
	size_t ulen = strlen(unit), fill = 0;
	uint64_t sent = 0;

	while (fill + ulen <= sizeof(buf)) {
		memcpy(buf + fill, unit, ulen);
		fill += ulen;
	}
	while (sent < max) {
		ssize_t w = write(fd, buf, fill);

		if (w <= 0)
			break;
		sent += (uint64_t)w;
	}
	return sent;
}

int
tu_measure(int (*fn)(void *), void *arg, long *maxrss_kib, double *secs)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*maxrss_kib = ru.ru_maxrss;
	*secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Bytes a flood may send: far beyond any cap, bounded for the test. */
#define FLOOD_MAX ((uint64_t)512 * 1024 * 1024)

size_t
tu_hostile_msg(int n, char *buf, size_t len)
{
	snprintf(buf, len,
	    "From: a%d@artists.example\r\nSubject: I pledge\r\n\r\n"
	    "I pledge\r\n",
	    n);
	return strlen(buf);
}

void
tu_hostile_imap(int fd, void *arg)
{
	char m1[128], m2[128];
	enum tu_hostile h = *(enum tu_hostile *)arg;
	char line[1024], tag[32], out[2048];
	size_t len;

	if (h == TU_H_ENDLESS_GREETING) {
		(void)tu_peer_send(fd, "* OK ");
		(void)tu_peer_flood(fd, "xxxxxxxx", FLOOD_MAX);
		return;
	}
	(void)tu_peer_send(fd, "* OK [CAPABILITY IMAP4rev1 IDLE] hostile\r\n");
	while (tu_peer_line(fd, line, sizeof(line)) > 0) {
		len = strcspn(line, " ");
		if (len == 0 || len >= sizeof(tag))
			return;
		memcpy(tag, line, len);
		tag[len] = '\0';
		out[0] = '\0';
		if (strstr(line, " LOGIN ") != NULL) {
			tu_peer_event('l');
			snprintf(out, sizeof(out), "%s OK in\r\n", tag);
		} else if (strstr(line, " CAPABILITY") != NULL) {
			snprintf(out, sizeof(out),
			    "* CAPABILITY IMAP4rev1 IDLE\r\n%s OK c\r\n", tag);
		} else if (strstr(line, " SELECT ") != NULL) {
			tu_peer_event('e');
			if (h == TU_H_ENDLESS_LINE) {
				(void)tu_peer_send(fd, "* OK [ALERT] ");
				(void)tu_peer_flood(fd, "yyyyyyyy", FLOOD_MAX);
				return;
			}
			if (h == TU_H_ENDLESS_UNTAGGED) {
				(void)tu_peer_flood(
				    fd, "* OK still here\r\n", FLOOD_MAX);
				return;
			}
			snprintf(out, sizeof(out),
			    "* 2 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n"
			    "* OK [UIDNEXT 3] n\r\n%s OK [READ-WRITE] s\r\n",
			    tag);
		} else if (strstr(line, " SEARCH ") != NULL) {
			tu_peer_event('s');
			snprintf(out, sizeof(out),
			    "* SEARCH 1 2%s\r\n%s OK s\r\n",
			    h == TU_H_BOGUS_UID ? " 4000000000" : "", tag);
		} else if (strstr(line, " FETCH ") != NULL &&
		    strstr(line, "BODY.PEEK[]") == NULL) {
			if (h == TU_H_NO_SIZE)
				snprintf(out, sizeof(out),
				    "* 1 FETCH (UID 1)\r\n"
				    "* 2 FETCH (UID 2 RFC822.SIZE %zu)\r\n"
				    "%s OK f\r\n",
				    tu_hostile_msg(2, m2, sizeof(m2)), tag);
			else
				snprintf(out, sizeof(out),
				    "* 1 FETCH (UID 1 RFC822.SIZE %zu)\r\n"
				    "* 2 FETCH (UID 2 RFC822.SIZE %zu)\r\n"
				    "%s OK f\r\n",
				    tu_hostile_msg(1, m1, sizeof(m1)),
				    tu_hostile_msg(2, m2, sizeof(m2)), tag);
		} else if (strstr(line, " FETCH ") != NULL) {
			if (h == TU_H_HUGE_LITERAL) {
				(void)tu_peer_send(fd,
				    "* 1 FETCH (UID 1 "
				    "BODY[] {4294967295}\r\n");
				(void)tu_peer_flood(fd, "zzzzzzzz", FLOOD_MAX);
				return;
			}
			int second = h == TU_H_DUPLICATE_UID ? 1 : 2;

			(void)tu_hostile_msg(1, m1, sizeof(m1));
			(void)tu_hostile_msg(second, m2, sizeof(m2));
			snprintf(out, sizeof(out),
			    "* 1 FETCH (UID 1 BODY[] {%zu}\r\n%s)\r\n"
			    "* %d FETCH (UID %d BODY[] {%zu}\r\n%s)\r\n"
			    "%s OK f\r\n",
			    strlen(m1), m1, second, second, strlen(m2), m2,
			    tag);
		} else if (strstr(line, " STORE ") != NULL) {
			tu_peer_event('S');
			snprintf(out, sizeof(out), "%s %s\r\n", tag,
			    h == TU_H_STORE_NO ? "NO [READ-ONLY] no" : "OK s");
		} else if (strstr(line, " IDLE") != NULL) {
			tu_peer_event('i');
			if (h == TU_H_IDLE_BYE) {
				(void)tu_peer_send(fd, "* BYE bye\r\n");
				return;
			}
			if (h == TU_H_IDLE_NO) {
				snprintf(
				    out, sizeof(out), "%s NO no idle\r\n", tag);
			} else {
				(void)tu_peer_send(fd, "+ idling\r\n");
				if (tu_peer_line(fd, line, sizeof(line)) < 0)
					return;
				snprintf(out, sizeof(out), "%s OK i\r\n", tag);
			}
		} else if (strstr(line, " LOGOUT") != NULL) {
			(void)tu_peer_send(fd, "* BYE b\r\n");
			snprintf(out, sizeof(out), "%s OK o\r\n", tag);
		} else {
			snprintf(out, sizeof(out), "%s BAD what\r\n", tag);
		}
		if (tu_peer_send(fd, out) == -1)
			return;
	}
}

static int
idle_child(void *arg)
{
	(void)arg;
	return 0;
}

long
tu_baseline_rss(void)
{
	long rss;
	double secs;

	(void)tu_measure(idle_child, NULL, &rss, &secs);
	return rss;
}
