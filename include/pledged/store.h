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

/*
 * A private store in memory for a dry run: a copy of the database at
 * 'path' when it exists (read through SQLite's backup API, a consistent
 * snapshot, the file left untouched), else an empty one.  Everything a
 * real run writes can be written to it, so the run decides exactly as a
 * real one would (duplicates and replays within the pass included), and
 * nothing of it reaches the disk.  Returns STORE_OK with *out set, or
 * STORE_ERR (logged).
 */
enum store_status store_open_preview(const char *path, struct store **out);
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
 * A message of 'mailbox' read again after its UIDVALIDITY changed: is a
 * row of that mailbox under another UIDVALIDITY, with the same
 * Message-ID (NULL: none) and content, there to be this message's?  With
 * 'update', that row (the oldest such) takes the new UIDVALIDITY and UID,
 * so the message keeps its one row however often the UIDVALIDITY
 * changes.  STORE_OK when there was one, STORE_NOT_FOUND when not (the
 * message is then new, or a duplicate), or STORE_ERR.
 */
enum store_status store_audit_moved(struct store *, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, const char *message_id,
    const char *sha256_hex, bool update);

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
	/* The intent rule that decided ("negated-ask", "empty", ...), NULL
	 * when intent did not decide (intent.h). */
	const char *rule;
	int64_t processed_at;
	/* When the artist wrote it (message_written_at); 0: processed_at.
	 * The timeline is drawn by this time. */
	int64_t written_at;
	/* The server action (flag or move) is still to be done. */
	bool server_pending;
	/* For outcome "review": what approving it records ("pledge",
	 * "confirm", "decline", "withdraw"), or NULL. */
	const char *held;
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
 * 'display_name' (may be NULL) is recorded when the artist has none yet
 * (the name of the pledge stays).  Both calls resolve a linked second
 * address ("pledgectl link") to the artist it belongs to.
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
 * store_token_issue: STORE_DUPLICATE when the jti exists.  'request_ref'
 * (may be NULL: none) is the request's secret reference, [A-Za-z0-9_-]
 * of at most STORE_JTI_MAX characters, stored lower-cased: the Subject
 * carries it instead of the jti, which organizers' exports show.
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
    int64_t expires_at, const char *request_ref);
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
/* By the request's secret reference (any case); sets 'jti' too. */
enum store_status store_token_by_ref(
    struct store *, const char *ref, char **token, char jti[STORE_JTI_MAX + 1]);

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
	char request_ref[STORE_JTI_MAX + 1]; /* "" when none */
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
	/* excluded from the counts; a second address linked to another */
	bool excluded, linked;
	int64_t address_changed_at; /* "pledgectl fix-address"; 0: never */
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
 * The campaign's numbers, from the campaign_counts view, whose comment in
 * sql/views.sql is the one definition of each.  In short: artists,
 * pledged, confirmed_phase1, confirmed_phase2, withdrawn and declined
 * count artists; review, rejected, ignored and messages count messages.
 * All over the artists that count (not excluded, not a linked second
 * address).
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
	/*
	 * phase2_of_pledged: confirmed phase two among the artists who
	 * pledged (the base of a campaign that skipped phase one);
	 * phase2_requested: artists a phase-two request went out to;
	 * requests_failed: requests refused for good (a malformed
	 * address, a 5xx); excluded, linked: artist rows left out of every
	 * count by "pledgectl exclude" and "link"; imported, added: pledges
	 * that came from "pledgectl import" and "pledgectl add".
	 */
	int64_t phase2_of_pledged, phase2_requested, requests_failed;
	int64_t excluded, linked, imported, added;
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
	 * "bounced" (the latest request came back), "failed" (it could not
	 * be sent: a malformed address, a 5xx) or "withdrawn".
	 */
	const char *phase1_state, *phase2_state;
	/* last_activity, or a later token issued or request sent */
	int64_t last_change;
	/* Excluded from the counts ("pledgectl exclude"); a second address
	 * linked to another artist ("pledgectl link"); how the pledge came
	 * ("email", "import", "manual"; NULL without a pledge). */
	bool excluded, linked;
	const char *pledge_source;
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
	const char *decision;	  /* "approved", "declined", "rejected", NULL */
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

/*
 * One UTC day of the timeline view (days without anything are absent):
 * the artists each number of store_stats gained that day, by the time
 * the artist wrote, so that each column sums to its number; and the
 * messages written that day.
 */
struct store_day_row {
	const char *day; /* "YYYY-MM-DD" */
	int64_t pledged, confirmed_phase1, confirmed_phase2, withdrawn;
	int64_t messages;
};
/* The timeline view, oldest day first. */
enum store_status store_timeline_foreach(
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
 * The same with the decision named: "approved", "declined" (the reply
 * was a refusal) or "rejected"; 'server_pending' marks a message still
 * to be moved out of the review folder on the server.
 */
enum store_status store_review_settle(struct store *, int64_t audit_id,
    const char *decision, const char *decided_by, bool server_pending);

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

/*
 * Organizers' corrections (store_campaign.c), each recorded in the
 * correction table with 'by' (the invoking user, or --by) and the time.
 * All run inside the caller's transaction, or as their own statements
 * without one.  Addresses are lower-cased here.
 */

/* A pledge that came another way ("pledgectl add", "pledgectl import"). */
struct store_pledge_in {
	const char *address;	   /* an addr-spec */
	const char *name;	   /* display name, may be NULL */
	const char *source;	   /* "import" or "manual" */
	const char *source_detail; /* how: the CSV's source column; NULL */
	const char *note;	   /* may be NULL */
	int64_t pledged_at;	   /* 0: now */
	const char *by;		   /* who made the correction */
	const char *detail;	   /* for the correction row: FILE:LINE, ... */
};
/*
 * Record the pledge, creating the artist when new.  STORE_DUPLICATE,
 * with nothing written, when the address (or the artist it is linked
 * to) has a pledge in any state: an address already in the ledger keeps
 * its history.  *artist_id (may be NULL) gets the artist.
 */
enum store_status store_pledge_add(
    struct store *, const struct store_pledge_in *, int64_t *artist_id);

/*
 * Take the artist with exactly this address out of every count
 * ('exclude'), or back in.  STORE_DUPLICATE when it already was so,
 * STORE_NOT_FOUND for an unknown address.  'note' (may be NULL) is kept
 * with the correction.
 */
enum store_status store_artist_exclude(struct store *, const char *address,
    bool exclude, const char *note, const char *by, int64_t *artist_id);

/*
 * Make 'other' a second address of the artist at 'address' (created
 * when new): mail and tokens from it count for that artist, once.
 * STORE_DUPLICATE when already linked (or the same artist);
 * STORE_NOT_FOUND, with *why set, when it cannot be done (no such
 * artist, a chain of links, only 'other' has a pledge).
 * store_artist_unlink undoes it (STORE_DUPLICATE: it was not linked).
 */
enum store_status store_artist_link(struct store *, const char *address,
    const char *other, const char *by, const char **why);
enum store_status store_artist_unlink(
    struct store *, const char *other, const char *by);

/*
 * Correct an artist's address (one recorded from a broken From, say).
 * A request that failed before is sent again by the next send.
 * STORE_NOT_FOUND for an unknown old address, STORE_DUPLICATE when the
 * new one is another artist's; *why says which.
 */
enum store_status store_artist_fix_address(struct store *,
    const char *old_address, const char *new_address, const char *by,
    const char **why);

/*
 * Review decisions whose message is still to be moved out of the review
 * folder ([imap] after = move): 'fn' gets each decision's id and its
 * message's Message-ID (NULL when it had none), oldest first; non-zero
 * stops.  store_review_move_done clears the mark.
 */
enum store_status store_review_moves_foreach(struct store *,
    int (*fn)(int64_t decision_id, const char *message_id, void *arg),
    void *arg);
enum store_status store_review_move_done(struct store *, int64_t decision_id);

/* Record a correction of 'action' (the CHECK's vocabulary). */
enum store_status store_correction_add(struct store *, const char *action,
    int64_t artist_id, int64_t audit_id, const char *detail, const char *by);

struct store_correction_row {
	int64_t id;
	const char *action;
	int64_t artist_id;   /* 0: none */
	const char *address; /* of that artist row; NULL when forgotten */
	const char *detail, *by;
	int64_t at;
	int64_t audit_id; /* 0: none */
};
/* Corrections, oldest first; 'artist_id' 0: all, else that artist's
 * (and those of addresses linked to it). */
enum store_status store_correction_foreach(struct store *, int64_t artist_id,
    int (*fn)(const struct store_correction_row *, void *), void *arg);

/*
 * Passes over the mail (store_health.c), for "pledgectl status" and the
 * report.  store_pass_begin records a pass of 'kind' ("once", "daemon"
 * or "ingest") as started; store_pass_end closes it.  Each is its own
 * statement: call them outside a batch's transaction.
 */
enum store_status store_pass_begin(
    struct store *, const char *kind, int64_t started_at, int64_t *pass_id);
struct store_pass {
	int64_t ended_at;
	int exit_code;	   /* sysexits; 0 is a good pass */
	const char *error; /* in words, with a non-zero exit; may be NULL */
	/* Messages decided, by outcome: pledge, confirm, decline,
	 * withdraw, review, reject, ignore (classify's order). */
	int64_t counts[7];
	int64_t waiting; /* left on the server above the mark; -1: unknown */
};
enum store_status store_pass_end(
    struct store *, int64_t pass_id, const struct store_pass *);
/*
 * Did a pass of 'kind' that ended with 'exit_code' fail to read the mail
 * (the feed's health)?  Any non-zero exit does, except an ingest's 65
 * (an unparseable message, recorded as such) and 66 (a file it was given
 * could not be read).
 */
bool store_pass_failed(const char *kind, int exit_code);

/*
 * The feed's health, from the pass record.  Times are 0 where there is
 * none.  last_error is new (store_health_free), NULL when no pass ever
 * failed.
 */
struct store_health {
	int64_t last_ok_at;	 /* end of the latest good pass */
	int64_t failed_since;	 /* passes failed after it */
	char *last_error;	 /* of the latest failed pass */
	int64_t last_error_at;	 /* its end */
	int last_error_exit;	 /* its exit code */
	int64_t last_started_at; /* the latest pass, good or not */
	int64_t last_ended_at;
	int last_exit;
	bool last_running; /* the latest pass has no end (yet) */
	char last_kind[16];
	int64_t waiting; /* on the server after the last pass; -1 unknown */
	int64_t passes;
	int64_t schema_version;
	int64_t db_bytes, wal_bytes; /* the file and its write-ahead log */
};
enum store_status store_health_get(struct store *, struct store_health *);
void store_health_free(struct store_health *);

/*
 * The organizers' digests (store_health.c; the notify module).
 * store_digest_last: the latest digest that reached, or may have
 * reached, the server ('sending' or 'sent'); STORE_NOT_FOUND when none.
 * d->counts is new (store_digest_free).
 * store_digest_marks: the highest audit id now, and the artists
 * forgotten after 'forgotten_after' (how many, and the latest time).
 * store_digest_begin records a digest as 'sending' before it is handed
 * to the server (d: created_at, audit_upto, forgotten_upto, counts);
 * store_digest_end marks it 'sent' (at 'sent_at') or 'failed' (nothing
 * reached the server), with 'error' (may be NULL).
 */
struct store_digest {
	int64_t id, created_at, audit_upto, forgotten_upto;
	char *counts; /* JSON object of the numbers then */
	char state[16];
};
enum store_status store_digest_last(struct store *, struct store_digest *);
void store_digest_free(struct store_digest *);
enum store_status store_digest_marks(struct store *, int64_t *audit_max,
    int64_t forgotten_after, int64_t *forgotten, int64_t *forgotten_max);
enum store_status store_digest_begin(struct store *,
    const struct store_digest *, const char *message_id, const char *recipients,
    int64_t *id);
enum store_status store_digest_end(
    struct store *, int64_t id, bool sent, int64_t sent_at, const char *error);

/*
 * A short text that changes whenever what the campaign pages show may
 * have changed (a message recorded, a review decided, a request sent or
 * bounced, an answer counted, an artist forgotten), whoever changed it:
 * a pass, or an organizer's pledgectl.  store_meta_get/set keep such
 * bookkeeping values in store_meta under 'key' (get: STORE_NOT_FOUND
 * when unset; the value is cut to 'len').
 */
#define STORE_MARK_MAX 128
enum store_status store_ledger_mark(struct store *, char mark[STORE_MARK_MAX]);
enum store_status store_meta_get(
    struct store *, const char *key, char *buf, size_t len);
enum store_status store_meta_set(
    struct store *, const char *key, const char *value);

#endif
