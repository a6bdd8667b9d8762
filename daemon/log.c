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

static void
log_vwrite(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char raw[2048], buf[4096];

	/* Truncation is acceptable here: a long line is still a log line. */
	vsnprintf(raw, sizeof raw, fmt, ap);
	/* Addresses, Subjects and server replies come from strangers: no
	 * control character or bidi override reaches a log reader. */
	escape_text(raw, buf, sizeof buf);
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
