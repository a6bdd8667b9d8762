/*
 * Tests for the organizers' pledgectl commands (stats, list, show,
 * export, review, report, forget), run as the real binary against a
 * store filled through the store API with fixed times.
 *
 * The fixture is one campaign in miniature: pledges, confirmations in
 * both phases, a decline, a withdrawal, a bounce, every kind of review,
 * rejects and ignores, and text that is hostile to each output format
 * (commas, quotes, newlines, UTF-8, a terminal escape).  Outputs are
 * compared with golden files in tests/golden/ctl/ (regenerate them with
 * "cmake --build build --target update-golden", which runs this program
 * with --update-golden, and read the diff: nothing the suite sets can
 * rewrite them); counts are checked against
 * SQL written here, independently of the store's; CSV is read back with
 * a strict RFC 4180 reader.  When "pledged ingest" can fill a store, the
 * same checks apply to its output unchanged: they read only the store.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pledged/store.h"
#include "store_p.h"
#include "testutil.h"

/* 2024-03-01 12:00:00 UTC and the days after. */
#define DAY1 1709294400
#define DAY(n) ((int64_t)DAY1 + ((n)-1) * 86400)

struct fx {
	char *dir, *db, *conf;
};

static const char *
sha(int n)
{
	static char buf[65];

	snprintf(buf, sizeof(buf), "%064x", n);
	return buf;
}

static int64_t
artist(struct store *st, const char *addr, const char *name)
{
	int64_t id;

	assert_int_equal(store_artist_upsert(st, addr, name, &id), STORE_OK);
	return id;
}

/* One audit row; 'uid' 0 means ingested. */
static int64_t
msg(struct store *st, int uid, int64_t when, const char *from,
    const char *subject, const char *outcome, const char *reason, int phase,
    int64_t artist_id, const char *jti, const char *own)
{
	static int n;
	struct store_audit a;
	char mid[64];
	int64_t id;

	memset(&a, 0, sizeof(a));
	if (uid != 0) {
		a.mailbox = "INBOX";
		a.uidvalidity = 7;
		a.uid = (uint32_t)uid;
	}
	snprintf(mid, sizeof(mid), "m%d@mail.example", ++n);
	a.message_id = mid;
	a.sha256_hex = sha(n);
	a.size = 1000 + (size_t)n;
	a.from_addr = from;
	a.subject = subject;
	a.outcome = outcome;
	a.reason = reason;
	a.phase = phase;
	a.artist_id = artist_id;
	a.jti = jti;
	a.own_text = own;
	/* The intent rule, as classify would have set it. */
	if (strcmp(outcome, "confirm") == 0)
		a.rule = "yes-word";
	else if (strcmp(outcome, "decline") == 0)
		a.rule = "no-word";
	else if (strcmp(outcome, "withdraw") == 0)
		a.rule = "withdraw-keyword";
	else if (reason != NULL && strcmp(reason, "unclear") == 0)
		a.rule = "question";
	a.processed_at = when;
	assert_int_equal(store_audit_insert(st, &a, &id), STORE_OK);
	return id;
}

static void
token(struct store *st, const char *jti, int64_t artist_id, int phase,
    int64_t when, const char *state)
{
	char mid[96];

	assert_int_equal(
	    store_token_issue(st, jti, artist_id, phase, "v4.public.fixture",
		when, when + 30 * 86400, NULL),
	    STORE_OK);
	if (strcmp(state, "issued") == 0)
		return;
	snprintf(mid, sizeof(mid), "<req-%s@campaign.example>", jti);
	assert_int_equal(store_token_sent(st, jti, mid, when + 60), STORE_OK);
	if (strcmp(state, "bounced") == 0)
		assert_int_equal(store_token_mark_bounced(st, jti), STORE_OK);
}

static void
confirm(struct store *st, int64_t a, int phase, const char *jti, bool no,
    int64_t audit)
{
	assert_int_equal(
	    store_confirmation_record(st, a, phase, jti, no, audit), STORE_OK);
	if (!no && phase == 1)
		assert_int_equal(store_pledge_confirm(st, a), STORE_OK);
}

#define J(c) "jti" c "aaaaaaaaaaaaaaaaaaaaaa"

static void
fill(const char *path)
{
	struct store *st;
	int64_t ana, bo, cleo, dan, eve, fay, gil, m;

	assert_int_equal(store_open(path, true, &st), STORE_OK);
	assert_int_equal(store_begin(st), STORE_OK);
	ana = artist(st, "ana@example.org", "Ana Lima");
	m = msg(st, 1, DAY(1), "ana@example.org", "I pledge", "pledge", NULL, 0,
	    ana, NULL, "Count me in.");
	assert_int_equal(store_pledge_record(st, ana, m), STORE_OK);
	bo = artist(st, "bo@example.org", "Bo, the \"Band\"");
	m = msg(st, 2, DAY(1) + 3600, "bo@example.org",
	    "Pledge, \"with quotes\"", "pledge", NULL, 0, bo, NULL,
	    "line one\nline two, with a comma");
	assert_int_equal(store_pledge_record(st, bo, m), STORE_OK);
	token(st, J("a"), ana, 1, DAY(1) + 7200, "sent");
	token(st, J("b"), bo, 1, DAY(1) + 7200, "sent");
	cleo = artist(st, "cleo@example.org", "Chloé Ñúñez");
	m = msg(st, 0, DAY(2), "cleo@example.org", "Je m’engage — pledge",
	    "pledge", NULL, 0, cleo, NULL, "Avec plaisir ✊");
	assert_int_equal(store_pledge_record(st, cleo, m), STORE_OK);
	m = msg(st, 3, DAY(2) + 600, "ana@example.org", "Re: Confirm [ref:x]",
	    "confirm", NULL, 1, ana, J("a"), "yes");
	confirm(st, ana, 1, J("a"), false, m);
	m = msg(st, 4, DAY(2) + 900, "bo@example.org", "Re: Confirm", "decline",
	    NULL, 1, bo, J("b"), "no thanks");
	confirm(st, bo, 1, J("b"), true, m);
	dan = artist(st, "dan@example.org", NULL);
	m = msg(st, 5, DAY(2) + 1200, "dan@example.org", "pledge", "pledge",
	    NULL, 0, dan, NULL, NULL);
	assert_int_equal(store_pledge_record(st, dan, m), STORE_OK);
	token(st, J("d"), dan, 1, DAY(2) + 1800, "bounced");
	msg(st, 6, DAY(2) + 1900, "mailer-daemon@mx.example.org",
	    "Undeliverable: Please confirm", "ignore", "bounce", 0, 0, NULL,
	    NULL);
	m = msg(st, 7, DAY(3), "cleo@example.org", "withdraw", "withdraw", NULL,
	    0, cleo, NULL, "Sorry, I withdraw.");
	assert_int_equal(store_pledge_withdraw(st, cleo, m), STORE_OK);
	eve = artist(st, "eve@example.org", "Eve");
	m = msg(st, 8, DAY(3) + 60, "eve@example.org", "pledge", "pledge", NULL,
	    0, eve, NULL, NULL);
	assert_int_equal(store_pledge_record(st, eve, m), STORE_OK);
	fay = artist(st, "fay@example.org", "Fay");
	m = msg(st, 9, DAY(3) + 120, "fay@example.org", "pledge", "pledge",
	    NULL, 0, fay, NULL, NULL);
	assert_int_equal(store_pledge_record(st, fay, m), STORE_OK);
	token(st, J("f"), fay, 1, DAY(3) + 180, "sent");
	token(st, J("p"), ana, 2, DAY(3) + 240, "sent");
	m = msg(st, 10, DAY(5), "ana@example.org", "Re: phase two", "confirm",
	    NULL, 2, ana, J("p"), "Done, thank you");
	confirm(st, ana, 2, J("p"), false, m);
	/* A token issued to someone who pledged elsewhere. */
	gil = artist(st, "gil@example.org", "Gil");
	token(st, J("g"), gil, 1, DAY(3) + 300, "issued");
	m = msg(st, 11, DAY(5) + 60, "gil@example.org", "Re: confirm",
	    "confirm", NULL, 1, gil, J("g"), NULL);
	confirm(st, gil, 1, J("g"), false, m);
	/* Held for review: one of each reason. */
	msg(st, 12, DAY(5) + 120, "manager@agency.example",
	    "Re: Confirm, \"please\"", "review", "sender-mismatch", 1, fay,
	    J("f"), "Yes, confirming for Fay,\non her behalf.");
	msg(st, 13, DAY(5) + 180, "hal@example.org", "I pledge", "review",
	    "unauthenticated", 0, 0, NULL, "I pledge, count me in");
	msg(st, 14, DAY(5) + 240, "eve@example.org", "Re: two tokens", "review",
	    "multiple-tokens", 0, eve, NULL, NULL);
	/* Rejected and ignored, with hostile text. */
	msg(st, 15, DAY(5) + 300, "x@spam.example", "\x1b[31mred\x1b[0m alert",
	    "reject", "bad-signature", 0, 0, NULL, NULL);
	msg(st, 0, DAY(5) + 360, "y@example.net", "old token", "reject",
	    "expired", 1, 0, NULL, NULL);
	msg(st, 16, DAY(5) + 420, "ana@example.org", "Out of office", "ignore",
	    "auto-reply", 0, ana, NULL, NULL);
	msg(st, 17, DAY(5) + 480, "list@lists.example", "[list] digest",
	    "ignore", "list", 0, 0, NULL, NULL);
	msg(st, 18, DAY(5) + 540, "z@example.com", "hello", "ignore", "other",
	    0, 0, NULL, NULL);
	assert_int_equal(store_commit(st), STORE_OK);
	/* Artists are created "now": pin that too, for stable output. */
	assert_int_equal(sqlite3_exec(st->db,
			     "UPDATE artist SET created_at = "
			     "1709290000"
			     " + id * 60",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	store_close(st);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *text;

	assert_non_null(fx);
	fx->dir = tu_mkdtemp("ctl");
	fx->db = tu_asprintf("%s/pledges.db", fx->dir);
	fx->conf = tu_asprintf("%s/pledged.conf", fx->dir);
	text = tu_asprintf("[store]\ndatabase = %s\n[tokens]\ncampaign = "
			   "nomusicforice\n",
	    fx->db);
	tu_write_file(fx->conf, text, strlen(text), 0644);
	free(text);
	fill(fx->db);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->db);
	free(fx->conf);
	free(fx);
	return 0;
}

/* Run pledgectl with the fixture's config; returns the exit status. */
static int
ctl(struct fx *fx, char **out, char **err, ...)
{
	char *argv[16];
	va_list ap;
	int n = 0;

	argv[n++] = getenv("PLEDGECTL");
	assert_non_null(argv[0]);
	argv[n++] = "--config";
	argv[n++] = fx->conf;
	va_start(ap, err);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		assert_true(++n < 15);
	va_end(ap);
	return tu_run(argv, NULL, out, err);
}

/* Set by --update-golden on the command line (the update-golden target). */
static bool update_golden;

/* Compare with tests/golden/ctl/NAME, or write it when asked to. */
static void
golden(const char *name, const char *got)
{
	char *path =
	    tu_asprintf("%s/tests/golden/ctl/%s", PLEDGED_SOURCE_DIR, name);
	char *want;
	size_t len;

	if (update_golden) {
		tu_write_file(path, got, strlen(got), 0644);
		fprintf(stderr, "wrote %s\n", path);
		free(path);
		return;
	}
	want = tu_read_file(path, &len);
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "--- %s\n%s--- got\n%s---\n", name, want, got);
		fail_msg("%s differs from the golden output", name);
	}
	free(want);
	free(path);
}

static const struct {
	const char *golden;
	const char *args[6];
} goldens[] = {
    {"stats.txt", {"stats"}},
    {"stats.json", {"stats", "--json"}},
    {"list.txt", {"list"}},
    {"list-phase1.txt", {"list", "--phase", "1"}},
    {"list-phase2.txt", {"list", "--phase", "2"}},
    {"list-requested.txt", {"list", "--state", "requested"}},
    {"list-p1-declined.txt", {"list", "--phase", "1", "--state", "declined"}},
    {"show-ana.txt", {"show", "ANA@example.org"}},
    {"show-fay.txt", {"show", "fay@example.org"}},
    {"export-artists.csv", {"export", "--what", "artists", "--format", "csv"}},
    {"export-artists.json",
	{"export", "--what", "artists", "--format", "json"}},
    {"export-messages.csv",
	{"export", "--what", "messages", "--format", "csv"}},
    {"export-messages.json",
	{"export", "--what", "messages", "--format", "json"}},
    {"export-requests.csv",
	{"export", "--what", "requests", "--format", "csv"}},
    {"export-requests.json",
	{"export", "--what", "requests", "--format", "json"}},
    {"review.txt", {"review"}},
};

static void
test_golden(void **state)
{
	struct fx *fx = *state;
	char *out, *err;
	size_t i;

	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		const char *const *a = goldens[i].args;
		int rc = ctl(fx, &out, &err, a[0], a[1], a[2], a[3], a[4], a[5],
		    (char *)NULL);
		if (rc != 0)
			fail_msg("%s: exit %d: %s", goldens[i].golden, rc, err);
		assert_string_equal(err, "");
		golden(goldens[i].golden, out);
		free(out);
		free(err);
	}
}

/* A number from SQL of our own, on a separate connection. */
static int64_t
sql_count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t n;

	assert_int_equal(
	    sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

/* The integer member 'key' of a one-line JSON object, by hand. */
static int64_t
json_int(const char *json, const char *key)
{
	char *pat = tu_asprintf("\"%s\":", key);
	const char *p = strstr(json, pat);

	if (p == NULL)
		fail_msg("no member %s in %s", key, json);
	free(pat);
	return strtoll(p + strlen(key) + 3, NULL, 10);
}

/*
 * stats --json against counts written from the schema's own tables: the
 * latest answer per artist and phase decides, a withdrawal cancels.
 */
static void
check_stats(struct fx *fx)
{
	static const struct {
		const char *key, *sql;
	} counts[] = {
	    {"artists", "SELECT count(*) FROM artist"},
	    {"pledged",
		"SELECT count(*) FROM pledge WHERE state <> "
		"'withdrawn'"},
	    {"confirmed_phase1",
		"SELECT count(*) FROM pledge WHERE state = "
		"'confirmed'"},
	    {"confirmed_phase2",
		"SELECT count(*) FROM artist a JOIN pledge p ON p.artist_id"
		" = a.id WHERE p.state <> 'withdrawn' AND (SELECT kind FROM"
		" confirmation c WHERE c.artist_id = a.id AND c.phase = 2"
		" ORDER BY created_at DESC, id DESC LIMIT 1) = 'confirm'"},
	    {"declined",
		"SELECT count(*) FROM artist a WHERE EXISTS (SELECT 1 FROM"
		" (SELECT phase, kind, row_number() OVER (PARTITION BY phase"
		" ORDER BY created_at DESC, id DESC) AS k FROM confirmation c"
		" WHERE c.artist_id = a.id) WHERE k = 1 AND kind = "
		"'decline')"},
	    {"withdrawn",
		"SELECT count(*) FROM pledge WHERE state = "
		"'withdrawn'"},
	    {"review",
		"SELECT count(*) FROM audit WHERE outcome = 'review' "
		"AND id NOT IN (SELECT audit_id FROM review_decision)"},
	    {"rejected",
		"SELECT count(*) FROM audit WHERE outcome = "
		"'reject'"},
	    {"ignored", "SELECT count(*) FROM audit WHERE outcome = 'ignore'"},
	    {"messages", "SELECT count(*) FROM audit"},
	    {"requests_sent",
		"SELECT count(*) FROM token WHERE sent_at IS "
		"NOT NULL"},
	    {"requests_bounced",
		"SELECT count(*) FROM token WHERE state = "
		"'bounced'"},
	    {"phase2_of_phase1",
		"SELECT count(*) FROM artist a JOIN pledge p ON p.artist_id"
		" = a.id WHERE p.state = 'confirmed' AND (SELECT kind FROM"
		" confirmation c WHERE c.artist_id = a.id AND c.phase = 2"
		" ORDER BY created_at DESC, id DESC LIMIT 1) = 'confirm'"},
	    {"phase2_of_pledged",
		"SELECT count(*) FROM artist a JOIN pledge p ON p.artist_id"
		" = a.id WHERE p.state <> 'withdrawn' AND (SELECT kind FROM"
		" confirmation c WHERE c.artist_id = a.id AND c.phase = 2"
		" ORDER BY created_at DESC, id DESC LIMIT 1) = 'confirm'"},
	};
	char *out;
	size_t i;

	assert_int_equal(
	    ctl(fx, &out, NULL, "stats", "--json", (char *)NULL), 0);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int64_t want = sql_count(fx->db, counts[i].sql);
		if (json_int(out, counts[i].key) != want)
			fail_msg("stats %s: %lld, SQL says %lld", counts[i].key,
			    (long long)json_int(out, counts[i].key),
			    (long long)want);
	}
	free(out);
}

static void
test_stats_agree_with_sql(void **state)
{
	struct fx *fx = *state;

	check_stats(fx);
}

/*
 * A strict RFC 4180 reader: fields separated by commas, records by CRLF,
 * quoted fields with doubled quotes; a bare quote inside an unquoted
 * field, a lone CR or LF outside quotes, or text after a closing quote
 * fails.  Returns the records as rows of fields (NULL-terminated);
 * *ncols must agree for every record.
 */
struct csv {
	char ***rows;
	size_t nrows, ncols;
};

static void
csv_parse(const char *s, struct csv *c)
{
	size_t cap = 0, nf = 0, fcap = 0, len = 0;
	char **fields = NULL, *f = NULL;
	bool quoted, endrec;

	memset(c, 0, sizeof(*c));
	while (*s != '\0') {
		/* One field. */
		f = calloc(1, strlen(s) + 1);
		assert_non_null(f);
		len = 0;
		quoted = *s == '"';
		if (quoted) {
			for (s++;; s++) {
				if (*s == '\0')
					fail_msg("CSV: unterminated quote");
				if (*s == '"' && s[1] == '"') {
					f[len++] = '"';
					s++;
				} else if (*s == '"') {
					s++;
					break;
				} else
					f[len++] = *s;
			}
		} else {
			for (; *s != ',' && *s != '\r' && *s != '\0'; s++) {
				if (*s == '"' || *s == '\n')
					fail_msg("CSV: bare %s in a field",
					    *s == '"' ? "quote" : "LF");
				f[len++] = *s;
			}
		}
		if (nf + 1 >= fcap) {
			fcap = fcap ? fcap * 2 : 16;
			fields = realloc(fields, fcap * sizeof(*fields));
			assert_non_null(fields);
		}
		fields[nf++] = f;
		if (*s == ',') {
			s++;
			continue;
		}
		if (s[0] != '\r' || s[1] != '\n')
			fail_msg("CSV: record not ended by CRLF");
		s += 2;
		endrec = true;
		fields[nf] = NULL;
		if (c->nrows == 0)
			c->ncols = nf;
		else if (nf != c->ncols)
			fail_msg("CSV: record %zu has %zu fields, not %zu",
			    c->nrows + 1, nf, c->ncols);
		if (c->nrows == cap) {
			cap = cap ? cap * 2 : 16;
			c->rows = realloc(c->rows, cap * sizeof(*c->rows));
			assert_non_null(c->rows);
		}
		c->rows[c->nrows++] = fields;
		fields = NULL;
		nf = fcap = 0;
		(void)endrec;
	}
	assert_null(fields);
}

static void
csv_free(struct csv *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		for (char **f = c->rows[i]; *f != NULL; f++)
			free(*f);
		free(c->rows[i]);
	}
	free(c->rows);
}

static size_t
csv_col(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->rows[0][i], name) == 0)
			return i;
	fail_msg("CSV: no column %s", name);
	return 0;
}

static void
test_csv_strict(void **state)
{
	struct fx *fx = *state;
	static const char *const what[] = {"artists", "messages", "requests"};
	static const char *const tables[] = {"artist", "audit", "token"};
	struct csv c;
	char *out, *sql;
	size_t i, subj, name, own, r;
	bool seen_quotes = false, seen_newline = false, seen_utf8 = false;

	for (i = 0; i < 3; i++) {
		assert_int_equal(ctl(fx, &out, NULL, "export", "--what",
				     what[i], "--format", "csv", (char *)NULL),
		    0);
		csv_parse(out, &c);
		sql = tu_asprintf("SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(c.nrows - 1, sql_count(fx->db, sql));
		free(sql);
		if (i == 1) {
			subj = csv_col(&c, "subject");
			own = csv_col(&c, "own_text");
			for (r = 1; r < c.nrows; r++) {
				if (strcmp(c.rows[r][subj],
					"Pledge, \"with quotes\"") == 0)
					seen_quotes = true;
				if (strcmp(c.rows[r][own],
					"line one\nline two, with a comma") ==
				    0)
					seen_newline = true;
			}
			/* The DESIGN's members are all there. */
			csv_col(&c, "mailbox");
			csv_col(&c, "uidvalidity");
			csv_col(&c, "uid");
			csv_col(&c, "message_id");
			csv_col(&c, "from");
			csv_col(&c, "outcome");
			csv_col(&c, "reason");
			csv_col(&c, "phase");
			csv_col(&c, "artist");
			csv_col(&c, "processed_at");
		}
		if (i == 0) {
			name = csv_col(&c, "name");
			for (r = 1; r < c.nrows; r++)
				if (strcmp(c.rows[r][name], "Chloé Ñúñez") == 0)
					seen_utf8 = true;
		}
		csv_free(&c);
		free(out);
	}
	assert_true(seen_quotes);
	assert_true(seen_newline);
	assert_true(seen_utf8);
}

static void
test_json_lines(void **state)
{
	struct fx *fx = *state;
	char *out, *line, *save = NULL;
	int n = 0;

	assert_int_equal(ctl(fx, &out, NULL, "export", "--what", "messages",
			     "--format", "json", (char *)NULL),
	    0);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		static const char *const keys[] = {"\"mailbox\":",
		    "\"uidvalidity\":", "\"uid\":", "\"message_id\":",
		    "\"from\":", "\"subject\":", "\"outcome\":", "\"reason\":",
		    "\"phase\":", "\"artist\":", "\"processed_at\":"};
		assert_true(line[0] == '{' && line[strlen(line) - 1] == '}');
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strstr(line, keys[k]) == NULL)
				fail_msg("no %s in %s", keys[k], line);
	}
	assert_int_equal(n, sql_count(fx->db, "SELECT count(*) FROM audit"));
	free(out);
}

/* The member names of a JSON object, comma-separated, in order. */
static char *
json_keys(const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	const char *k;
	json_t *v;
	char buf[1024] = "";
	size_t len = 0;

	if (o == NULL || !json_is_object(o))
		fail_msg("not a JSON object: %s", line);
	json_object_foreach(o, k, v)
	{
		(void)v;
		len += (size_t)snprintf(
		    buf + len, sizeof(buf) - len, "%s%s", len ? "," : "", k);
		assert_true(len < sizeof(buf));
	}
	json_decref(o);
	return strdup(buf);
}

/* The first line of 'out' (modified). */
static char *
first_line(char *out)
{
	char *nl = strchr(out, '\n');

	if (nl != NULL)
		*nl = '\0';
	return out;
}

/*
 * --json of list, show, review and status: the documented members, in
 * order, and the same names as the export's columns (verify --json:
 * tests/integration/pledgectl_verify.sh).
 */
static void
test_json_keys(void **state)
{
	struct fx *fx = *state;
	char *out, *exp, *k1, *k2;
	json_t *o;
	size_t n = 0;

	/* list --json: one artist a line, the export's artist members. */
	assert_int_equal(
	    ctl(fx, &out, NULL, "list", "--json", (char *)NULL), 0);
	for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	assert_int_equal(n, sql_count(fx->db, "SELECT count(*) FROM artist"));
	assert_int_equal(ctl(fx, &exp, NULL, "export", "--what", "artists",
			     "--format", "json", (char *)NULL),
	    0);
	k1 = json_keys(first_line(out));
	k2 = json_keys(first_line(exp));
	assert_string_equal(k1, k2);
	assert_string_equal(k1,
	    "id,address,name,pledge_state,phase1_state,phase2_state,"
	    "phase1_confirmed,phase2_confirmed,declined,forgotten,created_at,"
	    "last_change,pledge_source,excluded,linked");
	free(k1);
	free(k2);
	free(out);
	free(exp);

	/* review --json: held messages, the export's message members. */
	assert_int_equal(
	    ctl(fx, &out, NULL, "review", "--json", (char *)NULL), 0);
	assert_int_equal(ctl(fx, &exp, NULL, "export", "--what", "messages",
			     "--format", "json", (char *)NULL),
	    0);
	k1 = json_keys(first_line(out));
	k2 = json_keys(first_line(exp));
	assert_string_equal(k1, k2);
	assert_non_null(strstr(out, "\"outcome\":\"review\""));
	free(k1);
	free(k2);
	free(out);
	free(exp);

	/* show --json: one object of four parts. */
	assert_int_equal(ctl(fx, &out, NULL, "show", "--json",
			     "ana@example.org", (char *)NULL),
	    0);
	k1 = json_keys(first_line(out));
	assert_string_equal(k1, "artist,requests,answers,messages");
	free(k1);
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(o, "artist"), "address")),
	    "ana@example.org");
	assert_true(json_array_size(json_object_get(o, "messages")) > 0);
	json_decref(o);
	free(out);

	/* status --json */
	assert_int_equal(
	    ctl(fx, &out, NULL, "status", "--json", (char *)NULL), 0);
	k1 = json_keys(first_line(out));
	assert_string_equal(k1,
	    "last_read,failed_since,last_error,last_error_at,"
	    "last_error_exit,waiting,last_pass,passes,stale,database,"
	    "database_bytes,wal_bytes,schema_version");
	free(k1);
	free(out);
}

static int64_t
audit_id_of(struct fx *fx, const char *reason)
{
	char *sql =
	    tu_asprintf("SELECT id FROM audit WHERE reason = '%s'", reason);
	int64_t id = sql_count(fx->db, sql);

	free(sql);
	return id;
}

static void
test_review(void **state)
{
	struct fx *fx = *state;
	char *out, *err, id[24];
	int64_t before;

	/* sender-mismatch: counts the token's confirmation, for fay. */
	snprintf(id, sizeof(id), "%lld",
	    (long long)audit_id_of(fx, "sender-mismatch"));
	setenv("USER", "organizer1", 1);
	assert_int_equal(
	    ctl(fx, &out, &err, "review", "--approve", id, (char *)NULL), 0);
	assert_non_null(strstr(out, "phase-one confirmation"));
	free(out);
	free(err);
	assert_int_equal(sql_count(fx->db,
			     "SELECT count(*) FROM confirmation c JOIN artist a"
			     " ON a.id = c.artist_id WHERE a.address = "
			     "'fay@example.org' AND c.jti = '" J("f") "'"),
	    1);
	assert_int_equal(sql_count(fx->db,
			     "SELECT count(*) FROM pledge p JOIN artist a ON"
			     " a.id = p.artist_id WHERE a.address = "
			     "'fay@example.org' AND p.state = 'confirmed'"),
	    1);
	/* Who decided is recorded (getlogin() wins where there is one). */
	assert_int_equal(sql_count(fx->db,
			     "SELECT count(*) FROM review_decision WHERE"
			     " decision = 'approved' AND decided_by IS NOT NULL"
			     " AND decided_by <> ''"),
	    1);
	/* Decided already: refused. */
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--reject", id, (char *)NULL), 65);
	/* unauthenticated: records the pledge of a new artist. */
	snprintf(id, sizeof(id), "%lld",
	    (long long)audit_id_of(fx, "unauthenticated"));
	before = sql_count(fx->db, "SELECT count(*) FROM pledge");
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--approve", id, (char *)NULL), 0);
	assert_int_equal(
	    sql_count(fx->db, "SELECT count(*) FROM pledge"), before + 1);
	assert_int_equal(sql_count(fx->db,
			     "SELECT count(*) FROM pledge p JOIN artist a ON"
			     " a.id = p.artist_id WHERE a.address = "
			     "'hal@example.org' AND p.state = 'received'"),
	    1);
	/* multiple-tokens rejected: nothing else changes. */
	snprintf(id, sizeof(id), "%lld",
	    (long long)audit_id_of(fx, "multiple-tokens"));
	before = sql_count(fx->db, "SELECT count(*) FROM confirmation");
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--reject", id, (char *)NULL), 0);
	assert_int_equal(
	    sql_count(fx->db, "SELECT count(*) FROM confirmation"), before);
	/* Nothing left to review; bad ids are errors. */
	assert_int_equal(ctl(fx, &out, NULL, "review", (char *)NULL), 0);
	assert_string_equal(out, "nothing held for review\n");
	free(out);
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--approve", "9999", (char *)NULL),
	    65);
	snprintf(id, sizeof(id), "%lld",
	    (long long)audit_id_of(fx, "bad-signature"));
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--approve", id, (char *)NULL), 65);
	assert_int_equal(
	    ctl(fx, NULL, NULL, "review", "--approve", "x1", (char *)NULL), 64);
	check_stats(fx);
}

/* The approval of a reply whose token was used meanwhile counts nothing. */
static void
test_review_jti_used(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	char *out, id[24];
	int64_t fay, before;

	assert_int_equal(store_open(fx->db, false, &st), STORE_OK);
	assert_int_equal(
	    store_artist_get(st, "fay@example.org", &fay, NULL), STORE_OK);
	assert_int_equal(
	    store_confirmation_record(st, fay, 1, J("f"), false, 0), STORE_OK);
	store_close(st);
	before = sql_count(fx->db, "SELECT count(*) FROM confirmation");
	snprintf(id, sizeof(id), "%lld",
	    (long long)audit_id_of(fx, "sender-mismatch"));
	assert_int_equal(
	    ctl(fx, &out, NULL, "review", "--approve", id, (char *)NULL), 0);
	assert_non_null(strstr(out, "used meanwhile"));
	free(out);
	assert_int_equal(
	    sql_count(fx->db, "SELECT count(*) FROM confirmation"), before);
}

static bool
contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static void
test_forget(void **state)
{
	struct fx *fx = *state;
	char *dump_argv[] = {"sqlite3", fx->db, ".dump", NULL};
	char *before, *after, *out, *stats1, *stats2, *file;
	size_t len;

	assert_int_equal(ctl(fx, &stats1, NULL, "stats", (char *)NULL), 0);
	assert_int_equal(tu_run(dump_argv, NULL, &before, NULL), 0);
	assert_true(contains_ci(before, "bo@example.org"));
	assert_true(contains_ci(before, "Bo, the"));
	free(before);
	assert_int_equal(
	    ctl(fx, &out, NULL, "forget", "BO@Example.org", (char *)NULL), 0);
	assert_null(strstr(out, "bo@"));
	free(out);
	assert_int_equal(tu_run(dump_argv, NULL, &after, NULL), 0);
	assert_false(contains_ci(after, "bo@example.org"));
	assert_false(contains_ci(after, "Bo, the"));
	assert_false(contains_ci(after, "with quotes")); /* the subject */
	free(after);
	/* Nor in the file itself, free pages and log included. */
	file = tu_read_file(fx->db, &len);
	assert_null(memmem(file, len, "bo@example.org", 14));
	free(file);
	/* Counts and outcomes are kept. */
	assert_int_equal(ctl(fx, &stats2, NULL, "stats", (char *)NULL), 0);
	assert_string_equal(stats1, stats2);
	free(stats1);
	check_stats(fx);
	/* Idempotent. */
	assert_int_equal(
	    ctl(fx, &out, NULL, "forget", "bo@example.org", (char *)NULL), 0);
	assert_non_null(strstr(out, "nothing recorded"));
	free(out);
	assert_int_equal(ctl(fx, &out, NULL, "stats", (char *)NULL), 0);
	assert_string_equal(out, stats2);
	free(out);
	free(stats2);
	assert_int_equal(ctl(fx, &out, NULL, "list", (char *)NULL), 0);
	golden("list-after-forget.txt", out);
	free(out);
	assert_int_equal(
	    ctl(fx, NULL, NULL, "show", "bo@example.org", (char *)NULL), 65);
}

static void
test_report(void **state)
{
	struct fx *fx = *state;
	char *path = tu_asprintf("%s/report.html", fx->dir);
	char *tmp = tu_asprintf("%s.tmp", path);
	char *out, *html, *p, *q;
	struct stat sb;
	size_t len;

	assert_int_equal(
	    ctl(fx, &out, NULL, "report", "--html", path, (char *)NULL), 0);
	free(out);
	assert_int_equal(stat(tmp, &sb), -1);
	html = tu_read_file(path, &len);
	/* Self-contained: no script, nothing loaded. */
	assert_null(strcasestr(html, "<script"));
	assert_null(strcasestr(html, "<link"));
	assert_null(strcasestr(html, "src="));
	assert_null(strcasestr(html, "url("));
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "Artists per day, by the day they wrote"));
	/* The escape sequence and markup from mail do not get through. */
	assert_null(strchr(html, '\x1b'));
	/* Stable apart from the time it was made: compare the rest. */
	p = strstr(html, "Last updated ");
	assert_non_null(p);
	q = strstr(p, " UTC &middot;");
	assert_non_null(q);
	memmove(p + 13, q, strlen(q) + 1);
	golden("report.html", html);
	free(html);
	/* Not writable: 73, and the old report stays. */
	free(path);
	path = tu_asprintf("%s/no/such/dir/report.html", fx->dir);
	assert_int_equal(
	    ctl(fx, NULL, NULL, "report", "--html", path, (char *)NULL), 73);
	free(path);
	free(tmp);
}

static void
test_missing_database(void **state)
{
	struct fx *fx = *state;
	static const char *const cmds[][6] = {
	    {"stats"},
	    {"stats", "--json"},
	    {"list"},
	    {"show", "ana@example.org"},
	    {"export", "--what", "messages", "--format", "csv"},
	    {"review"},
	    {"report", "--html", "/dev/null/x"},
	    {"forget", "ana@example.org"},
	};
	char *out, *err;
	size_t i;

	assert_int_equal(unlink(fx->db), 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = ctl(fx, &out, &err, cmds[i][0], cmds[i][1], cmds[i][2],
		    cmds[i][3], cmds[i][4], (char *)NULL);
		if (rc != 66)
			fail_msg("%s: exit %d, not 66", cmds[i][0], rc);
		assert_string_equal(out, "");
		assert_non_null(strstr(err, "database"));
		free(out);
		free(err);
	}
	/* Nothing was created. */
	assert_int_equal(access(fx->db, F_OK), -1);
}

static void
test_usage(void **state)
{
	struct fx *fx = *state;
	static const char *const cmds[][6] = {
	    {"stats", "extra"},
	    {"list", "--phase", "3"},
	    {"list", "--state", "happy"},
	    {"show"},
	    {"show", "not an address"},
	    {"export", "--what", "everything", "--format", "csv"},
	    {"export", "--what", "artists", "--format", "xml"},
	    {"export", "--what", "artists"},
	    {"review", "--approve", "1", "--reject"},
	    {"report"},
	    {"forget"},
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = ctl(fx, NULL, NULL, cmds[i][0], cmds[i][1], cmds[i][2],
		    cmds[i][3], cmds[i][4], (char *)NULL);
		if (rc != 64)
			fail_msg("%s %s: exit %d, not 64", cmds[i][0],
			    cmds[i][1] ? cmds[i][1] : "", rc);
	}
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_stats_agree_with_sql, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_strict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_review_jti_used, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_missing_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};

	if (argc == 2 && strcmp(argv[1], "--update-golden") == 0)
		update_golden = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: test_ctl [--update-golden]\n");
		return 64;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
