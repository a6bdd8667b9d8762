/*
 * store: opening a database, its schema, transactions, the statement cache.
 *
 * The schema is compiled in (sql/ via cmake/embed_sql.cmake), so a daemon
 * needs no data files.  PRAGMA user_version holds the schema version:
 * 0 for a new file, 1 after sql/schema.sql, N after migration N.  All
 * pending steps run in one BEGIN IMMEDIATE transaction, so a crash or a
 * second process never sees half a migration, and two processes opening
 * an old database at once migrate it once (the second re-reads the
 * version under the lock).  The views are recreated only when their text
 * differs from the one recorded in store_meta: an open that has nothing
 * to change takes no write lock, so pledgectl never waits for the daemon.
 *
 * A database from a newer pledged is refused rather than half understood,
 * and so is a SQLite file of some other application: writing our tables
 * into it would be worse than stopping.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pledged/log.h"
#include "pledged/privs.h"
#include "store_p.h"

/* PRAGMA application_id of a pledged database: "pldg". */
#define STORE_APPLICATION_ID 0x706c6467
/* How long a writer waits for another one before STORE_BUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

int64_t
store_now(void)
{
	return (int64_t)time(NULL);
}

enum store_status
store_fail(struct store *st, int rc, const char *what)
{
	log_warnx("store: %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	default:
		return STORE_ERR;
	}
}

sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt id, const char *sql)
{
	int rc;

	if (st->stmt[id] != NULL)
		return st->stmt[id];
	rc = sqlite3_prepare_v3(
	    st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, rc, "prepare");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

void
store_stmt_done(sqlite3_stmt *stmt)
{
	/* reset reports the step's error again: already handled. */
	(void)sqlite3_reset(stmt);
	(void)sqlite3_clear_bindings(stmt);
}

/* Run trusted SQL (ours: pragmas, the schema); errors logged. */
static enum store_status
exec(struct store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : store_fail(st, rc, what);
}

/* The integer result of a one-row query such as "PRAGMA user_version". */
static enum store_status
query_int(struct store *st, const char *sql, int64_t *value)
{
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_ERR;
	int r;

	*value = 0;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) != SQLITE_OK)
		goto fail;
	if ((r = sqlite3_step(stmt)) == SQLITE_ROW)
		*value = sqlite3_column_int64(stmt, 0);
	else if (r != SQLITE_DONE)
		goto fail;
	rc = STORE_OK;
	goto out;
fail:
	rc = store_fail(st, r, sql);
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Do the installed views differ from the compiled-in ones? */
static enum store_status
views_stale(struct store *st, bool *stale)
{
	static const char sql[] = "SELECT value = ?1 FROM store_meta"
				  " WHERE key = 'views'";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_ERR;
	int r;

	*stale = true;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) != SQLITE_OK)
		goto fail;
	if ((r = sqlite3_bind_text(
		 stmt, 1, store_sql_views, -1, SQLITE_STATIC)) != SQLITE_OK)
		goto fail;
	if ((r = sqlite3_step(stmt)) == SQLITE_ROW)
		*stale = sqlite3_column_int(stmt, 0) == 0;
	else if (r != SQLITE_DONE)
		goto fail;
	rc = STORE_OK;
	goto out;
fail:
	rc = store_fail(st, r, "views");
out:
	sqlite3_finalize(stmt);
	return rc;
}

static enum store_status
install_views(struct store *st)
{
	static const char sql[] = "INSERT INTO store_meta (key, value)"
				  " VALUES ('views', ?1) ON CONFLICT (key)"
				  " DO UPDATE SET value = excluded.value";
	sqlite3_stmt *stmt = NULL;
	enum store_status rc;
	int r;

	if ((rc = exec(st, store_sql_views, "views.sql")) != STORE_OK)
		return rc;
	if ((r = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_text(
		 stmt, 1, store_sql_views, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "views");
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Is this a database we may use at all?  Checked before any write, and
 * again under the write lock.
 */
static enum store_status
check_identity(struct store *st, int64_t version)
{
	int64_t app_id = 0, objects = 0;
	enum store_status rc;

	if (version > store_sql_latest) {
		log_warnx("store: %s: database schema version %" PRId64
			  " is newer than this pledged knows (%d);"
			  " upgrade pledged",
		    st->path, version, store_sql_latest);
		return STORE_ERR;
	}
	if ((rc = query_int(st, "PRAGMA application_id", &app_id)) != STORE_OK)
		return rc;
	if (version == 0 &&
	    (rc = query_int(st, "SELECT count(*) FROM sqlite_schema",
		 &objects)) != STORE_OK)
		return rc;
	if ((app_id != 0 && app_id != STORE_APPLICATION_ID) ||
	    (version == 0 && objects > 0)) {
		log_warnx("store: %s: not a pledged database", st->path);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Under the write lock: from 'from' to 'to', and the views if wanted. */
static enum store_status
apply(struct store *st, int64_t from, int to, bool views)
{
	const struct store_migration *m;
	enum store_status rc;
	char pragma[64];
	int n;

	if (from == 0) {
		if ((rc = exec(st, store_sql_schema, "schema.sql")) != STORE_OK)
			return rc;
		n = snprintf(pragma, sizeof(pragma),
		    "PRAGMA application_id = %d; PRAGMA user_version = 1",
		    STORE_APPLICATION_ID);
		if (n < 0 || (size_t)n >= sizeof(pragma))
			return STORE_ERR;
		if ((rc = exec(st, pragma, "user_version")) != STORE_OK)
			return rc;
	}
	for (m = store_sql_migrations; m->sql != NULL; m++) {
		if (m->version <= from || m->version > to)
			continue;
		if ((rc = exec(st, m->sql, m->name)) != STORE_OK)
			return rc;
		n = snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    m->version);
		if (n < 0 || (size_t)n >= sizeof(pragma))
			return STORE_ERR;
		if ((rc = exec(st, pragma, "user_version")) != STORE_OK)
			return rc;
	}
	if (from == 0)
		log_info(
		    "store: %s: created (schema version %d)", st->path, to);
	else if (from < to)
		log_info("store: %s: schema version %" PRId64 " -> %d",
		    st->path, from, to);
	return views ? install_views(st) : STORE_OK;
}

static enum store_status set_wal(struct store *);

static enum store_status
migrate(struct store *st, int to)
{
	enum store_status rc;
	int64_t version;
	bool views = false;

	if ((rc = query_int(st, "PRAGMA user_version", &version)) != STORE_OK)
		return rc;
	if ((rc = check_identity(st, version)) != STORE_OK)
		return rc;
	/* Only now: WAL is persistent, and not ours to set on a stranger. */
	if (!st->memory && (rc = set_wal(st)) != STORE_OK)
		return rc;
	/* Views may use any table of the latest schema: only then. */
	if (to == store_sql_latest && version >= 1 &&
	    (rc = views_stale(st, &views)) != STORE_OK)
		return rc;
	if (version >= to && !views)
		return STORE_OK;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	/* Another process may have done it while we waited for the lock. */
	if ((rc = query_int(st, "PRAGMA user_version", &version)) != STORE_OK ||
	    (rc = check_identity(st, version)) != STORE_OK)
		goto fail;
	views = to == store_sql_latest;
	if (version >= 1 && views && (rc = views_stale(st, &views)) != STORE_OK)
		goto fail;
	if (version < to || views) {
		if ((rc = apply(st, version, to, views)) != STORE_OK)
			goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return rc;
}

/* journal_mode answers with the mode in force, which must be WAL. */
static enum store_status
set_wal(struct store *st)
{
	sqlite3_stmt *stmt = NULL;
	enum store_status rc = STORE_ERR;
	const unsigned char *mode;
	int r;

	if ((r = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
		 &stmt, NULL)) != SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = store_fail(st, r, "journal_mode");
		goto out;
	}
	mode = sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		/* Readers would then block the daemon, and it them. */
		log_warnx("store: %s: cannot use WAL mode (journal mode %s)",
		    st->path, mode != NULL ? (const char *)mode : "?");
		goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * The database, its WAL and its shared-memory file hold live tokens and
 * personal data: never readable by other users, whatever the umask.
 * SQLite gives the WAL and SHM files the mode of the database file, so
 * the database is created here, O_EXCL and without following a symlink,
 * with 0600 (0660 in a setgid directory: the group model, privs.h); an
 * older file that others can read loses those bits, and in a setgid
 * directory gets the group's 0660.  A file of the store
 * that belongs to another user, which this one cannot use, is named with
 * the fix, rather than failing later with a bare "readonly database".
 */
static enum store_status
store_prepare_files(const char *path, bool create)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	mode_t mode = privs_file_mode(path), want;
	char name[4200], hint[8600];
	struct stat sb;
	int fd, n;

	if (create) {
		fd = open(path,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd != -1) {
			if (fchmod(fd, mode) == -1)
				log_warn("store: %s: chmod", path);
			close(fd);
		} else if (errno != EEXIST) {
			log_warn("store: %s", path);
			return STORE_ERR;
		}
	}
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		n = snprintf(name, sizeof name, "%s%s", path, suffix[i]);
		if (n < 0 || (size_t)n >= sizeof name)
			return STORE_ERR;
		if (lstat(name, &sb) == -1)
			continue;
		if (geteuid() != 0 && access(name, R_OK | W_OK) == -1 &&
		    privs_foreign_owner(name, hint, sizeof hint)) {
			if (!create && access(name, R_OK) == 0)
				continue; /* a reader may still read */
			log_warnx("store: %s", hint);
			return STORE_ERR;
		}
		/* In the group's directory, the group's mode (an upgrade
		 * from a 0644 file); elsewhere, only the others' bits go. */
		want = mode == 0660 ? 0660 : (sb.st_mode & 07770);
		if (sb.st_uid == geteuid() && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 07777) != want && chmod(name, want) == -1)
			log_warn("store: %s: chmod", name);
	}
	return STORE_OK;
}

/* Settings and schema of a freshly opened connection. */
static enum store_status
store_setup(struct store *st, int version)
{
	enum store_status rc;
	int r;

	sqlite3_extended_result_codes(st->db, 1);
	if ((r = sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK)
		return store_fail(st, r, "busy_timeout");
	/*
	 * synchronous = FULL: a commit is on disk before the caller flags
	 * or moves the messages on the server, even across a power cut.
	 */
	if ((rc = exec(st,
		 "PRAGMA foreign_keys = ON;"
		 " PRAGMA synchronous = FULL",
		 "pragma")) != STORE_OK)
		return rc;
	return migrate(st, version);
}

/* Copy the database at 'path' into st's in-memory one. */
static enum store_status
store_copy_in(struct store *st, const char *path)
{
	sqlite3 *disk = NULL;
	sqlite3_backup *b;
	enum store_status rc = STORE_ERR;
	int r;

	r = sqlite3_open_v2(
	    path, &disk, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		log_warnx("store: %s: %s", path,
		    disk != NULL ? sqlite3_errmsg(disk) : sqlite3_errstr(r));
		goto out;
	}
	sqlite3_busy_timeout(disk, STORE_BUSY_TIMEOUT_MS);
	if ((b = sqlite3_backup_init(st->db, "main", disk, "main")) == NULL) {
		store_fail(st, sqlite3_errcode(st->db), "copy");
		goto out;
	}
	r = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		log_warnx("store: %s: copy: %s", path, sqlite3_errstr(r));
		goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_close(disk);
	return rc;
}

enum store_status
store_open_preview(const char *path, struct store **out)
{
	struct store *st = NULL;
	enum store_status rc = STORE_ERR;
	struct stat sb;
	int r;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		log_warn("store: %s", path);
		goto out;
	}
	st->memory = true;
	r = sqlite3_open_v2(":memory:", &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (r != SQLITE_OK) {
		log_warnx("store: memory: %s", sqlite3_errstr(r));
		goto out;
	}
	if (stat(path, &sb) == 0) {
		if ((rc = store_copy_in(st, path)) != STORE_OK)
			goto out;
		log_debug("store: %s: dry run on a copy in memory", path);
	} else
		log_info("store: %s: no database yet: the dry run decides "
			 "against an empty one in memory",
		    path);
	if ((rc = store_setup(st, store_sql_latest)) != STORE_OK)
		goto out;
	*out = st;
	st = NULL;
out:
	store_close(st);
	return rc;
}

enum store_status
store_open_version(
    const char *path, bool create, int version, struct store **out)
{
	struct store *st = NULL;
	enum store_status rc = STORE_ERR;
	struct stat sb;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int r;

	*out = NULL;
	if (version < 1 || version > store_sql_latest) {
		log_warnx("store: %s: no schema version %d", path, version);
		return STORE_ERR;
	}
	if (!create && stat(path, &sb) == -1) {
		log_warn("store: %s", path);
		return errno == ENOENT ? STORE_NOT_FOUND : STORE_ERR;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (strcmp(path, ":memory:") != 0 &&
	    (rc = store_prepare_files(path, create)) != STORE_OK)
		return rc;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		log_warn("store: %s", path);
		goto out;
	}
	if ((r = sqlite3_open_v2(path, &st->db, flags, NULL)) != SQLITE_OK) {
		if (st->db == NULL) {
			log_warnx("store: %s: %s", path, sqlite3_errstr(r));
			goto out;
		}
		rc = store_fail(st, r, "open");
		goto out;
	}
	if ((rc = store_setup(st, version)) != STORE_OK)
		goto out;
	*out = st;
	st = NULL;
out:
	store_close(st);
	return rc;
}

enum store_status
store_open(const char *path, bool create, struct store **out)
{
	return store_open_version(path, create, store_sql_latest, out);
}

void
store_close(struct store *st)
{
	size_t i;
	int r;

	if (st == NULL)
		return;
	store_rollback(st);
	for (i = 0; i < SS_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if ((r = sqlite3_close(st->db)) != SQLITE_OK)
		store_fail(st, r, "close");
	free(st->path);
	free(st);
}

enum store_status
store_begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE", "begin");
}

enum store_status
store_commit(struct store *st)
{
	enum store_status rc = exec(st, "COMMIT", "commit");

	if (rc != STORE_OK)
		store_rollback(st);
	return rc;
}

void
store_rollback(struct store *st)
{
	if (st->db == NULL || sqlite3_get_autocommit(st->db))
		return;
	(void)exec(st, "ROLLBACK", "rollback");
}
