/*
 * store internals, shared by store.c (open, schema, transactions, the
 * statement cache), store_ledger.c (messages, artists, pledges,
 * confirmations, mailbox state), store_token.c (tokens and requests),
 * store_admin.c (organizers' reads, review, forget) and the generated
 * store_sql.c (the SQL of sql/).  Tests may use it.
 */
#ifndef PLEDGED_STORE_P_H
#define PLEDGED_STORE_P_H

#include <sqlite3.h>
#include <stdbool.h>

#include "pledged/store.h"

/* Hot statements, prepared once per store on first use. */
enum store_stmt {
	SS_MAILBOX_GET,
	SS_MAILBOX_SET,
	SS_AUDIT_SEEN_IMAP,
	SS_AUDIT_SEEN_INGEST,
	SS_AUDIT_DUPLICATE,
	SS_AUDIT_INSERT,
	SS_ARTIST_GET,
	SS_ARTIST_UPSERT,
	SS_PLEDGE_RECORD,
	SS_PLEDGE_WITHDRAW,
	SS_PLEDGE_CONFIRM,
	SS_PLEDGE_STATE,
	SS_CONFIRMATION_INSERT,
	SS_JTI_USED,
	SS_TOKEN_ISSUE,
	SS_TOKEN_SENT,
	SS_TOKEN_FAILED,
	SS_TOKEN_BOUNCED,
	SS_TOKEN_BY_JTI,
	SS_TOKEN_BY_REQUEST,
	SS_TOKEN_BY_REF,
	SS_AUDIT_MOVE,
	SS_AUDIT_MOVED,
	SS_TOKEN_LATEST,
	SS_TOKEN_DEFERRED,
	SS_ARTIST_PHASE,
	SS_COUNT
};

struct store {
	sqlite3 *db;
	char *path; /* for messages */
	sqlite3_stmt *stmt[SS_COUNT];
	bool memory; /* a preview's private copy: no WAL, never on disk */
};

/* One numbered migration, from sql/migrations/NNN_name.sql. */
struct store_migration {
	int version; /* user_version after it */
	const char *name;
	const char *sql;
};

/* Generated from sql/ at build time (cmake/embed_sql.cmake). */
extern const char *const store_sql_schema; /* version 1 */
extern const char *const store_sql_views;
extern const struct store_migration store_sql_migrations[]; /* {0} ends */
extern const int store_sql_latest;

/*
 * Open like store_open, but bring the schema only to 'version' (1 ..
 * store_sql_latest), so tests can build a database as an older pledged
 * left it.
 */
enum store_status store_open_version(
    const char *path, bool create, int version, struct store **out);

/*
 * The cached statement 'id' with SQL 'sql' (the same text on every call
 * for an id), prepared on first use; ready to bind.  NULL on error,
 * logged.  Pass it to store_stmt_done when finished with it.
 */
sqlite3_stmt *store_stmt(struct store *, enum store_stmt id, const char *sql);
/* Reset the statement and clear its bindings for the next use. */
void store_stmt_done(sqlite3_stmt *);

/*
 * Log the connection's last error as "store: PATH: what: message" and
 * map result code 'rc' to a status (STORE_BUSY for busy and locked).
 */
enum store_status store_fail(struct store *, int rc, const char *what);

/* The integer of a one-row query bound as ?1 = id (store_campaign.c). */
enum store_status store_query_int(
    struct store *, const char *sql, int64_t id, int64_t *out);

/* Current time; a function so there is one place to change it. */
int64_t store_now(void);

#endif
