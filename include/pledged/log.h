/*
 * log: one place where pledged and pledgectl say things.
 *
 * Messages go to syslog (facility mail, identity as given to log_init) or,
 * in the foreground and for debugging, to standard error.  Modules log a
 * library or system error once, where it is met, prefixed with the module
 * name ("imap: login: ..."), and return a status; callers log only their
 * own decisions.  Never pass a password or a token's secret to these.
 */
#ifndef PLEDGED_LOG_H
#define PLEDGED_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_dest {
	LOG_TO_STDERR = 0,
	LOG_TO_SYSLOG,
};

/*
 * Set the identity and destination.  May be called again (after a config
 * reload, say); before the first call, messages go to standard error under
 * the identity "pledged".  'ident' must outlive the log.
 */
void log_init(const char *ident, enum log_dest dest, bool verbose);

/* A warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning as given. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Normal operation: what was done. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with verbose set. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The text of the last warning logged ("" when none since the last
 * log_clear_warning), so that a pass can record its error in words.
 * The string is static, overwritten by the next warning.
 */
const char *log_last_warning(void);
void log_clear_warning(void);

#endif
