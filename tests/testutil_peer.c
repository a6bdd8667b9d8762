/*
 * Scripted peers (testutil_peer.h).  The peer is a process, not a
 * thread, so a client that blocks or is killed cannot take it along, and
 * each connection is served by a child of the peer, so a script may
 * simply block or exit.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "testutil_peer.h"

static void
serve(int lfd, int events, tu_peer_fn *fn, void *arg)
{
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
tu_peer_wait_conn(struct tu_peer *p, int secs)
{
	struct pollfd pfd = {.fd = p->events, .events = POLLIN};
	char c;

	if (poll(&pfd, 1, secs * 1000) != 1 || read(p->events, &c, 1) != 1)
		return -1;
	return 0;
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
