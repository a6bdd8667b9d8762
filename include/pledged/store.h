/*
 * store: the ledger, in SQLite.
 *
 * The only module that speaks SQL.  A store is one open database file,
 * with the schema of sql/ (compiled in) applied on open.  Everything the
 * daemon decides about a message is written inside one transaction per
 * batch (store_begin ... store_commit), and only after the commit does the
 * caller touch the IMAP server: a crash before the commit leaves no trace,
 * and the uniqueness of (mailbox, UIDVALIDITY, UID), of Message-ID plus
 * content, and of token ids makes the second pass a no-op.
 *
 * The database runs in WAL mode with a busy timeout, so organizers may read
 * it (pledgectl, sqlite3 and the views) while the daemon writes.
 *
 * Ownership: all memory belongs to the caller unless stated otherwise.
 * Strings passed in are borrowed for the call.  Strings returned through
 * 'char **' are new and freed by the caller with free().  All text is
 * UTF-8; all times are Unix seconds.  A struct store is not thread-safe:
 * one per thread.
 *
 * Errors from SQLite are logged once, here ("store: ..."), and returned as
 * STORE_ERR (or STORE_BUSY when another writer held the lock past the busy
 * timeout); callers log only their own decisions.
 */
#ifndef PLEDGED_STORE_H
#define PLEDGED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_status {
	STORE_OK = 0,
	STORE_DUPLICATE, /* already there; nothing changed */
	STORE_NOT_FOUND, /* no such row (or no such database file) */
	STORE_BUSY,	 /* another writer held the lock: retry later */
	STORE_ERR,	 /* anything else, logged */
};

/* Longest jti (DESIGN.md: 8 to 64 characters), without the NUL. */
#define STORE_JTI_MAX 64

struct store;

/*
 * Open the database at 'path', creating the file when 'create' is set,
 * and bring its schema to the latest version (migrations run in one
 * transaction; the views are recreated when they changed).  Sets WAL mode,
 * a 5 s busy timeout and foreign keys.  A database written by a newer
 * pledged, or a SQLite file that is not a pledged database, is refused.
 * Returns STORE_OK with *out set (free with store_close), STORE_NOT_FOUND
 * when the file does not exist and 'create' is not set, STORE_BUSY, or
 * STORE_ERR; errors are logged as "store: PATH: ...".
 */
enum store_status store_open(const char *path, bool create, struct store **out);
/* Close; an open transaction is rolled back.  NULL is a no-op. */
void store_close(struct store *);

/*
 * Transactions.  store_begin takes the write lock at once (BEGIN
 * IMMEDIATE), waiting up to the busy timeout: STORE_BUSY when it could
 * not.  store_commit returns STORE_OK, STORE_BUSY or STORE_ERR; after a
 * failed commit the transaction is rolled back.  store_rollback is a no-op
 * outside a transaction.  Without store_begin every call below is its own
 * transaction.
 */
enum store_status store_begin(struct store *);
enum store_status store_commit(struct store *);
void store_rollback(struct store *);

/*
 * Per-mailbox state: the UIDVALIDITY seen and the highest UID done.
 * store_mailbox_get returns STORE_NOT_FOUND for a mailbox never seen.
 */
enum store_status store_mailbox_get(struct store *, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid);
enum store_status store_mailbox_set(struct store *, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid);

/*
 * Messages the server would not hand over (table fetch_failure).
 * store_fetch_attempts gives the passes counted so far for a UID (0 when
 * none) and whether it was marked failed.  store_fetch_failure counts one more, with 'error' (a short
 * English phrase), and marks the UID failed when 'failed' is set; *attempts
 * (may be NULL) gets the new count.  Runs in the caller's transaction, or
 * alone outside one.
 */
enum store_status store_fetch_attempts(struct store *, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, int *attempts, bool *failed);
enum store_status store_fetch_failure(struct store *, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, const char *error, bool failed,
    int *attempts);

/*
 * Was this message already decided?  With a mailbox: by (mailbox,
 * uidvalidity, uid); with mailbox NULL ("pledged ingest"): by the SHA-256
 * of its bytes among ingested messages.  On a database error, logged,
 * false: the insert's uniqueness then stops a second row.
 */
bool store_audit_seen(struct store *, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, const char *sha256_hex);
/*
 * Is a message with this Message-ID (NULL: none) and this content
 * (SHA-256, lower-case hex) already recorded, under any mailbox or UID?
 * Such a message is recorded again as ignore/duplicate.
 */
bool store_audit_is_duplicate(
    struct store *, const char *message_id, const char *sha256_hex);

/*
 * One audit row: one message read and its one outcome.  String fields may
 * be NULL (no value) except sha256_hex and outcome.  mailbox NULL means
 * ingested (uidvalidity and uid are then ignored).  outcome and reason use
 * the vocabulary of DESIGN.md ("Outcomes"); the schema refuses a reason
 * that does not belong to its outcome.  phase 0 and artist_id 0 mean none.
 * dmarc is NULL, "pass", "fail" or "none".
 */
struct store_audit {
	const char *mailbox;
	uint32_t uidvalidity, uid;
	const char *message_id, *sha256_hex;
	size_t size;
	const char *from_addr, *from_name, *subject;
	const char *outcome, *reason;
	int phase;
	int64_t artist_id;
	const char *jti, *dmarc, *own_text;
	int64_t processed_at;
	/* The server action (flag or move) is still to be done. */
	bool server_pending;
};

/*
 * Record a message.  *audit_id (may be NULL) gets the new row's id.
 * Returns STORE_OK, STORE_DUPLICATE when (mailbox, uidvalidity, uid) is
 * already recorded (nothing written), or STORE_ERR (a CHECK failed, ...).
 */
enum store_status store_audit_insert(
    struct store *, const struct store_audit *, int64_t *audit_id);

/*
 * Server actions left pending after a COMMIT (a crash between the COMMIT
 * and the flag or move): each UID of 'mailbox' under 'uidvalidity' with
 * server_pending set, in UID order, with whether its outcome is review.
 * 'fn' returning non-zero stops the walk.  store_pending_clear marks 'n'
 * UIDs done; it runs in its own statement (no transaction needed).
 */
enum store_status store_pending_foreach(struct store *, const char *mailbox,
    uint32_t uidvalidity, int (*fn)(uint32_t uid, bool review, void *arg),
    void *arg);
enum store_status store_pending_clear(struct store *, const char *mailbox,
    uint32_t uidvalidity, const uint32_t *uids, size_t n);

/*
 * Artists are known by address (lower-cased here).  store_artist_get sets
 * *artist_id (may be NULL) and 'state' (may be NULL): the pledge state
 * ("received", "confirmed", "withdrawn"), or "" without a pledge.
 * Returns STORE_NOT_FOUND for an unknown address.
 */
enum store_status store_artist_get(
    struct store *, const char *address, int64_t *artist_id, char state[16]);
/*
 * The artist with this address, created if new.  A non-empty
 * 'display_name' (may be NULL) replaces the one recorded.
 */
enum store_status store_artist_upsert(struct store *, const char *address,
    const char *display_name, int64_t *artist_id);

/*
 * Pledge state.  store_pledge_record: a new pledge is "received", a
 * withdrawn one "received" again (STORE_OK); a pledge already received or
 * confirmed is unchanged (STORE_DUPLICATE).  'audit_id' is the evidence.
 * store_pledge_withdraw: received or confirmed becomes "withdrawn"
 * (STORE_OK); already withdrawn: STORE_DUPLICATE; no pledge:
 * STORE_NOT_FOUND.
 * store_pledge_confirm (phase-one double opt-in): received becomes
 * "confirmed", and an artist without a pledge (a token issued to someone
 * who pledged elsewhere) gets a confirmed one (STORE_OK); already
 * confirmed: STORE_DUPLICATE; withdrawn: STORE_NOT_FOUND (the withdrawal
 * stands until the artist pledges again; the confirmation row is still
 * the caller's to record).
 */
enum store_status store_pledge_record(
    struct store *, int64_t artist_id, int64_t audit_id);
enum store_status store_pledge_withdraw(
    struct store *, int64_t artist_id, int64_t audit_id);
enum store_status store_pledge_confirm(struct store *, int64_t artist_id);

/*
 * Tokens issued here and the requests carrying them.
 * store_token_issue: STORE_DUPLICATE when the jti exists.
 * store_token_sent: the request went out with this Message-ID (angle
 * brackets optional, stored without); STORE_NOT_FOUND for an unknown jti,
 * STORE_DUPLICATE when another request has that Message-ID.
 * store_token_failed: sending failed with 'error' (kept for organizers);
 * a token never sent becomes "failed", one sent before stays "sent".
 * store_token_deferred: a try failed temporarily (an SMTP 4xx, say): the
 * state is unchanged ("issued" stays issued, to be sent again), 'error'
 * is kept.
 * store_token_mark_bounced: the request came back.
 * All four: STORE_NOT_FOUND for an unknown jti.
 */
enum store_status store_token_issue(struct store *, const char *jti,
    int64_t artist_id, int phase, const char *token, int64_t issued_at,
    int64_t expires_at);
enum store_status store_token_sent(struct store *, const char *jti,
    const char *request_message_id, int64_t sent_at);
enum store_status store_token_failed(
    struct store *, const char *jti, const char *error);
enum store_status store_token_deferred(
    struct store *, const char *jti, const char *error);
enum store_status store_token_mark_bounced(struct store *, const char *jti);

/*
 * Look-ups for replies that name a reference or a request.  *token gets
 * the issued token's text (new; caller frees).  store_token_by_jti also
 * finds a lower-case jti typed in upper case ([ref:...] in a Subject);
 * store_token_by_request takes a Message-ID with or without angle
 * brackets and sets 'jti' too.  STORE_NOT_FOUND when none (or when the
 * artist was forgotten).
 */
enum store_status store_token_by_jti(
    struct store *, const char *jti, char **token);
enum store_status store_token_by_request(struct store *, const char *message_id,
    char **token, char jti[STORE_JTI_MAX + 1]);

/* Was this jti used for a confirmation or a decline?  (Error: false.) */
bool store_jti_used(struct store *, const char *jti);
/*
 * Record that token 'jti' confirmed (or, with 'decline', refused) 'phase'
 * for 'artist_id', with 'audit_id' as evidence (its processed_at becomes
 * the confirmation's time).  STORE_DUPLICATE when the jti was used:
 * tokens are single use.
 */
enum store_status store_confirmation_record(struct store *, int64_t artist_id,
    int phase, const char *jti, bool decline, int64_t audit_id);

/*
 * Sending: the artist's most recent token for 'phase', so that a second
 * run of "pledgectl send" sends nothing twice.  STORE_NOT_FOUND when none.
 * out->token is new (NULL when forgotten); free it with free().
 */
struct store_token {
	char jti[STORE_JTI_MAX + 1];
	int64_t artist_id;
	int phase;
	char *token;
	int64_t issued_at, expires_at, sent_at; /* sent_at 0: never */
	char state[16]; /* "issued", "sent", "bounced", "failed" */
};
enum store_status store_token_latest(
    struct store *, int64_t artist_id, int phase, struct store_token *out);

/*
 * Sending: where an artist stands in 'phase', by address (lower-cased
 * here), as the artist_status view says.  answered: the artist replied
 * to a request of that phase (confirmed or declined); for phase 1 a
 * confirmed pledge counts too.  STORE_NOT_FOUND for an unknown address.
 */
struct store_artist_phase {
	int64_t artist_id;
	char pledge_state[16]; /* "received", "confirmed", "withdrawn", "" */
	bool answered, forgotten;
	char *name; /* display name, new (free()), NULL when none */
};
enum store_status store_artist_phase(struct store *, const char *address,
    int phase, struct store_artist_phase *out);

/*
 * Organizers' reads (pledgectl stats, list, export, show, review).  Not
 * hot: statements are prepared per call.  Each listing calls 'fn' once a
 * row, in id order, with pointers valid only during the call; 'fn'
 * returns 0 to go on, anything else to stop (the listing then returns
 * STORE_OK).
 */

/*
 * Counts for "pledgectl stats".  pledged: pledges not withdrawn
 * (received or confirmed); confirmed_phase1: confirmed pledges;
 * confirmed_phase2: artists whose latest phase-two answer is yes and who
 * have not withdrawn; review: messages held for review with no decision
 * yet; rejected, ignored: messages with those outcomes.
 */
struct store_stats {
	int64_t artists, pledged, confirmed_phase1, confirmed_phase2;
	int64_t withdrawn, review, rejected, ignored, messages;
	/* declined: artists whose latest answer in a phase is no;
	 * phase2_of_phase1: confirmed in both phases (the phase_two view's
	 * share is phase2_of_phase1 / confirmed_phase1). */
	int64_t declined, phase2_of_phase1;
	/* Tokens issued, requests that went out (sent_at set), and the
	 * requests that came back. */
	int64_t tokens_issued, requests_sent, requests_bounced;
};
enum store_status store_stats(struct store *, struct store_stats *);

/* One artist as the artist_status view shows it. */
struct store_artist_row {
	int64_t id;
	const char *address, *name; /* NULL once forgotten */
	const char *pledge_state;   /* NULL without a pledge */
	bool phase1_confirmed, phase2_confirmed, declined, forgotten;
	int64_t created_at, last_activity;
	/*
	 * Where the artist stands in each phase, NULL when nowhere:
	 * "received" (phase one only: pledged, not asked yet), "requested"
	 * (a token was issued or sent, no answer), "confirmed", "declined",
	 * "bounced" (the latest request came back) or "withdrawn".
	 */
	const char *phase1_state, *phase2_state;
	/* last_activity, or a later token issued or request sent */
	int64_t last_change;
};
/*
 * Artists, optionally only those confirmed for 'phase' (1 or 2; 0: all)
 * and only those whose pledge is in 'state' (NULL: any).
 */
enum store_status store_artist_foreach(struct store *, int phase,
    const char *state, int (*fn)(const struct store_artist_row *, void *),
    void *arg);
/*
 * Artists by where they stand: with 'phase' 1 or 2, those with a state
 * in that phase (phase1_state or phase2_state not NULL), and with
 * 'state' (NULL: any) only those in it; with 'phase' 0 and a 'state',
 * those in that state in either phase.  ("pledgectl list")
 */
enum store_status store_artist_list(struct store *, int phase,
    const char *state, int (*fn)(const struct store_artist_row *, void *),
    void *arg);
/* One artist by id ('fn' called once); STORE_NOT_FOUND when none. */
enum store_status store_artist_row_get(struct store *, int64_t artist_id,
    int (*fn)(const struct store_artist_row *, void *), void *arg);

/* One audit row, with the artist's address and the latest review. */
struct store_audit_row {
	int64_t id;
	struct store_audit audit; /* artist_id, phase 0 when none */
	const char *artist;	  /* address, NULL when none or forgotten */
	const char *decision;	  /* "approved", "rejected" or NULL */
	const char *decided_by;	  /* of that decision; may be NULL */
	int64_t decided_at;	  /* of that decision; 0: none */
};
/*
 * Messages, optionally only those with 'outcome' (NULL: all); with
 * 'undecided', only those with no review decision.  'artist_id' 0: all
 * artists, else only that artist's messages.
 */
enum store_status store_audit_foreach(struct store *, const char *outcome,
    bool undecided, int64_t artist_id,
    int (*fn)(const struct store_audit_row *, void *), void *arg);
/* One message by audit id ('fn' called once); STORE_NOT_FOUND when none. */
enum store_status store_audit_get(struct store *, int64_t audit_id,
    int (*fn)(const struct store_audit_row *, void *), void *arg);
/* The 'limit' most recently processed messages, newest first. */
enum store_status store_audit_recent(struct store *, int limit,
    int (*fn)(const struct store_audit_row *, void *), void *arg);

/* One issued token and its request. */
struct store_request_row {
	const char *jti, *address; /* address NULL once forgotten */
	int64_t artist_id;
	int phase;
	int64_t issued_at, expires_at, sent_at; /* sent_at 0: never */
	const char *state, *request_message_id, *last_error;
};
enum store_status store_token_foreach(struct store *,
    int (*fn)(const struct store_request_row *, void *), void *arg);
/* The same for one artist's tokens. */
enum store_status store_token_foreach_artist(struct store *, int64_t artist_id,
    int (*fn)(const struct store_request_row *, void *), void *arg);
/*
 * The token issued here under 'jti' (exact match), like
 * store_token_latest; STORE_NOT_FOUND when none.
 */
enum store_status store_token_get(
    struct store *, const char *jti, struct store_token *out);

/* One confirmation or decline. */
struct store_confirmation_row {
	const char *jti;
	int phase;
	const char *kind; /* "confirm" or "decline" */
	int64_t audit_id; /* 0: none */
	int64_t created_at;
};
/* An artist's confirmations and declines, oldest first. */
enum store_status store_confirmation_foreach(struct store *, int64_t artist_id,
    int (*fn)(const struct store_confirmation_row *, void *), void *arg);

/* One UTC day of the daily_counts view (days without mail are absent). */
struct store_day_row {
	const char *day; /* "YYYY-MM-DD" */
	int64_t pledges, confirmations_phase1, confirmations_phase2;
	int64_t declines, withdrawals, review, rejected, ignored, messages;
};
/* The daily_counts view, oldest day first. */
enum store_status store_daily_foreach(
    struct store *, int (*fn)(const struct store_day_row *, void *), void *arg);

/*
 * Decide a message held for review ('approved' or not), by 'decided_by'
 * (may be NULL).  Later decisions supersede earlier ones, which stay.
 * STORE_NOT_FOUND when no message with outcome "review" has that id.
 * The decision is recorded only: what an approval implies (recording
 * the pledge or confirmation) is the caller's to do.
 */
enum store_status store_review_decide(
    struct store *, int64_t audit_id, bool approved, const char *decided_by);

/*
 * "pledgectl forget": erase the artist's personal data (address, name,
 * the From, Subject and own words of their messages, their tokens'
 * text, Message-IDs and request errors that contain the address) and
 * keep every row, so that counts do not change.  Messages from the
 * address that name no artist (ignored mail) are erased too.  Deleted
 * content is overwritten (secure_delete) and the write-ahead log is
 * checkpointed, so the address does not linger in the file.  A later
 * message from the same address makes a new artist.  One transaction
 * (do not call inside store_begin).  STORE_NOT_FOUND when nothing was
 * recorded under the address (already forgotten: forgetting again is
 * harmless).  *artist_id (may be NULL) gets the forgotten artist's id,
 * 0 when there was none.
 */
enum store_status store_artist_forget(struct store *, const char *address);
enum store_status store_artist_forget_id(
    struct store *, const char *address, int64_t *artist_id);

#endif
