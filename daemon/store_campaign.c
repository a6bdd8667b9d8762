/*
 * store: organizers' corrections to the ledger (pledgectl add, import,
 * link, unlink, exclude, include, fix-address), each recorded in the
 * correction table with who and when.
 *
 * Design note.  A correction never rewrites history: a pledge that came
 * another way is a pledge row with its source; excluding an artist sets a
 * flag the counts read; linking points a second address at the artist;
 * fixing an address changes the artist's address and notes when.  Each
 * is undone by its opposite (include, unlink, fix-address back), which
 * is recorded too; "add" and "import" are undone by "exclude".  The
 * functions run inside the caller's transaction (or as their own
 * statement without one), so an import is all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "store_p.h"

static enum store_status
prepare(
    struct store *st, const char *sql, sqlite3_stmt **stmt, const char *what)
{
	int r = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	return r == SQLITE_OK ? STORE_OK : store_fail(st, r, what);
}

/* Run 'sql' bound as (?1 id, ?2 text, ?3 now); *changes gets the count. */
static enum store_status
run(struct store *st, const char *sql, int64_t id, const char *text,
    int *changes)
{
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r, n;

	if ((rc = prepare(st, sql, &stmt, "correction")) != STORE_OK)
		return rc;
	n = sqlite3_bind_parameter_count(stmt);
	if ((r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
	    (n >= 2 &&
		(r = sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC)) !=
		    SQLITE_OK) ||
	    (n >= 3 &&
		(r = sqlite3_bind_int64(stmt, 3, store_now())) != SQLITE_OK) ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "correction");
	else if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_correction_add(struct store *st, const char *action, int64_t artist_id,
    int64_t audit_id, const char *detail, const char *by)
{
	static const char sql[] =
	    "INSERT INTO correction (action, artist_id, audit_id, detail,"
	    " decided_by, decided_at) VALUES (?1, nullif(?2, 0),"
	    " nullif(?3, 0), ?4, ?5, ?6)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "correction")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, action, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, artist_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, audit_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 4, detail, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, by != NULL ? by : "unknown", -1,
		 SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 6, store_now())) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "correction");
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_pledge_add(
    struct store *st, const struct store_pledge_in *in, int64_t *artist_id)
{
	static const char sql[] =
	    "INSERT INTO pledge (artist_id, state, created_at, updated_at,"
	    " source, source_detail, note) VALUES (?1, 'received', ?2, ?2,"
	    " ?3, ?4, ?5) ON CONFLICT (artist_id) DO NOTHING";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	char state[16];
	int64_t id = 0,
		when = in->pledged_at > 0 ? in->pledged_at : store_now();
	int r;

	if (artist_id != NULL)
		*artist_id = 0;
	/* An address already in the ledger keeps its history. */
	rc = store_artist_get(st, in->address, &id, state);
	if (rc == STORE_OK && state[0] != '\0') {
		if (artist_id != NULL)
			*artist_id = id;
		return STORE_DUPLICATE;
	}
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		return rc;
	if ((rc = store_artist_upsert(st, in->address, in->name, &id)) !=
	    STORE_OK)
		return rc;
	if ((rc = prepare(st, sql, &stmt, "pledge")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, when)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 3, in->source, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(
		 stmt, 4, in->source_detail, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, in->note, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = store_fail(st, r, "pledge");
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		rc = STORE_DUPLICATE;
		goto out;
	}
	rc = store_correction_add(st,
	    strcmp(in->source, "import") == 0 ? "import" : "add", id, 0,
	    in->detail, in->by);
	if (rc == STORE_OK && artist_id != NULL)
		*artist_id = id;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The row with exactly this address: id and what it is linked to. */
static enum store_status
artist_row(struct store *st, const char *address, int64_t *id, int64_t *linked)
{
	static const char sql[] = "SELECT id, coalesce(linked_to, 0)"
				  " FROM artist WHERE address = lower(?1)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	*id = 0;
	if (linked != NULL)
		*linked = 0;
	if ((rc = prepare(st, sql, &stmt, "artist")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		if (linked != NULL)
			*linked = sqlite3_column_int64(stmt, 1);
	} else if (r == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	else
		rc = store_fail(st, r, "artist");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_artist_exclude(struct store *st, const char *address, bool exclude,
    const char *note, const char *by, int64_t *artist_id)
{
	static const char set_sql[] = "UPDATE artist SET excluded_at = ?3"
				      " WHERE id = ?1 AND excluded_at IS NULL";
	static const char clear_sql[] =
	    "UPDATE artist SET excluded_at = NULL"
	    " WHERE id = ?1 AND excluded_at IS NOT NULL";
	enum store_status rc;
	int64_t id;
	int changes = 0;

	if ((rc = artist_row(st, address, &id, NULL)) != STORE_OK)
		return rc;
	if (artist_id != NULL)
		*artist_id = id;
	if ((rc = run(st, exclude ? set_sql : clear_sql, id, NULL, &changes)) !=
	    STORE_OK)
		return rc;
	if (changes == 0)
		return STORE_DUPLICATE;
	return store_correction_add(
	    st, exclude ? "exclude" : "include", id, 0, note, by);
}

enum store_status
store_artist_link(struct store *st, const char *address, const char *other,
    const char *by, const char **why)
{
	static const char has_links[] =
	    "SELECT count(*) FROM artist WHERE linked_to = ?1";
	static const char has_pledge[] =
	    "SELECT count(*) FROM pledge WHERE artist_id = ?1";
	static const char link_sql[] =
	    "UPDATE artist SET linked_to = ?1 WHERE address = lower(?2)"
	    " AND linked_to IS NULL";
	enum store_status rc;
	int64_t main_id, main_link, other_id = 0, other_link = 0, n;
	char detail[600];
	int changes = 0;

	*why = NULL;
	if ((rc = artist_row(st, address, &main_id, &main_link)) != STORE_OK) {
		*why = "no artist has the first address";
		return rc;
	}
	if (main_link != 0) {
		*why = "the first address is itself linked to another artist";
		return STORE_NOT_FOUND;
	}
	rc = artist_row(st, other, &other_id, &other_link);
	if (rc != STORE_OK && rc != STORE_NOT_FOUND)
		return rc;
	if (other_id == main_id) {
		*why = "the two addresses are the same artist";
		return STORE_DUPLICATE;
	}
	if (other_link == main_id)
		return STORE_DUPLICATE;
	if (other_link != 0) {
		*why = "the second address is linked to another artist";
		return STORE_NOT_FOUND;
	}
	if (other_id != 0) {
		if ((rc = store_query_int(st, has_links, other_id, &n)) !=
		    STORE_OK)
			return rc;
		if (n > 0) {
			*why = "other addresses are linked to the second one";
			return STORE_NOT_FOUND;
		}
		/* The pledge that counts is the first address's. */
		if ((rc = store_query_int(st, has_pledge, other_id, &n)) !=
		    STORE_OK)
			return rc;
		if (n > 0 &&
		    (rc = store_query_int(st, has_pledge, main_id, &n)) ==
			STORE_OK &&
		    n == 0) {
			*why = "only the second address has a pledge: link "
			       "them the other way round";
			return STORE_NOT_FOUND;
		}
	} else if ((rc = store_artist_upsert(st, other, NULL, &other_id)) !=
	    STORE_OK)
		return rc;
	if ((rc = run(st, link_sql, main_id, other, &changes)) != STORE_OK)
		return rc;
	if (changes != 1)
		return STORE_DUPLICATE;
	snprintf(detail, sizeof detail, "%s linked to %s", other, address);
	return store_correction_add(st, "link", other_id, 0, detail, by);
}

enum store_status
store_artist_unlink(struct store *st, const char *other, const char *by)
{
	static const char sql[] = "UPDATE artist SET linked_to = NULL"
				  " WHERE id = ?1 AND linked_to IS NOT NULL";
	enum store_status rc;
	int64_t id, linked;
	char detail[300];
	int changes = 0;

	if ((rc = artist_row(st, other, &id, &linked)) != STORE_OK)
		return rc;
	if (linked == 0)
		return STORE_DUPLICATE;
	if ((rc = run(st, sql, id, NULL, &changes)) != STORE_OK)
		return rc;
	snprintf(detail, sizeof detail, "%s unlinked", other);
	return store_correction_add(st, "unlink", id, 0, detail, by);
}

enum store_status
store_artist_fix_address(struct store *st, const char *old_address,
    const char *new_address, const char *by, const char **why)
{
	static const char sql[] =
	    "UPDATE artist SET address = lower(?2), address_changed_at = ?3"
	    " WHERE id = ?1";
	enum store_status rc;
	int64_t id, other;
	char detail[600];

	*why = NULL;
	if ((rc = artist_row(st, old_address, &id, NULL)) != STORE_OK) {
		*why = "no artist has that address";
		return rc;
	}
	rc = artist_row(st, new_address, &other, NULL);
	if (rc == STORE_OK) {
		*why = "another artist has the new address (pledgectl link "
		       "joins two addresses)";
		return STORE_DUPLICATE;
	}
	if (rc != STORE_NOT_FOUND)
		return rc;
	if ((rc = run(st, sql, id, new_address, NULL)) != STORE_OK)
		return rc;
	snprintf(detail, sizeof detail, "%s -> %s", old_address, new_address);
	return store_correction_add(st, "fix-address", id, 0, detail, by);
}

enum store_status
store_correction_foreach(struct store *st, int64_t artist_id,
    int (*fn)(const struct store_correction_row *, void *), void *arg)
{
	/* A linked address's corrections are its artist's too. */
	static const char sql[] =
	    "SELECT c.id, c.action, coalesce(c.artist_id, 0), a.address,"
	    " c.detail, c.decided_by, c.decided_at, coalesce(c.audit_id, 0)"
	    " FROM correction c LEFT JOIN artist a ON a.id = c.artist_id"
	    " WHERE ?1 = 0 OR c.artist_id = ?1 OR a.linked_to = ?1"
	    " ORDER BY c.id";
	struct store_correction_row row;
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "corrections")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(stmt, 0);
		row.action = (const char *)sqlite3_column_text(stmt, 1);
		row.artist_id = sqlite3_column_int64(stmt, 2);
		row.address = (const char *)sqlite3_column_text(stmt, 3);
		row.detail = (const char *)sqlite3_column_text(stmt, 4);
		row.by = (const char *)sqlite3_column_text(stmt, 5);
		row.at = sqlite3_column_int64(stmt, 6);
		row.audit_id = sqlite3_column_int64(stmt, 7);
		if (fn(&row, arg) != 0)
			goto out;
	}
	if (r == SQLITE_DONE)
		goto out;
fail:
	rc = store_fail(st, r, "corrections");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_query_int(struct store *st, const char *sql, int64_t id, int64_t *out)
{
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	*out = 0;
	if ((rc = prepare(st, sql, &stmt, "query")) != STORE_OK)
		return rc;
	if ((r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW)
		rc = store_fail(st, r, "query");
	else
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_review_moves_foreach(struct store *st,
    int (*fn)(int64_t decision_id, const char *message_id, void *arg),
    void *arg)
{
	static const char sql[] =
	    "SELECT r.id, a.message_id FROM review_decision r"
	    " JOIN audit a ON a.id = r.audit_id WHERE r.server_pending = 1"
	    " ORDER BY r.id";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = prepare(st, sql, &stmt, "review moves")) != STORE_OK)
		return rc;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(stmt, 0),
			(const char *)sqlite3_column_text(stmt, 1), arg) != 0)
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_fail(st, r, "review moves");
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_review_move_done(struct store *st, int64_t decision_id)
{
	return run(st,
	    "UPDATE review_decision SET server_pending = 0 WHERE id = ?1",
	    decision_id, NULL, NULL);
}
