/*
 * store: the ledger proper.  Messages read (audit), artists, pledges,
 * confirmations, and per-mailbox state.
 *
 * Uniqueness does the work of "never double-count": a message already
 * recorded under its (mailbox, UIDVALIDITY, UID), a jti already used, a
 * pledge already received come back as STORE_DUPLICATE from the insert
 * itself, so a second pass after a crash changes nothing even if the
 * caller's checks were skipped.  Inserts use ON CONFLICT ... DO NOTHING
 * on the one constraint meant, never INSERT OR IGNORE, which would also
 * swallow CHECK failures.
 *
 * Times recorded for a state change come from the audit row that is its
 * evidence, so a batch replayed from old mail dates things as the mail
 * was processed and the views agree with the audit log.
 */
#include <stdio.h>
#include <string.h>

#include "pledged/log.h"
#include "store_p.h"

enum store_status
store_mailbox_get(struct store *st, const char *mailbox, uint32_t *uidvalidity,
    uint32_t *last_uid)
{
	static const char sql[] = "SELECT uidvalidity, last_uid"
				  " FROM mailbox_state WHERE mailbox = ?1";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_ERR;
	int r;

	if ((stmt = store_stmt(st, SS_MAILBOX_GET, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		goto fail;
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		/* The schema's CHECKs keep both within 32 bits. */
		*uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 0);
		*last_uid = (uint32_t)sqlite3_column_int64(stmt, 1);
		rc = STORE_OK;
	} else if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else
		goto fail;
	goto out;
fail:
	rc = store_fail(st, r, "mailbox state");
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_mailbox_set(struct store *st, const char *mailbox, uint32_t uidvalidity,
    uint32_t last_uid)
{
	static const char sql[] =
	    "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mailbox)"
	    " DO UPDATE SET uidvalidity = excluded.uidvalidity,"
	    " last_uid = excluded.last_uid, updated_at = excluded.updated_at";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_OK;
	int r;

	if ((stmt = store_stmt(st, SS_MAILBOX_SET, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, last_uid)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 4, store_now())) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "mailbox state");
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_fetch_attempts(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, int *attempts, bool *failed)
{
	static const char sql[] = "SELECT attempts, failed FROM fetch_failure"
				  " WHERE mailbox = ?1 AND uidvalidity = ?2"
				  " AND uid = ?3";
	sqlite3_stmt *stmt = NULL;
	int r;

	*attempts = 0;
	*failed = false;
	/* A rare path: prepared when needed, not kept. */
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, uid)) != SQLITE_OK)
		goto fail;
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		*attempts = sqlite3_column_int(stmt, 0);
		*failed = sqlite3_column_int(stmt, 1) != 0;
	} else if (r != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return STORE_OK;
fail:
	sqlite3_finalize(stmt);
	return store_fail(st, r, "fetch failure");
}

enum store_status
store_fetch_failure(struct store *st, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, const char *error, bool failed, int *attempts)
{
	static const char sql[] =
	    "INSERT INTO fetch_failure (mailbox, uidvalidity, uid, attempts,"
	    " failed, error, first_at, last_at)"
	    " VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?6)"
	    " ON CONFLICT (mailbox, uidvalidity, uid) DO UPDATE SET"
	    " attempts = attempts + 1, failed = excluded.failed,"
	    " error = excluded.error, last_at = excluded.last_at"
	    " RETURNING attempts";
	sqlite3_stmt *stmt = NULL;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, uid)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 4, failed ? 1 : 0)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, error, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 6, store_now())) != SQLITE_OK)
		goto fail;
	if ((r = sqlite3_step(stmt)) != SQLITE_ROW)
		goto fail;
	if (attempts != NULL)
		*attempts = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return STORE_OK;
fail:
	sqlite3_finalize(stmt);
	return store_fail(st, r, "fetch failure");
}

/* Run a prepared existence query; false on error (logged). */
static bool
exists(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int r = sqlite3_step(stmt);

	if (r != SQLITE_ROW && r != SQLITE_DONE)
		store_fail(st, r, what);
	store_stmt_done(stmt);
	return r == SQLITE_ROW;
}

bool
store_audit_seen(struct store *st, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, const char *sha256_hex)
{
	static const char imap_sql[] =
	    "SELECT 1 FROM audit WHERE mailbox = ?1 AND uidvalidity = ?2"
	    " AND uid = ?3";
	static const char ingest_sql[] =
	    "SELECT 1 FROM audit WHERE sha256 = ?1 AND mailbox IS NULL"
	    " LIMIT 1";
	sqlite3_stmt *stmt;
	int r;

	if (mailbox != NULL) {
		if ((stmt = store_stmt(st, SS_AUDIT_SEEN_IMAP, imap_sql)) ==
		    NULL)
			return false;
		if ((r = sqlite3_bind_text(
			 stmt, 1, mailbox, -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) !=
			SQLITE_OK ||
		    (r = sqlite3_bind_int64(stmt, 3, uid)) != SQLITE_OK)
			goto fail;
	} else {
		if ((stmt = store_stmt(st, SS_AUDIT_SEEN_INGEST, ingest_sql)) ==
		    NULL)
			return false;
		if ((r = sqlite3_bind_text(
			 stmt, 1, sha256_hex, -1, SQLITE_STATIC)) != SQLITE_OK)
			goto fail;
	}
	return exists(st, stmt, "seen");
fail:
	store_fail(st, r, "seen");
	store_stmt_done(stmt);
	return false;
}

bool
store_audit_is_duplicate(
    struct store *st, const char *message_id, const char *sha256_hex)
{
	/* IS: a message without Message-ID matches only by content. */
	static const char sql[] = "SELECT 1 FROM audit WHERE sha256 = ?2"
				  " AND message_id IS ?1 LIMIT 1";
	sqlite3_stmt *stmt;
	int r;

	if ((stmt = store_stmt(st, SS_AUDIT_DUPLICATE, sql)) == NULL)
		return false;
	if ((r = sqlite3_bind_text(stmt, 1, message_id, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, sha256_hex, -1, SQLITE_STATIC)) !=
		SQLITE_OK) {
		store_fail(st, r, "duplicate");
		store_stmt_done(stmt);
		return false;
	}
	return exists(st, stmt, "duplicate");
}

enum store_status
store_audit_moved(struct store *st, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, const char *message_id, const char *sha256_hex, bool update)
{
	/*
	 * The oldest row of this mailbox under another UIDVALIDITY with the
	 * same Message-ID (IS: none matches none) and content.  Once moved,
	 * a row is under the current UIDVALIDITY, so a second copy of the
	 * message in the mailbox finds the next such row, or none.
	 */
#define MOVED_ROW                                                              \
	"SELECT id FROM audit WHERE mailbox = ?1 AND uidvalidity <> ?2"        \
	" AND sha256 = ?5 AND message_id IS ?4 ORDER BY id LIMIT 1"
	static const char move_sql[] = "UPDATE audit SET uidvalidity = ?2,"
				       " uid = ?3 WHERE id = (" MOVED_ROW ")";
	static const char ask_sql[] = "SELECT ?3, (" MOVED_ROW ")"
				      " IS NOT NULL";
#undef MOVED_ROW
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r;

	if (mailbox == NULL || sha256_hex == NULL)
		return STORE_NOT_FOUND;
	stmt = update ? store_stmt(st, SS_AUDIT_MOVE, move_sql)
		      : store_stmt(st, SS_AUDIT_MOVED, ask_sql);
	if (stmt == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, uid)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 4, message_id, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, sha256_hex, -1, SQLITE_STATIC)) !=
		SQLITE_OK) {
		rc = store_fail(st, r, "moved");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (update && r == SQLITE_DONE)
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_NOT_FOUND;
	else if (!update && r == SQLITE_ROW)
		rc = sqlite3_column_int(stmt, 1) ? STORE_OK : STORE_NOT_FOUND;
	else
		rc = store_fail(st, r, "moved");
out:
	store_stmt_done(stmt);
	return rc;
}

/* Bind 'v' at 'i', or NULL when 'v' is 0 (no phase, no artist). */
static int
bind_id(sqlite3_stmt *stmt, int i, int64_t v)
{
	return v != 0 ? sqlite3_bind_int64(stmt, i, v)
		      : sqlite3_bind_null(stmt, i);
}

enum store_status
store_audit_insert(
    struct store *st, const struct store_audit *a, int64_t *audit_id)
{
	static const char sql[] =
	    "INSERT INTO audit (mailbox, uidvalidity, uid, message_id,"
	    " sha256, size, from_addr, from_name, subject, outcome, reason,"
	    " phase, artist_id, jti, dmarc, own_text, processed_at,"
	    " server_pending, held, rule, written_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
	    " ON CONFLICT (mailbox, uidvalidity, uid) DO NOTHING";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_ERR;
	bool imap = a->mailbox != NULL;
	int r;

	if ((stmt = store_stmt(st, SS_AUDIT_INSERT, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, a->mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = bind_id(stmt, 2, imap ? a->uidvalidity : 0)) != SQLITE_OK ||
	    (r = bind_id(stmt, 3, imap ? a->uid : 0)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(
		 stmt, 4, a->message_id, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(
		 stmt, 5, a->sha256_hex, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 6, (int64_t)a->size)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 7, a->from_addr, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 8, a->from_name, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 9, a->subject, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 10, a->outcome, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 11, a->reason, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = bind_id(stmt, 12, a->phase)) != SQLITE_OK ||
	    (r = bind_id(stmt, 13, a->artist_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 14, a->jti, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 15, a->dmarc, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 16, a->own_text, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 17, a->processed_at)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 18, a->server_pending)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 19, a->held, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 20, a->rule, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 21,
		 a->written_at != 0 ? a->written_at : a->processed_at)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = store_fail(st, r, "audit");
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		rc = STORE_DUPLICATE;
		goto out;
	}
	if (audit_id != NULL)
		*audit_id = sqlite3_last_insert_rowid(st->db);
	rc = STORE_OK;
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_artist_get(
    struct store *st, const char *address, int64_t *artist_id, char state[16])
{
	static const char sql[] =
	    "SELECT coalesce(a.linked_to, a.id), coalesce(p.state, '')"
	    " FROM artist a LEFT JOIN pledge p"
	    " ON p.artist_id = coalesce(a.linked_to, a.id)"
	    " WHERE a.address = lower(?1)";
	sqlite3_stmt *stmt;
	enum store_status rc;
	const unsigned char *s;
	int r;

	if ((stmt = store_stmt(st, SS_ARTIST_GET, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (r != SQLITE_ROW) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	if (artist_id != NULL)
		*artist_id = sqlite3_column_int64(stmt, 0);
	if (state != NULL) {
		/* The CHECK allows only words shorter than 16 bytes. */
		s = sqlite3_column_text(stmt, 1);
		snprintf(state, 16, "%s", s != NULL ? (const char *)s : "");
	}
	rc = STORE_OK;
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_artist_upsert(struct store *st, const char *address,
    const char *display_name, int64_t *artist_id)
{
	/*
	 * DO UPDATE, not NOTHING, so that RETURNING yields the old row.  The
	 * first display name stays: a later "Artist", or a name an
	 * assistant's client puts in, does not replace the pledge's.  A
	 * linked second address answers for the artist it is linked to.
	 */
	static const char sql[] =
	    "INSERT INTO artist (address, display_name, created_at)"
	    " VALUES (lower(?1), nullif(?2, ''), ?3) ON CONFLICT (address)"
	    " DO UPDATE SET display_name = coalesce(display_name,"
	    " excluded.display_name) RETURNING coalesce(linked_to, id)";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_OK;
	int r;

	if ((stmt = store_stmt(st, SS_ARTIST_UPSERT, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, display_name, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, store_now())) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	if (artist_id != NULL)
		*artist_id = sqlite3_column_int64(stmt, 0);
	/* RETURNING: the change is made when the statement completes. */
	if ((r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "artist");
out:
	store_stmt_done(stmt);
	return rc;
}

/* The pledge state of 'artist_id' into state[16]; NOT_FOUND if none. */
static enum store_status
pledge_state(struct store *st, int64_t artist_id, char state[16])
{
	static const char sql[] = "SELECT state FROM pledge"
				  " WHERE artist_id = ?1";
	sqlite3_stmt *stmt;
	enum store_status rc;
	const unsigned char *s;
	int r;

	if ((stmt = store_stmt(st, SS_PLEDGE_STATE, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK) {
		rc = store_fail(st, r, "pledge");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		s = sqlite3_column_text(stmt, 0);
		snprintf(state, 16, "%s", s != NULL ? (const char *)s : "");
		rc = STORE_OK;
	} else if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else
		rc = store_fail(st, r, "pledge");
out:
	store_stmt_done(stmt);
	return rc;
}

/*
 * Run a pledge-changing statement bound as (?1 artist, ?2 audit, ?3 now);
 * STORE_OK when it changed a row, else 'unchanged'.
 */
static enum store_status
pledge_change(struct store *st, enum store_stmt id, const char *sql,
    int64_t artist_id, int64_t audit_id, enum store_status unchanged)
{
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r;

	if ((stmt = store_stmt(st, id, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK ||
	    (r = bind_id(stmt, 2, audit_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, store_now())) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "pledge");
	else
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : unchanged;
	store_stmt_done(stmt);
	return rc;
}

/* The time of audit row ?2, or ?3 (now) without one. */
#define EVIDENCE_TIME                                                          \
	"coalesce((SELECT processed_at FROM audit WHERE id = ?2), ?3)"

enum store_status
store_pledge_record(struct store *st, int64_t artist_id, int64_t audit_id)
{
	static const char sql[] =
	    "INSERT INTO pledge (artist_id, state, pledged_audit_id,"
	    " created_at, updated_at) VALUES (?1, 'received', "
	    "?2, " EVIDENCE_TIME ", " EVIDENCE_TIME ") ON CONFLICT (artist_id)"
	    " DO UPDATE SET state = 'received',"
	    " pledged_audit_id = excluded.pledged_audit_id,"
	    " updated_at = excluded.updated_at WHERE state = 'withdrawn'";

	return pledge_change(
	    st, SS_PLEDGE_RECORD, sql, artist_id, audit_id, STORE_DUPLICATE);
}

enum store_status
store_pledge_withdraw(struct store *st, int64_t artist_id, int64_t audit_id)
{
	static const char sql[] =
	    "UPDATE pledge SET state = 'withdrawn', updated_at = " EVIDENCE_TIME
	    " WHERE artist_id = ?1 AND state <> 'withdrawn'";
	enum store_status rc;
	char state[16];

	rc = pledge_change(
	    st, SS_PLEDGE_WITHDRAW, sql, artist_id, audit_id, STORE_NOT_FOUND);
	if (rc != STORE_NOT_FOUND)
		return rc;
	/* Nothing changed: no pledge, or one already withdrawn. */
	rc = pledge_state(st, artist_id, state);
	return rc == STORE_OK ? STORE_DUPLICATE : rc;
}

enum store_status
store_pledge_confirm(struct store *st, int64_t artist_id)
{
	/*
	 * The evidence is the artist's latest phase-one confirmation,
	 * recorded just before in the same transaction: its time is the
	 * confirmation's time.
	 */
	static const char sql[] =
	    "INSERT INTO pledge (artist_id, state, created_at, updated_at)"
	    " SELECT ?1, 'confirmed', t, t FROM (SELECT coalesce(max("
	    "created_at), ?3) AS t FROM confirmation WHERE artist_id = ?1"
	    " AND phase = 1 AND kind = 'confirm')"
	    " WHERE true ON CONFLICT (artist_id) DO UPDATE SET"
	    " state = 'confirmed', updated_at = excluded.updated_at"
	    " WHERE state = 'received'";
	enum store_status rc;
	char state[16];

	rc = pledge_change(
	    st, SS_PLEDGE_CONFIRM, sql, artist_id, 0, STORE_DUPLICATE);
	if (rc != STORE_DUPLICATE)
		return rc;
	if ((rc = pledge_state(st, artist_id, state)) != STORE_OK)
		return rc;
	return strcmp(state, "withdrawn") == 0 ? STORE_NOT_FOUND
					       : STORE_DUPLICATE;
}

bool
store_jti_used(struct store *st, const char *jti)
{
	static const char sql[] = "SELECT 1 FROM confirmation WHERE jti = ?1";
	sqlite3_stmt *stmt;
	int r;

	if ((stmt = store_stmt(st, SS_JTI_USED, sql)) == NULL)
		return false;
	if ((r = sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		store_fail(st, r, "jti");
		store_stmt_done(stmt);
		return false;
	}
	return exists(st, stmt, "jti");
}

enum store_status
store_confirmation_record(struct store *st, int64_t artist_id, int phase,
    const char *jti, bool decline, int64_t audit_id)
{
	/* Not INSERT OR IGNORE: that would also swallow CHECK failures. */
	static const char sql[] =
	    "INSERT INTO confirmation (artist_id, phase, jti, kind, audit_id,"
	    " created_at) VALUES (?1, ?4, ?5, ?6, ?2, " EVIDENCE_TIME ")"
	    " ON CONFLICT (jti) DO NOTHING";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_ERR;
	int r;

	if ((stmt = store_stmt(st, SS_CONFIRMATION_INSERT, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK ||
	    (r = bind_id(stmt, 2, audit_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, store_now())) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 4, phase)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, jti, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 6, decline ? "decline" : "confirm", -1,
		 SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = store_fail(st, r, "confirmation");
		goto out;
	}
	rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_DUPLICATE;
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_pending_foreach(struct store *st, const char *mailbox,
    uint32_t uidvalidity, int (*fn)(uint32_t uid, bool review, void *arg),
    void *arg)
{
	static const char sql[] =
	    "SELECT uid, outcome = 'review' FROM audit WHERE mailbox = ?1"
	    " AND uidvalidity = ?2 AND server_pending = 1 ORDER BY uid";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_ERR;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, mailbox, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) != SQLITE_OK) {
		rc = store_fail(st, r, "pending");
		goto out;
	}
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn((uint32_t)sqlite3_column_int64(stmt, 0),
			sqlite3_column_int(stmt, 1) != 0, arg) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = store_fail(st, r, "pending");
		goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_pending_clear(struct store *st, const char *mailbox, uint32_t uidvalidity,
    const uint32_t *uids, size_t n)
{
	static const char sql[] =
	    "UPDATE audit SET server_pending = 0 WHERE mailbox = ?1"
	    " AND uidvalidity = ?2 AND uid = ?3";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_ERR;
	bool own = sqlite3_get_autocommit(st->db) != 0;
	int r;

	/* One transaction for the lot: one fsync, not one per UID. */
	if (own && store_begin(st) != STORE_OK)
		return STORE_ERR;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
	    SQLITE_OK) {
		rc = store_fail(st, r, "pending");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = sqlite3_bind_text(
			 stmt, 1, mailbox, -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (r = sqlite3_bind_int64(stmt, 2, uidvalidity)) !=
			SQLITE_OK ||
		    (r = sqlite3_bind_int64(stmt, 3, uids[i])) != SQLITE_OK ||
		    (r = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = store_fail(st, r, "pending");
			goto out;
		}
		sqlite3_reset(stmt);
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(stmt);
	if (own) {
		if (rc == STORE_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	return rc;
}
