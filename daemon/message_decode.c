/*
 * message_decode: text made safe to hand on.  Everything the message
 * module outputs passes through here and leaves as valid UTF-8: charsets
 * are read the way mail clients read them (a declared ISO-8859-1 is
 * windows-1252, a wrong declaration on valid UTF-8 is ignored), a charset
 * is never a reason to fail a message, and whatever iconv leaves invalid
 * becomes U+FFFD.  Also format=flowed unwrapping and RFC 2047 words.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "message_p.h"

void
msg_buf_add(struct msg_buf *b, const void *data, size_t len)
{
	if (b->oom || len == 0)
		return;
	if (len > SIZE_MAX / 2 - b->len - 1) {
		b->oom = true;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void
msg_buf_addc(struct msg_buf *b, char c)
{
	msg_buf_add(b, &c, 1);
}

char *
msg_buf_take(struct msg_buf *b, size_t *len)
{
	char *p;

	if (b->oom) {
		msg_buf_free(b);
		return NULL;
	}
	if (b->p == NULL) {
		if ((p = calloc(1, 1)) == NULL)
			return NULL;
	} else {
		p = b->p;
		p[b->len] = '\0';
	}
	if (len != NULL)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
msg_buf_free(struct msg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/*
 * Length of the valid UTF-8 sequence at s (at most 'len' bytes), or 0.
 * Overlongs, surrogates and code points above U+10FFFF are invalid.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Text that is mostly UTF-8: valid multi-byte sequences and no more
 * invalid bytes than those.  One stray byte in an otherwise UTF-8 header
 * should cost that byte, not turn the rest into windows-1252 mojibake.
 */
static bool
mostly_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, good = 0, bad = 0;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			bad++;
			i++;
		} else {
			good += n > 1;
			i += n;
		}
	}
	return bad == 0 || (good > 0 && bad <= good);
}

bool
msg_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

char *
msg_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	struct msg_buf b = {0};
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (n == 0 || p[i] == '\0') {
			msg_buf_add(&b, replacement, 3);
			i++;
		} else {
			msg_buf_add(&b, p + i, n);
			i += n;
		}
	}
	return msg_buf_take(&b, outlen);
}

static void
put_cp(struct msg_buf *b, unsigned cp)
{
	char u[3];

	if (cp < 0x80) {
		msg_buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		msg_buf_add(b, u, 2);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		msg_buf_add(b, u, 3);
	}
}

char *
msg_cp1252_to_utf8(const char *s, size_t len, size_t *outlen)
{
	/* 0x80-0x9f; the five undefined bytes map to the C1 controls, as
	   the WHATWG encoding standard does. */
	static const unsigned short c1[32] = {0x20ac, 0x0081, 0x201a, 0x0192,
	    0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
	    0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c,
	    0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
	    0x0153, 0x009d, 0x017e, 0x0178};
	struct msg_buf b = {0};

	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];

		if (c == 0)
			msg_buf_add(&b, replacement, 3);
		else if (c >= 0x80 && c < 0xa0)
			put_cp(&b, c1[c - 0x80]);
		else
			put_cp(&b, c);
	}
	return msg_buf_take(&b, outlen);
}

char *
msg_header_text(const char *s, size_t len)
{
	if (mostly_utf8(s, len))
		return msg_utf8_repair(s, len, NULL);
	return msg_cp1252_to_utf8(s, len, NULL);
}

/* Charset names as iconv should read them; NULL: not an alias. */
static const char *
charset_alias(const char *cs)
{
	static const struct {
		const char *name, *iconv;
	} alias[] = {
	    {"ks_c_5601-1987", "CP949"},
	    {"ks_c_5601", "CP949"},
	    {"ks_c_5601-1989", "CP949"},
	    {"euc-kr", "CP949"},
	    {"korean", "CP949"},
	    {"gb2312", "GB18030"},
	    {"gbk", "GB18030"},
	    {"x-gbk", "GB18030"},
	    {"cp936", "GB18030"},
	    {"chinese", "GB18030"},
	    {"shift_jis", "CP932"},
	    {"shift-jis", "CP932"},
	    {"sjis", "CP932"},
	    {"x-sjis", "CP932"},
	    {"windows-31j", "CP932"},
	    {"ms_kanji", "CP932"},
	    {"iso-2022-jp", "ISO-2022-JP-2"},
	    {"big5", "BIG5-HKSCS"},
	    {"utf7", "UTF-7"},
	    {"unicode-1-1-utf-7", "UTF-7"},
	};

	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcasecmp(cs, alias[i].name) == 0)
			return alias[i].iconv;
	return NULL;
}

/* Declared charsets that mail clients read as windows-1252. */
static bool
is_latin1ish(const char *cs)
{
	static const char *const names[] = {"iso-8859-1", "iso8859-1",
	    "iso_8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii",
	    "ansi_x3.4-1968", "windows-1252", "cp1252", "x-ansi", "646"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(cs, names[i]) == 0)
			return true;
	return false;
}

static char *
guess_to_utf8(const char *s, size_t len, size_t *outlen)
{
	if (mostly_utf8(s, len))
		return msg_utf8_repair(s, len, outlen);
	return msg_cp1252_to_utf8(s, len, outlen);
}

char *
msg_to_utf8(const char *charset, const char *s, size_t len, size_t *outlen)
{
	char name[64];
	const char *from;
	char *conv = NULL, *res;
	size_t conv_len = 0, n;

	if (charset == NULL)
		return guess_to_utf8(s, len, outlen);
	/* Trim blanks and stray quotes some mailers leave in. */
	while (*charset == ' ' || *charset == '\t' || *charset == '"' ||
	    *charset == '\'')
		charset++;
	n = strcspn(charset, " \t\"';");
	if (n == 0 || n >= sizeof name)
		return guess_to_utf8(s, len, outlen);
	memcpy(name, charset, n);
	name[n] = '\0';
	/*
	 * UTF-8 declared, or a Latin-1 family name: valid UTF-8 is read as
	 * UTF-8 (mislabelled mail is common; genuine Latin-1 text with
	 * non-ASCII bytes is almost never valid UTF-8), the rest as
	 * windows-1252, as mail clients do.
	 */
	if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0 ||
	    is_latin1ish(name))
		return guess_to_utf8(s, len, outlen);
	from = charset_alias(name);
	if (from == NULL)
		from = name;
	if (charconv_buffer("UTF-8", from, s, len, &conv, &conv_len) !=
	    MAIL_CHARCONV_NO_ERROR) {
		/* Unknown to iconv, or not convertible: never fail. */
		return guess_to_utf8(s, len, outlen);
	}
	res = msg_utf8_repair(conv, conv_len, outlen);
	charconv_buffer_free(conv);
	return res;
}

char *
msg_lf(const char *s, size_t len, size_t *outlen)
{
	struct msg_buf b = {0};
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\r')
			continue;
		msg_buf_add(&b, s + start, i - start);
		msg_buf_addc(&b, '\n');
		if (i + 1 < len && s[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	msg_buf_add(&b, s + start, len - start);
	return msg_buf_take(&b, outlen);
}

char *
msg_unflow(const char *s, size_t len, bool delsp, size_t *outlen)
{
	struct msg_buf b = {0};
	size_t pos = 0;
	bool open = false; /* a flowed paragraph awaits its next line */
	size_t open_depth = 0;

	while (pos < len) {
		const char *line = s + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t depth = 0, cl;
		const char *c;
		bool flowed;

		pos += ll + (nl ? 1 : 0);
		while (depth < ll && line[depth] == '>')
			depth++;
		c = line + depth;
		cl = ll - depth;
		if (cl > 0 && c[0] == ' ') /* space-stuffing */
			c++, cl--;
		flowed = cl > 0 && c[cl - 1] == ' ' &&
		    !(cl == 3 && memcmp(c, "-- ", 3) == 0);
		if (flowed && delsp)
			cl--;
		if (open && depth != open_depth) {
			/* RFC 3676 4.5: a quote depth change ends it. */
			msg_buf_addc(&b, '\n');
			open = false;
		}
		if (!open && depth > 0) {
			for (size_t i = 0; i < depth; i++)
				msg_buf_addc(&b, '>');
			msg_buf_addc(&b, ' ');
		}
		msg_buf_add(&b, c, cl);
		if (flowed) {
			open = true;
			open_depth = depth;
		} else {
			if (nl != NULL)
				msg_buf_addc(&b, '\n');
			open = false;
		}
	}
	if (open)
		msg_buf_addc(&b, '\n');
	return msg_buf_take(&b, outlen);
}

/*
 * An RFC 2047 word at s: "=?" charset "?" B|Q "?" text "?=".  Sets the
 * parts and returns its length, or 0.
 */
static size_t
encoded_word(const char *s, const char **cs, size_t *cs_len, char *enc,
    const char **text, size_t *text_len)
{
	const char *p, *q;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	p = s + 2;
	q = strchr(p, '?');
	if (q == NULL || q == p || q - p > 60)
		return 0;
	*cs = p;
	*cs_len = (size_t)(q - p);
	if ((q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q') ||
	    q[2] != '?')
		return 0;
	*enc = (char)toupper((unsigned char)q[1]);
	p = q + 3;
	q = strstr(p, "?=");
	if (q == NULL)
		return 0;
	for (const char *t = p; t < q; t++)
		if (*t == ' ' || *t == '\t')
			return 0;
	*text = p;
	*text_len = (size_t)(q - p);
	return (size_t)(q + 2 - s);
}

/*
 * Join adjacent encoded words of one charset and encoding into one, so
 * a character (or a token) split across two words decodes whole:
 * Q texts concatenate; B texts when the first carries no padding.
 */
static char *
join_words(const char *s)
{
	struct msg_buf b = {0};
	const char *p = s;

	while (*p != '\0') {
		const char *cs, *text, *cs2, *text2;
		size_t cl, tl, cl2, tl2, n, n2, ws;
		char enc, enc2;

		n = encoded_word(p, &cs, &cl, &enc, &text, &tl);
		if (n == 0) {
			msg_buf_addc(&b, *p++);
			continue;
		}
		msg_buf_add(&b, p, (size_t)(text + tl - p));
		p += n;
		for (;;) {
			ws = strspn(p, " \t");
			n2 = encoded_word(
			    p + ws, &cs2, &cl2, &enc2, &text2, &tl2);
			if (n2 == 0 || cl2 != cl ||
			    strncasecmp(cs, cs2, cl) != 0 || enc2 != enc ||
			    (enc == 'B' &&
				(tl % 4 != 0 ||
				    (tl > 0 && text[tl - 1] == '='))))
				break;
			msg_buf_add(&b, text2, tl2);
			p += ws + n2;
			text = text2;
			tl = tl2;
		}
		msg_buf_add(&b, "?=", 2);
	}
	return msg_buf_take(&b, NULL);
}

char *
msg_decode_2047(const char *s)
{
	char *utf8 = NULL, *joined = NULL, *dec = NULL, *res = NULL;
	size_t idx = 0;

	if ((utf8 = msg_header_text(s, strlen(s))) == NULL)
		goto out;
	if (strstr(utf8, "=?") == NULL) {
		res = utf8;
		utf8 = NULL;
		goto out;
	}
	if ((joined = join_words(utf8)) == NULL)
		goto out;
	if (mailmime_encoded_phrase_parse("utf-8", joined, strlen(joined), &idx,
		"utf-8", &dec) == MAILIMF_NO_ERROR &&
	    dec != NULL) {
		res = msg_header_text(dec, strlen(dec));
	} else {
		/* One bad word fails the whole header: keep the raw text. */
		res = utf8;
		utf8 = NULL;
	}
out:
	free(dec);
	free(joined);
	free(utf8);
	return res;
}
