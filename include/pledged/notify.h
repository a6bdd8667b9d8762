/*
 * notify: the organizers' digest ([notify]): what needs people since the
 * last digest -- replies held for review with the artists' own words and
 * the reason, bounced requests, withdrawals, artists forgotten -- how the
 * counts moved, and a feed that read no mail for the stale period
 * (config_stale_after) or reads again.  Mailed through [smtp] to the [notify] addresses
 * only, at most once per interval, only when there is news.
 *
 * Resumable: the digest's Message-ID and the events it covers are
 * committed before the mail is handed to the server; a digest whose
 * sending was interrupted (a crash between the hand-over and the record
 * of it) is never sent again, and its events count as told.  So a
 * digest is sent at most once, and an event is told at most once.
 */
#ifndef PLEDGED_NOTIFY_H
#define PLEDGED_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config;
struct store;

enum notify_status {
	NOTIFY_SENT = 0,
	NOTIFY_NO_NEWS,	 /* nothing happened since the last digest */
	NOTIFY_NOT_DUE,	 /* the interval has not passed yet */
	NOTIFY_OFF,	 /* no [notify] to */
	NOTIFY_TEMPFAIL, /* the server could not take it now: later */
	NOTIFY_ERR,	 /* logged */
};

/*
 * Print the next digest (headers and text) to 'fp' as it would go out
 * now, changing nothing.  Returns NOTIFY_SENT when there is news (the
 * digest was printed), NOTIFY_NO_NEWS, or NOTIFY_ERR.
 */
enum notify_status notify_preview(
    const struct config *, struct store *, int64_t now, FILE *fp);

/*
 * Send the digest when there is news and, unless 'force', the interval
 * has passed since the last one.  Needs [smtp] host and from.
 */
enum notify_status notify_send(
    const struct config *, struct store *, int64_t now, bool force);

/* After a good pass: notify_send when [notify] to is set; logged. */
void notify_after_pass(const struct config *, struct store *);

#endif
