/* Test helpers: see testutil.h. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

char *
tu_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	path = tu_asprintf("%s/pledged-%s-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", tag);
	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

void
tu_rmtree(const char *dir)
{
	char *argv[] = {"rm", "-rf", NULL, NULL};

	if (dir == NULL)
		return;
	argv[2] = (char *)(uintptr_t)dir;
	tu_run(argv, NULL, NULL, NULL);
}

char *
tu_read_file(const char *path, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("open %s: %s", path, strerror(errno));
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				fail_msg("out of memory");
		}
		r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
	} while (r > 0);
	if (ferror(fp))
		fail_msg("read %s", path);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

void
tu_write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1)
		fail_msg("create %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) == -1 || write(fd, data, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

char *
tu_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fail_msg("out of memory");
	va_end(ap);
	return s;
}

struct capture {
	int fd;
	char *buf;
	size_t len, cap;
};

static void
capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t r;

	r = read(c->fd, tmp, sizeof tmp);
	if (r <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	if (c->len + r + 1 > c->cap) {
		c->cap = (c->len + r + 1) * 2;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			fail_msg("out of memory");
	}
	memcpy(c->buf + c->len, tmp, r);
	c->len += r;
	c->buf[c->len] = '\0';
}

int
tu_run(char *const argv[], const char *in, char **out, char **err)
{
	int pin[2], pout[2], perr[2], status;
	struct capture cap[2] = {{-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
	size_t inlen = in != NULL ? strlen(in) : 0, off = 0;
	pid_t pid;

	if (pipe(pin) == -1 || pipe(pout) == -1 || pipe(perr) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[0]), close(pin[1]);
		close(pout[0]), close(pout[1]);
		close(perr[0]), close(perr[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	/* Feed stdin first; the tests' inputs are small enough for a pipe. */
	while (off < inlen) {
		ssize_t w = write(pin[1], in + off, inlen - off);
		if (w <= 0)
			break;
		off += w;
	}
	close(pin[1]);
	cap[0].fd = pout[0];
	cap[1].fd = perr[0];
	while (cap[0].fd != -1 || cap[1].fd != -1) {
		struct pollfd pfd[2] = {
		    {cap[0].fd, POLLIN, 0}, {cap[1].fd, POLLIN, 0}};
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			fail_msg("poll: %s", strerror(errno));
		for (int i = 0; i < 2; i++)
			if (cap[i].fd != -1 && pfd[i].revents != 0)
				capture_read(&cap[i]);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		char **dst = i == 0 ? out : err;
		if (dst != NULL)
			*dst = cap[i].buf != NULL ? cap[i].buf : strdup("");
		else
			free(cap[i].buf);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
