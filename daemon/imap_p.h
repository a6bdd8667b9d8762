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
#include "pledged/net.h"

/* UIDs per command: sets stay short on the wire. */
#define IMAP_BATCH 200
/* Whole messages per FETCH: bounds memory and the batch's time budget. */
#define IMAP_BODY_BATCH 50

/*
 * Byte caps (net.h).  A line: generous for any answer but SEARCH, whose
 * single line grows with the mailbox and gets its own cap.  An answer to
 * a command that carries no message: 1 MiB is hundreds of times what a
 * SELECT, LIST, STORE or IDLE of a large mailbox says.  A literal outside
 * a body fetch: mailbox names and the like.
 */
#define IMAP_LINE_MAX (256 * 1024)
#define IMAP_RESPONSE_MAX (1024 * 1024)
#define IMAP_LITERAL_MAX (64 * 1024)
/*
 * SEARCH asks for windows of this many UIDs below UIDNEXT (an answer of
 * at most 11 bytes a UID), at most IMAP_SEARCH_WINDOWS of them in a row;
 * an open-ended search ("N:*") is capped at IMAP_SEARCH_OPEN_MAX bytes.
 */
#define IMAP_SEARCH_WINDOW 100000u
#define IMAP_SEARCH_WINDOWS 64
#define IMAP_SEARCH_OPEN_MAX (4 * 1024 * 1024)
/* The message cap when the caller gives none. */
#define IMAP_MESSAGE_MAX_DEFAULT (10 * 1024 * 1024)

struct imap_conn {
	mailimap *imap;
	int timeout;		  /* seconds */
	size_t max_message;	  /* bytes: no literal is allowed more */
	struct net_budget budget; /* deadline and byte caps, net.h */
	bool dead;		  /* stream broken: only imap_close is left */
};

/*
 * Start an operation allowed 'seconds' in total (the guard fails reads
 * and writes after that) and the default byte caps (IMAP_RESPONSE_MAX,
 * IMAP_LITERAL_MAX).  Returns false, logged, when the connection is
 * already dead.
 */
bool imap_op_begin(struct imap_conn *c, const char *what, long seconds);
/* Change the byte caps of the operation just begun. */
void imap_op_caps(struct imap_conn *c, uint64_t response_max,
    uint64_t literal_max, size_t line_max);
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
