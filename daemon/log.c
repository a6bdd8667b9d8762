/*
 * log: syslog, or standard error in the foreground (after OpenSMTPD's
 * log.c).  Kept tiny on purpose: a logger that can fail or allocate is one
 * more thing to go wrong while reporting that something went wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "pledged/escape.h"
#include "pledged/log.h"

static const char *log_ident = "pledged";
static enum log_dest log_dest = LOG_TO_STDERR;
static bool log_verbose;
/* The last warning, for the pass record ("pledgectl status"). */
static char log_last[512];

void
log_init(const char *ident, enum log_dest dest, bool verbose)
{
	if (log_dest == LOG_TO_SYSLOG)
		closelog();
	log_ident = ident;
	log_dest = dest;
	log_verbose = verbose;
	if (dest == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* Copy at most len - 1 bytes of 's' to 'dst'; returns the bytes copied. */
static size_t
strlcpy_bounded(char *dst, const char *s, size_t len)
{
	size_t n = strnlen(s, len - 1);

	memcpy(dst, s, n);
	return n;
}

/* Keep "buf: suffix" in log_last, cut to fit (a cut error still reads). */
static void
log_keep(const char *buf, const char *suffix)
{
	size_t n = strnlen(buf, sizeof log_last - 1);

	memcpy(log_last, buf, n);
	if (suffix != NULL && n + 2 < sizeof log_last) {
		memcpy(log_last + n, ": ", 2);
		n += 2;
		n += strlcpy_bounded(log_last + n, suffix, sizeof log_last - n);
	}
	log_last[n] = '\0';
}

static void
log_vwrite(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char raw[2048], buf[4096];

	/* Truncation is acceptable here: a long line is still a log line. */
	vsnprintf(raw, sizeof raw, fmt, ap);
	/* Addresses, Subjects and server replies come from strangers: no
	 * control character or bidi override reaches a log reader. */
	escape_text(raw, buf, sizeof buf);
	if (prio == LOG_WARNING)
		log_keep(buf, suffix);
	if (log_dest == LOG_TO_SYSLOG) {
		if (suffix != NULL)
			syslog(prio, "%s: %s", buf, suffix);
		else
			syslog(prio, "%s", buf);
		return;
	}
	if (suffix != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_ident, buf, suffix);
	else
		fprintf(stderr, "%s: %s\n", log_ident, buf);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

const char *
log_last_warning(void)
{
	return log_last;
}

void
log_clear_warning(void)
{
	log_last[0] = '\0';
}
