/*
 * imap: what its files (imap.c: session, TLS, stream guard;
 * imap_mailbox.c: mailbox operations; imap_idle.c: IDLE) and its tests
 * share.  Not a public interface.
 */
#ifndef PLEDGED_IMAP_P_H
#define PLEDGED_IMAP_P_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "pledged/imap.h"

/* UIDs per command: sets stay short on the wire. */
#define IMAP_BATCH 200
/* Whole messages per FETCH: bounds memory and the batch's time budget. */
#define IMAP_BODY_BATCH 50

struct imap_conn {
	mailimap *imap;
	int timeout;		  /* seconds */
	struct timespec deadline; /* CLOCK_MONOTONIC end of the operation */
	bool dead;		  /* stream broken: only imap_close is left */
};

/*
 * Start an operation allowed 'seconds' in total (the guard fails reads
 * and writes after that).  Returns false, logged, when the connection is
 * already dead.
 */
bool imap_op_begin(struct imap_conn *c, const char *what, long seconds);
/*
 * Map a libetpan result to our status, log it once with 'what' and the
 * server's text, and mark the connection dead on stream errors.
 * 'refused' is the status for a NO/BAD answer to this command.
 */
enum imap_status imap_result(
    struct imap_conn *c, int r, const char *what, enum imap_status refused);
/* A UID set of uids[0..n-1] as intervals of consecutive runs. */
struct mailimap_set *imap_uid_set(const uint32_t *uids, size_t n);
/* Ensure 'mailbox' exists (LIST, then CREATE if missing). */
enum imap_status imap_ensure_mailbox(struct imap_conn *c, const char *mailbox);
/* The fallback of imap_move: COPY, \Deleted, (UID) EXPUNGE. */
enum imap_status imap_move_by_copy(struct imap_conn *c,
    struct mailimap_set *set, const char *mailbox, bool uidplus);

#endif
