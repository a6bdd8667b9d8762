/*
 * pledgectl import FILE.csv [--dry-run] [--by WHO]: bring in the
 * pledgers a campaign already has (a spreadsheet, a petition export).
 *
 * The file is RFC 4180 CSV in UTF-8, with or without a byte order mark,
 * lines ending in CRLF or LF, fields quoted with '"' where they hold a
 * comma, a quote ("") or a line break.  The first row names the columns,
 * in any order and case; accepted names:
 *
 *   address   address, email, e-mail, email address, mail   (required)
 *   name      name, display name, artist, artist name
 *   pledged   pledged_at, pledged at, date, pledged, when, timestamp,
 *             signed, signed_at
 *             (YYYY-MM-DD, or with a time: "YYYY-MM-DD HH:MM[:SS]" or
 *             RFC 3339; UTC unless an offset is given; empty: now)
 *   source    source, how, via, channel
 *   note      note, notes, comment, comments
 *
 * Other columns are ignored (and named on standard error).
 *
 * All or nothing: the whole file is checked first, every bad row
 * reported as FILE:LINE: message (the line where the row starts), and
 * nothing is imported until it is clean (exit 65).  Then every row is
 * recorded in one transaction as a pledge with source "import", the
 * source column (or the file's name) as how, the note, and a correction
 * row naming FILE:LINE and who ran the import.  An address already in
 * the ledger (any pledge, in any state, its own or a linked artist's)
 * keeps its history and is counted as "already there"; importing the
 * same file twice therefore changes nothing.  --dry-run does the same in
 * a transaction that is rolled back, and says what would change.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/addr.h"
#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char import_usage[] =
    "usage: pledgectl import FILE.csv [--dry-run] [--by WHO]\n";

/* Bounds: a campaign's file, not a data warehouse. */
#define IMPORT_MAX_BYTES (64L * 1024 * 1024)
#define IMPORT_MAX_FIELDS 256
#define IMPORT_MAX_ERRORS 200

enum col { COL_ADDRESS, COL_NAME, COL_PLEDGED, COL_SOURCE, COL_NOTE, COL_N };

#define COL_ALIASES 8
static const char *const col_names[COL_N][COL_ALIASES] = {
    [COL_ADDRESS] = {"address", "email", "e-mail", "email address", "mail"},
    [COL_NAME] = {"name", "display name", "artist", "artist name"},
    [COL_PLEDGED] = {"pledged_at", "pledged at", "date", "pledged", "when",
	"timestamp", "signed", "signed_at"},
    [COL_SOURCE] = {"source", "how", "via", "channel"},
    [COL_NOTE] = {"note", "notes", "comment", "comments"},
};

/* One record: fields point into a buffer owned by the parser. */
struct record {
	char *field[IMPORT_MAX_FIELDS];
	size_t n;
	long line; /* where it starts */
};

struct csv {
	const char *p, *end;
	long line;
	char *buf; /* unquoted field text, NUL-separated */
	size_t len, cap;
};

static int
csv_put(struct csv *c, char ch)
{
	if (c->len == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		char *nb = realloc(c->buf, cap);
		if (nb == NULL)
			return -1;
		c->buf = nb;
		c->cap = cap;
	}
	c->buf[c->len++] = ch;
	return 0;
}

/*
 * The next record into 'r' (offsets into c->buf until the record is
 * complete).  Returns 1 with a record, 0 at the end, -1 with *err set.
 */
static int
csv_next(struct csv *c, struct record *r, const char **err)
{
	size_t off[IMPORT_MAX_FIELDS];

	if (c->p >= c->end)
		return 0;
	c->len = 0;
	r->n = 0;
	r->line = c->line;
	for (;;) {
		bool quoted = false;

		if (r->n == IMPORT_MAX_FIELDS) {
			*err = "too many fields";
			return -1;
		}
		off[r->n++] = c->len;
		if (c->p < c->end && *c->p == '"') {
			quoted = true;
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					*err = "a quoted field is not closed";
					return -1;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						if (csv_put(c, '"') != 0)
							goto nomem;
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				if (csv_put(c, *c->p++) != 0)
					goto nomem;
			}
		}
		while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
		    !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
			if (quoted || *c->p == '"') {
				*err = quoted ? "text after a closing quote"
					      : "a quote inside an unquoted "
						"field";
				return -1;
			}
			if (csv_put(c, *c->p++) != 0)
				goto nomem;
		}
		if (csv_put(c, '\0') != 0)
			goto nomem;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		break;
	}
	for (size_t i = 0; i < r->n; i++)
		r->field[i] = c->buf + off[i];
	return 1;
nomem:
	*err = "out of memory";
	return -1;
}

/* Valid UTF-8 without C0 controls other than tab, CR and LF? */
static bool
utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char ch = s[i];
		size_t k;

		if (ch < 0x80) {
			if ((ch < ' ' && ch != '\t' && ch != '\r' &&
				ch != '\n') ||
			    ch == 0x7f)
				return false;
			i++;
			continue;
		}
		if (ch >= 0xc2 && ch <= 0xdf)
			k = 1;
		else if (ch >= 0xe0 && ch <= 0xef)
			k = 2;
		else if (ch >= 0xf0 && ch <= 0xf4)
			k = 3;
		else
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", RFC 3339; 0 ok, -1 bad. */
static int
parse_when(const char *s, int64_t *t)
{
	struct tm tm;
	const char *p;
	int off = 0, n = 0;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);
		if (q == NULL && (q = strptime(p + 1, "%H:%M", &tm)) == NULL)
			return -1;
		p = q;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int h, m;
			if (sscanf(p + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
			    h > 23 || m > 59)
				return -1;
			off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
			p += 1 + n;
		}
	}
	if (*p != '\0' || tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}

static int
read_file(const char *path, char **data, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 0, n = 0, r;
	char *buf = NULL, *nb;

	if (fp == NULL) {
		fprintf(stderr, "pledgectl: import: %s: %s\n", path,
		    strerror(errno));
		return EX_NOINPUT;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)IMPORT_MAX_BYTES + 1)
				cap = (size_t)IMPORT_MAX_BYTES + 1;
			if (n == cap || (nb = realloc(buf, cap + 1)) == NULL) {
				fprintf(stderr,
				    "pledgectl: import: %s: larger than %ld "
				    "bytes\n",
				    path, IMPORT_MAX_BYTES);
				free(buf);
				fclose(fp);
				return EX_DATAERR;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "pledgectl: import: %s: read error\n", path);
		free(buf);
		fclose(fp);
		return EX_IOERR;
	}
	fclose(fp);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return EX_OSERR;
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return EX_OK;
}

/* One checked row, ready to record. */
struct row {
	char address[ADDR_MAX + 1];
	char *name, *source, *note;
	int64_t when;
	long line;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void
rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].name);
		free(rs->v[i].source);
		free(rs->v[i].note);
	}
	free(rs->v);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* Map the header; -1 (printed) when it has no address column. */
static int
map_header(const char *file, const struct record *r, int map[COL_N])
{
	bool ignored = false;
	int rc = 0;

	for (int c = 0; c < COL_N; c++)
		map[c] = -1;
	for (size_t i = 0; i < r->n; i++) {
		char *h = trim(r->field[i]);
		int found = -1;

		for (int c = 0; c < COL_N && found < 0; c++)
			for (int k = 0;
			     k < COL_ALIASES && col_names[c][k] != NULL; k++)
				if (strcasecmp(h, col_names[c][k]) == 0)
					found = c;
		if (found < 0) {
			if (!ignored)
				fprintf(stderr,
				    "%s:%ld: ignoring columns:", file, r->line);
			fprintf(stderr, "%s '%s'", ignored ? "," : "", h);
			ignored = true;
			continue;
		}
		if (map[found] >= 0) {
			fprintf(stderr,
			    "%s:%ld: two columns mean %s: '%s' and '%s'\n",
			    file, r->line, col_names[found][0],
			    r->field[map[found]], h);
			rc = -1;
		}
		map[found] = (int)i;
	}
	if (ignored)
		fputc('\n', stderr);
	if (map[COL_ADDRESS] < 0) {
		fprintf(stderr,
		    "%s:%ld: no address column (the first row names the "
		    "columns: address or email, name, pledged_at or date, "
		    "source or how, note)\n",
		    file, r->line);
		rc = -1;
	}
	return rc;
}

static const char *
field(const struct record *r, const int map[COL_N], enum col c)
{
	return map[c] >= 0 ? trim(r->field[map[c]]) : NULL;
}

/* Check every row; prints each problem; returns the number of them. */
static int
check_rows(const char *file, struct csv *c, const int map[COL_N], size_t ncols,
    struct rows *rs)
{
	struct record r;
	const char *err = NULL, *why, *addr, *when;
	int bad = 0, got;

	while ((got = csv_next(c, &r, &err)) != 0) {
		struct row row;

		if (got < 0) {
			fprintf(stderr, "%s:%ld: %s\n", file, r.line, err);
			return bad + 1; /* the rest cannot be found reliably */
		}
		if (r.n == 1 && r.field[0][0] == '\0')
			continue; /* an empty line */
		if (bad >= IMPORT_MAX_ERRORS) {
			bad++;
			continue;
		}
		if (r.n != ncols) {
			fprintf(stderr,
			    "%s:%ld: %zu fields, the header has %zu\n", file,
			    r.line, r.n, ncols);
			bad++;
			continue;
		}
		memset(&row, 0, sizeof row);
		row.line = r.line;
		addr = field(&r, map, COL_ADDRESS);
		if ((why = addr_invalid_reason(addr)) != NULL) {
			fprintf(stderr,
			    "%s:%ld: '%s' is not an email address: "
			    "%s\n",
			    file, r.line, addr, why);
			bad++;
			continue;
		}
		for (size_t i = 0; addr[i] != '\0'; i++)
			row.address[i] = (char)tolower((unsigned char)addr[i]);
		for (size_t i = 0; i < rs->n; i++)
			if (strcmp(rs->v[i].address, row.address) == 0) {
				fprintf(stderr,
				    "%s:%ld: %s is on line %ld already\n", file,
				    r.line, row.address, rs->v[i].line);
				bad++;
				goto next;
			}
		when = field(&r, map, COL_PLEDGED);
		if (when != NULL && *when != '\0' &&
		    parse_when(when, &row.when) != 0) {
			fprintf(stderr,
			    "%s:%ld: '%s' is not a date (YYYY-MM-DD, "
			    "\"YYYY-MM-DD HH:MM\" or RFC 3339)\n",
			    file, r.line, when);
			bad++;
			continue;
		}
		if (bad > 0)
			continue; /* only checking from here on */
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? rs->cap * 2 : 256;
			struct row *nv = realloc(rs->v, cap * sizeof(*nv));
			if (nv == NULL)
				return bad + 1;
			rs->v = nv;
			rs->cap = cap;
		}
		row.name = dup_or_null(field(&r, map, COL_NAME));
		row.source = dup_or_null(field(&r, map, COL_SOURCE));
		row.note = dup_or_null(field(&r, map, COL_NOTE));
		rs->v[rs->n++] = row;
next:;
	}
	if (bad > IMPORT_MAX_ERRORS)
		fprintf(stderr, "%s: %d more rows with problems\n", file,
		    bad - IMPORT_MAX_ERRORS);
	return bad;
}

/* Record the rows in one transaction; rolled back with 'dry'. */
static int
record(struct store *st, const char *file, const struct rows *rs,
    const char *by, bool dry)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t added = 0, there = 0;
	enum store_status sr;
	char detail[4200];

	if ((sr = store_begin(st)) != STORE_OK)
		return cmd_store_exit(sr);
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *row = &rs->v[i];
		struct store_pledge_in in = {
		    .address = row->address,
		    .name = row->name,
		    .source = "import",
		    .source_detail = row->source ? row->source : base,
		    .note = row->note,
		    .pledged_at = row->when,
		    .by = by,
		    .detail = detail,
		};

		snprintf(detail, sizeof detail, "%s:%ld", base, row->line);
		sr = store_pledge_add(st, &in, NULL);
		if (sr == STORE_OK)
			added++;
		else if (sr == STORE_DUPLICATE)
			there++;
		else {
			store_rollback(st);
			return cmd_store_exit(sr);
		}
	}
	if (dry)
		store_rollback(st);
	else if ((sr = store_commit(st)) != STORE_OK)
		return cmd_store_exit(sr);
	printf("%s: %zu rows: %zu new pledge%s%s, %zu already in the ledger "
	       "(kept as they were)\n",
	    file, rs->n, added, added == 1 ? "" : "s",
	    dry ? " would be recorded (dry run: nothing changed)" : " recorded",
	    there);
	return cmd_flush(stdout);
}

int
cmd_import(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"by", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct csv c = {0};
	struct record hdr;
	struct rows rs = {0};
	const char *file, *by, *err = NULL;
	char *data = NULL, who[64];
	size_t len = 0;
	bool dry = false;
	int map[COL_N], ch, rc, bad;

	by = cmd_login_name(who, sizeof(who));
	while ((ch = getopt_long(argc, argv, "nb:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = true;
			break;
		case 'b':
			by = optarg;
			break;
		case 'h':
			printf("%s\nBring in pledgers from a CSV file (RFC "
			       "4180, UTF-8); the first row names\nthe "
			       "columns: address (or email), name, pledged_at "
			       "(or date), source\n(or how), note.  All or "
			       "nothing; an address already in the ledger\n"
			       "keeps its history; importing twice changes "
			       "nothing.\n",
			    import_usage);
			return EX_OK;
		default:
			fputs(import_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(import_usage, stderr);
		return EX_USAGE;
	}
	file = argv[optind];
	if ((rc = read_file(file, &data, &len)) != EX_OK)
		goto out;
	c.p = data;
	c.end = data + len;
	c.line = 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c.p += 3; /* the byte order mark of spreadsheet exports */
	if (!utf8_ok((const unsigned char *)c.p, (size_t)(c.end - c.p))) {
		fprintf(stderr,
		    "%s: not UTF-8 text (save the file as \"CSV UTF-8\")\n",
		    file);
		rc = EX_DATAERR;
		goto out;
	}
	if (csv_next(&c, &hdr, &err) != 1) {
		fprintf(stderr, "%s:1: %s\n", file,
		    err != NULL ? err : "empty file");
		rc = EX_DATAERR;
		goto out;
	}
	/* The header's fields live in c.buf, which the next row reuses. */
	{
		size_t n = hdr.n;
		if (map_header(file, &hdr, map) != 0) {
			rc = EX_DATAERR;
			goto out;
		}
		bad = check_rows(file, &c, map, n, &rs);
	}
	if (bad > 0) {
		fprintf(stderr, "%s: %d row%s to fix; nothing imported\n", file,
		    bad, bad == 1 ? "" : "s");
		rc = EX_DATAERR;
		goto out;
	}
	/* A campaign may start with its import: the database is created
	 * then (not by a dry run, which must leave nothing behind). */
	if ((rc = cmd_load_config(config_path, CONFIG_NEED_STORE, &cfg)) !=
		EX_OK ||
	    (rc = cmd_open_store(cfg, !dry, &st)) != EX_OK) {
		if (rc == EX_NOINPUT && dry)
			fprintf(stderr,
			    "pledgectl: import: no database yet (%s): a dry "
			    "run creates none\n",
			    cfg->store.database);
		goto out;
	}
	rc = record(st, file, &rs, by, dry);
out:
	rows_free(&rs);
	free(c.buf);
	free(data);
	store_close(st);
	config_free(cfg);
	return rc;
}
