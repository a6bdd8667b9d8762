/*
 * text_find_tokens: substrings that may be PASETO v4.public tokens.
 *
 * Design: find each literal "v4.public.", take the run of base64url (and
 * '.') characters after it, and cut it to the token grammar (body, then at
 * most one '.' and a footer).  When the token runs to the end of its line
 * it may have been hard-wrapped, possibly inside a quote whose prefix the
 * wrapping client repeated, and nothing tells where it really ends, so one
 * candidate is emitted for each number of continuation lines joined, the
 * longest first; the verifier decides.  Link-protection services hide the
 * original URL percent-encoded (or, for Proofpoint v2, "-XX"-encoded) in a
 * parameter: such text is decoded and searched again.  Candidates are only
 * ever pieces of the input joined together, never edited: a token spoilt
 * by a bad quoted-printable decoder stays spoilt, and fails verification.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "pledged/text.h"
#include "text_p.h"

#define PREFIX "v4.public."
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* Percent-decoding rounds (double encoding happens; triple does not). */
#define DECODE_DEPTH 2
/* Longest quote prefix stripped from a continuation line (">>>> "). */
#define QUOTE_PREFIX_MAX 32
/* Longest Proofpoint "u=" value decoded. */
#define PROOFPOINT_MAX 16384

static void
add_candidate(struct text_tokens *out, const char *s, size_t n)
{
	size_t i;
	char *p;

	if (n == 0 || n > TEXT_TOKEN_LEN_MAX || out->n >= TEXT_TOKENS_MAX)
		return;
	/*
	 * Candidates hold no NUL, so strncmp stops at the first difference
	 * or at the end of the shorter: a check costs at most the new
	 * candidate's length, never the stored ones' (strlen of 63 stored
	 * 8 KiB candidates at every short duplicate was 500 KiB a time).
	 */
	for (i = 0; i < out->n; i++)
		if (strncmp(out->items[i], s, n) == 0 &&
		    out->items[i][n] == '\0')
			return;
	if (out->items == NULL &&
	    (out->items = calloc(TEXT_TOKENS_MAX, sizeof(char *))) == NULL) {
		log_warn("text: calloc");
		return;
	}
	if ((p = malloc(n + 1)) == NULL) {
		log_warn("text: malloc");
		return;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	out->items[out->n++] = p;
}

/*
 * Length of the longest token-shaped prefix of s[0..n), which starts with
 * PREFIX; 0 when the body is empty.  *footer says whether it has one.
 */
static size_t
shape_len(const char *s, size_t n, bool *footer)
{
	size_t i = PREFIX_LEN;

	*footer = false;
	while (i < n && text_is_b64url((unsigned char)s[i]))
		i++;
	if (i == PREFIX_LEN)
		return 0;
	if (i + 1 < n && s[i] == '.' &&
	    text_is_b64url((unsigned char)s[i + 1])) {
		*footer = true;
		i++;
		while (i < n && text_is_b64url((unsigned char)s[i]))
			i++;
	}
	return i;
}

static bool
is_run_char(unsigned char c)
{
	return text_is_b64url(c) || c == '.';
}

/*
 * May the token go on after position 'j' (just after a run on its line):
 * only blanks up to a newline, and a newline at all; a '\\' right after
 * the run is s-nail's mark of a quoted line it folded.  *next gets the
 * start of the next line.
 */
static bool
line_ends_at(const char *s, size_t n, size_t j, size_t *next)
{
	if (j < n && s[j] == '\\')
		j++;
	while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
		j++;
	if (j < n && s[j] == '\n') {
		*next = j + 1;
		return true;
	}
	return false;
}

/* Can a joined text whose shape is 'sl' of 'jl' bytes continue? */
static bool
open_ended(const char *j, size_t jl, size_t sl, bool footer)
{
	if (sl == jl)
		return true;
	/* Wrapped right after the footer's '.'. */
	return !footer && jl == sl + 1 && j[sl] == '.';
}

/*
 * Candidates for the token at s[p].  *run_end caches where the previous
 * run ended: an occurrence inside it shares its end, which keeps a text
 * made of "v4.public." repeated linear.
 */
static void
candidates_at(
    const char *s, size_t n, size_t p, size_t *run_end, struct text_tokens *out)
{
	char join[TEXT_TOKEN_LEN_MAX];
	size_t bounds[TEXT_TOKEN_WRAP_LINES + 1];
	size_t nb = 0, jl, r, sl, pos, k;
	bool footer, more;

	if (p < *run_end) {
		r = *run_end;
	} else {
		for (r = p; r < n && is_run_char((unsigned char)s[r]); r++)
			;
		*run_end = r;
	}
	if (r - p > sizeof(join))
		return; /* too long to be ours */
	jl = r - p;
	if (jl <= PREFIX_LEN)
		return;
	memcpy(join, s + p, jl);
	if ((sl = shape_len(join, jl, &footer)) == 0)
		return;
	bounds[nb++] = sl;
	more = open_ended(join, jl, sl, footer) && line_ends_at(s, n, r, &pos);
	while (more && nb < TEXT_TOKEN_WRAP_LINES + 1) {
		/* Strip the quote prefix the wrapping client repeated. */
		for (k = 0; pos < n && k < QUOTE_PREFIX_MAX &&
		     (s[pos] == '>' || s[pos] == ' ' || s[pos] == '\t');
		     k++)
			pos++;
		/* Bounded, so that many tokens before a long line stay linear. */
		for (r = pos; r < n && r - pos <= sizeof(join) - jl &&
		     is_run_char((unsigned char)s[r]);
		     r++)
			;
		if (r == pos || r - pos > sizeof(join) - jl)
			break;
		memcpy(join + jl, s + pos, r - pos);
		jl += r - pos;
		sl = shape_len(join, jl, &footer);
		if (sl <= bounds[nb - 1])
			break;
		bounds[nb++] = sl;
		more = open_ended(join, jl, sl, footer) &&
		    line_ends_at(s, n, r, &pos);
	}
	for (k = nb; k > 0; k--)
		add_candidate(out, join, bounds[k - 1]);
	/* urldefense v3 closes the URL with "__;": those are not ours. */
	sl = bounds[0];
	if (p + sl < n && s[p + sl] == ';' && sl > PREFIX_LEN + 2 &&
	    memcmp(join + sl - 2, "__", 2) == 0) {
		while (sl > PREFIX_LEN && join[sl - 1] == '_')
			sl--;
		if (sl > PREFIX_LEN)
			add_candidate(out, join, sl);
	}
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode "<esc>XX" sequences of s[0..n) into a new buffer (*outlen bytes);
 * with 'slash', '_' also becomes '/' (Proofpoint v2).  NULL when nothing
 * was decoded or on memory exhaustion.
 */
static char *
decode(const char *s, size_t n, char esc, bool slash, size_t *outlen)
{
	char *d;
	size_t i, o = 0;
	bool changed = false;
	int hi, lo;

	if ((d = malloc(n + 1)) == NULL) {
		log_warn("text: malloc");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == esc && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
			changed = true;
		} else if (slash && s[i] == '_') {
			d[o++] = '/';
			changed = true;
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	if (!changed) {
		free(d);
		return NULL;
	}
	*outlen = o;
	return d;
}

static void
scan(const char *s, size_t n, struct text_tokens *out, int depth)
{
	const char *p = s, *end = s + n;
	char *d;
	size_t dl, run_end = 0;

	while ((p = memmem(p, (size_t)(end - p), PREFIX, PREFIX_LEN)) != NULL) {
		if (out->n >= TEXT_TOKENS_MAX)
			return;
		candidates_at(s, n, (size_t)(p - s), &run_end, out);
		p += PREFIX_LEN;
	}
	if (depth >= DECODE_DEPTH || memchr(s, '%', n) == NULL)
		return;
	if ((d = decode(s, n, '%', false, &dl)) != NULL) {
		scan(d, dl, out, depth + 1);
		free(d);
	}
}

/* Proofpoint v2: https://urldefense.proofpoint.com/v2/url?u=<enc>&d=... */
static void
scan_proofpoint(const char *s, size_t n, struct text_tokens *out)
{
	static const char key[] = "/v2/url?u=";
	const char *p = s, *end = s + n, *v;
	char *d;
	size_t dl;

	while (
	    (p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)) != NULL) {
		p += sizeof(key) - 1;
		for (v = p; v < end && v - p < PROOFPOINT_MAX && *v != '&' &&
		     *v != '"' && *v != '>' &&
		     !text_is_space((unsigned char)*v);
		     v++)
			;
		if ((d = decode(p, (size_t)(v - p), '-', true, &dl)) != NULL) {
			scan(d, dl, out, 1);
			free(d);
		}
		p = v; /* a value is decoded once, even if it holds the key */
	}
}

void
text_find_tokens(const char *text, size_t len, struct text_tokens *out)
{
	if (text == NULL || out == NULL)
		return;
	scan(text, len, out, 0);
	scan_proofpoint(text, len, out);
}

void
text_tokens_free(struct text_tokens *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}
