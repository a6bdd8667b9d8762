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
#include <stdio.h>
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
	/* The definitions are the view's (sql/views.sql), nowhere else. */
	static const char sql[] =
	    "SELECT artists, pledged, confirmed_phase1, confirmed_phase2,"
	    " withdrawn, review, rejected, ignored, messages, declined,"
	    " phase2_of_phase1, tokens_issued, requests_sent,"
	    " requests_bounced, phase2_of_pledged, phase2_requested,"
	    " requests_failed, excluded, linked, imported, added"
	    " FROM campaign_counts";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int64_t *const cols[] = {&out->artists, &out->pledged,
	    &out->confirmed_phase1, &out->confirmed_phase2, &out->withdrawn,
	    &out->review, &out->rejected, &out->ignored, &out->messages,
	    &out->declined, &out->phase2_of_phase1, &out->tokens_issued,
	    &out->requests_sent, &out->requests_bounced,
	    &out->phase2_of_pledged, &out->phase2_requested,
	    &out->requests_failed, &out->excluded, &out->linked, &out->imported,
	    &out->added};
	int r;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(st, sql, &stmt, "stats")) != STORE_OK)
		return rc;
	if ((r = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = store_fail(st, r, "stats");
		goto out;
	}
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		*cols[i] = sqlite3_column_int64(stmt, (int)i);
out:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Artists with where they stand in each phase.  The phase states are
 * derived here rather than in views.sql so that the view organizers
 * query stays as it is; they build on artist_status, so "confirmed"
 * means the same in both.  The order of the CASE arms is the order of
 * precedence: a withdrawal beats everything, an answer beats a request.
 * Filters: ?1 confirmed in phase (store_artist_foreach), ?2 pledge state,
 * ?3 one artist id, ?4 and ?5 phase and state (store_artist_list).
 */
static const char artist_sql[] =
    "WITH x AS (SELECT s.*, a.created_at,"
    " (SELECT kind FROM confirmation c WHERE c.artist_id = s.artist_id"
    "  AND c.phase = 1 ORDER BY c.created_at DESC, c.id DESC LIMIT 1) AS k1,"
    " (SELECT kind FROM confirmation c WHERE c.artist_id = s.artist_id"
    "  AND c.phase = 2 ORDER BY c.created_at DESC, c.id DESC LIMIT 1) AS k2,"
    " (SELECT state FROM token t WHERE t.artist_id = s.artist_id"
    "  AND t.phase = 1 ORDER BY t.issued_at DESC, t.rowid DESC LIMIT 1)"
    "  AS t1,"
    " (SELECT state FROM token t WHERE t.artist_id = s.artist_id"
    "  AND t.phase = 2 ORDER BY t.issued_at DESC, t.rowid DESC LIMIT 1)"
    "  AS t2,"
    " (SELECT max(max(issued_at), coalesce(max(sent_at), 0)) FROM token t"
    "  WHERE t.artist_id = s.artist_id) AS tl"
    " FROM artist_status s JOIN artist a ON a.id = s.artist_id"
    " WHERE (?3 = 0 OR s.artist_id = ?3)),"
    " y AS (SELECT *,"
    " CASE WHEN pledge_state = 'withdrawn' THEN 'withdrawn'"
    "  WHEN phase1_confirmed THEN 'confirmed'"
    "  WHEN k1 = 'decline' THEN 'declined'"
    "  WHEN t1 = 'bounced' THEN 'bounced'"
    "  WHEN t1 = 'failed' THEN 'failed'"
    "  WHEN t1 IN ('issued', 'sent') THEN 'requested'"
    "  WHEN pledge_state = 'received' THEN 'received' END AS st1,"
    " CASE WHEN pledge_state = 'withdrawn' AND (k2 IS NOT NULL"
    "  OR t2 IS NOT NULL) THEN 'withdrawn'"
    "  WHEN phase2_confirmed THEN 'confirmed'"
    "  WHEN k2 = 'decline' THEN 'declined'"
    "  WHEN t2 = 'bounced' THEN 'bounced'"
    "  WHEN t2 = 'failed' THEN 'failed'"
    "  WHEN t2 IN ('issued', 'sent') THEN 'requested' END AS st2"
    " FROM x)"
    " SELECT artist_id, address, name, pledge_state, phase1_confirmed,"
    " phase2_confirmed, declined, forgotten, created_at, last_activity,"
    " st1, st2, max(last_activity, coalesce(tl, 0)), excluded,"
    " linked_to IS NOT NULL, pledge_source FROM y"
    " WHERE (?1 = 0 OR (?1 = 1 AND phase1_confirmed)"
    " OR (?1 = 2 AND phase2_confirmed))"
    " AND (?2 IS NULL OR pledge_state = ?2)"
    " AND ((?4 = 0 AND (?5 IS NULL OR st1 = ?5 OR st2 = ?5))"
    " OR (?4 = 1 AND st1 IS NOT NULL AND (?5 IS NULL OR st1 = ?5))"
    " OR (?4 = 2 AND st2 IS NOT NULL AND (?5 IS NULL OR st2 = ?5)))"
    " ORDER BY artist_id";

static enum store_status
artist_query(struct store *st, int phase, const char *state, int64_t id,
    int list_phase, const char *list_state,
    int (*fn)(const struct store_artist_row *, void *), void *arg)
{
	struct store_artist_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	bool found = false;
	int r;

	if ((rc = prepare(st, artist_sql, &stmt, "artists")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int(stmt, 1, phase)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 4, list_phase)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, list_state, -1, SQLITE_STATIC)) !=
		SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		found = true;
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
		row.phase1_state = col_text(stmt, 10);
		row.phase2_state = col_text(stmt, 11);
		row.last_change = sqlite3_column_int64(stmt, 12);
		row.excluded = sqlite3_column_int(stmt, 13) != 0;
		row.linked = sqlite3_column_int(stmt, 14) != 0;
		row.pledge_source = col_text(stmt, 15);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE) {
		if (id != 0 && !found)
			rc = STORE_NOT_FOUND;
		goto out;
	}
fail:
	rc = store_fail(st, r, "artists");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_artist_foreach(struct store *st, int phase, const char *state,
    int (*fn)(const struct store_artist_row *, void *), void *arg)
{
	return artist_query(st, phase, state, 0, 0, NULL, fn, arg);
}

enum store_status
store_artist_list(struct store *st, int phase, const char *state,
    int (*fn)(const struct store_artist_row *, void *), void *arg)
{
	return artist_query(st, 0, NULL, 0, phase, state, fn, arg);
}

enum store_status
store_artist_row_get(struct store *st, int64_t artist_id,
    int (*fn)(const struct store_artist_row *, void *), void *arg)
{
	if (artist_id <= 0)
		return STORE_NOT_FOUND;
	return artist_query(st, 0, NULL, artist_id, 0, NULL, fn, arg);
}

/*
 * Messages.  ?1 outcome, ?2 undecided only, ?3 artist, ?4 one audit id;
 * the order is by id, or newest first with a limit (store_audit_recent).
 */
#define AUDIT_SELECT                                                           \
	"SELECT au.id, au.mailbox, au.uidvalidity, au.uid,"                    \
	" au.message_id, au.sha256, au.size, au.from_addr, au.from_name,"      \
	" au.subject, au.outcome, au.reason, au.phase, au.artist_id,"          \
	" au.jti, au.dmarc, au.own_text, au.processed_at, ar.address,"         \
	" rd.decision, rd.decided_by, rd.decided_at, au.held, au.rule,"        \
	" coalesce(au.written_at, au.processed_at)"                            \
	" FROM audit au LEFT JOIN artist ar ON ar.id = au.artist_id"           \
	" LEFT JOIN review_decision rd ON rd.id = (SELECT r.id"                \
	"  FROM review_decision r WHERE r.audit_id = au.id"                    \
	"  ORDER BY r.decided_at DESC, r.id DESC LIMIT 1)"                     \
	" WHERE (?1 IS NULL OR au.outcome = ?1)"                               \
	" AND (NOT ?2 OR rd.id IS NULL)"                                       \
	" AND (?3 = 0 OR au.artist_id = ?3) AND (?4 = 0 OR au.id = ?4)"

static enum store_status
audit_query(struct store *st, const char *sql, const char *outcome,
    bool undecided, int64_t artist_id, int64_t audit_id, int limit,
    int (*fn)(const struct store_audit_row *, void *), void *arg)
{
	struct store_audit_row row;
	struct store_audit *a = &row.audit;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	bool found = false;
	int r;

	if ((rc = prepare(st, sql, &stmt, "messages")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, outcome, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 2, undecided)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, artist_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 4, audit_id)) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(stmt) >= 5 &&
		(r = sqlite3_bind_int(stmt, 5, limit)) != SQLITE_OK))
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		found = true;
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
		row.decided_by = col_text(stmt, 20);
		row.decided_at = sqlite3_column_int64(stmt, 21);
		a->held = col_text(stmt, 22);
		a->rule = col_text(stmt, 23);
		a->written_at = sqlite3_column_int64(stmt, 24);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE) {
		if (audit_id != 0 && !found)
			rc = STORE_NOT_FOUND;
		goto out;
	}
fail:
	rc = store_fail(st, r, "messages");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_audit_foreach(struct store *st, const char *outcome, bool undecided,
    int64_t artist_id, int (*fn)(const struct store_audit_row *, void *),
    void *arg)
{
	static const char sql[] = AUDIT_SELECT " ORDER BY au.id";

	return audit_query(
	    st, sql, outcome, undecided, artist_id, 0, 0, fn, arg);
}

enum store_status
store_audit_get(struct store *st, int64_t audit_id,
    int (*fn)(const struct store_audit_row *, void *), void *arg)
{
	static const char sql[] = AUDIT_SELECT;

	if (audit_id <= 0)
		return STORE_NOT_FOUND;
	return audit_query(st, sql, NULL, false, 0, audit_id, 0, fn, arg);
}

enum store_status
store_audit_recent(struct store *st, int limit,
    int (*fn)(const struct store_audit_row *, void *), void *arg)
{
	/* audit_processed_at (migration 2) serves the order. */
	static const char sql[] =
	    AUDIT_SELECT " ORDER BY au.processed_at DESC, au.id DESC LIMIT ?5";

	return audit_query(st, sql, NULL, false, 0, 0, limit, fn, arg);
}

static enum store_status
token_query(struct store *st, int64_t artist_id,
    int (*fn)(const struct store_request_row *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT t.jti, a.address, t.phase, t.issued_at, t.expires_at,"
	    " coalesce(t.sent_at, 0), t.state, t.request_message_id,"
	    " t.last_error, t.artist_id FROM token t"
	    " JOIN artist a ON a.id = t.artist_id"
	    " WHERE ?1 = 0 OR t.artist_id = ?1 ORDER BY t.issued_at, t.rowid";
	struct store_request_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "requests")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK)
		goto fail;
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
		row.artist_id = sqlite3_column_int64(stmt, 9);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE)
		goto out;
fail:
	rc = store_fail(st, r, "requests");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_token_foreach(struct store *st,
    int (*fn)(const struct store_request_row *, void *), void *arg)
{
	return token_query(st, 0, fn, arg);
}

enum store_status
store_token_foreach_artist(struct store *st, int64_t artist_id,
    int (*fn)(const struct store_request_row *, void *), void *arg)
{
	if (artist_id <= 0)
		return STORE_OK;
	return token_query(st, artist_id, fn, arg);
}

enum store_status
store_token_get(struct store *st, const char *jti, struct store_token *out)
{
	static const char sql[] =
	    "SELECT artist_id, phase, token, issued_at, expires_at,"
	    " coalesce(sent_at, 0), state FROM token WHERE jti = ?1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	const char *text, *state;
	int r;

	memset(out, 0, sizeof(*out));
	if (snprintf(out->jti, sizeof(out->jti), "%s", jti) > STORE_JTI_MAX)
		return STORE_NOT_FOUND;
	if ((rc = prepare(st, sql, &stmt, "token")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		goto fail;
	if ((r = sqlite3_step(stmt)) == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (r != SQLITE_ROW)
		goto fail;
	out->artist_id = sqlite3_column_int64(stmt, 0);
	out->phase = sqlite3_column_int(stmt, 1);
	text = col_text(stmt, 2);
	out->issued_at = sqlite3_column_int64(stmt, 3);
	out->expires_at = sqlite3_column_int64(stmt, 4);
	out->sent_at = sqlite3_column_int64(stmt, 5);
	state = col_text(stmt, 6);
	/* The CHECK allows only words shorter than the buffer. */
	snprintf(
	    out->state, sizeof(out->state), "%s", state != NULL ? state : "");
	if (text != NULL && (out->token = strdup(text)) == NULL) {
		log_warn("store: %s: token", st->path);
		rc = STORE_ERR;
	}
	goto out;
fail:
	rc = store_fail(st, r, "token");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_confirmation_foreach(struct store *st, int64_t artist_id,
    int (*fn)(const struct store_confirmation_row *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT jti, phase, kind, coalesce(audit_id, 0), created_at"
	    " FROM confirmation WHERE artist_id = ?1"
	    " ORDER BY created_at, id";
	struct store_confirmation_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "confirmations")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.jti = col_text(stmt, 0);
		row.phase = sqlite3_column_int(stmt, 1);
		row.kind = col_text(stmt, 2);
		row.audit_id = sqlite3_column_int64(stmt, 3);
		row.created_at = sqlite3_column_int64(stmt, 4);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE)
		goto out;
fail:
	rc = store_fail(st, r, "confirmations");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_timeline_foreach(struct store *st,
    int (*fn)(const struct store_day_row *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT day, pledged, confirmed_phase1, confirmed_phase2,"
	    " withdrawn, messages FROM timeline ORDER BY day";
	struct store_day_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "timeline")) != STORE_OK)
		return rc;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.day = col_text(stmt, 0);
		row.pledged = sqlite3_column_int64(stmt, 1);
		row.confirmed_phase1 = sqlite3_column_int64(stmt, 2);
		row.confirmed_phase2 = sqlite3_column_int64(stmt, 3);
		row.withdrawn = sqlite3_column_int64(stmt, 4);
		row.messages = sqlite3_column_int64(stmt, 5);
		if (row.day == NULL)
			continue; /* a time SQLite cannot date */
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = store_fail(st, r, "timeline");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_review_settle(struct store *st, int64_t audit_id, const char *decision,
    const char *decided_by, bool server_pending)
{
	static const char sql[] =
	    "INSERT INTO review_decision (audit_id, decision, decided_by,"
	    " decided_at, server_pending) SELECT id, ?2, ?3, ?4, ?5"
	    " FROM audit WHERE id = ?1 AND outcome = 'review'";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "review")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, audit_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, decision, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 3, decided_by, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 4, store_now())) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 5, server_pending)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "review");
	else
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_review_decide(
    struct store *st, int64_t audit_id, bool approved, const char *decided_by)
{
	return store_review_settle(st, audit_id,
	    approved ? "approved" : "rejected", decided_by, false);
}

/* The id of the artist row with this exact address (lower-cased). */
static enum store_status
artist_row_id(struct store *st, const char *address, int64_t *id)
{
	static const char sql[] = "SELECT id FROM artist WHERE address = ?1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	*id = 0;
	if ((rc = prepare(st, sql, &stmt, "artist")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	else if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else
		rc = store_fail(st, r, "artist");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Run one forget statement bound as (?1 artist id, ?2 address, ?3 now). */
static enum store_status
forget_step(struct store *st, const char *sql, int64_t id, const char *address,
    int *changes)
{
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r, n;

	if ((rc = prepare(st, sql, &stmt, "forget")) != STORE_OK)
		return rc;
	n = sqlite3_bind_parameter_count(stmt);
	if ((r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
	    (n >= 2 &&
		(r = sqlite3_bind_text(stmt, 2, address, -1, SQLITE_STATIC)) !=
		    SQLITE_OK) ||
	    (n >= 3 &&
		(r = sqlite3_bind_int64(stmt, 3, store_now())) != SQLITE_OK) ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "forget");
	else
		*changes += sqlite3_changes(st->db);
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_artist_forget_id(
    struct store *st, const char *address, int64_t *artist_id)
{
	/*
	 * ?2 is the lower-cased address.  The artist's own messages lose
	 * every personal field; any other message loses the fields that
	 * mention the address (a bounce's Subject, a Message-ID made from
	 * it).  Messages from the address that name no artist (ignored
	 * mail) are the artist's too.  Every statement is idempotent.
	 */
	static const char *const sqls[] = {
	    "UPDATE audit SET from_addr = NULL, from_name = NULL,"
	    " subject = NULL, own_text = NULL,"
	    " message_id = iif(instr(lower(message_id), ?2), NULL, message_id)"
	    " WHERE (artist_id = ?1 OR lower(from_addr) = ?2)"
	    " AND (from_addr IS NOT NULL OR from_name IS NOT NULL"
	    " OR subject IS NOT NULL OR own_text IS NOT NULL"
	    " OR instr(lower(message_id), ?2))",
	    "UPDATE audit SET"
	    " subject = iif(instr(lower(subject), ?2), NULL, subject),"
	    " own_text = iif(instr(lower(own_text), ?2), NULL, own_text),"
	    " from_name = iif(instr(lower(from_name), ?2), NULL, from_name),"
	    " message_id = iif(instr(lower(message_id), ?2), NULL, message_id)"
	    " WHERE instr(lower(subject), ?2) OR instr(lower(own_text), ?2)"
	    " OR instr(lower(from_name), ?2) OR instr(lower(message_id), ?2)",
	    "UPDATE token SET token = NULL, last_error = NULL,"
	    " request_message_id = iif(instr(lower(request_message_id), ?2),"
	    " NULL, request_message_id) WHERE artist_id = ?1"
	    " AND (token IS NOT NULL OR last_error IS NOT NULL"
	    " OR instr(lower(request_message_id), ?2))",
	    "UPDATE token SET"
	    " last_error = iif(instr(lower(last_error), ?2), NULL, last_error),"
	    " request_message_id = iif(instr(lower(request_message_id), ?2),"
	    " NULL, request_message_id)"
	    " WHERE instr(lower(last_error), ?2)"
	    " OR instr(lower(request_message_id), ?2)",
	    "UPDATE correction SET detail = NULL WHERE detail IS NOT NULL"
	    " AND (artist_id = ?1 OR instr(lower(detail), ?2))",
	    "UPDATE pledge SET note = NULL, source_detail = NULL"
	    " WHERE artist_id = ?1 AND (note IS NOT NULL"
	    " OR source_detail IS NOT NULL)",
	    ("UPDATE artist SET address = NULL, display_name = NULL,"
	     " forgotten_at = ?3, linked_to = NULL WHERE id = ?1"),
	};
	enum store_status rc;
	char *lower = NULL;
	int64_t id = 0;
	size_t i;
	int changes = 0, r;

	if (artist_id != NULL)
		*artist_id = 0;
	if ((lower = strdup(address)) == NULL) {
		log_warn("store: %s: forget", st->path);
		return STORE_ERR;
	}
	for (i = 0; lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	/*
	 * Zero what the updates free, so that the address does not survive
	 * in unused parts of pages.
	 */
	if ((r = sqlite3_exec(st->db, "PRAGMA secure_delete = ON", NULL, NULL,
		 NULL)) != SQLITE_OK) {
		rc = store_fail(st, r, "secure_delete");
		goto out;
	}
	if ((rc = store_begin(st)) != STORE_OK)
		goto out;
	/* This address's own row, not the artist it may be linked to. */
	rc = artist_row_id(st, lower, &id);
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		goto out;
	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++)
		if ((rc = forget_step(st, sqls[i], id, lower, &changes)) !=
		    STORE_OK)
			goto out;
	if ((rc = store_commit(st)) != STORE_OK)
		goto out;
	/*
	 * The old pages live on in the write-ahead log until a checkpoint
	 * copies the new ones over them.  Best effort: a reader holding an
	 * old snapshot keeps the log, and the daemon's next checkpoint
	 * finishes the job.
	 */
	r = sqlite3_exec(
	    st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		log_info("store: %s: checkpoint after forget: %s", st->path,
		    sqlite3_errmsg(st->db));
	if (artist_id != NULL)
		*artist_id = id;
	rc = id == 0 && changes == 0 ? STORE_NOT_FOUND : STORE_OK;
out:
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		store_rollback(st);
	(void)sqlite3_exec(
	    st->db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
	free(lower);
	return rc;
}

enum store_status
store_artist_forget(struct store *st, const char *address)
{
	return store_artist_forget_id(st, address, NULL);
}
