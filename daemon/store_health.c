/*
 * store: the record of passes over the mail, and the feed's health
 * (pledgectl status, the report's "last updated" line).
 *
 * A pass is written when it starts and again when it ends, each in its
 * own short statement outside any batch transaction: a pass that dies
 * leaves a row without an end, which status reports as such.  The
 * pass's counts and error come from the caller; nothing here reads the
 * log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pledged/log.h"
#include "store_p.h"

/* The error text kept per pass, in bytes. */
#define PASS_ERROR_MAX 500
/* Passes kept in the record. */
#define PASS_KEEP 10000
/*
 * A failed pass, in SQL: keep in step with store_pass_failed.  An ingest
 * that met an unreadable file (66) or an unparseable message (65, which
 * is recorded) read the mail it was given: the feed is fine.
 */
#define PASS_FAILED                                                            \
	"(exit_code <> 0 AND NOT (kind = 'ingest' AND exit_code IN (65, 66)))"
#define PASS_GOOD "(exit_code IS NOT NULL AND NOT " PASS_FAILED ")"

bool
store_pass_failed(const char *kind, int exit_code)
{
	return exit_code != 0 &&
	    !(strcmp(kind, "ingest") == 0 &&
		(exit_code == 65 || exit_code == 66));
}

/*
 * A daemon polling every minute makes 1440 passes a day: keep the last
 * PASS_KEEP, and always the latest good one (status measures from it).
 */
static enum store_status
prune(struct store *st, int64_t newest)
{
	static const char sql[] =
	    "DELETE FROM pass WHERE id <= ?1 AND id IS NOT"
	    " (SELECT max(id) FROM pass WHERE " PASS_GOOD ")";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	if (newest <= PASS_KEEP)
		return STORE_OK;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 1, newest - PASS_KEEP)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "pass");
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_pass_begin(
    struct store *st, const char *kind, int64_t started_at, int64_t *pass_id)
{
	static const char sql[] = "INSERT INTO pass (kind, started_at)"
				  " VALUES (?1, ?2)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	*pass_id = 0;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, started_at)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "pass");
	else
		*pass_id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(stmt);
	if (rc == STORE_OK)
		rc = prune(st, *pass_id);
	return rc;
}

enum store_status
store_pass_end(struct store *st, int64_t pass_id, const struct store_pass *p)
{
	static const char sql[] =
	    "UPDATE pass SET ended_at = ?2, exit_code = ?3, error = ?4,"
	    " pledges = ?5, confirms = ?6, declines = ?7, withdrawals = ?8,"
	    " reviews = ?9, rejects = ?10, ignores = ?11, waiting = ?12"
	    " WHERE id = ?1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r, i;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 1, pass_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, p->ended_at)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 3, p->exit_code)) != SQLITE_OK)
		goto fail;
	if (p->exit_code != 0 && p->error != NULL && p->error[0] != '\0')
		r = sqlite3_bind_text(stmt, 4, p->error,
		    (int)strnlen(p->error, PASS_ERROR_MAX), SQLITE_TRANSIENT);
	if (r != SQLITE_OK)
		goto fail;
	for (i = 0; i < 7; i++)
		if ((r = sqlite3_bind_int64(stmt, 5 + i, p->counts[i])) !=
		    SQLITE_OK)
			goto fail;
	if (p->waiting >= 0 &&
	    (r = sqlite3_bind_int64(stmt, 12, p->waiting)) != SQLITE_OK)
		goto fail;
	if ((r = sqlite3_step(stmt)) != SQLITE_DONE)
		goto fail;
	goto out;
fail:
	rc = store_fail(st, r, "pass");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The text of column i, copied (NULL stays NULL); -1 out of memory. */
static int
dup_col(sqlite3_stmt *stmt, int i, char **out)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = strdup((const char *)s)) != NULL ? 0 : -1;
}

enum store_status
store_health_get(struct store *st, struct store_health *h)
{
	/*
	 * One statement, one snapshot.  "Failed since": passes that ended
	 * with a non-zero exit after the latest good one.  A pass still
	 * open is running, or died without saying so.
	 */
	static const char sql[] =
	    "WITH ok AS (SELECT max(id) AS id FROM pass WHERE " PASS_GOOD "),"
	    " last AS (SELECT * FROM pass ORDER BY id DESC LIMIT 1),"
	    " bad AS (SELECT * FROM pass WHERE " PASS_FAILED
	    "  ORDER BY id DESC LIMIT 1)"
	    " SELECT (SELECT ended_at FROM pass WHERE id = (SELECT id FROM "
	    "ok)),"
	    " (SELECT count(*) FROM pass WHERE " PASS_FAILED
	    "  AND id > coalesce((SELECT id FROM ok), 0)),"
	    " (SELECT error FROM bad), (SELECT ended_at FROM bad),"
	    " (SELECT exit_code FROM bad),"
	    " (SELECT started_at FROM last), (SELECT ended_at FROM last),"
	    " (SELECT exit_code FROM last), (SELECT kind FROM last),"
	    " (SELECT waiting FROM pass WHERE waiting IS NOT NULL"
	    "  ORDER BY id DESC LIMIT 1),"
	    " (SELECT count(*) FROM pass),"
	    " (SELECT user_version FROM pragma_user_version),"
	    " (SELECT page_count * page_size FROM pragma_page_count,"
	    "  pragma_page_size)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	struct stat sb;
	char wal[4096];
	int r;

	memset(h, 0, sizeof *h);
	h->waiting = -1;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = store_fail(st, r, "status");
		goto out;
	}
	h->last_ok_at = sqlite3_column_int64(stmt, 0);
	h->failed_since = sqlite3_column_int64(stmt, 1);
	if (dup_col(stmt, 2, &h->last_error) == -1)
		goto oom;
	h->last_error_at = sqlite3_column_int64(stmt, 3);
	h->last_error_exit = sqlite3_column_int(stmt, 4);
	h->last_started_at = sqlite3_column_int64(stmt, 5);
	h->last_ended_at = sqlite3_column_int64(stmt, 6);
	h->last_running = sqlite3_column_type(stmt, 5) != SQLITE_NULL &&
	    sqlite3_column_type(stmt, 6) == SQLITE_NULL;
	h->last_exit = sqlite3_column_int(stmt, 7);
	snprintf(h->last_kind, sizeof h->last_kind, "%s",
	    sqlite3_column_type(stmt, 8) == SQLITE_NULL
		? ""
		: (const char *)sqlite3_column_text(stmt, 8));
	if (sqlite3_column_type(stmt, 9) != SQLITE_NULL)
		h->waiting = sqlite3_column_int64(stmt, 9);
	h->passes = sqlite3_column_int64(stmt, 10);
	h->schema_version = sqlite3_column_int64(stmt, 11);
	h->db_bytes = sqlite3_column_int64(stmt, 12);
	/* The file on disk, and the write-ahead log beside it. */
	if (stat(st->path, &sb) == 0)
		h->db_bytes = (int64_t)sb.st_size;
	if (snprintf(wal, sizeof wal, "%s-wal", st->path) < (int)sizeof wal &&
	    stat(wal, &sb) == 0)
		h->wal_bytes = (int64_t)sb.st_size;
	goto out;
oom:
	log_warnx("store: status: out of memory");
	rc = STORE_ERR;
out:
	sqlite3_finalize(stmt);
	if (rc != STORE_OK)
		store_health_free(h);
	return rc;
}

void
store_health_free(struct store_health *h)
{
	free(h->last_error);
	h->last_error = NULL;
}

/*
 * Digests.  The last one that counts is the latest 'sending' or 'sent'
 * row: a 'failed' one never reached the server, so its events are still
 * to be told.
 */
enum store_status
store_digest_last(struct store *st, struct store_digest *d)
{
	static const char sql[] =
	    "SELECT id, created_at, audit_upto, forgotten_upto, counts, state"
	    " FROM digest WHERE state IN ('sending', 'sent')"
	    " ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_NOT_FOUND;
	int r;

	memset(d, 0, sizeof *d);
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
	    SQLITE_OK) {
		rc = store_fail(st, r, "digest");
		goto out;
	}
	if ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		d->id = sqlite3_column_int64(stmt, 0);
		d->created_at = sqlite3_column_int64(stmt, 1);
		d->audit_upto = sqlite3_column_int64(stmt, 2);
		d->forgotten_upto = sqlite3_column_int64(stmt, 3);
		if (dup_col(stmt, 4, &d->counts) == -1) {
			log_warnx("store: digest: out of memory");
			rc = STORE_ERR;
			goto out;
		}
		snprintf(d->state, sizeof d->state, "%s",
		    (const char *)sqlite3_column_text(stmt, 5));
		rc = STORE_OK;
	} else if (r != SQLITE_DONE)
		rc = store_fail(st, r, "digest");
out:
	sqlite3_finalize(stmt);
	return rc;
}

void
store_digest_free(struct store_digest *d)
{
	free(d->counts);
	d->counts = NULL;
}

enum store_status
store_digest_marks(struct store *st, int64_t *audit_max,
    int64_t forgotten_after, int64_t *forgotten, int64_t *forgotten_max)
{
	static const char sql[] =
	    "SELECT (SELECT coalesce(max(id), 0) FROM audit),"
	    " (SELECT count(*) FROM artist WHERE forgotten_at > ?1),"
	    " (SELECT coalesce(max(forgotten_at), ?1) FROM artist"
	    "  WHERE forgotten_at > ?1)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 1, forgotten_after)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW)
		rc = store_fail(st, r, "digest");
	else {
		*audit_max = sqlite3_column_int64(stmt, 0);
		*forgotten = sqlite3_column_int64(stmt, 1);
		*forgotten_max = sqlite3_column_int64(stmt, 2);
	}
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_digest_begin(struct store *st, const struct store_digest *d,
    const char *message_id, const char *recipients, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO digest (message_id, created_at, state, audit_upto,"
	    " forgotten_upto, counts, recipients)"
	    " VALUES (?1, ?2, 'sending', ?3, ?4, ?5, ?6)";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	*id = 0;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, message_id, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, d->created_at)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 3, d->audit_upto)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 4, d->forgotten_upto)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 5, d->counts, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 6, recipients, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "digest");
	else
		*id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_digest_end(
    struct store *st, int64_t id, bool sent, int64_t sent_at, const char *error)
{
	static const char sql[] =
	    "UPDATE digest SET state = ?2, sent_at = ?3, last_error = ?4"
	    " WHERE id = ?1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, sent ? "sent" : "failed", -1,
		 SQLITE_STATIC)) != SQLITE_OK ||
	    (sent && (r = sqlite3_bind_int64(stmt, 3, sent_at)) != SQLITE_OK) ||
	    (r = sqlite3_bind_text(stmt, 4, error, -1, SQLITE_TRANSIENT)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "digest");
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * What the pages show changes when any of these does: a message
 * recorded, a review decided, a request sent or bounced, an answer
 * counted, an artist forgotten.  Cheap: maxima and counts on indexed or
 * small tables.
 */
enum store_status
store_ledger_mark(struct store *st, char mark[STORE_MARK_MAX])
{
	static const char sql[] =
	    "SELECT printf('%d/%d/%d/%d/%d/%d',"
	    " (SELECT coalesce(max(id), 0) FROM audit),"
	    " (SELECT coalesce(max(id), 0) FROM review_decision),"
	    " (SELECT coalesce(max(id), 0) FROM confirmation),"
	    " (SELECT count(*) FROM token WHERE sent_at IS NOT NULL),"
	    " (SELECT count(*) FROM token WHERE state = 'bounced'),"
	    " (SELECT count(*) FROM artist WHERE forgotten_at IS NOT NULL))";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	mark[0] = '\0';
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW)
		rc = store_fail(st, r, "mark");
	else
		snprintf(mark, STORE_MARK_MAX, "%s",
		    (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_meta_get(struct store *st, const char *key, char *buf, size_t len)
{
	static const char sql[] = "SELECT value FROM store_meta WHERE key = ?1";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_NOT_FOUND;
	int r;

	buf[0] = '\0';
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC)) !=
		SQLITE_OK) {
		rc = store_fail(st, r, "meta");
		goto out;
	}
	if ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		snprintf(
		    buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
		rc = STORE_OK;
	} else if (r != SQLITE_DONE)
		rc = store_fail(st, r, "meta");
out:
	sqlite3_finalize(stmt);
	return rc;
}

enum store_status
store_meta_set(struct store *st, const char *key, const char *value)
{
	static const char sql[] = "INSERT INTO store_meta (key, value)"
				  " VALUES (?1, ?2) ON CONFLICT (key)"
				  " DO UPDATE SET value = excluded.value";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_OK;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "meta");
	sqlite3_finalize(stmt);
	return rc;
}
