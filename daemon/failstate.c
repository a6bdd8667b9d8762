/*
 * failstate: how long have --once runs been failing temporarily?
 * (contract in include/pledged/failstate.h).
 *
 * A file rather than a row: the database may be what fails (busy,
 * unreadable), and the lock-held case must not open it at all.  The file
 * is opened without following a symlink and read with a bound, like
 * every file in the store's directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/failstate.h"
#include "pledged/log.h"
#include "pledged/privs.h"

/* The recorded start, or 0 when none; creates the file with 'now'. */
static time_t
failstate_since(const char *path, time_t now)
{
	char buf[32];
	ssize_t n;
	long long v;
	char *end;
	int fd, len;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    privs_file_mode(path));
	if (fd == -1) {
		log_debug("failstate: %s: %s", path, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && end != buf && v > 0 && v <= (long long)now) {
			close(fd);
			return (time_t)v;
		}
	}
	len = snprintf(buf, sizeof buf, "%lld\n", (long long)now);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_debug("failstate: %s: %s", path, strerror(errno));
	close(fd);
	return now;
}

static void
say_since(time_t since, time_t now, int fail_after, bool tell)
{
	char when[32];
	struct tm tm;
	long long mins = (long long)(now - since) / 60;

	gmtime_r(&since, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	log_warnx("every run has failed temporarily (exit 75) since %s, "
		  "%lld minutes, longer than fail_after (%d s): see the log "
		  "for why (lock held by a stuck run, server timing out)",
	    when, mins, fail_after);
	if (tell)
		fprintf(stderr,
		    "pledged: every run has failed temporarily (exit 75) "
		    "since %s, %lld minutes, longer than fail_after (%d s): "
		    "see the log for why (lock held by a stuck run, server "
		    "timing out)\n",
		    when, mins, fail_after);
}

int
failstate_note(
    const char *database, int rc, int fail_after, time_t now, bool tell)
{
	char path[4200];
	time_t since;
	int n;

	n = snprintf(path, sizeof path, "%s-tempfail", database);
	if (n < 0 || (size_t)n >= sizeof path)
		return rc;
	if (rc == EX_OK) {
		if (unlink(path) == -1 && errno != ENOENT)
			log_debug("failstate: %s: %s", path, strerror(errno));
		return rc;
	}
	if (rc != EX_TEMPFAIL)
		return rc;
	since = failstate_since(path, now);
	if (since == 0 || fail_after <= 0 || now - since <= fail_after)
		return rc;
	say_since(since, now, fail_after, tell);
	return EX_UNAVAILABLE;
}
