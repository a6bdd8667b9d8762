/*
 * addr: RFC 5322 mailboxes and addr-specs (include/pledged/addr.h).
 *
 * Design note.  One pass over the header value with three outputs: the
 * phrase (display name), the bare addr-spec (when there are no angle
 * brackets) and the content of the latest angle-addr.  Quoted strings
 * and comments are consumed whole, so a ',', '<' or '@' inside them
 * never ends or starts anything.  A second angle-addr demotes the first
 * to display-name text, which is what a person reading
 * "Smith <Band> <x@example.org>" understands.  Everything is bounded by
 * the header length the message module already capped.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/addr.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool err;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_ch(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Index just past the quoted string opening at in[i] (or len). */
static size_t
quoted_end(const char *in, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (in[i] == '\\' && i + 1 < len)
			i++;
		else if (in[i] == '"')
			return i + 1;
	}
	return len;
}

/* Index just past the (nested) comment opening at in[i] (or len). */
static size_t
comment_end(const char *in, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (in[i] == '\\' && i + 1 < len)
			i++;
		else if (in[i] == '(')
			depth++;
		else if (in[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* The phrase: words separated by one blank, quoted strings unquoted. */
struct phrase {
	struct sbuf b;
	bool space;
};

static void
phrase_add(struct phrase *ph, const char *s, size_t n)
{
	if (ph->space && ph->b.len > 0)
		sb_ch(&ph->b, ' ');
	ph->space = false;
	sb_add(&ph->b, s, n);
}

static void
phrase_quoted(struct phrase *ph, const char *q, size_t n)
{
	/* q[0] is the opening quote; the closing one may be missing. */
	size_t end = n > 1 && q[n - 1] == '"' ? n - 1 : n;

	if (ph->space && ph->b.len > 0)
		sb_ch(&ph->b, ' ');
	ph->space = false;
	for (size_t i = 1; i < end; i++) {
		if (q[i] == '\\' && i + 1 < end)
			i++;
		sb_ch(&ph->b, q[i]);
	}
}

int
addr_parse_mailbox(const char *in, size_t len, char **addr, char **name)
{
	struct phrase ph = {0};
	struct sbuf bare = {0}, angle = {0};
	bool in_angle = false, have_angle = false;
	size_t i = 0, j;
	int rc = -1;

	*addr = NULL;
	*name = NULL;
	while (i < len) {
		char c = in[i];

		if (c == '"') {
			j = quoted_end(in, len, i);
			if (in_angle)
				sb_add(&angle, in + i, j - i);
			else {
				sb_add(&bare, in + i, j - i);
				phrase_quoted(&ph, in + i, j - i);
			}
			i = j;
			continue;
		}
		if (c == '(') {
			i = comment_end(in, len, i);
			ph.space = true;
			continue;
		}
		if (in_angle) {
			if (c == '>') {
				in_angle = false;
				have_angle = true;
			} else if (!is_blank(c))
				sb_ch(&angle, c);
			i++;
			continue;
		}
		if (c == ',' || c == ';')
			break; /* the first mailbox only */
		if (c == '<') {
			/* An earlier angle-addr was display-name text. */
			if (have_angle) {
				phrase_add(&ph, "<", 1);
				sb_add(
				    &ph.b, angle.p ? angle.p : "", angle.len);
				sb_ch(&ph.b, '>');
			}
			angle.len = 0;
			if (angle.p != NULL)
				angle.p[0] = '\0';
			in_angle = true;
			have_angle = true;
		} else if (c == ':' && !have_angle &&
		    (bare.p == NULL || strchr(bare.p, '@') == NULL)) {
			/* "group: a@b;": the group's name is no mailbox. */
			bare.len = 0;
			if (bare.p != NULL)
				bare.p[0] = '\0';
			ph.b.len = 0;
			if (ph.b.p != NULL)
				ph.b.p[0] = '\0';
		} else if (is_blank(c))
			ph.space = true;
		else {
			sb_ch(&bare, c);
			phrase_add(&ph, &c, 1);
		}
		i++;
	}
	if (ph.b.err || bare.err || angle.err)
		goto out;
	if (have_angle) {
		if (angle.len > 0) {
			*addr = angle.p;
			angle.p = NULL;
		}
		if (ph.b.len > 0) {
			*name = ph.b.p;
			ph.b.p = NULL;
		}
	} else if (bare.len > 0) {
		*addr = bare.p;
		bare.p = NULL;
	}
	rc = 0;
out:
	free(ph.b.p);
	free(bare.p);
	free(angle.p);
	return rc;
}

static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom from s[*i] up to a character that is not atext or '.'. */
static bool
dot_atom(const char *s, size_t *i)
{
	size_t start = *i;
	bool dot = true; /* no leading dot */

	for (; s[*i] != '\0'; (*i)++) {
		unsigned char c = (unsigned char)s[*i];
		if (c == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (is_atext(c))
			dot = false;
		else
			break;
	}
	return *i > start && !dot;
}

const char *
addr_invalid_reason(const char *s)
{
	size_t i = 0, n;

	if (s == NULL || *s == '\0')
		return "empty";
	if ((n = strlen(s)) > ADDR_MAX)
		return "longer than 254 bytes";
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < ' ' || s[k] == 0x7f)
			return "control character";
	if (s[0] == '"') {
		for (i = 1; s[i] != '\0' && s[i] != '"'; i++)
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
		if (s[i] != '"')
			return "unterminated quoted local part";
		i++;
	} else if (!dot_atom(s, &i)) {
		if (s[i] == '@' || s[i] == '\0')
			return strchr(s, '@') ? "bad dots in the local part"
					      : "no @";
		return "blank or special character in the local part";
	}
	if (s[i] != '@')
		return strchr(s, '@') ? "blank or special character in the "
					"local part"
				      : "no @";
	i++;
	if (s[i] == '@')
		return "more than one @";
	if (s[i] == '[') {
		for (i++; s[i] != '\0' && s[i] != ']'; i++)
			if (s[i] == '[' || s[i] == '\\' || s[i] == ' ')
				return "bad domain literal";
		if (s[i] != ']' || s[i + 1] != '\0')
			return "bad domain literal";
		return NULL;
	}
	if (!dot_atom(s, &i))
		return "bad domain";
	if (s[i] == '@')
		return "more than one @";
	if (s[i] != '\0')
		return "blank or special character in the domain";
	return NULL;
}

bool
addr_valid(const char *s)
{
	return addr_invalid_reason(s) == NULL;
}
