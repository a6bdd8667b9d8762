/*
 * message_worker: message_parse in a child process, so that a libetpan
 * crash, a runaway allocation or a hang costs one message, never the
 * daemon.
 *
 * One child, forked early and reused (fork of a grown daemon is dear),
 * recycled after RECYCLE messages so that whatever libetpan leaks stays
 * bounded.  It talks over one AF_UNIX stream socketpair: the parent
 * sends a 64-bit length and the bytes, the child answers a 64-bit length
 * and message_serial's encoding.  The parent uses send(MSG_NOSIGNAL), so
 * a dead child is an error return, not a SIGPIPE, and polls with one
 * deadline per message; on death, timeout or a malformed answer it kills
 * and reaps the child, starts a new one and calls the message
 * unparseable.  The parent never parses the message itself.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pledged/log.h"

#include "message_p.h"

/*
 * CPU is the limit (RLIMIT_CPU, CHILD_CPU_S per message); the wall-clock
 * timeout only catches a child that stopped running, and is loose enough
 * that a busy machine does not turn a slow parse into a failure.
 */
#define TIMEOUT_MS 30000
#define RECYCLE 2000
#define CHILD_AS (512UL * 1024 * 1024)
#define CHILD_CPU_S 10 /* per message */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

struct message_worker {
	struct message_limits lim;
	pid_t pid;
	int fd;
	unsigned served;
	int timeout_ms;
	long cpu_ms; /* the child's CPU for the last message */
};

/* Longest answer the parent accepts: decoded text and header copies. */
static size_t
answer_cap(const struct message_limits *l)
{
	return 4 * l->max_bytes + 2 * l->max_text + (1u << 20);
}

static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
child_limits(void)
{
	struct rlimit r = {0, 0};

	setrlimit(RLIMIT_CORE, &r);
#ifndef UNDER_ASAN
	/* ASan reserves terabytes of shadow address space. */
	r.rlim_cur = r.rlim_max = CHILD_AS;
	setrlimit(RLIMIT_AS, &r);
#endif
}

/* CPU for the next message: what is used so far plus CHILD_CPU_S. */
static void
child_cpu_budget(void)
{
	struct rusage ru;
	struct rlimit r;

	if (getrusage(RUSAGE_SELF, &ru) != 0 || getrlimit(RLIMIT_CPU, &r) != 0)
		return;
	r.rlim_cur =
	    (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + CHILD_CPU_S + 1;
	if (r.rlim_max != RLIM_INFINITY && r.rlim_cur > r.rlim_max)
		r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_CPU, &r);
}

static void
child_main(int fd, const struct message_limits *lim)
{
	static const int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD,
	    SIGALRM, SIGUSR1, SIGUSR2};
	sigset_t none;

	/* The daemon's handlers are not ours; die with the parent. */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	/* Keep stderr (sanitizer reports); the socket becomes fd 3. */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		fd = 3;
	}
	close(0);
	close(1);
	if (close_range(4, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (long i = 4; i < (max > 0 && max < 65536 ? max : 65536);
		     i++)
			close((int)i);
	}
	child_limits();
	for (;;) {
		uint64_t len, alen;
		char *raw;
		struct message *m = NULL;
		const char *why = NULL;
		enum message_status st;
		struct msg_buf b = {0};

		if (read_full(fd, &len, sizeof len) != 0)
			_exit(0); /* parent gone or done */
		if (len > lim->max_bytes || (raw = malloc(len + 1)) == NULL)
			_exit(1);
		if (read_full(fd, raw, len) != 0)
			_exit(1);
		child_cpu_budget();
		st = message_parse(raw, len, lim, &m, &why);
		free(raw);
		if (msg_serialise(st, why, m, &b) != 0)
			_exit(1);
		message_free(m);
		alen = b.len;
		if (write_full(fd, &alen, sizeof alen) != 0 ||
		    write_full(fd, b.p, b.len) != 0)
			_exit(1);
		msg_buf_free(&b);
	}
}

static int
spawn(struct message_worker *w)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("message: worker socketpair");
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_warn("message: worker fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], &w->lim);
		_exit(0);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->served = 0;
	return 0;
}

/* Kill (an idle or hung child alike) and reap the child. */
static void
reap(struct message_worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = -1;
}

int
message_worker_start(
    const struct message_limits *limits, struct message_worker **out)
{
	struct message_worker *w;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		log_warn("message: worker");
		return -1;
	}
	if (limits != NULL)
		w->lim = *limits;
	else
		message_limits_default(&w->lim);
	w->pid = -1;
	w->fd = -1;
	w->timeout_ms = TIMEOUT_MS;
	if (spawn(w) != 0) {
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for 'ev' on fd until 'deadline'; 0 when ready, -1 otherwise. */
static int
wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		struct pollfd p = {fd, ev, 0};
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -1;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			return (p.revents & (ev | POLLHUP | POLLERR)) ? 0 : -1;
	}
}

/* CPU time of process 'pid' (a child of ours) in ms; -1 if unknown. */
static long
child_cpu_ms(pid_t pid)
{
	struct timespec ts;
	clockid_t cid;

	if (pid <= 0 || clock_getcpuclockid(pid, &cid) != 0 ||
	    clock_gettime(cid, &ts) != 0)
		return -1;
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
send_all(int fd, const void *buf, size_t len, long long deadline)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
recv_all(int fd, void *buf, size_t len, long long deadline)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

enum message_status
message_worker_parse(struct message_worker *w, const char *raw, size_t len,
    struct message **out, const char **why)
{
	long long deadline;
	long cpu0, cpu1;
	uint64_t n = len, alen = 0;
	char *ans = NULL;
	enum message_status st = MESSAGE_UNPARSEABLE;
	const char *reason = "parser crashed or timed out";

	*out = NULL;
	if (len > w->lim.max_bytes) {
		if (why != NULL)
			*why = "message too large";
		return MESSAGE_TOO_LARGE;
	}
	if (w->pid < 0 && spawn(w) != 0) {
		if (why != NULL)
			*why = "parser unavailable";
		return MESSAGE_UNPARSEABLE;
	}
	deadline = now_ms() + w->timeout_ms;
	w->cpu_ms = 0;
	cpu0 = child_cpu_ms(w->pid);
	if (send_all(w->fd, &n, sizeof n, deadline) != 0 ||
	    send_all(w->fd, raw, len, deadline) != 0 ||
	    recv_all(w->fd, &alen, sizeof alen, deadline) != 0)
		goto fail;
	/* The child has answered: what it used on this message. */
	if (cpu0 >= 0 && (cpu1 = child_cpu_ms(w->pid)) >= cpu0)
		w->cpu_ms = cpu1 - cpu0;
	if (alen > answer_cap(&w->lim) || (ans = malloc(alen + 1)) == NULL)
		goto fail;
	if (recv_all(w->fd, ans, alen, deadline) != 0)
		goto fail;
	if (msg_deserialise(ans, alen, &st, out, &reason) != 0) {
		st = MESSAGE_UNPARSEABLE;
		reason = "parser crashed or timed out";
		goto fail;
	}
	free(ans);
	if (++w->served >= RECYCLE) {
		reap(w);
		if (spawn(w) != 0)
			w->pid = -1;
	}
	if (why != NULL)
		*why = st == MESSAGE_OK ? NULL : reason;
	return st;
fail:
	free(ans);
	log_warnx("message: parser child %ld failed; message unparseable",
	    (long)w->pid);
	reap(w);
	if (spawn(w) != 0)
		w->pid = -1; /* retried at the next message */
	if (why != NULL)
		*why = reason;
	return MESSAGE_UNPARSEABLE;
}

void
message_worker_stop(struct message_worker *w)
{
	if (w == NULL)
		return;
	reap(w);
	free(w);
}

pid_t
message_worker_pid(const struct message_worker *w)
{
	return w->pid;
}

long
message_worker_cpu_ms(const struct message_worker *w)
{
	return w->cpu_ms;
}

void
message_worker_set_timeout(struct message_worker *w, int ms)
{
	w->timeout_ms = ms;
}
