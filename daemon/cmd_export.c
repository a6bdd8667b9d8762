/*
 * pledgectl export --what artists|messages|requests --format csv|json:
 * a table to standard output, streamed.
 *
 * Rows come one at a time from the store's listings (one SELECT each, so
 * one consistent snapshot while the daemon writes) and are written as
 * they come: memory does not grow with the store.  Each table is a list
 * of columns; a row is first turned into values, then written as CSV
 * (RFC 4180: header line, CRLF, quotes doubled; a cell that would start
 * a formula gets a leading apostrophe, OWASP's advice, unless --raw) or
 * as one JSON object a line.  Times are RFC 3339 in UTC; a missing value is JSON null or an
 * empty CSV field.  The column names are an interface (DESIGN.md): add,
 * never rename.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char export_usage[] =
    "usage: pledgectl export --what artists|messages|requests"
    " --format csv|json [--raw]\n";

enum xtype { X_NULL, X_STR, X_INT, X_BOOL, X_TIME };

struct xval {
	enum xtype t;
	const char *s;
	int64_t i;
};

#define XCOLS_MAX 24

struct xctx {
	bool json;
	bool raw; /* --raw: CSV cells as they are, formulas too */
	const char *const *cols;
	size_t ncols;
	struct xval v[XCOLS_MAX];
	bool failed;
};

static void
xstr(struct xval *v, const char *s)
{
	v->t = s != NULL ? X_STR : X_NULL;
	v->s = s;
}

static void
xint(struct xval *v, int64_t i, bool zero_is_null)
{
	v->t = zero_is_null && i == 0 ? X_NULL : X_INT;
	v->i = i;
}

static void
xbool(struct xval *v, bool b)
{
	v->t = X_BOOL;
	v->i = b;
}

static void
xtime(struct xval *v, int64_t t)
{
	v->t = t > 0 ? X_TIME : X_NULL;
	v->i = t;
}

/* A JSON string; bytes that are not UTF-8 (which jansson refuses) as '?'. */
static json_t *
json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static int
emit_json(struct xctx *c)
{
	char tbuf[CMD_TIME_MAX];
	json_t *o = json_object(), *j;
	int rc = -1;

	if (o == NULL)
		return -1;
	for (size_t i = 0; i < c->ncols; i++) {
		const struct xval *v = &c->v[i];

		switch (v->t) {
		case X_STR:
			j = json_text(v->s);
			break;
		case X_INT:
			j = json_integer(v->i);
			break;
		case X_BOOL:
			j = json_boolean(v->i);
			break;
		case X_TIME:
			j = json_string(cmd_time_rfc3339(v->i, tbuf));
			break;
		default:
			j = json_null();
		}
		if (j == NULL || json_object_set_new(o, c->cols[i], j) != 0)
			goto out;
	}
	/* JSON_PRESERVE_ORDER: the columns in the documented order. */
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', stdout) == EOF)
		goto out;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static int
emit_csv(struct xctx *c)
{
	char tbuf[CMD_TIME_MAX], nbuf[24];
	const char *s;

	for (size_t i = 0; i < c->ncols; i++) {
		const struct xval *v = &c->v[i];

		switch (v->t) {
		case X_STR:
			s = v->s;
			break;
		case X_INT:
			snprintf(nbuf, sizeof(nbuf), "%" PRId64, v->i);
			s = nbuf;
			break;
		case X_BOOL:
			s = v->i ? "true" : "false";
			break;
		case X_TIME:
			s = cmd_time_rfc3339(v->i, tbuf);
			break;
		default:
			s = NULL;
		}
		if (cmd_csv_field(stdout, s, i + 1 == c->ncols, c->raw) != 0)
			return -1;
	}
	return 0;
}

/* Write the row in c->v; non-zero stops the listing. */
static int
emit(struct xctx *c)
{
	if ((c->json ? emit_json(c) : emit_csv(c)) != 0) {
		c->failed = true;
		return 1;
	}
	return 0;
}

static const char *const artist_cols[] = {"id", "address", "name",
    "pledge_state", "phase1_state", "phase2_state", "phase1_confirmed",
    "phase2_confirmed", "declined", "forgotten", "created_at", "last_change",
    "pledge_source", "excluded", "linked"};

static int
artist_row(const struct store_artist_row *r, void *arg)
{
	struct xctx *c = arg;

	xint(&c->v[0], r->id, false);
	xstr(&c->v[1], r->address);
	xstr(&c->v[2], r->name);
	xstr(&c->v[3], r->pledge_state);
	xstr(&c->v[4], r->phase1_state);
	xstr(&c->v[5], r->phase2_state);
	xbool(&c->v[6], r->phase1_confirmed);
	xbool(&c->v[7], r->phase2_confirmed);
	xbool(&c->v[8], r->declined);
	xbool(&c->v[9], r->forgotten);
	xtime(&c->v[10], r->created_at);
	xtime(&c->v[11], r->last_change);
	xstr(&c->v[12], r->pledge_source);
	xbool(&c->v[13], r->excluded);
	xbool(&c->v[14], r->linked);
	return emit(c);
}

static const char *const message_cols[] = {"id", "mailbox", "uidvalidity",
    "uid", "message_id", "from", "from_name", "subject", "outcome", "reason",
    "phase", "artist", "jti", "dmarc", "size", "sha256", "own_text", "decision",
    "decided_by", "decided_at", "processed_at", "rule", "written_at"};

static int
message_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	struct xctx *c = arg;
	bool imap = a->mailbox != NULL;

	xint(&c->v[0], r->id, false);
	xstr(&c->v[1], a->mailbox);
	xint(&c->v[2], a->uidvalidity, !imap);
	xint(&c->v[3], a->uid, !imap);
	xstr(&c->v[4], a->message_id);
	xstr(&c->v[5], a->from_addr);
	xstr(&c->v[6], a->from_name);
	xstr(&c->v[7], a->subject);
	xstr(&c->v[8], a->outcome);
	xstr(&c->v[9], a->reason);
	xint(&c->v[10], a->phase, true);
	xstr(&c->v[11], r->artist);
	xstr(&c->v[12], a->jti);
	xstr(&c->v[13], a->dmarc);
	xint(&c->v[14], (int64_t)a->size, false);
	xstr(&c->v[15], a->sha256_hex);
	xstr(&c->v[16], a->own_text);
	xstr(&c->v[17], r->decision);
	xstr(&c->v[18], r->decided_by);
	xtime(&c->v[19], r->decided_at);
	xtime(&c->v[20], a->processed_at);
	xstr(&c->v[21], a->rule);
	xtime(&c->v[22], a->written_at);
	return emit(c);
}

static const char *const request_cols[] = {"jti", "artist", "phase", "state",
    "issued_at", "sent_at", "expires_at", "request_message_id", "last_error"};

static int
request_row(const struct store_request_row *r, void *arg)
{
	struct xctx *c = arg;

	xstr(&c->v[0], r->jti);
	xstr(&c->v[1], r->address);
	xint(&c->v[2], r->phase, true);
	xstr(&c->v[3], r->state);
	xtime(&c->v[4], r->issued_at);
	xtime(&c->v[5], r->sent_at);
	xtime(&c->v[6], r->expires_at);
	xstr(&c->v[7], r->request_message_id);
	xstr(&c->v[8], r->last_error);
	return emit(c);
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

int
cmd_export(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"what", required_argument, NULL, 'w'},
	    {"format", required_argument, NULL, 'f'},
	    {"raw", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct xctx c;
	const char *what = NULL, *format = NULL;
	enum store_status sr;
	bool raw = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "w:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			what = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'r':
			raw = true;
			break;
		case 'h':
			printf("%s\nWrite the artists, the audit log of "
			       "messages, or the requests sent\nto standard "
			       "output: CSV (RFC 4180) or one JSON object a "
			       "line.\nCSV cells that a spreadsheet would run "
			       "as formulas (=, +, -, @, tab, CR\nfirst) get a "
			       "leading apostrophe, unless --raw.\n",
			    export_usage);
			return EX_OK;
		default:
			fputs(export_usage, stderr);
			return EX_USAGE;
		}
	}
	memset(&c, 0, sizeof(c));
	if (what == NULL || format == NULL || optind != argc ||
	    (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
		fputs(export_usage, stderr);
		return EX_USAGE;
	}
	c.json = strcmp(format, "json") == 0;
	c.raw = raw;
	if (strcmp(what, "artists") == 0) {
		c.cols = artist_cols;
		c.ncols = NCOLS(artist_cols);
	} else if (strcmp(what, "messages") == 0) {
		c.cols = message_cols;
		c.ncols = NCOLS(message_cols);
	} else if (strcmp(what, "requests") == 0) {
		c.cols = request_cols;
		c.ncols = NCOLS(request_cols);
	} else {
		fputs(export_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if (!c.json && cmd_csv_row(stdout, c.cols, c.ncols) != 0) {
		rc = cmd_flush(stdout);
		goto out;
	}
	if (c.cols == artist_cols)
		sr = store_artist_foreach(st, 0, NULL, artist_row, &c);
	else if (c.cols == message_cols)
		sr = store_audit_foreach(st, NULL, false, 0, message_row, &c);
	else
		sr = store_token_foreach(st, request_row, &c);
	if ((rc = cmd_store_exit(sr)) != EX_OK)
		goto out;
	rc = cmd_flush(stdout);
	if (rc == EX_OK && c.failed) {
		fprintf(stderr, "pledgectl: export: cannot write a row\n");
		rc = EX_IOERR;
	}
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
