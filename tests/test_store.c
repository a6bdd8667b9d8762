/*
 * Unit tests for store: real SQLite files in a temporary directory.
 *
 * What the daemon relies on: the schema is created and migrated on open
 * (and a newer or foreign database refused), uniqueness turns a second
 * pass into no-ops, CHECKs hold the outcome vocabulary, WAL lets a reader
 * in while a writer holds its transaction, and the views answer.  Facts
 * are read back with plain SQL on a separate connection where the API
 * under test would otherwise grade its own work.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pledged/classify.h"
#include "pledged/store.h"
#include "store_p.h"
#include "testutil.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* 2024-03-01 12:00:00 UTC and the next two days. */
#define DAY1 1709294400
#define DAY2 (DAY1 + 86400)
#define DAY3 (DAY2 + 86400)

struct fx {
	char *dir;
	char *path;
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->dir = tu_mkdtemp("store");
	fx->path = tu_asprintf("%s/pledges.db", fx->dir);
	assert_int_equal(store_open(fx->path, true, &fx->st), STORE_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	tu_rmtree(fx->dir);
	free(fx->path);
	free(fx->dir);
	free(fx);
	return 0;
}

/* A raw connection to 'path', independent of the store. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The first column of the first row as text ("" for none or NULL);
 * several columns are joined with '|'.  Caller frees. */
static char *
raw_row(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	char buf[1024] = "";
	size_t len = 0;
	int i, n;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(stmt); i++) {
			const unsigned char *v = sqlite3_column_text(stmt, i);

			n = snprintf(buf + len, sizeof(buf) - len, "%s%s",
			    i > 0 ? "|" : "", v != NULL ? (const char *)v : "");
			assert_true(n >= 0 && (size_t)n < sizeof(buf) - len);
			len += (size_t)n;
		}
	}
	sqlite3_finalize(stmt);
	return strdup(buf);
}

static void
assert_row(sqlite3 *db, const char *sql, const char *want)
{
	char *got = raw_row(db, sql);

	if (strcmp(got, want) != 0)
		fail_msg("%s\n got:  %s\n want: %s", sql, got, want);
	free(got);
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	char *s = raw_row(db, sql);
	int64_t v = strtoll(s, NULL, 10);

	free(s);
	return v;
}

/* An audit row with the given identity and outcome; the rest plausible. */
static struct store_audit
audit(const char *mailbox, uint32_t uid, const char *msgid, const char *sha,
    const char *outcome, const char *reason, int phase)
{
	struct store_audit a = {
	    .mailbox = mailbox,
	    .uidvalidity = 7,
	    .uid = uid,
	    .message_id = msgid,
	    .sha256_hex = sha,
	    .size = 1234,
	    .from_addr = "ana@example.org",
	    .from_name = "Ana",
	    .subject = "I pledge",
	    .outcome = outcome,
	    .reason = reason,
	    .phase = phase,
	    .processed_at = DAY1,
	};
	return a;
}

static void
test_open_create(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char *missing = tu_asprintf("%s/missing.db", fx->dir);
	sqlite3 *db;

	assert_int_equal(store_open(missing, false, &st), STORE_NOT_FOUND);
	assert_null(st);
	assert_int_equal(access(missing, F_OK), -1);
	free(missing);

	db = raw_open(fx->path);
	assert_row(db, "PRAGMA journal_mode", "wal");
	assert_int_equal(raw_int(db, "PRAGMA user_version"), store_sql_latest);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), 0x706c6467);
	assert_row(db,
	    "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema"
	    " WHERE type = 'view' ORDER BY name)",
	    "artist_status,artist_timeline,campaign_counts,daily_counts,"
	    "daily_processed,phase_two,timeline");
	sqlite3_close(db);
	/* Foreign keys are on in the store's connection. */
	assert_int_equal(raw_int(fx->st->db, "PRAGMA foreign_keys"), 1);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fx *fx = *state;
	int64_t id = 0, id2 = 0;
	char st_[16];

	assert_int_equal(
	    store_artist_upsert(fx->st, "Ana@Example.ORG", "Ana", &id),
	    STORE_OK);
	assert_int_equal(store_pledge_record(fx->st, id, 0), STORE_OK);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, false, &fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_get(fx->st, "ana@example.org", &id2, st_), STORE_OK);
	assert_int_equal(id2, id);
	assert_string_equal(st_, "received");
}

static void
test_refuse_newer_and_foreign(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	char *sql, *other = tu_asprintf("%s/other.db", fx->dir);
	sqlite3 *db;

	store_close(fx->st);
	fx->st = NULL;
	db = raw_open(fx->path);
	sql = tu_asprintf("PRAGMA user_version = %d", store_sql_latest + 1);
	raw_exec(db, sql);
	free(sql);
	sqlite3_close(db);
	assert_int_equal(store_open(fx->path, false, &st), STORE_ERR);
	assert_null(st);
	/* Refused without touching it. */
	db = raw_open(fx->path);
	assert_int_equal(
	    raw_int(db, "PRAGMA user_version"), store_sql_latest + 1);
	sqlite3_close(db);

	/* Some other application's database is not ours to extend. */
	db = raw_open(other);
	raw_exec(db, "CREATE TABLE songs (title TEXT)");
	sqlite3_close(db);
	assert_int_equal(store_open(other, false, &st), STORE_ERR);
	db = raw_open(other);
	raw_exec(db, "PRAGMA application_id = 42");
	sqlite3_close(db);
	assert_int_equal(store_open(other, false, &st), STORE_ERR);
	free(other);
}

/*
 * A database as version 1 left it, made from sql/schema.sql itself, with
 * rows in every table: opening it migrates and keeps them.
 */
static void
test_migrate_from_v1(void **state)
{
	struct fx *fx = *state;
	char *schema_path =
	    tu_asprintf("%s/sql/schema.sql", PLEDGED_SOURCE_DIR);
	char *schema = tu_read_file(schema_path, NULL);
	char *v1 = tu_asprintf("%s/v1.db", fx->dir);
	struct store *st = NULL;
	char state_[16], jti[STORE_JTI_MAX + 1], *token = NULL;
	uint32_t uidv = 0, last = 0;
	int64_t id = 0;
	sqlite3 *db;

	db = raw_open(v1);
	raw_exec(db, schema);
	raw_exec(db, "PRAGMA user_version = 1");
	raw_exec(db,
	    "INSERT INTO artist (id, address, display_name, created_at)"
	    " VALUES (5, 'bo@example.net', 'Bo', 100);"
	    "INSERT INTO audit (id, mailbox, uidvalidity, uid, message_id,"
	    " sha256, size, outcome, artist_id, processed_at) VALUES (9,"
	    " 'INBOX', 3, 44, 'm1@x', '" SHA_A "', 10, 'pledge', 5, 200);"
	    "INSERT INTO pledge VALUES (5, 'confirmed', 9, 200, 300);"
	    "INSERT INTO token (jti, artist_id, phase, token, issued_at,"
	    " expires_at, request_message_id, sent_at, state) VALUES"
	    " ('abcdefghijklmnopqrstuvwxyz', 5, 1, 'v4.public.T', 250, 999,"
	    " 'req1@x', 260, 'sent');"
	    "INSERT INTO confirmation (jti, artist_id, phase, kind, audit_id,"
	    " created_at) VALUES ('abcdefghijklmnopqrstuvwxyz', 5, 1,"
	    " 'confirm', 9, 300);"
	    "INSERT INTO mailbox_state VALUES ('INBOX', 3, 44, 300);");
	sqlite3_close(db);

	assert_int_equal(store_open(v1, false, &st), STORE_OK);
	assert_int_equal(
	    raw_int(st->db, "PRAGMA user_version"), store_sql_latest);
	/* Migration 002's indexes exist, and the views were installed. */
	assert_int_equal(raw_int(st->db,
			     "SELECT count(*) FROM sqlite_schema WHERE"
			     " name IN ('audit_sha256', 'token_artist')"),
	    2);
	assert_int_equal(
	    store_artist_get(st, "bo@example.net", &id, state_), STORE_OK);
	assert_int_equal(id, 5);
	assert_string_equal(state_, "confirmed");
	assert_true(store_audit_seen(st, "INBOX", 3, 44, NULL));
	assert_true(store_audit_is_duplicate(st, "m1@x", SHA_A));
	assert_true(store_jti_used(st, "abcdefghijklmnopqrstuvwxyz"));
	assert_int_equal(
	    store_token_by_request(st, "<req1@x>", &token, jti), STORE_OK);
	assert_string_equal(token, "v4.public.T");
	assert_string_equal(jti, "abcdefghijklmnopqrstuvwxyz");
	free(token);
	/* Migration 003: every token has a secret reference, not its jti. */
	assert_row(st->db,
	    "SELECT length(request_ref), request_ref GLOB '*[^0-9a-f]*',"
	    " request_ref = jti FROM token",
	    "32|0|0");
	assert_int_equal(
	    store_mailbox_get(st, "INBOX", &uidv, &last), STORE_OK);
	assert_int_equal(uidv, 3);
	assert_int_equal(last, 44);
	assert_row(st->db,
	    "SELECT address, pledge_state, phase1_confirmed FROM"
	    " artist_status",
	    "bo@example.net|confirmed|1");
	store_close(st);

	free(v1);
	free(schema);
	free(schema_path);
}

/* The same path through the store: open at version 1, then at latest. */
static void
test_migrate_store_v1(void **state)
{
	struct fx *fx = *state;
	char *v1 = tu_asprintf("%s/v1b.db", fx->dir);
	struct store *st = NULL;
	int64_t id = 0;
	char *sql;

	assert_int_equal(store_open_version(v1, true, 1, &st), STORE_OK);
	assert_int_equal(raw_int(st->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(st->db,
			     "SELECT count(*) FROM sqlite_schema"
			     " WHERE type = 'index' AND name = 'audit_sha256'"),
	    0);
	/* Rows as version 1 wrote them: today's statements name later
	 * columns. */
	raw_exec(st->db,
	    "INSERT INTO artist (address, display_name,"
	    " created_at) VALUES ('cy@example.com', 'Cy', 1)");
	id = raw_int(st->db, "SELECT id FROM artist");
	sql = tu_asprintf("INSERT INTO audit (mailbox, uidvalidity, uid,"
			  " message_id, sha256, size, outcome, artist_id,"
			  " processed_at) VALUES ('INBOX', 7, 1, 'm@x', '%s',"
			  " 10, 'pledge', %lld, 1)",
	    SHA_B, (long long)id);
	raw_exec(st->db, sql);
	free(sql);
	store_close(st);

	assert_int_equal(store_open(v1, false, &st), STORE_OK);
	/* Version 3: the intent rule, NULL for rows written before. */
	assert_int_equal(raw_int(st->db,
			     "SELECT count(*) FROM audit"
			     " WHERE rule IS NULL"),
	    1);
	assert_int_equal(
	    raw_int(st->db, "PRAGMA user_version"), store_sql_latest);
	assert_true(store_audit_seen(st, "INBOX", 7, 1, NULL));
	assert_int_equal(
	    store_artist_get(st, "cy@example.com", &id, NULL), STORE_OK);
	store_close(st);
	free(v1);
}

/*
 * The schema's CHECK against classify's own vocabulary: every pair of
 * outcome and reason that classify can decide is stored, every other pair
 * refused; then the cases a table walk cannot make (phases, spelling).
 */
static void
test_check_outcome_reason(void **state)
{
	static const struct {
		const char *outcome, *reason;
		int phase;
		enum store_status want;
	} cases[] = {
	    {"confirm", NULL, 2, STORE_OK},
	    {"decline", NULL, 2, STORE_OK},
	    {"confirm", NULL, 0, STORE_ERR},	/* no phase */
	    {"decline", NULL, 0, STORE_ERR},	/* no phase */
	    {"confirm", NULL, 3, STORE_ERR},	/* no such phase */
	    {"ignore", "Bounce", 0, STORE_ERR}, /* the names are exact */
	    {"spam", NULL, 0, STORE_ERR},
	    {"", NULL, 0, STORE_ERR},
	};
	struct fx *fx = *state;
	uint32_t uid = 1;
	size_t i;
	int o, r;

	for (o = 0; o < CLASSIFY_OUTCOMES; o++) {
		for (r = 0; r < CLASSIFY_REASONS; r++) {
			const char *on = classify_outcome_name(o);
			const char *rn = classify_reason_name(r);
			int phase =
			    o == OUTCOME_CONFIRM || o == OUTCOME_DECLINE;
			struct store_audit a =
			    audit("INBOX", uid++, NULL, SHA_A, on, rn, phase);
			enum store_status want =
			    classify_reason_fits(o, r) ? STORE_OK : STORE_ERR;

			assert_non_null(on);
			assert_true(r == REASON_NONE || rn != NULL);
			if (store_audit_insert(fx->st, &a, NULL) != want)
				fail_msg("%s/%s: the schema %s it", on,
				    rn ? rn : "-",
				    want == STORE_OK ? "refuses" : "accepts");
		}
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_audit a = audit("INBOX", uid++, NULL, SHA_A,
		    cases[i].outcome, cases[i].reason, cases[i].phase);

		if (store_audit_insert(fx->st, &a, NULL) != cases[i].want)
			fail_msg("%s/%s phase %d: want %d", cases[i].outcome,
			    cases[i].reason ? cases[i].reason : "-",
			    cases[i].phase, cases[i].want);
	}
	/* Other CHECKs: a bad hash, a half IMAP identity, a bad dmarc. */
	{
		struct store_audit a =
		    audit("INBOX", 1000, NULL, "ABC", "pledge", NULL, 0);

		assert_int_equal(
		    store_audit_insert(fx->st, &a, NULL), STORE_ERR);
		a = audit("INBOX", 0, NULL, SHA_A, "pledge", NULL, 0);
		assert_int_equal(
		    store_audit_insert(fx->st, &a, NULL), STORE_ERR);
		a = audit("INBOX", 1001, NULL, SHA_A, "pledge", NULL, 0);
		a.dmarc = "maybe";
		assert_int_equal(
		    store_audit_insert(fx->st, &a, NULL), STORE_ERR);
		a.dmarc = "pass";
		assert_int_equal(
		    store_audit_insert(fx->st, &a, NULL), STORE_OK);
	}
}

static void
test_audit_unique(void **state)
{
	static const struct {
		const char *mailbox;
		uint32_t uidvalidity, uid;
		enum store_status want;
	} cases[] = {
	    {"INBOX", 7, 1, STORE_OK},
	    {"INBOX", 7, 1, STORE_DUPLICATE}, /* after a crash */
	    {"INBOX", 8, 1, STORE_OK},	      /* new UIDVALIDITY */
	    {"Pledged/Review", 7, 1, STORE_OK},
	    {"INBOX", 7, 2, STORE_OK},
	    {NULL, 0, 0, STORE_OK}, /* ingested: no IMAP identity */
	    {NULL, 0, 0, STORE_OK},
	};
	struct fx *fx = *state;
	int64_t id = 0, last = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_audit a = audit(cases[i].mailbox, cases[i].uid,
		    "m@x", SHA_A, "pledge", NULL, 0);

		a.uidvalidity = cases[i].uidvalidity;
		id = 0;
		assert_int_equal(
		    store_audit_insert(fx->st, &a, &id), cases[i].want);
		if (cases[i].want == STORE_OK) {
			assert_true(id > last);
			last = id;
		}
	}
	assert_int_equal(raw_int(fx->st->db, "SELECT count(*) FROM audit"), 6);
}

static void
test_audit_seen(void **state)
{
	struct fx *fx = *state;
	struct store_audit a =
	    audit("INBOX", 10, "m@x", SHA_A, "pledge", NULL, 0);
	struct store_audit b =
	    audit(NULL, 0, "n@x", SHA_B, "ignore", "other", 0);

	assert_false(store_audit_seen(fx->st, "INBOX", 7, 10, SHA_A));
	assert_false(store_audit_seen(fx->st, NULL, 0, 0, SHA_B));
	assert_int_equal(store_audit_insert(fx->st, &a, NULL), STORE_OK);
	assert_int_equal(store_audit_insert(fx->st, &b, NULL), STORE_OK);

	assert_true(store_audit_seen(fx->st, "INBOX", 7, 10, SHA_A));
	assert_false(store_audit_seen(fx->st, "INBOX", 7, 11, SHA_A));
	assert_false(store_audit_seen(fx->st, "INBOX", 8, 10, SHA_A));
	assert_false(store_audit_seen(fx->st, "Other", 7, 10, SHA_A));
	/* Ingest: by content among ingested messages. */
	assert_true(store_audit_seen(fx->st, NULL, 0, 0, SHA_B));
	assert_false(store_audit_seen(fx->st, NULL, 0, 0, SHA_C));
	/* Read over IMAP is not "ingested": the duplicate check covers it. */
	assert_false(store_audit_seen(fx->st, NULL, 0, 0, SHA_A));
	assert_true(store_audit_is_duplicate(fx->st, "m@x", SHA_A));
}

static void
test_duplicates(void **state)
{
	struct fx *fx = *state;
	struct store_audit a =
	    audit("INBOX", 1, "m1@x", SHA_A, "pledge", NULL, 0);
	struct store_audit b =
	    audit("INBOX", 2, NULL, SHA_B, "ignore", "other", 0);

	assert_false(store_audit_is_duplicate(fx->st, "m1@x", SHA_A));
	assert_int_equal(store_audit_insert(fx->st, &a, NULL), STORE_OK);
	assert_int_equal(store_audit_insert(fx->st, &b, NULL), STORE_OK);
	assert_true(store_audit_is_duplicate(fx->st, "m1@x", SHA_A));
	/* Same Message-ID, other content: a different message. */
	assert_false(store_audit_is_duplicate(fx->st, "m1@x", SHA_C));
	/* Same content under another Message-ID: not the same either. */
	assert_false(store_audit_is_duplicate(fx->st, "m2@x", SHA_A));
	/* No Message-ID: content alone, among messages without one. */
	assert_true(store_audit_is_duplicate(fx->st, NULL, SHA_B));
	assert_false(store_audit_is_duplicate(fx->st, NULL, SHA_A));

	/* The duplicate is recorded under its new UID. */
	a.uid = 3;
	a.outcome = "ignore";
	a.reason = "duplicate";
	assert_int_equal(store_audit_insert(fx->st, &a, NULL), STORE_OK);
}

enum pledge_op { P_RECORD, P_CONFIRM, P_WITHDRAW };

static void
test_pledge_transitions(void **state)
{
	static const struct {
		enum pledge_op op;
		enum store_status want;
		const char *state;
	} steps[] = {
	    {P_WITHDRAW, STORE_NOT_FOUND, ""}, /* no pledge yet */
	    {P_RECORD, STORE_OK, "received"},
	    {P_RECORD, STORE_DUPLICATE, "received"},
	    {P_WITHDRAW, STORE_OK, "withdrawn"},
	    {P_WITHDRAW, STORE_DUPLICATE, "withdrawn"},
	    {P_CONFIRM, STORE_NOT_FOUND, "withdrawn"}, /* stands */
	    {P_RECORD, STORE_OK, "received"},	       /* pledges again */
	    {P_CONFIRM, STORE_OK, "confirmed"},
	    {P_CONFIRM, STORE_DUPLICATE, "confirmed"},
	    {P_RECORD, STORE_DUPLICATE, "confirmed"},
	    {P_WITHDRAW, STORE_OK, "withdrawn"},
	    {P_RECORD, STORE_OK, "received"}, /* confirm again, anew */
	};
	struct fx *fx = *state;
	int64_t id = 0, other = 0, aid = 0;
	char st_[16];
	size_t i;
	enum store_status rc = STORE_ERR;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", "Ana", &id),
	    STORE_OK);
	assert_int_equal(
	    store_artist_get(fx->st, "ana@example.org", NULL, st_), STORE_OK);
	assert_string_equal(st_, "");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct store_audit a = audit(
		    "INBOX", (uint32_t)i + 1, NULL, SHA_A, "pledge", NULL, 0);

		a.artist_id = id;
		a.processed_at = DAY1 + (int64_t)i;
		assert_int_equal(
		    store_audit_insert(fx->st, &a, &aid), STORE_OK);
		switch (steps[i].op) {
		case P_RECORD:
			rc = store_pledge_record(fx->st, id, aid);
			break;
		case P_CONFIRM:
			rc = store_pledge_confirm(fx->st, id);
			break;
		case P_WITHDRAW:
			rc = store_pledge_withdraw(fx->st, id, aid);
			break;
		}
		if (rc != steps[i].want)
			fail_msg(
			    "step %zu: got %d, want %d", i, rc, steps[i].want);
		assert_int_equal(
		    store_artist_get(fx->st, "ANA@example.org", NULL, st_),
		    STORE_OK);
		assert_string_equal(st_, steps[i].state);
	}
	/* The last pledge's evidence and time come from its audit row. */
	assert_row(fx->st->db,
	    "SELECT pledged_audit_id = (SELECT max(id) FROM audit),"
	    " updated_at - 1709294400 FROM pledge",
	    "1|11");

	/* A token confirmed by someone who pledged elsewhere. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.net", NULL, &other),
	    STORE_OK);
	assert_int_equal(store_pledge_confirm(fx->st, other), STORE_OK);
	assert_int_equal(
	    store_artist_get(fx->st, "bo@example.net", NULL, st_), STORE_OK);
	assert_string_equal(st_, "confirmed");
	assert_int_equal(
	    store_artist_get(fx->st, "nobody@example.net", NULL, st_),
	    STORE_NOT_FOUND);
}

static void
test_artist_upsert(void **state)
{
	struct fx *fx = *state;
	int64_t a = 0, b = 0;

	assert_int_equal(
	    store_artist_upsert(fx->st, "Ana@Example.org", "Ana", &a),
	    STORE_OK);
	/* Same address in other case: same artist; no name keeps the old. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &b), STORE_OK);
	assert_int_equal(a, b);
	assert_row(fx->st->db, "SELECT address, display_name FROM artist",
	    "ana@example.org|Ana");
	/* The pledge's name stays: a later "Artist" does not replace it. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", "Artist", &b),
	    STORE_OK);
	assert_int_equal(a, b);
	assert_row(fx->st->db, "SELECT display_name FROM artist", "Ana");
	/* An artist known without a name gets the first one offered. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", NULL, &b), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", "Bo Ü.", &b),
	    STORE_OK);
	assert_row(fx->st->db,
	    "SELECT display_name FROM artist WHERE address = 'bo@example.org'",
	    "Bo Ü.");
}

static void
test_confirmation_single_use(void **state)
{
	struct fx *fx = *state;
	struct store_audit a =
	    audit("INBOX", 1, NULL, SHA_A, "confirm", NULL, 1);
	int64_t id = 0, aid = 0;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	a.artist_id = id;
	a.processed_at = DAY2;
	assert_int_equal(store_audit_insert(fx->st, &a, &aid), STORE_OK);
	assert_false(store_jti_used(fx->st, "jti-one-0001"));
	assert_int_equal(store_confirmation_record(
			     fx->st, id, 1, "jti-one-0001", false, aid),
	    STORE_OK);
	assert_true(store_jti_used(fx->st, "jti-one-0001"));
	/* Replayed: as a confirmation or as a decline. */
	assert_int_equal(store_confirmation_record(
			     fx->st, id, 1, "jti-one-0001", false, aid),
	    STORE_DUPLICATE);
	assert_int_equal(
	    store_confirmation_record(fx->st, id, 2, "jti-one-0001", true, aid),
	    STORE_DUPLICATE);
	/* jtis are case sensitive (other issuers' base64url). */
	assert_false(store_jti_used(fx->st, "JTI-ONE-0001"));
	assert_int_equal(
	    store_confirmation_record(fx->st, id, 2, "jti-two-0002", true, aid),
	    STORE_OK);
	/* A bad phase is refused, not swallowed. */
	assert_int_equal(store_confirmation_record(
			     fx->st, id, 3, "jti-three-03", false, aid),
	    STORE_ERR);
	assert_row(fx->st->db,
	    "SELECT group_concat(phase || kind || created_at, ',') FROM"
	    " (SELECT * FROM confirmation ORDER BY id)",
	    "1confirm1709380800,2decline1709380800");
}

static void
test_tokens(void **state)
{
	struct fx *fx = *state;
	static const char jti1[] = "abcdefghijklmnopqrstuvwxyz";
	static const char jti2[] = "Case-Sensitive_B64url";
	char jti[STORE_JTI_MAX + 1] = "", *token = NULL;
	int64_t id = 0;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	assert_int_equal(store_token_issue(fx->st, jti1, id, 1, "v4.public.A",
			     DAY1, DAY3, NULL),
	    STORE_OK);
	assert_int_equal(store_token_issue(fx->st, jti1, id, 2, "v4.public.X",
			     DAY1, DAY3, NULL),
	    STORE_DUPLICATE);
	assert_int_equal(store_token_issue(fx->st, jti2, id, 2, "v4.public.B",
			     DAY1, DAY3, NULL),
	    STORE_OK);
	assert_int_equal(store_token_issue(fx->st, "bad-phase-1", id, 3,
			     "v4.public.C", DAY1, DAY3, NULL),
	    STORE_ERR);

	/* By reference, also retyped in upper case. */
	assert_int_equal(store_token_by_jti(fx->st, jti1, &token), STORE_OK);
	assert_string_equal(token, "v4.public.A");
	free(token);
	assert_int_equal(
	    store_token_by_jti(fx->st, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", &token),
	    STORE_OK);
	assert_string_equal(token, "v4.public.A");
	free(token);
	assert_int_equal(store_token_by_jti(fx->st, jti2, &token), STORE_OK);
	assert_string_equal(token, "v4.public.B");
	free(token);
	assert_int_equal(
	    store_token_by_jti(fx->st, "nosuchjti", &token), STORE_NOT_FOUND);
	assert_null(token);

	/* Not sent yet: no request to match. */
	assert_int_equal(
	    store_token_by_request(fx->st, "<r1@example.org>", &token, jti),
	    STORE_NOT_FOUND);
	assert_int_equal(
	    store_token_sent(fx->st, jti1, "<r1@example.org>", DAY2), STORE_OK);
	assert_int_equal(
	    store_token_sent(fx->st, "nosuchjti", "<r9@example.org>", DAY2),
	    STORE_NOT_FOUND);
	/* One Message-ID, one request. */
	assert_int_equal(store_token_sent(fx->st, jti2, "r1@example.org", DAY2),
	    STORE_DUPLICATE);
	assert_int_equal(
	    store_token_by_request(fx->st, " r1@example.org ", &token, jti),
	    STORE_OK);
	assert_string_equal(token, "v4.public.A");
	assert_string_equal(jti, jti1);
	free(token);
	assert_int_equal(
	    store_token_by_request(fx->st, "<r1@example.org>", &token, jti),
	    STORE_OK);
	free(token);

	/* Failures and bounces. */
	assert_int_equal(
	    store_token_failed(fx->st, jti2, "550 no such user"), STORE_OK);
	assert_int_equal(store_token_failed(fx->st, jti1, "timeout"), STORE_OK);
	assert_int_equal(store_token_mark_bounced(fx->st, jti1), STORE_OK);
	assert_int_equal(
	    store_token_mark_bounced(fx->st, "nosuchjti"), STORE_NOT_FOUND);
	assert_int_equal(
	    store_token_failed(fx->st, "nosuchjti", "x"), STORE_NOT_FOUND);
	assert_row(fx->st->db,
	    "SELECT group_concat(jti || ':' || state || ':' ||"
	    " coalesce(last_error, '') || ':' ||"
	    " coalesce(request_message_id, ''), ',') FROM"
	    " (SELECT * FROM token ORDER BY issued_at, jti)",
	    "Case-Sensitive_B64url:failed:550 no such user:,"
	    "abcdefghijklmnopqrstuvwxyz:bounced:timeout:r1@example.org");
}

static void
test_mailbox_state(void **state)
{
	static const struct {
		const char *mailbox;
		uint32_t uidvalidity, last_uid;
	} cases[] = {
	    {"INBOX", 1, 0}, {"INBOX", 1, 200},
	    {"INBOX", 4294967295u, 4294967295u}, {"Pledged/Review", 99, 3},
	    {"Entw&APw-rfe", 5, 6}, /* modified UTF-7, stored as is */
	};
	struct fx *fx = *state;
	uint32_t uidv = 0, last = 0;
	size_t i;

	assert_int_equal(
	    store_mailbox_get(fx->st, "INBOX", &uidv, &last), STORE_NOT_FOUND);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_mailbox_set(fx->st, cases[i].mailbox,
				     cases[i].uidvalidity, cases[i].last_uid),
		    STORE_OK);
		assert_int_equal(
		    store_mailbox_get(fx->st, cases[i].mailbox, &uidv, &last),
		    STORE_OK);
		assert_int_equal(uidv, cases[i].uidvalidity);
		assert_int_equal(last, cases[i].last_uid);
	}
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 0, 1), STORE_ERR);
	assert_int_equal(
	    raw_int(fx->st->db, "SELECT count(*) FROM mailbox_state"), 3);
}

static void
test_rollback(void **state)
{
	struct fx *fx = *state;
	int64_t id = 0, aid = 0;
	struct store_audit a =
	    audit("INBOX", 1, "m@x", SHA_A, "pledge", NULL, 0);

	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	a.artist_id = id;
	assert_int_equal(store_audit_insert(fx->st, &a, &aid), STORE_OK);
	assert_int_equal(store_pledge_record(fx->st, id, aid), STORE_OK);
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", 7, 1), STORE_OK);
	store_rollback(fx->st);
	store_rollback(fx->st); /* outside a transaction: no-op */

	assert_int_equal(
	    store_artist_get(fx->st, "ana@example.org", NULL, NULL),
	    STORE_NOT_FOUND);
	assert_false(store_audit_seen(fx->st, "INBOX", 7, 1, SHA_A));
	assert_int_equal(raw_int(fx->st->db, "SELECT count(*) FROM pledge"), 0);

	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_get(fx->st, "ana@example.org", NULL, NULL), STORE_OK);
	/* Closing with a transaction open rolls it back. */
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", NULL, &id), STORE_OK);
	store_close(fx->st);
	assert_int_equal(store_open(fx->path, false, &fx->st), STORE_OK);
	assert_int_equal(store_artist_get(fx->st, "bo@example.org", NULL, NULL),
	    STORE_NOT_FOUND);
}

/* Organizers read while the daemon holds its write transaction. */
static void
test_wal_reader_during_write(void **state)
{
	struct fx *fx = *state;
	struct store *reader = NULL;
	int64_t id = 0;
	char st_[16];
	time_t t0;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	assert_int_equal(store_pledge_record(fx->st, id, 0), STORE_OK);

	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_pledge_withdraw(fx->st, id, 0), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", NULL, NULL),
	    STORE_OK);

	/* Opening takes no write lock when there is nothing to migrate. */
	t0 = time(NULL);
	assert_int_equal(store_open(fx->path, false, &reader), STORE_OK);
	assert_int_equal(
	    store_artist_get(reader, "ana@example.org", NULL, st_), STORE_OK);
	assert_string_equal(st_, "received"); /* the committed state */
	assert_int_equal(store_artist_get(reader, "bo@example.org", NULL, NULL),
	    STORE_NOT_FOUND);
	assert_int_equal(
	    raw_int(reader->db, "SELECT count(*) FROM artist_status"), 1);
	assert_true(time(NULL) - t0 < 2); /* no busy wait */

	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(
	    store_artist_get(reader, "ana@example.org", NULL, st_), STORE_OK);
	assert_string_equal(st_, "withdrawn");
	store_close(reader);
}

/* Views: recreated when their text changes, otherwise left alone. */
static void
test_views_reinstalled(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;

	store_close(fx->st);
	fx->st = NULL;
	db = raw_open(fx->path);
	raw_exec(db,
	    "DROP VIEW phase_two;"
	    " UPDATE store_meta SET value = 'old' WHERE key = 'views'");
	sqlite3_close(db);
	assert_int_equal(store_open(fx->path, false, &fx->st), STORE_OK);
	assert_int_equal(raw_int(fx->st->db,
			     "SELECT count(*) FROM sqlite_schema"
			     " WHERE type = 'view'"),
	    7);
	assert_int_equal(raw_int(fx->st->db,
			     "SELECT value <> 'old' FROM store_meta"
			     " WHERE key = 'views'"),
	    1);
}

/* Record one message for 'artist' and apply its effect. */
static int64_t
feed(struct store *st, int64_t artist, uint32_t uid, const char *outcome,
    const char *reason, int phase, const char *jti, int64_t when)
{
	char sha[65];
	struct store_audit a;
	int64_t aid = 0;

	snprintf(sha, sizeof(sha), "%064x", uid);
	a = audit("INBOX", uid, NULL, sha, outcome, reason, phase);
	a.artist_id = artist;
	a.jti = jti;
	a.processed_at = when;
	assert_int_equal(store_audit_insert(st, &a, &aid), STORE_OK);
	if (strcmp(outcome, "pledge") == 0)
		assert_int_equal(
		    store_pledge_record(st, artist, aid), STORE_OK);
	else if (strcmp(outcome, "withdraw") == 0)
		assert_int_equal(
		    store_pledge_withdraw(st, artist, aid), STORE_OK);
	else if (strcmp(outcome, "confirm") == 0 ||
	    strcmp(outcome, "decline") == 0) {
		assert_int_equal(store_confirmation_record(st, artist, phase,
				     jti, outcome[0] == 'd', aid),
		    STORE_OK);
		if (phase == 1 && outcome[0] == 'c')
			assert_int_equal(
			    store_pledge_confirm(st, artist), STORE_OK);
	}
	return aid;
}

static void
test_views(void **state)
{
	struct fx *fx = *state;
	int64_t ana = 0, bo = 0, cy = 0, di = 0;
	sqlite3 *db;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", "Ana", &ana),
	    STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", "Bo", &bo), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "cy@example.org", "Cy", &cy), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "di@example.org", "Di", &di), STORE_OK);
	/* Day 1: three pledges (Ana twice), one unrelated message. */
	feed(fx->st, ana, 1, "pledge", NULL, 0, NULL, DAY1);
	feed(fx->st, bo, 2, "pledge", NULL, 0, NULL, DAY1 + 60);
	feed(fx->st, cy, 3, "pledge", NULL, 0, NULL, DAY1 + 120);
	{
		struct store_audit a =
		    audit("INBOX", 4, NULL, SHA_A, "pledge", NULL, 0);

		a.artist_id = ana; /* a second "I pledge" from Ana */
		a.processed_at = DAY1 + 180;
		assert_int_equal(
		    store_audit_insert(fx->st, &a, NULL), STORE_OK);
		assert_int_equal(
		    store_pledge_record(fx->st, ana, 0), STORE_DUPLICATE);
	}
	feed(fx->st, 0, 5, "ignore", "auto-reply", 0, NULL, DAY1 + 240);
	/* Day 2: phase-one confirmations by Ana and Cy; Bo withdraws. */
	feed(fx->st, ana, 6, "confirm", NULL, 1, "ana-phase-1", DAY2);
	feed(fx->st, cy, 7, "confirm", NULL, 1, "cy-phase-1", DAY2 + 1);
	feed(fx->st, bo, 8, "withdraw", NULL, 0, NULL, DAY2 + 2);
	/* Day 3: Ana joins phase two, Cy declines it; Di is only a name. */
	feed(fx->st, ana, 9, "confirm", NULL, 2, "ana-phase-2", DAY3);
	feed(fx->st, cy, 10, "decline", NULL, 2, "cy-phase-2", DAY3 + 1);
	feed(fx->st, 0, 11, "reject", "expired", 0, NULL, DAY3 + 2);
	assert_int_equal(store_token_issue(fx->st, "tok-ana-2-xx", ana, 2,
			     "v4.public.A", DAY2, DAY3 + 86400, NULL),
	    STORE_OK);
	assert_int_equal(
	    store_token_sent(fx->st, "tok-ana-2-xx", "<q1@x>", DAY2), STORE_OK);
	assert_int_equal(store_token_issue(fx->st, "tok-cy-2-xxx", cy, 2,
			     "v4.public.C", DAY2, DAY3 + 86400, NULL),
	    STORE_OK);
	assert_int_equal(
	    store_token_sent(fx->st, "tok-cy-2-xxx", "<q2@x>", DAY2), STORE_OK);

	/* Read as an organizer would: another connection, plain SQL. */
	db = raw_open(fx->path);
	assert_row(db,
	    "SELECT group_concat(r, ';') FROM (SELECT address || ',' ||"
	    " name || ',' || coalesce(pledge_state, '-') || ',' ||"
	    " phase1_confirmed || phase2_confirmed || declined || ',' ||"
	    " last_activity_utc AS r FROM artist_status"
	    " WHERE address <> 'di@example.org' ORDER BY address)",
	    "ana@example.org,Ana,confirmed,110,2024-03-03 12:00:00;"
	    "bo@example.org,Bo,withdrawn,000,2024-03-02 12:00:02;"
	    "cy@example.org,Cy,confirmed,101,2024-03-03 12:00:01");
	/* Di has done nothing: last seen when recorded. */
	assert_row(db,
	    "SELECT coalesce(pledge_state, '-'), phase1_confirmed,"
	    " phase2_confirmed, declined,"
	    " last_activity > strftime('%s', 'now') - 600 FROM artist_status"
	    " WHERE address = 'di@example.org'",
	    "-|0|0|0|1");
	assert_row(db, "SELECT * FROM phase_two", "2|2|0|1|1|1|50.0|2|1|50.0");
	assert_row(db,
	    "SELECT group_concat(r, ';') FROM (SELECT day || ',' || pledges"
	    " || ',' || confirmations_phase1 || ',' || confirmations_phase2"
	    " || ',' || declines || ',' || withdrawals || ',' || review"
	    " || ',' || rejected || ',' || ignored || ',' || messages AS r"
	    " FROM daily_counts)",
	    "2024-03-01,3,0,0,0,0,0,0,1,5;"
	    "2024-03-02,0,2,0,0,1,0,0,0,3;"
	    "2024-03-03,0,0,1,1,0,0,1,0,3");
	sqlite3_close(db);
}

/* Collect listing rows as "a,b,c;" text for comparison. */
struct sink {
	char buf[2048];
	size_t len;
	int stop_after; /* 0: never */
	int rows;
};

static int sink_add(struct sink *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
sink_add(struct sink *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(k->buf + k->len, sizeof(k->buf) - k->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(k->buf) - k->len);
	k->len += (size_t)n;
	k->rows++;
	return k->stop_after != 0 && k->rows >= k->stop_after;
}

#define S(x) ((x) != NULL ? (x) : "-")

static int
artist_row(const struct store_artist_row *r, void *arg)
{
	return sink_add(arg, "%s,%s,%d%d%d%d;", S(r->address),
	    S(r->pledge_state), r->phase1_confirmed, r->phase2_confirmed,
	    r->declined, r->forgotten);
}

static int
audit_row(const struct store_audit_row *r, void *arg)
{
	return sink_add(arg, "%s/%s,%s,%s,%s;", r->audit.outcome,
	    S(r->audit.reason), S(r->artist), S(r->audit.from_addr),
	    S(r->decision));
}

static int
request_row(const struct store_request_row *r, void *arg)
{
	return sink_add(arg, "%s,%s,%d,%s,%s;", r->jti, S(r->address), r->phase,
	    r->state, S(r->request_message_id));
}

/* The organizers' side: stats, listings, review decisions, forget. */
static void
test_organizer_reads(void **state)
{
	struct fx *fx = *state;
	int64_t ana = 0, bo = 0, rv = 0;
	struct store_stats stats;
	struct store_token tok;
	struct sink k;
	char st_[16];

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", "Ana", &ana),
	    STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "bo@example.org", "Bo", &bo), STORE_OK);
	feed(fx->st, ana, 1, "pledge", NULL, 0, NULL, DAY1);
	feed(fx->st, bo, 2, "pledge", NULL, 0, NULL, DAY1);
	feed(fx->st, ana, 3, "confirm", NULL, 1, "ana-phase-1", DAY2);
	feed(fx->st, ana, 4, "confirm", NULL, 2, "ana-phase-2", DAY2);
	feed(fx->st, bo, 5, "withdraw", NULL, 0, NULL, DAY2);
	rv = feed(fx->st, ana, 6, "review", "unclear", 1, NULL, DAY3);
	feed(fx->st, 0, 7, "review", "unauthenticated", 0, NULL, DAY3);
	feed(fx->st, 0, 8, "reject", "bad-signature", 0, NULL, DAY3);
	feed(fx->st, 0, 9, "ignore", "bounce", 0, NULL, DAY3);

	assert_int_equal(store_stats(fx->st, &stats), STORE_OK);
	assert_int_equal(stats.artists, 2);
	assert_int_equal(stats.pledged, 1);
	assert_int_equal(stats.confirmed_phase1, 1);
	assert_int_equal(stats.confirmed_phase2, 1);
	assert_int_equal(stats.withdrawn, 1);
	assert_int_equal(stats.review, 2);
	assert_int_equal(stats.rejected, 1);
	assert_int_equal(stats.ignored, 1);
	assert_int_equal(stats.messages, 9);

	/* Artists, filtered by phase and by state. */
	static const struct {
		int phase;
		const char *state;
		const char *want;
	} lists[] = {
	    {0, NULL,
		"ana@example.org,confirmed,1100;"
		"bo@example.org,withdrawn,0000;"},
	    {1, NULL, "ana@example.org,confirmed,1100;"},
	    {2, NULL, "ana@example.org,confirmed,1100;"},
	    {0, "withdrawn", "bo@example.org,withdrawn,0000;"},
	    {2, "withdrawn", ""},
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		memset(&k, 0, sizeof(k));
		assert_int_equal(store_artist_foreach(fx->st, lists[i].phase,
				     lists[i].state, artist_row, &k),
		    STORE_OK);
		assert_string_equal(k.buf, lists[i].want);
	}
	/* Stopping early is not an error. */
	memset(&k, 0, sizeof(k));
	k.stop_after = 1;
	assert_int_equal(
	    store_artist_foreach(fx->st, 0, NULL, artist_row, &k), STORE_OK);
	assert_int_equal(k.rows, 1);

	/* Review: decide one; the other stays pending. */
	assert_int_equal(
	    store_review_decide(fx->st, rv, true, "org"), STORE_OK);
	assert_int_equal(store_review_decide(fx->st, rv - 1, true, "org"),
	    STORE_NOT_FOUND); /* not held for review */
	assert_int_equal(
	    store_review_decide(fx->st, 9999, false, NULL), STORE_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	assert_int_equal(
	    store_audit_foreach(fx->st, "review", false, 0, audit_row, &k),
	    STORE_OK);
	assert_string_equal(k.buf,
	    "review/unclear,ana@example.org,ana@example.org,approved;"
	    "review/unauthenticated,-,ana@example.org,-;");
	memset(&k, 0, sizeof(k));
	assert_int_equal(
	    store_audit_foreach(fx->st, "review", true, 0, audit_row, &k),
	    STORE_OK);
	assert_string_equal(
	    k.buf, "review/unauthenticated,-,ana@example.org,-;");
	assert_int_equal(store_stats(fx->st, &stats), STORE_OK);
	assert_int_equal(stats.review, 1);
	memset(&k, 0, sizeof(k));
	assert_int_equal(
	    store_audit_foreach(fx->st, NULL, false, bo, audit_row, &k),
	    STORE_OK);
	assert_string_equal(k.buf,
	    "pledge/-,bo@example.org,ana@example.org,-;"
	    "withdraw/-,bo@example.org,ana@example.org,-;");

	/* Requests, and the latest token per artist and phase. */
	assert_int_equal(
	    store_token_latest(fx->st, ana, 1, &tok), STORE_NOT_FOUND);
	assert_int_equal(store_token_issue(fx->st, "tok-old-0001", ana, 1,
			     "v4.public.OLD", DAY1, DAY3, NULL),
	    STORE_OK);
	assert_int_equal(store_token_issue(fx->st, "tok-new-0002", ana, 1,
			     "v4.public.NEW", DAY2, DAY3, NULL),
	    STORE_OK);
	assert_int_equal(
	    store_token_sent(fx->st, "tok-new-0002", "<n@x>", DAY2 + 5),
	    STORE_OK);
	assert_int_equal(store_token_latest(fx->st, ana, 1, &tok), STORE_OK);
	assert_string_equal(tok.jti, "tok-new-0002");
	assert_string_equal(tok.token, "v4.public.NEW");
	assert_string_equal(tok.state, "sent");
	assert_int_equal(tok.sent_at, DAY2 + 5);
	assert_int_equal(tok.expires_at, DAY3);
	free(tok.token);
	memset(&k, 0, sizeof(k));
	assert_int_equal(
	    store_token_foreach(fx->st, request_row, &k), STORE_OK);
	assert_string_equal(k.buf,
	    "tok-old-0001,ana@example.org,1,issued,-;"
	    "tok-new-0002,ana@example.org,1,sent,n@x;");

	/* Forget Ana: personal data gone, counts unchanged. */
	assert_int_equal(
	    store_artist_forget(fx->st, "nobody@example.org"), STORE_NOT_FOUND);
	assert_int_equal(
	    store_artist_forget(fx->st, "Ana@example.org"), STORE_OK);
	assert_int_equal(store_artist_get(fx->st, "ana@example.org", NULL, st_),
	    STORE_NOT_FOUND);
	assert_int_equal(store_stats(fx->st, &stats), STORE_OK);
	assert_int_equal(stats.artists, 2);
	assert_int_equal(stats.confirmed_phase1, 1);
	assert_int_equal(stats.confirmed_phase2, 1);
	assert_int_equal(stats.messages, 9);
	assert_int_equal(raw_int(fx->st->db,
			     "SELECT count(*) FROM audit WHERE from_addr"
			     " IS NOT NULL OR subject IS NOT NULL OR"
			     " from_name IS NOT NULL"),
	    0); /* every test message came "from" Ana */
	assert_int_equal(store_token_by_jti(fx->st, "tok-new-0002", &tok.token),
	    STORE_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	assert_int_equal(
	    store_artist_foreach(fx->st, 1, NULL, artist_row, &k), STORE_OK);
	assert_string_equal(k.buf, "-,confirmed,1101;");
	/* Writing again makes a new artist. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &bo),
	    STORE_OK);
	assert_true(bo != ana);
}

/*
 * A mailbox whose UIDVALIDITY changed: the message's row moves to the new
 * UIDVALIDITY and UID, once per row, and only within its mailbox.
 */
static void
test_audit_moved(void **state)
{
	struct fx *fx = *state;
	struct store_audit a =
	    audit("INBOX", 1, "m@x", SHA_A, "pledge", NULL, 0);
	struct store_audit b =
	    audit("INBOX", 2, "m@x", SHA_A, "ignore", "duplicate", 0);

	assert_int_equal(store_audit_insert(fx->st, &a, NULL), STORE_OK);
	assert_int_equal(store_audit_insert(fx->st, &b, NULL), STORE_OK);
	/* Asking moves nothing. */
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 5, "m@x", SHA_A, false),
	    STORE_OK);
	assert_false(store_audit_seen(fx->st, "INBOX", 8, 5, NULL));
	/* Another mailbox, other content, another Message-ID: no. */
	assert_int_equal(
	    store_audit_moved(fx->st, "Other", 8, 5, "m@x", SHA_A, true),
	    STORE_NOT_FOUND);
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 5, "m@x", SHA_B, true),
	    STORE_NOT_FOUND);
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 5, NULL, SHA_A, true),
	    STORE_NOT_FOUND);
	/* Two copies under the new UIDVALIDITY take the two rows, oldest
	 * first; a third is new. */
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 5, "m@x", SHA_A, true),
	    STORE_OK);
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 6, "m@x", SHA_A, true),
	    STORE_OK);
	assert_int_equal(
	    store_audit_moved(fx->st, "INBOX", 8, 7, "m@x", SHA_A, true),
	    STORE_NOT_FOUND);
	assert_true(store_audit_seen(fx->st, "INBOX", 8, 5, NULL));
	assert_true(store_audit_seen(fx->st, "INBOX", 8, 6, NULL));
	assert_false(store_audit_seen(fx->st, "INBOX", 7, 1, NULL));
	assert_row(
	    fx->st->db, "SELECT outcome FROM audit WHERE uid = 5", "pledge");
	assert_row(fx->st->db, "SELECT count(*) FROM audit", "2");
}

/* The request's secret reference finds its token, in any case. */
static void
test_token_by_ref(void **state)
{
	struct fx *fx = *state;
	char *token = NULL, jti[STORE_JTI_MAX + 1];
	struct store_token tok;
	int64_t id;

	assert_int_equal(
	    store_artist_upsert(fx->st, "ana@example.org", NULL, &id),
	    STORE_OK);
	assert_int_equal(store_token_issue(fx->st, "jti-0000-0001", id, 1,
			     "v4.public.R", DAY1, DAY3, "SecretRef0001"),
	    STORE_OK);
	assert_int_equal(
	    store_token_by_ref(fx->st, "SECRETREF0001", &token, jti), STORE_OK);
	assert_string_equal(token, "v4.public.R");
	assert_string_equal(jti, "jti-0000-0001");
	free(token);
	/* The jti is not a reference. */
	assert_int_equal(
	    store_token_by_ref(fx->st, "jti-0000-0001", &token, jti),
	    STORE_NOT_FOUND);
	assert_int_equal(store_token_latest(fx->st, id, 1, &tok), STORE_OK);
	assert_string_equal(tok.request_ref, "secretref0001");
	free(tok.token);
}

/* Corrections: add, exclude/include, link/unlink, fix-address. */
static void
test_corrections(void **state)
{
	struct fx *fx = *state;
	struct store_pledge_in in = {
	    .address = "ann@example.org",
	    .name = "Ann",
	    .source = "manual",
	    .note = "by phone",
	    .pledged_at = DAY1,
	    .by = "org",
	    .detail = "by phone",
	};
	struct store_stats s;
	const char *why = NULL;
	int64_t ann = 0, id = 0, bo = 0;

	assert_int_equal(store_pledge_add(fx->st, &in, &ann), STORE_OK);
	/* Twice: nothing changes, the history stays. */
	in.name = "Other";
	assert_int_equal(store_pledge_add(fx->st, &in, &id), STORE_DUPLICATE);
	assert_int_equal(id, ann);
	assert_row(fx->st->db,
	    "SELECT display_name, p.source, p.note, p.created_at"
	    " FROM artist a JOIN pledge p ON p.artist_id = a.id",
	    "Ann|manual|by phone|1709294400");
	in.address = "bo@example.org";
	in.source = "import";
	in.detail = "f.csv:2";
	assert_int_equal(store_pledge_add(fx->st, &in, &bo), STORE_OK);
	assert_int_equal(store_stats(fx->st, &s), STORE_OK);
	assert_int_equal(s.pledged, 2);
	assert_int_equal(s.added, 1);
	assert_int_equal(s.imported, 1);

	assert_int_equal(store_artist_exclude(fx->st, "BO@example.org", true,
			     "test", "org", &id),
	    STORE_OK);
	assert_int_equal(id, bo);
	assert_int_equal(store_artist_exclude(
			     fx->st, "bo@example.org", true, NULL, "org", NULL),
	    STORE_DUPLICATE);
	assert_int_equal(store_stats(fx->st, &s), STORE_OK);
	assert_int_equal(s.pledged, 1);
	assert_int_equal(s.excluded, 1);
	assert_int_equal(store_artist_exclude(fx->st, "bo@example.org", false,
			     NULL, "org", NULL),
	    STORE_OK);
	assert_int_equal(store_stats(fx->st, &s), STORE_OK);
	assert_int_equal(s.pledged, 2);

	/* A linked address resolves to its artist and counts once. */
	assert_int_equal(store_artist_link(fx->st, "ann@example.org",
			     "mgr@example.org", "org", &why),
	    STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx->st, "mgr@example.org", "Mgr", &id),
	    STORE_OK);
	assert_int_equal(id, ann);
	assert_int_equal(
	    store_artist_get(fx->st, "mgr@example.org", &id, NULL), STORE_OK);
	assert_int_equal(id, ann);
	assert_int_equal(store_stats(fx->st, &s), STORE_OK);
	assert_int_equal(s.artists, 2);
	assert_int_equal(s.linked, 1);
	/* No chains, and the first address must be an artist's. */
	assert_int_equal(store_artist_link(fx->st, "mgr@example.org",
			     "x@example.org", "org", &why),
	    STORE_NOT_FOUND);
	assert_non_null(why);
	/* Only the second address has a pledge: the other way round. */
	assert_int_equal(
	    store_artist_upsert(fx->st, "cy@example.org", NULL, &id), STORE_OK);
	assert_int_equal(store_artist_link(fx->st, "cy@example.org",
			     "bo@example.org", "org", &why),
	    STORE_NOT_FOUND);
	assert_int_equal(
	    store_artist_unlink(fx->st, "mgr@example.org", "org"), STORE_OK);
	assert_int_equal(store_artist_unlink(fx->st, "mgr@example.org", "org"),
	    STORE_DUPLICATE);

	/* fix-address: a taken address is refused, a free one taken. */
	assert_int_equal(store_artist_fix_address(fx->st, "ann@example.org",
			     "bo@example.org", "org", &why),
	    STORE_DUPLICATE);
	assert_int_equal(store_artist_fix_address(fx->st, "ann@example.org",
			     "ann@example.net", "org", &why),
	    STORE_OK);
	assert_int_equal(
	    store_artist_get(fx->st, "ann@example.net", &id, NULL), STORE_OK);
	assert_int_equal(id, ann);
	assert_row(fx->st->db,
	    "SELECT group_concat(action || ':' || decided_by, ',')"
	    " FROM (SELECT * FROM correction ORDER BY id)",
	    "add:org,import:org,exclude:org,include:org,link:org,unlink:org,"
	    "fix-address:org");
}

/* The pass record and the health it gives; the digest marks. */
static void
test_passes_and_digests(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_pass p = {.waiting = -1};
	struct store_health h;
	struct store_digest d, rec = {0};
	int64_t id, hi, n, fmax;

	assert_int_equal(store_health_get(st, &h), STORE_OK);
	assert_int_equal(h.passes, 0);
	assert_int_equal(h.last_ok_at, 0);
	assert_int_equal(h.waiting, -1);
	assert_int_equal(h.schema_version, store_sql_latest);
	assert_true(h.db_bytes > 0);
	store_health_free(&h);

	/* A good pass, then two failures, the second still "running". */
	assert_int_equal(store_pass_begin(st, "once", 100, &id), STORE_OK);
	p.ended_at = 110;
	p.counts[0] = 3;
	p.waiting = 0;
	assert_int_equal(store_pass_end(st, id, &p), STORE_OK);
	assert_int_equal(store_pass_begin(st, "daemon", 200, &id), STORE_OK);
	p.ended_at = 201;
	p.exit_code = 69;
	p.error = "imap: localhost: connect: Connection refused";
	p.waiting = -1;
	assert_int_equal(store_pass_end(st, id, &p), STORE_OK);
	assert_int_equal(store_pass_begin(st, "daemon", 300, &id), STORE_OK);
	assert_int_equal(store_health_get(st, &h), STORE_OK);
	assert_int_equal(h.last_ok_at, 110);
	assert_int_equal(h.failed_since, 1);
	assert_string_equal(h.last_error, p.error);
	assert_int_equal(h.last_error_at, 201);
	assert_int_equal(h.last_error_exit, 69);
	assert_true(h.last_running);
	assert_string_equal(h.last_kind, "daemon");
	assert_int_equal(h.waiting, 0); /* from the pass that searched */
	assert_int_equal(h.passes, 3);
	store_health_free(&h);
	assert_row(
	    st->db, "SELECT pledges, exit_code FROM pass WHERE id = 1", "3|0");
	/* The error is kept only with a failure. */
	p.exit_code = 0;
	p.ended_at = 310;
	assert_int_equal(store_pass_end(st, id, &p), STORE_OK);
	assert_row(
	    st->db, "SELECT coalesce(error, '-') FROM pass WHERE id = 3", "-");
	assert_int_equal(store_health_get(st, &h), STORE_OK);
	assert_int_equal(h.failed_since, 0);
	assert_int_equal(h.last_ok_at, 310);
	store_health_free(&h);

	/* An ingest that met an unparseable message read its mail. */
	assert_int_equal(store_pass_begin(st, "ingest", 400, &id), STORE_OK);
	p.exit_code = 65;
	p.ended_at = 401;
	assert_int_equal(store_pass_end(st, id, &p), STORE_OK);
	assert_int_equal(store_health_get(st, &h), STORE_OK);
	assert_int_equal(h.failed_since, 0);
	assert_int_equal(h.last_ok_at, 401);
	store_health_free(&h);
	assert_false(store_pass_failed("ingest", 65));
	assert_false(store_pass_failed("ingest", 66));
	assert_true(store_pass_failed("ingest", 74));
	assert_true(store_pass_failed("once", 65));
	assert_false(store_pass_failed("daemon", 0));

	/* Digests: none yet; a 'failed' one does not count as told. */
	assert_int_equal(store_digest_last(st, &d), STORE_NOT_FOUND);
	assert_int_equal(store_digest_marks(st, &hi, 0, &n, &fmax), STORE_OK);
	assert_int_equal(hi, 0);
	assert_int_equal(n, 0);
	rec.created_at = 500;
	rec.audit_upto = 7;
	rec.forgotten_upto = 0;
	rec.counts = (char *)"{\"pledged\":1}";
	assert_int_equal(
	    store_digest_begin(st, &rec, "<d1@x>", "o@x", &id), STORE_OK);
	assert_int_equal(
	    store_digest_end(st, id, false, 0, "451 later"), STORE_OK);
	assert_int_equal(store_digest_last(st, &d), STORE_NOT_FOUND);
	rec.created_at = 600;
	assert_int_equal(
	    store_digest_begin(st, &rec, "<d2@x>", "o@x", &id), STORE_OK);
	/* Left 'sending' (a crash): counts as told. */
	assert_int_equal(store_digest_last(st, &d), STORE_OK);
	assert_int_equal(d.created_at, 600);
	assert_int_equal(d.audit_upto, 7);
	assert_string_equal(d.state, "sending");
	assert_string_equal(d.counts, "{\"pledged\":1}");
	store_digest_free(&d);
	/* The same Message-ID twice is refused. */
	assert_int_equal(
	    store_digest_begin(st, &rec, "<d2@x>", "o@x", &id), STORE_ERR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reopen_keeps_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refuse_newer_and_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_migrate_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_migrate_store_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_check_outcome_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_unique, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_pledge_transitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_artist_upsert, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_confirmation_single_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrections, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_mailbox_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_wal_reader_during_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_views_reinstalled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_views, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_passes_and_digests, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_organizer_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_moved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_by_ref, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
