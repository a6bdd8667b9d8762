/*
 * imap: IDLE.  See imap.h.
 *
 * mailimap_idle sends IDLE and waits for the continuation; we then poll
 * the socket ourselves.  Data may already sit in libetpan's read buffer
 * (it arrived with the continuation), so that is checked before polling.
 * An untagged response before "+ idling" can confuse libetpan and lose
 * the EXISTS: every error here is IMAP_TEMPFAIL so the caller reconnects,
 * and the caller searches again after every wait.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "pledged/log.h"
#include "imap_p.h"

/*
 * libetpan reports a tagged NO or BAD to IDLE as a parse error (it found
 * no continuation); the line it parsed tells the two apart.
 */
static bool
idle_refused(const struct imap_conn *c)
{
	const MMAPString *line = c->imap->imap_stream_buffer;
	const char *sp;

	if (line == NULL || line->str == NULL || line->len == 0 ||
	    line->str[0] == '*' || line->str[0] == '+')
		return false;
	if ((sp = memchr(line->str, ' ', line->len)) == NULL)
		return false;
	sp++;
	return strncmp(sp, "NO ", 3) == 0 || strncmp(sp, "BAD ", 4) == 0 ||
	    strncmp(sp, "NO\r", 3) == 0 || strncmp(sp, "BAD\r", 4) == 0;
}

bool
imap_has_idle(struct imap_conn *c)
{
	return c != NULL && !c->dead && c->imap != NULL &&
	    mailimap_has_idle(c->imap);
}

enum imap_status
imap_idle_wait(struct imap_conn *c, int seconds, bool *activity)
{
	struct pollfd pfd;
	struct timespec end, now;
	int r, fd;

	*activity = false;
	if (seconds < 0)
		seconds = 0;
	/* The wait itself, plus the timeouts for IDLE and DONE. */
	if (!imap_op_begin(c, "idle", (long)seconds + 2L * c->timeout))
		return IMAP_TEMPFAIL;
	r = mailimap_idle(c->imap);
	if (r == MAILIMAP_ERROR_PARSE && idle_refused(c)) {
		log_warnx("imap: idle: refused by the server");
		return IMAP_REFUSED; /* the session itself is fine */
	}
	if (imap_result(c, r, "idle", IMAP_TEMPFAIL) != IMAP_OK) {
		c->dead = true;
		return IMAP_TEMPFAIL;
	}
	if (c->imap->imap_stream->read_buffer_len > 0) {
		*activity = true;
	} else if ((fd = mailimap_idle_get_fd(c->imap)) == -1) {
		log_warnx("imap: idle: no descriptor");
		c->dead = true;
		return IMAP_TEMPFAIL;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += seconds;
		for (;;) {
			long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (end.tv_sec - now.tv_sec) * 1000 +
			    (end.tv_nsec - now.tv_nsec) / 1000000;
			if (ms < 0)
				ms = 0;
			pfd.fd = fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			r = poll(&pfd, 1, (int)ms);
			/* A signal ends the wait: the caller decides whether
			 * to stop, reload or idle again. */
			if (r == -1 && errno == EINTR)
				r = 0;
			break;
		}
		if (r == -1) {
			log_warn("imap: idle: poll");
			c->dead = true;
			return IMAP_TEMPFAIL;
		}
		/* POLLHUP/POLLERR too: DONE below will find out. */
		*activity = r > 0;
	}
	if (imap_result(c, mailimap_idle_done(c->imap), "idle done",
		IMAP_TEMPFAIL) != IMAP_OK) {
		c->dead = true;
		return IMAP_TEMPFAIL;
	}
	return IMAP_OK;
}
