/*
 * poll: read the campaign mailbox and record what is new: one pass (for
 * `pledged --once`) or the daemon's loop (IDLE where offered, else every
 * poll_interval, reconnecting with exponential back-off).
 */
#ifndef PLEDGED_POLL_H
#define PLEDGED_POLL_H

#include <signal.h>

#include "pledged/imap.h"

struct config;
struct engine;

/*
 * One pass over the configured mailbox on an open connection: every UID
 * above the stored mark, in batches of imap.batch, each committed before
 * its messages are flagged or moved.  Stops between batches when *stop is
 * set.  Returns a sysexits code.
 */
int poll_pass(struct imap_conn *, struct engine *, const struct config *,
    volatile sig_atomic_t *stop);

/* Connect, one pass, disconnect: `pledged --once`. */
int poll_once(
    struct engine *, const struct config *, volatile sig_atomic_t *stop);

/*
 * The daemon: pass, wait for new mail, pass again, until *stop or *reload
 * is set (returns 0 then), or an error no retry can fix (returns its
 * code).
 */
int poll_daemon(struct engine *, const struct config *,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

#endif
