/*
 * requests: issue, send and record confirmation requests (DESIGN.md flow
 * 2), for "pledgectl send" and for the daemon's auto_confirm.
 *
 * One artist at a time, in this order, so that an interruption anywhere
 * costs nothing and a second run sends nothing twice:
 *
 *   1. decide: an artist who withdrew, was forgotten or excluded, is a
 *      linked second address, or already answered the phase is skipped;
 *      so is one with a request of the phase that went out and has not
 *      expired, or that failed or bounced (unless 'resend', or, for a
 *      failed one, the address was corrected since); an address that is
 *      not an RFC 5322 addr-spec gets a token marked failed ("malformed
 *      address: ..."), so that one broken address costs one artist;
 *   2. token: a token of the phase issued but never sent (a run that
 *      stopped between steps 2 and 4) is used again; otherwise a new one
 *      is signed and recorded as issued (committed) before anything
 *      leaves;
 *   3. deliver: the request (request.h) is submitted over SMTP, or written
 *      to the outbox as DIR/<jti>.eml (atomically: a temporary file, fsync,
 *      rename);
 *   4. record: the token is marked sent with the request's Message-ID; an
 *      SMTP 5xx marks it failed with the server's reply, a 4xx keeps it
 *      issued (sent again by the next run) with the reply noted.
 *
 * A crash between 3 and 4 makes the next run deliver the same token again
 * under the same Message-ID (request_message_id depends on the jti only):
 * the store holds one request per artist and phase, and the artist's mail
 * client sees the two copies as one message.
 *
 * SMTP submissions are paced at [smtp] rate_per_minute.  With
 * 'auto_submitted' (the daemon's own mail, RFC 3834) requests carry
 * "Auto-Submitted: auto-generated" and an artist gets at most one a day.
 *
 * Test hook, compiled only with the CMake option PLEDGED_TEST_HOOKS: when
 * the environment variable PLEDGED_FAULT_KILL_AFTER is a number N, the
 * process kills itself (SIGKILL) after the N-th delivery, before recording
 * it: the worst place to stop, for tests of step 4.
 *
 * Memory: all memory belongs to the caller unless stated otherwise;
 * everything in requests_opts is borrowed for the life of the context.
 */
#ifndef PLEDGED_REQUESTS_H
#define PLEDGED_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;
struct store_token;
struct token_secret;

enum requests_status {
	REQUESTS_OK = 0,    /* sent (or written to the outbox) */
	REQUESTS_SKIPPED,   /* nothing to do for this artist; see 'detail' */
	REQUESTS_DEFERRED,  /* a temporary failure: the next run sends it */
	REQUESTS_FAILED,    /* refused for good (5xx): marked failed */
	REQUESTS_NO_ARTIST, /* no artist with that address */
	REQUESTS_UNAVAILABLE, /* the SMTP server cannot be used (EX_UNAVAILABLE) */
	REQUESTS_AUTH,	      /* the SMTP login was refused (EX_NOPERM) */
	REQUESTS_CANTCREAT, /* the outbox file could not be written */
	REQUESTS_BUSY,	    /* the database stayed locked (EX_TEMPFAIL) */
	REQUESTS_ERR,	    /* anything else, logged */
};

struct requests_opts {
	const struct config *cfg; /* [smtp], [tokens] campaign */
	struct store *st;
	const struct token_secret *key;
	const char *outbox;	   /* a directory: write, do not send */
	const char *smtp_password; /* NULL: no AUTH */
	int64_t ttl;		   /* lifetime of new tokens, seconds */
	bool resend;
	bool auto_submitted;
	/*
	 * A preview ("pledgectl send --dry-run"): every decision is made as
	 * for real, but no token is issued, nothing is recorded and nothing
	 * is sent; REQUESTS_OK means "would be sent".  The request is built
	 * with a placeholder token (nothing that verifies) and kept for
	 * requests_preview (the first one), or, with 'preview_dir', written
	 * there as NNNN.eml, one per artist.
	 */
	bool dry_run;
	const char *preview_dir;
};

struct requests;

/*
 * A context: loads the templates ([smtp] templates).  No connection yet.
 * Returns REQUESTS_OK and *out (free with requests_close), or
 * REQUESTS_ERR (a template error, logged as FILE:LINE).
 */
enum requests_status requests_open(
    const struct requests_opts *, struct requests **out);

/*
 * Connect to the SMTP server now (requests_send_one otherwise connects
 * on first use, again after a lost connection, and afresh every 50
 * messages, below the servers' per-connection caps), so that a server that
 * cannot be used is found before any token is issued.  A no-op with an
 * outbox.  Returns REQUESTS_OK, REQUESTS_UNAVAILABLE, REQUESTS_AUTH,
 * REQUESTS_DEFERRED (timeout, 4xx greeting) or REQUESTS_ERR, with a
 * reason in 'why'.
 */
enum requests_status requests_connect(
    struct requests *, char *why, size_t whylen);

/*
 * Send the phase 'phase' request to the artist at 'address' (an
 * addr-spec; matched without regard to case), as described above.
 * 'detail' (may be NULL) gets a short explanation: why it was skipped,
 * the server's reply for DEFERRED and FAILED, or the jti when sent.
 * After REQUESTS_UNAVAILABLE, REQUESTS_AUTH, REQUESTS_BUSY or
 * REQUESTS_ERR, callers should stop; the others concern one artist.
 *
 * The daemon's auto_confirm calls this after the commit that recorded a
 * new pledge, with a context opened with 'auto_submitted' set -- never
 * for a message classified as an auto-reply, bounce or list mail.
 */
enum requests_status requests_send_one(struct requests *, const char *address,
    int phase, char *detail, size_t detaillen);

/*
 * Why the last requests_send_one returned REQUESTS_SKIPPED or
 * REQUESTS_FAILED, as a short fixed phrase for counting ("withdrawn",
 * "request pending", "malformed address", ...); "" otherwise.  A
 * static string.
 */
const char *requests_last_reason(const struct requests *);

/*
 * In a dry run, the first request that would be sent, NUL-terminated
 * (borrowed until requests_close), and its recipient; NULL when none.
 */
const char *requests_preview(const struct requests *, const char **to);

/* Close the SMTP session (QUIT) and free; NULL is a no-op. */
void requests_close(struct requests *);

/*
 * The daemon's auto_confirm context: with [tokens] auto_confirm = yes,
 * *out is a context that owns the signing key (secret_key_file) and the
 * SMTP password, with 'auto_submitted' set, tokens of 30 days, sending
 * through [smtp]; with auto_confirm = no, *out is NULL.  'st' is borrowed.
 * Returns REQUESTS_OK, or REQUESTS_ERR after printing what is missing or
 * wrong (exit 78, or 77 for a secret file others can read: see *perm).
 * No connection is made until the first request.
 *
 * Hook: after the COMMIT of a batch, for each message of the batch
 * decided as a pledge (outcome "pledge": never an auto-reply, a bounce
 * or list mail, which classify decides first), call
 * requests_send_one(ctx, artist, 1, ...).  An artist who pledges twice
 * gets one request (a pending one is not sent again; auto mail at most
 * once a day); a deferred one is tried again at the artist's next pledge
 * or by "pledgectl send".
 */
enum requests_status requests_open_auto(const struct config *cfg,
    struct store *st, struct requests **out, bool *perm);

/*
 * Sign a token for 'address' and 'phase' lasting 'ttl' seconds from
 * 'now', and record it as issued (creating the artist when new), in one
 * transaction.  The common step of "pledgectl issue" and of sending.
 * Returns REQUESTS_OK with 'out' filled (out->token new: free()),
 * REQUESTS_BUSY, or REQUESTS_ERR (signing or the store; logged).
 */
enum requests_status requests_issue(struct store *, const struct token_secret *,
    const char *campaign, const char *address, int phase, int64_t ttl,
    int64_t now, struct store_token *out);

#endif
