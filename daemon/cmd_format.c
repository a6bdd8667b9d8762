/*
 * Output helpers shared by the organizers' read commands: times, table
 * cells, CSV (RFC 4180), the operator's login name, and opening the store
 * for reading.
 *
 * Everything printed for a person passes through cmd_put_cell, _text or
 * _block, because the text comes from mail anyone can send: a Subject
 * with terminal escape sequences must not repaint the organizer's screen.
 * Machine formats (CSV, JSON) carry the bytes as they are and leave the
 * escaping to their own rules, except that a CSV cell a spreadsheet would
 * run as a formula gets a leading apostrophe unless raw output is asked.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/escape.h"
#include "pledged/store.h"

const char *
cmd_time_utc(int64_t t, char buf[CMD_TIME_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, CMD_TIME_MAX, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, CMD_TIME_MAX, "-");
	return buf;
}

const char *
cmd_time_rfc3339(int64_t t, char buf[CMD_TIME_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, CMD_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return buf;
}

/*
 * Length of the well-formed UTF-8 sequence at 'p' (1 to 4), or 0 for a
 * byte that starts none.  Overlong forms and surrogates are not checked:
 * this decides what is safe to show, not what is valid.
 */
static size_t
utf8_seq(const unsigned char *p)
{
	size_t len, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p < 0xe0)
		len = 2;
	else if (*p >= 0xe0 && *p < 0xf0)
		len = 3;
	else if (*p >= 0xf0 && *p < 0xf5)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static size_t
utf8_chars(const unsigned char *p)
{
	size_t n = 0, len;

	for (; *p != '\0'; p += len ? len : 1, n++)
		len = utf8_seq(p);
	return n;
}

/*
 * Write 's' for a terminal: control characters, bidi controls and bytes
 * that are not UTF-8 as '?', line breaks and tabs as spaces, at most 'width'
 * characters (0: no limit), a cut marked with '~'.  Returns the
 * characters written.  Characters are code points, so wide CJK glyphs
 * may shift a column: cosmetic only.
 */
static size_t
put_safe(FILE *fp, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	bool cut = width > 0 && utf8_chars(p) > width;
	size_t n = 0, len, bad;

	while (*p != '\0') {
		if (cut && n + 1 == width) {
			fputc('~', fp);
			return n + 1;
		}
		/* Controls (CSI is U+009B), bytes that are not UTF-8, and
		 * bidi overrides that reorder what is shown. */
		if ((bad = escape_unsafe(p, (size_t)(end - p), &len)) > 0) {
			fputc(
			    *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : '?',
			    fp);
			p += bad;
		} else {
			fwrite(p, 1, len, fp);
			p += len;
		}
		n++;
	}
	return n;
}

void
cmd_put_cell(FILE *fp, const char *s, size_t width)
{
	size_t n = put_safe(fp, s != NULL ? s : "-", width);

	for (; n < width; n++)
		fputc(' ', fp);
}

void
cmd_put_text(FILE *fp, const char *s)
{
	put_safe(fp, s != NULL ? s : "-", 0);
}

void
cmd_put_block(FILE *fp, const char *s, const char *indent)
{
	char line[1024];
	const char *nl;
	size_t len;

	while (s != NULL && *s != '\0') {
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		/* A very long line is cut: this is a preview, not the text. */
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, s, len);
		line[len] = '\0';
		fputs(indent, fp);
		put_safe(fp, line, 0);
		fputc('\n', fp);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

/*
 * A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"):
 * one that starts with '=', '+', '-', '@', a tab or a carriage return.
 */
static bool
csv_formula(const char *s)
{
	return s != NULL && *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
}

int
cmd_csv_field(FILE *fp, const char *s, bool last, bool raw)
{
	bool quote = s != NULL && strpbrk(s, ",\"\r\n") != NULL;

	/* RFC 4180: quote a field holding a comma, quote, CR or LF. */
	if (quote)
		fputc('"', fp);
	/* OWASP: a leading apostrophe makes it text.  (Our numbers are
	 * never negative, so no value of ours is changed.) */
	if (!raw && csv_formula(s))
		fputc('\'', fp);
	if (quote) {
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else if (s != NULL)
		fputs(s, fp);
	fputs(last ? "\r\n" : ",", fp);
	return ferror(fp) ? -1 : 0;
}

int
cmd_csv_row(FILE *fp, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cmd_csv_field(fp, fields[i], i + 1 == n, true) != 0)
			return -1;
	return 0;
}

const char *
cmd_login_name(char *buf, size_t len)
{
	const char *name = getlogin();
	struct passwd *pw;

	if (name == NULL || *name == '\0')
		name = getenv("SUDO_USER");
	if (name == NULL || *name == '\0')
		name = getenv("USER");
	if ((name == NULL || *name == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		name = pw->pw_name;
	if (name == NULL || *name == '\0' ||
	    (size_t)snprintf(buf, len, "%s", name) >= len)
		snprintf(buf, len, "uid %lu", (unsigned long)getuid());
	return buf;
}

int
cmd_open_reader(const char *config_path, struct config **cfg, struct store **st)
{
	int rc;

	*st = NULL;
	rc = cmd_load_config(config_path, CONFIG_NEED_STORE, cfg);
	if (rc != EX_OK)
		return rc;
	if ((rc = cmd_open_store(*cfg, false, st)) == EX_NOINPUT)
		fprintf(stderr, "pledgectl: cannot read the database %s\n",
		    (*cfg)->store.database);
	return rc;
}

int
cmd_store_exit(enum store_status rc)
{
	switch (rc) {
	case STORE_OK:
		return EX_OK;
	case STORE_BUSY:
		return EX_TEMPFAIL;
	case STORE_NOT_FOUND:
		return EX_DATAERR;
	default:
		return EX_IOERR;
	}
}

int
cmd_flush(FILE *fp)
{
	if (fflush(fp) != 0 || ferror(fp)) {
		perror("pledgectl: write");
		return EX_IOERR;
	}
	return EX_OK;
}

void
cmd_put_message_where(FILE *fp, const struct store_audit *a, const char *indent)
{
	fprintf(fp, "%s%-10s ", indent, "message-id");
	if (a->message_id != NULL) {
		fputc('<', fp);
		cmd_put_text(fp, a->message_id);
		fputc('>', fp);
	} else
		fputs("(none)", fp);
	fprintf(fp, "\n%s%-10s ", indent, "where");
	if (a->mailbox != NULL) {
		fputs("mailbox ", fp);
		cmd_put_text(fp, a->mailbox);
		fprintf(fp, " uid %" PRIu32 " (uidvalidity %" PRIu32 ")\n",
		    a->uid, a->uidvalidity);
	} else
		fprintf(fp, "ingested (sha256 %s)\n",
		    a->sha256_hex != NULL ? a->sha256_hex : "-");
}
