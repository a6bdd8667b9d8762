/*
 * authres: Authentication-Results (RFC 8601) by its grammar.
 *
 *   payload  = [CFWS] authserv-id [CFWS version] (no-result / 1*resinfo)
 *   resinfo  = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS 1*propspec]
 *   methodspec = [CFWS] method [CFWS "/" version] [CFWS] "=" [CFWS] result
 *   reasonspec = "reason" [CFWS] "=" [CFWS] value
 *   propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *
 * A recursive descent over a cursor.  Every piece of CFWS goes through
 * skip_cfws, which consumes comments whole (nested, with quoted pairs),
 * and every value through read_value, which consumes a quoted string
 * whole: so no byte inside a comment or a quoted string is ever looked at
 * as a method or a result.
 *
 * Leniency, each harmless: a trailing ";" after the last resinfo, and
 * "key=value" properties without a ptype (some servers write
 * "action=none" or "compauth=pass"), which are skipped as values.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "pledged/authres.h"

/* Nesting of comments beyond this is refused, not recursed into. */
#define COMMENT_DEPTH_MAX 64
/* The words kept from a field: methods, results, header.from. */
#define WORD_MAX 256

struct cursor {
	const char *p;
	bool bad;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 tspecials, which end a token. */
static bool
is_tspecial(char c)
{
	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool
is_keyword_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* White space and comments; an unterminated comment makes it bad. */
static void
skip_cfws(struct cursor *c)
{
	int depth = 0;

	for (; *c->p != '\0'; c->p++) {
		if (depth == 0 && is_wsp(*c->p))
			continue;
		if (*c->p == '(') {
			if (++depth > COMMENT_DEPTH_MAX) {
				c->bad = true;
				return;
			}
			continue;
		}
		if (depth == 0)
			return;
		if (*c->p == ')')
			depth--;
		else if (*c->p == '\\' && c->p[1] != '\0')
			c->p++; /* quoted pair */
	}
	if (depth > 0)
		c->bad = true;
}

/*
 * Append to a word kept in 'out' (NULL: only counted) of at most
 * WORD_MAX - 1 bytes.  A longer one is no id or domain of ours: the field
 * is then bad, never compared cut.
 */
static void
put_word(struct cursor *c, char *out, size_t *n, char ch)
{
	if (out != NULL && *n + 1 >= WORD_MAX) {
		c->bad = true;
		return;
	}
	if (out != NULL)
		out[*n] = ch, out[*n + 1] = '\0';
	(*n)++;
}

/* A quoted string at the cursor, its content into 'out' (may be NULL). */
static bool
read_quoted(struct cursor *c, char *out, size_t *n)
{
	if (*c->p != '"')
		return false;
	for (c->p++; *c->p != '"'; c->p++) {
		if (*c->p == '\0') {
			c->bad = true;
			return false;
		}
		if (*c->p == '\\' && c->p[1] != '\0')
			c->p++;
		put_word(c, out, n, *c->p);
		if (c->bad)
			return false;
	}
	c->p++;
	return true;
}

/* A Keyword (method, result, ptype, property). */
static bool
read_keyword(struct cursor *c, char out[WORD_MAX])
{
	size_t n = 0;

	out[0] = '\0';
	while (is_keyword_char(*c->p) && !c->bad)
		put_word(c, out, &n, *c->p++);
	return n > 0 && !c->bad;
}

/* A value: a token (RFC 2045, UTF-8 allowed) or a quoted string. */
static bool
read_value(struct cursor *c, char *out)
{
	size_t n = 0;

	if (out != NULL)
		out[0] = '\0';
	if (*c->p == '"')
		return read_quoted(c, out, &n);
	while (*c->p != '\0' && !is_wsp(*c->p) && !is_tspecial(*c->p) &&
	    (unsigned char)*c->p >= 0x20 && *c->p != 0x7f && !c->bad)
		put_word(c, out, &n, *c->p++);
	return n > 0 && !c->bad;
}

/*
 * A pvalue: a value, or [[local-part] "@"] domain-name, where the
 * local-part may be a quoted string.  Read as: an optional quoted string,
 * then a run of characters that cannot start CFWS, a quoted string or the
 * next resinfo.
 */
static bool
read_pvalue(struct cursor *c, char *out)
{
	size_t n = 0;
	bool any = false;

	if (out != NULL)
		out[0] = '\0';
	if (*c->p == '"') {
		if (!read_quoted(c, out, &n))
			return false;
		any = true;
		if (*c->p != '@')
			return true;
		put_word(c, out, &n, '@');
		c->p++;
	}
	while (*c->p != '\0' && !is_wsp(*c->p) && *c->p != ';' &&
	    *c->p != '(' && *c->p != ')' && *c->p != '"' && *c->p != '\\' &&
	    (unsigned char)*c->p >= 0x20 && *c->p != 0x7f && !c->bad) {
		put_word(c, out, &n, *c->p++);
		any = true;
	}
	return any && !c->bad;
}

static bool
expect(struct cursor *c, char ch)
{
	skip_cfws(c);
	if (c->bad || *c->p != ch)
		return false;
	c->p++;
	skip_cfws(c);
	return !c->bad;
}

static bool
skip_digits(struct cursor *c)
{
	const char *start = c->p;

	while (*c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p != start;
}

/* What the walk over a field concludes about DMARC for one domain. */
struct verdict {
	const char *domain;
	bool pass, other;
};

static bool
same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

/*
 * One resinfo after its ";": the method, its result, and the properties,
 * of which only dmarc's header.from matters.  A dmarc result is a pass
 * for the domain only with exactly one header.from, and that the domain.
 */
static bool
parse_resinfo(struct cursor *c, struct verdict *v)
{
	char method[WORD_MAX], result[WORD_MAX], from[WORD_MAX];
	char ptype[WORD_MAX], prop[WORD_MAX], val[WORD_MAX];
	int n_from = 0;

	from[0] = '\0';
	skip_cfws(c);
	if (c->bad || !read_keyword(c, method))
		return false;
	skip_cfws(c);
	if (*c->p == '/') {
		c->p++;
		skip_cfws(c);
		if (!skip_digits(c))
			return false;
	}
	if (!expect(c, '=') || !read_keyword(c, result))
		return false;
	for (;;) {
		skip_cfws(c);
		if (c->bad)
			return false;
		if (*c->p == '\0' || *c->p == ';')
			break;
		if (!read_keyword(c, ptype))
			return false;
		skip_cfws(c);
		if (*c->p == '=') {
			/* reasonspec, or a property without a ptype */
			if (!expect(c, '=') || !read_pvalue(c, NULL))
				return false;
			continue;
		}
		if (!expect(c, '.') || !read_keyword(c, prop) ||
		    !expect(c, '=') || !read_pvalue(c, val))
			return false;
		if (strcasecmp(ptype, "header") == 0 &&
		    strcasecmp(prop, "from") == 0) {
			n_from++;
			memcpy(from, val, sizeof from);
		}
	}
	if (strcasecmp(method, "dmarc") != 0)
		return true;
	if (strcasecmp(result, "pass") == 0 && n_from == 1 &&
	    v->domain != NULL && same_domain(from, v->domain))
		v->pass = true;
	else
		v->other = true;
	return true;
}

/* The authserv-id at the start of a field, into 'id'. */
static bool
parse_id(struct cursor *c, char id[WORD_MAX])
{
	skip_cfws(c);
	return !c->bad && read_value(c, id);
}

/* The rest of a field of ours, after its authserv-id. */
static bool
parse_results(struct cursor *c, struct verdict *v)
{
	char word[WORD_MAX];

	skip_cfws(c);
	if (c->bad)
		return false;
	if (skip_digits(c)) /* authres-version */
		skip_cfws(c);
	if (c->bad || *c->p != ';')
		return false;
	/* no-result: "; none" and nothing more */
	{
		struct cursor t = *c;
		t.p++;
		skip_cfws(&t);
		if (!t.bad && read_keyword(&t, word) &&
		    strcasecmp(word, "none") == 0) {
			skip_cfws(&t);
			if (!t.bad && *t.p == '\0')
				return true;
		}
	}
	while (*c->p == ';') {
		c->p++;
		skip_cfws(c);
		if (c->bad)
			return false;
		if (*c->p == '\0')
			return true; /* a trailing ";" */
		if (!parse_resinfo(c, v))
			return false;
	}
	return *c->p == '\0';
}

enum authres_dmarc
authres_dmarc(char *const *fields, size_t n, const char *authserv_id,
    const char *from_domain)
{
	char id[WORD_MAX];

	if (authserv_id == NULL || *authserv_id == '\0')
		return AUTHRES_DMARC_NONE;
	for (size_t i = 0; i < n; i++) {
		struct cursor c = {fields[i], false};
		struct verdict v = {from_domain, false, false};

		if (fields[i] == NULL || !parse_id(&c, id) ||
		    strcasecmp(id, authserv_id) != 0)
			continue;
		/* The topmost of ours, and only it, decides. */
		if (!parse_results(&c, &v))
			return AUTHRES_DMARC_FAIL;
		if (v.other)
			return AUTHRES_DMARC_FAIL;
		return v.pass ? AUTHRES_DMARC_PASS : AUTHRES_DMARC_NONE;
	}
	return AUTHRES_DMARC_NONE;
}
