/*
 * store: what organizers ask of the ledger (pledgectl stats, list,
 * export, show, review, forget).
 *
 * These run rarely, so their statements are prepared per call rather than
 * cached.  Reads go through the same definitions organizers use from
 * sqlite3 (the artist_status view), so pledgectl and a hand-written query
 * never disagree on who counts as confirmed.  Each listing is a single
 * SELECT, hence one consistent snapshot even while the daemon writes.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "store_p.h"

static const char *
col_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

static enum store_status
prepare(
    struct store *st, const char *sql, sqlite3_stmt **stmt, const char *what)
{
	int r = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	return r == SQLITE_OK ? STORE_OK : store_fail(st, r, what);
}

enum store_status
store_stats(struct store *st, struct store_stats *out)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM artist),"
	    " (SELECT count(*) FROM pledge"
	    "  WHERE state IN ('received', 'confirmed')),"
	    " (SELECT count(*) FROM pledge WHERE state = 'confirmed'),"
	    " (SELECT count(*) FROM artist_status WHERE phase2_confirmed),"
	    " (SELECT count(*) FROM pledge WHERE state = 'withdrawn'),"
	    " (SELECT count(*) FROM audit a WHERE outcome = 'review' AND"
	    "  NOT EXISTS (SELECT 1 FROM review_decision r"
	    "  WHERE r.audit_id = a.id)),"
	    " (SELECT count(*) FROM audit WHERE outcome = 'reject'),"
	    " (SELECT count(*) FROM audit WHERE outcome = 'ignore'),"
	    " (SELECT count(*) FROM audit)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(st, sql, &stmt, "stats")) != STORE_OK)
		return rc;
	if ((r = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = store_fail(st, r, "stats");
		goto out;
	}
	out->artists = sqlite3_column_int64(stmt, 0);
	out->pledged = sqlite3_column_int64(stmt, 1);
	out->confirmed_phase1 = sqlite3_column_int64(stmt, 2);
	out->confirmed_phase2 = sqlite3_column_int64(stmt, 3);
	out->withdrawn = sqlite3_column_int64(stmt, 4);
	out->review = sqlite3_column_int64(stmt, 5);
	out->rejected = sqlite3_column_int64(stmt, 6);
	out->ignored = sqlite3_column_int64(stmt, 7);
	out->messages = sqlite3_column_int64(stmt, 8);
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_artist_foreach(struct store *st, int phase, const char *state,
    int (*fn)(const struct store_artist_row *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT s.artist_id, s.address, s.name, s.pledge_state,"
	    " s.phase1_confirmed, s.phase2_confirmed, s.declined,"
	    " s.forgotten, a.created_at, s.last_activity"
	    " FROM artist_status s JOIN artist a ON a.id = s.artist_id"
	    " WHERE (?1 = 0 OR (?1 = 1 AND s.phase1_confirmed)"
	    " OR (?1 = 2 AND s.phase2_confirmed))"
	    " AND (?2 IS NULL OR s.pledge_state = ?2) ORDER BY s.artist_id";
	struct store_artist_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "artists")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int(stmt, 1, phase)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC)) !=
		SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(stmt, 0);
		row.address = col_text(stmt, 1);
		row.name = col_text(stmt, 2);
		row.pledge_state = col_text(stmt, 3);
		row.phase1_confirmed = sqlite3_column_int(stmt, 4) != 0;
		row.phase2_confirmed = sqlite3_column_int(stmt, 5) != 0;
		row.declined = sqlite3_column_int(stmt, 6) != 0;
		row.forgotten = sqlite3_column_int(stmt, 7) != 0;
		row.created_at = sqlite3_column_int64(stmt, 8);
		row.last_activity = sqlite3_column_int64(stmt, 9);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE)
		goto out;
fail:
	rc = store_fail(st, r, "artists");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_audit_foreach(struct store *st, const char *outcome, bool undecided,
    int64_t artist_id, int (*fn)(const struct store_audit_row *, void *),
    void *arg)
{
	static const char sql[] =
	    "SELECT au.id, au.mailbox, au.uidvalidity, au.uid,"
	    " au.message_id, au.sha256, au.size, au.from_addr, au.from_name,"
	    " au.subject, au.outcome, au.reason, au.phase, au.artist_id,"
	    " au.jti, au.dmarc, au.own_text, au.processed_at, ar.address,"
	    " (SELECT decision FROM review_decision r WHERE r.audit_id = au.id"
	    "  ORDER BY r.decided_at DESC, r.id DESC LIMIT 1)"
	    " FROM audit au LEFT JOIN artist ar ON ar.id = au.artist_id"
	    " WHERE (?1 IS NULL OR au.outcome = ?1)"
	    " AND (NOT ?2 OR NOT EXISTS (SELECT 1 FROM review_decision r"
	    "  WHERE r.audit_id = au.id))"
	    " AND (?3 = 0 OR au.artist_id = ?3) ORDER BY au.id";
	struct store_audit_row row;
	struct store_audit *a = &row.audit;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "messages")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, outcome, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 2, undecided)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, artist_id)) != SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(stmt, 0);
		a->mailbox = col_text(stmt, 1);
		/* The schema's CHECKs keep these within 32 bits. */
		a->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 2);
		a->uid = (uint32_t)sqlite3_column_int64(stmt, 3);
		a->message_id = col_text(stmt, 4);
		a->sha256_hex = col_text(stmt, 5);
		a->size = (size_t)sqlite3_column_int64(stmt, 6);
		a->from_addr = col_text(stmt, 7);
		a->from_name = col_text(stmt, 8);
		a->subject = col_text(stmt, 9);
		a->outcome = col_text(stmt, 10);
		a->reason = col_text(stmt, 11);
		a->phase = sqlite3_column_int(stmt, 12);
		a->artist_id = sqlite3_column_int64(stmt, 13);
		a->jti = col_text(stmt, 14);
		a->dmarc = col_text(stmt, 15);
		a->own_text = col_text(stmt, 16);
		a->processed_at = sqlite3_column_int64(stmt, 17);
		row.artist = col_text(stmt, 18);
		row.decision = col_text(stmt, 19);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE)
		goto out;
fail:
	rc = store_fail(st, r, "messages");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_token_foreach(struct store *st,
    int (*fn)(const struct store_request_row *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT t.jti, a.address, t.phase, t.issued_at, t.expires_at,"
	    " coalesce(t.sent_at, 0), t.state, t.request_message_id,"
	    " t.last_error FROM token t JOIN artist a ON a.id = t.artist_id"
	    " ORDER BY t.issued_at, t.rowid";
	struct store_request_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "requests")) != STORE_OK)
		return rc;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.jti = col_text(stmt, 0);
		row.address = col_text(stmt, 1);
		row.phase = sqlite3_column_int(stmt, 2);
		row.issued_at = sqlite3_column_int64(stmt, 3);
		row.expires_at = sqlite3_column_int64(stmt, 4);
		row.sent_at = sqlite3_column_int64(stmt, 5);
		row.state = col_text(stmt, 6);
		row.request_message_id = col_text(stmt, 7);
		row.last_error = col_text(stmt, 8);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = store_fail(st, r, "requests");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_review_decide(
    struct store *st, int64_t audit_id, bool approved, const char *decided_by)
{
	static const char sql[] =
	    "INSERT INTO review_decision (audit_id, decision, decided_by,"
	    " decided_at) SELECT id, ?2, ?3, ?4 FROM audit WHERE id = ?1"
	    " AND outcome = 'review'";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "review")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, audit_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, approved ? "approved" : "rejected",
		 -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 3, decided_by, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 4, store_now())) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "review");
	else
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_artist_forget(struct store *st, const char *address)
{
	/* Messages are matched by artist and by sender: an ignored message
	 * from the address has no artist but still names them. */
	static const char *const sqls[] = {
	    "UPDATE audit SET from_addr = NULL, from_name = NULL,"
	    " subject = NULL, own_text = NULL WHERE artist_id = ?1"
	    " OR lower(from_addr) = lower(?2)",
	    "UPDATE token SET token = NULL WHERE artist_id = ?1",
	    "UPDATE artist SET address = NULL, display_name = NULL,"
	    " forgotten_at = ?3 WHERE id = ?1",
	};
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int64_t id = 0;
	size_t i;
	int r, n;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_artist_get(st, address, &id, NULL)) != STORE_OK)
		goto out;
	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		if ((rc = prepare(st, sqls[i], &stmt, "forget")) != STORE_OK)
			goto out;
		n = sqlite3_bind_parameter_count(stmt);
		if ((r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
		    (n >= 2 &&
			(r = sqlite3_bind_text(stmt, 2, address, -1,
			     SQLITE_STATIC)) != SQLITE_OK) ||
		    (n >= 3 &&
			(r = sqlite3_bind_int64(stmt, 3, store_now())) !=
			    SQLITE_OK) ||
		    (r = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = store_fail(st, r, "forget");
			goto out;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	rc = store_commit(st);
out:
	sqlite3_finalize(stmt);
	if (rc != STORE_OK)
		store_rollback(st);
	return rc;
}
