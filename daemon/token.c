/*
 * token, part one: PASETO v4.public verification, signing and the claims.
 *
 * The order of work is the PASETO one: syntax, then the signature over
 * PAE(header, message, footer, implicit assertion), and only then is the
 * message read as JSON, so that unauthenticated bytes reach no JSON
 * parser (the footer excepted: it must be read to find the kid, so it is
 * size- and depth-checked first, like the payload).
 *
 * Verification decodes the body straight into its place in the PAE
 * buffer and the footer right after it, so a token costs one base64 pass
 * and no copies besides the 64-byte signature; the buffer is on the stack
 * because tokens are capped at TOKEN_MAX_LEN.  That pass is a table
 * decoder: a token is public, so libsodium's constant-time one (kept for
 * keys) would cost a twentieth of a verification for nothing.  The
 * claims rules are in token.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "pledged/log.h"
#include "token_p.h"

static const char V4_PUBLIC[] = "v4.public.";
#define HEADER_LEN (sizeof(V4_PUBLIC) - 1)
/* PAE prefix: count, then the header's length and bytes. */
#define PAE_HEAD (8 + 8 + HEADER_LEN)
/* Encoded characters of a 64-byte signature. */
#define SIG_CHARS 86
#define TIME_MAX_LEN 64
/* strlen("{\"kid\":\"") + a k4.pid + strlen("\"}") */
#define KID_FAST_LEN (8 + TOKEN_PID_LEN + 2)

const char *
token_status_reason(enum token_status s)
{
	switch (s) {
	case TOKEN_OK:
		return NULL;
	case TOKEN_MALFORMED:
		return "malformed-token";
	case TOKEN_BAD_SIGNATURE:
		return "bad-signature";
	case TOKEN_UNKNOWN_KEY:
		return "unknown-key";
	case TOKEN_EXPIRED:
		return "expired";
	case TOKEN_NOT_YET_VALID:
		return "not-yet-valid";
	case TOKEN_WRONG_CAMPAIGN:
		return "wrong-campaign";
	}
	return NULL;
}

static void
le64(uint8_t *p, uint64_t n)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)(n & 0xff);
		n >>= 8;
	}
}

/*
 * JSON nesting depth of 'len' bytes, strings skipped, without parsing;
 * true when it stays within 'max'.  Run before jansson so that a deep
 * document costs no recursion there.
 */
static bool
json_depth_ok(const uint8_t *p, size_t len, int max)
{
	bool in_str = false, esc = false;
	int depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

/* Parse a JSON object, strictly; NULL when it is anything else. */
static json_t *
json_object_load(const uint8_t *p, size_t len)
{
	json_t *j;

	if (!json_depth_ok(p, len, TOKEN_JSON_MAX_DEPTH))
		return NULL;
	j = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

struct v4_parsed {
	uint8_t *pae;
	size_t paelen;
	const uint8_t *msg, *footer;
	size_t msglen, footerlen;
	uint8_t sig[TOKEN_SIG_BYTES];
};

/*
 * Check the syntax of a v4.public token and lay out its PAE in 'buf'
 * (at least len + ialen + PAE_HEAD + 24 bytes).  TOKEN_OK or
 * TOKEN_MALFORMED.
 */
static enum token_status
v4_parse(const char *tok, size_t len, const uint8_t *ia, size_t ialen,
    uint8_t *buf, size_t bufsize, struct v4_parsed *v)
{
	const char *body, *dot, *end = tok + len;
	size_t bodychars, n, off;

	if (len < HEADER_LEN || memcmp(tok, V4_PUBLIC, HEADER_LEN) != 0)
		return TOKEN_MALFORMED;
	body = tok + HEADER_LEN;
	dot = memchr(body, '.', (size_t)(end - body));
	bodychars = (size_t)((dot ? dot : end) - body);
	if (bodychars < SIG_CHARS)
		return TOKEN_MALFORMED;
	/* "body." would verify exactly like "body": one spelling only. */
	if (dot != NULL && dot + 1 == end)
		return TOKEN_MALFORMED;

	le64(buf, 4);
	le64(buf + 8, HEADER_LEN);
	memcpy(buf + 16, V4_PUBLIC, HEADER_LEN);
	off = PAE_HEAD + 8;
	if (token_b64_decode_public(
		body, bodychars, buf + off, bufsize - off, &n) != 0 ||
	    n < TOKEN_SIG_BYTES)
		return TOKEN_MALFORMED;
	v->msg = buf + off;
	v->msglen = n - TOKEN_SIG_BYTES;
	memcpy(v->sig, buf + off + v->msglen, TOKEN_SIG_BYTES);
	le64(buf + PAE_HEAD, v->msglen);
	off += v->msglen;

	/* Footer length goes where the signature was; bytes follow. */
	n = 0;
	if (dot != NULL &&
	    token_b64_decode_public(dot + 1, (size_t)(end - dot - 1),
		buf + off + 8, bufsize - off - 8 - 8 - ialen, &n) != 0)
		return TOKEN_MALFORMED;
	le64(buf + off, n);
	v->footer = buf + off + 8;
	v->footerlen = n;
	off += 8 + n;
	le64(buf + off, ialen);
	off += 8;
	if (ialen > 0)
		memcpy(buf + off, ia, ialen);
	off += ialen;
	v->pae = buf;
	v->paelen = off;
	return TOKEN_OK;
}

static size_t
v4_bufsize(size_t len, size_t ialen)
{
	return len + ialen + PAE_HEAD + 32;
}

static bool
v4_check(const struct v4_parsed *v, const uint8_t *pk)
{
	return crypto_sign_verify_detached(v->sig, v->pae, v->paelen, pk) == 0;
}

enum token_status
token_v4_verify_raw(const uint8_t pk[TOKEN_PK_BYTES], const char *tok,
    size_t len, const uint8_t *ia, size_t ialen, uint8_t **msg, size_t *msglen,
    uint8_t **footer, size_t *footerlen)
{
	struct v4_parsed v;
	enum token_status st;
	uint8_t *buf = NULL;

	*msg = *footer = NULL;
	*msglen = *footerlen = 0;
	if (token_crypto_init() != 0)
		return TOKEN_MALFORMED;
	if (len > SIZE_MAX / 2 || ialen > SIZE_MAX / 2 ||
	    (buf = malloc(v4_bufsize(len, ialen))) == NULL)
		return TOKEN_MALFORMED;
	st = v4_parse(tok, len, ia, ialen, buf, v4_bufsize(len, ialen), &v);
	if (st != TOKEN_OK)
		goto out;
	if (!v4_check(&v, pk)) {
		st = TOKEN_BAD_SIGNATURE;
		goto out;
	}
	if ((*msg = malloc(v.msglen + 1)) == NULL ||
	    (*footer = malloc(v.footerlen + 1)) == NULL) {
		free(*msg);
		*msg = NULL;
		st = TOKEN_MALFORMED;
		goto out;
	}
	memcpy(*msg, v.msg, v.msglen);
	(*msg)[v.msglen] = '\0';
	*msglen = v.msglen;
	memcpy(*footer, v.footer, v.footerlen);
	(*footer)[v.footerlen] = '\0';
	*footerlen = v.footerlen;
out:
	free(buf);
	return st;
}

int
token_v4_pae(const char *tok, size_t len, uint8_t **pae, size_t *paelen,
    uint8_t sig[TOKEN_SIG_BYTES])
{
	struct v4_parsed v;
	uint8_t *buf;

	*pae = NULL;
	if (len > TOKEN_MAX_LEN || (buf = malloc(v4_bufsize(len, 0))) == NULL)
		return -1;
	if (v4_parse(tok, len, NULL, 0, buf, v4_bufsize(len, 0), &v) !=
	    TOKEN_OK) {
		free(buf);
		return -1;
	}
	memcpy(sig, v.sig, TOKEN_SIG_BYTES);
	*pae = buf;
	*paelen = v.paelen;
	return 0;
}

int
token_v4_sign_raw(const uint8_t sk[TOKEN_SK_BYTES], const uint8_t *m,
    size_t mlen, const uint8_t *f, size_t flen, const uint8_t *ia, size_t ialen,
    char **out)
{
	uint8_t *pae = NULL, *body = NULL;
	size_t paelen, off = 0, bsize, fsize, tlen;
	char *tok = NULL;
	int rc = -1;

	*out = NULL;
	if (token_crypto_init() != 0)
		return -1;
	if (mlen > TOKEN_MAX_LEN || flen > TOKEN_MAX_LEN ||
	    ialen > TOKEN_MAX_LEN)
		return -1;
	paelen = PAE_HEAD + 8 + mlen + 8 + flen + 8 + ialen;
	if ((pae = malloc(paelen)) == NULL ||
	    (body = malloc(mlen + TOKEN_SIG_BYTES)) == NULL)
		goto oom;
	le64(pae, 4);
	le64(pae + 8, HEADER_LEN);
	memcpy(pae + 16, V4_PUBLIC, HEADER_LEN);
	off = PAE_HEAD;
	le64(pae + off, mlen);
	memcpy(pae + off + 8, m, mlen);
	off += 8 + mlen;
	le64(pae + off, flen);
	if (flen > 0)
		memcpy(pae + off + 8, f, flen);
	off += 8 + flen;
	le64(pae + off, ialen);
	if (ialen > 0)
		memcpy(pae + off + 8, ia, ialen);

	memcpy(body, m, mlen);
	crypto_sign_detached(body + mlen, NULL, pae, paelen, sk);
	bsize = sodium_base64_ENCODED_LEN(
	    mlen + TOKEN_SIG_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	fsize = sodium_base64_ENCODED_LEN(
	    flen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((tok = malloc(HEADER_LEN + bsize + 1 + fsize)) == NULL)
		goto oom;
	memcpy(tok, V4_PUBLIC, HEADER_LEN);
	sodium_bin2base64(tok + HEADER_LEN, bsize, body, mlen + TOKEN_SIG_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (flen > 0) {
		tlen = strlen(tok);
		tok[tlen] = '.';
		sodium_bin2base64(tok + tlen + 1, fsize, f, flen,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	}
	*out = tok;
	tok = NULL;
	rc = 0;
	goto out;
oom:
	log_warnx("token: out of memory");
out:
	free(tok);
	free(body);
	free(pae);
	return rc;
}

/* Fixed-width decimal digits; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int
token_parse_rfc3339(const char *s, size_t len, int64_t *t)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t i;

	/* date-time = full-date "T" partial-time time-offset */
	if (len < 20 || len > TIME_MAX_LEN)
		return -1;
	if ((y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0 || (s[10] != 'T' && s[10] != 't') ||
	    (h = digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return -1;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i < 6 || (oh = digits(s + i + 1, 2)) < 0 ||
		    s[i + 3] != ':' || (om = digits(s + i + 4, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

/* A string member of at most 'max' bytes without NUL; NULL otherwise. */
static const char *
json_str(json_t *o, const char *key, size_t max, size_t *len, bool *present)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	*present = v != NULL;
	if (v == NULL || !json_is_string(v))
		return NULL;
	s = json_string_value(v);
	*len = json_string_length(v);
	if (*len > max || strlen(s) != *len)
		return NULL;
	return s;
}

/*
 * A lower-cased addr-spec: no upper case, no control character, one '@'
 * outside a quoted local part, and a blank only inside one (RFC 5322:
 * "a b"@example.org is an address).
 */
static bool
sub_ok(const char *s, size_t len)
{
	size_t i = 0, at = 0, atpos = 0;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < ' ' || c == 0x7f || (c >= 'A' && c <= 'Z'))
				return false;
			if (c == '\\' && i + 1 < len)
				i++;
		}
		if (i >= len)
			return false;
		i++;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || (c >= 'A' && c <= 'Z'))
			return false;
		if (c == '@') {
			at++;
			atpos = i;
		}
	}
	return at == 1 && atpos > 0 && atpos + 1 < len;
}

static bool
jti_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 8 || len > TOKEN_JTI_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!token_b64_char((unsigned char)s[i]))
			return false;
	return true;
}

/* An optional time claim: 0 (absent: *t = 0, or read), -1 malformed. */
static int
time_claim(json_t *o, const char *key, int64_t *t)
{
	const char *s;
	size_t len = 0;
	bool present;

	*t = 0;
	s = json_str(o, key, TIME_MAX_LEN, &len, &present);
	if (!present)
		return 0;
	if (s == NULL || token_parse_rfc3339(s, len, t) != 0)
		return -1;
	return 0;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Read and judge the claims of an authenticated message. */
static enum token_status
claims_check(const struct token_policy *pol, const uint8_t *msg, size_t msglen,
    struct token_claims *c)
{
	enum token_status st = TOKEN_MALFORMED;
	json_t *o, *v;
	const char *s;
	size_t len = 0;
	bool present, has_exp, has_iss;
	int64_t skew = pol->clock_skew > 0 ? pol->clock_skew : 0;

	if ((o = json_object_load(msg, msglen)) == NULL)
		return TOKEN_MALFORMED;
	if ((s = json_str(o, "sub", TOKEN_SUB_MAX, &len, &present)) == NULL ||
	    !sub_ok(s, len))
		goto out;
	memcpy(c->sub, s, len + 1);
	v = json_object_get(o, "phase");
	if (!json_is_integer(v) ||
	    (json_integer_value(v) != 1 && json_integer_value(v) != 2))
		goto out;
	c->phase = (int)json_integer_value(v);
	if ((s = json_str(o, "jti", TOKEN_JTI_MAX, &len, &present)) == NULL ||
	    !jti_ok(s, len))
		goto out;
	memcpy(c->jti, s, len + 1);
	has_exp = json_object_get(o, "exp") != NULL;
	if (!has_exp || time_claim(o, "exp", &c->exp) != 0 ||
	    time_claim(o, "iat", &c->iat) != 0 ||
	    time_claim(o, "nbf", &c->nbf) != 0)
		goto out;
	s = json_str(o, "iss", SIZE_MAX, &len, &has_iss);
	if (has_iss && s == NULL)
		goto out;
	if (has_iss &&
	    (pol->campaign == NULL || strcmp(s, pol->campaign) != 0)) {
		st = TOKEN_WRONG_CAMPAIGN;
		goto out;
	}
	if (pol->now > sat_add(c->exp, skew)) {
		st = TOKEN_EXPIRED;
		goto out;
	}
	if ((json_object_get(o, "nbf") != NULL &&
		pol->now < sat_add(c->nbf, -skew)) ||
	    (json_object_get(o, "iat") != NULL &&
		pol->now < sat_add(c->iat, -skew))) {
		st = TOKEN_NOT_YET_VALID;
		goto out;
	}
	st = TOKEN_OK;
out:
	json_decref(o);
	return st;
}

/*
 * The kid named by a footer into kid[TOKEN_KID_MAX + 1] ("" when none).
 * TOKEN_OK, TOKEN_MALFORMED, or TOKEN_UNKNOWN_KEY for a kid too long to be
 * any k4.pid.
 */
static enum token_status
footer_kid(const uint8_t *f, size_t flen, char kid[TOKEN_KID_MAX + 1])
{
	enum token_status st = TOKEN_MALFORMED;
	json_t *o, *v;

	kid[0] = '\0';
	if (flen == 0 || f[0] != '{')
		return TOKEN_OK; /* opaque footer: names no key */
	/*
	 * The footer we write, {"kid":"<k4.pid>"}, read without jansson
	 * (a tenth of a verification): a plain string of the pid alphabet
	 * needs no unescaping, so the result is what jansson would give.
	 */
	if (flen == KID_FAST_LEN && memcmp(f, "{\"kid\":\"", 8) == 0 &&
	    memcmp(f + flen - 2, "\"}", 2) == 0) {
		size_t i;

		for (i = 8; i < flen - 2; i++)
			if (!token_b64_char(f[i]) && f[i] != '.')
				break;
		if (i == flen - 2) {
			memcpy(kid, f + 8, TOKEN_PID_LEN);
			kid[TOKEN_PID_LEN] = '\0';
			return TOKEN_OK;
		}
	}
	if ((o = json_object_load(f, flen)) == NULL)
		return TOKEN_MALFORMED;
	if ((v = json_object_get(o, "kid")) == NULL) {
		st = TOKEN_OK;
		goto out;
	}
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		goto out;
	if (json_string_length(v) > TOKEN_KID_MAX) {
		st = TOKEN_UNKNOWN_KEY;
		goto out;
	}
	memcpy(kid, json_string_value(v), json_string_length(v) + 1);
	st = TOKEN_OK;
out:
	json_decref(o);
	return st;
}

enum token_status
token_verify(const struct token_keyring *kr, const struct token_policy *pol,
    const char *tok, size_t len, struct token_claims *out)
{
	uint8_t buf[TOKEN_MAX_LEN + PAE_HEAD + 32];
	struct token_claims c;
	struct v4_parsed v;
	enum token_status st;
	const struct token_key *key = NULL;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (len > TOKEN_MAX_LEN)
		return TOKEN_MALFORMED;
	if ((st = v4_parse(tok, len, NULL, 0, buf, sizeof(buf), &v)) !=
	    TOKEN_OK)
		return st;
	if ((st = footer_kid(v.footer, v.footerlen, c.kid)) != TOKEN_OK)
		return st;
	if (kr == NULL || kr->n == 0)
		return TOKEN_UNKNOWN_KEY;
	if (c.kid[0] != '\0') {
		for (i = 0; i < kr->n && key == NULL; i++)
			if (strcmp(kr->keys[i].pid, c.kid) == 0)
				key = &kr->keys[i];
		if (key == NULL)
			return TOKEN_UNKNOWN_KEY;
		if (!v4_check(&v, key->pk))
			return TOKEN_BAD_SIGNATURE;
	} else {
		for (i = 0; i < kr->n && key == NULL; i++)
			if (v4_check(&v, kr->keys[i].pk))
				key = &kr->keys[i];
		if (key == NULL)
			return TOKEN_BAD_SIGNATURE;
	}
	st = claims_check(pol, v.msg, v.msglen, &c);
	if (out != NULL && st != TOKEN_MALFORMED)
		*out = c;
	return st;
}

size_t
token_span(const char *p, size_t len)
{
	size_t i, n;

	if (len < HEADER_LEN || memcmp(p, V4_PUBLIC, HEADER_LEN) != 0)
		return 0;
	for (i = HEADER_LEN; i < len && token_b64_char((unsigned char)p[i]);
	     i++)
		;
	if (i - HEADER_LEN < SIG_CHARS)
		return 0;
	if (i + 1 < len && p[i] == '.' &&
	    token_b64_char((unsigned char)p[i + 1])) {
		for (n = i + 1; n < len && token_b64_char((unsigned char)p[n]);
		     n++)
			;
		i = n;
	}
	return i;
}

/* "YYYY-MM-DDThh:mm:ssZ" into buf[21]; -1 outside years 1970..9999. */
static int
format_time(int64_t t, char buf[21])
{
	int64_t y, days = t / 86400, rem = t % 86400;
	int m, d, n;

	if (t < 0 || t > INT64_C(253402300799))
		return -1;
	civil_from_days(days, &y, &m, &d);
	n = snprintf(buf, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return n == 20 ? 0 : -1;
}

int
token_sign(const struct token_secret *sk, const struct token_claims *c,
    const char *campaign, char **out)
{
	char exp[21], iat[21], nbf[21], footer[TOKEN_PID_LEN + 16];
	char *payload = NULL;
	json_t *o = NULL;
	int rc = -1, n;

	*out = NULL;
	if (strnlen(c->sub, sizeof(c->sub)) == sizeof(c->sub) ||
	    !sub_ok(c->sub, strlen(c->sub)) ||
	    strnlen(c->jti, sizeof(c->jti)) == sizeof(c->jti) ||
	    !jti_ok(c->jti, strlen(c->jti)) ||
	    (c->phase != 1 && c->phase != 2) || format_time(c->exp, exp) ||
	    (c->iat != 0 && format_time(c->iat, iat)) ||
	    (c->nbf != 0 && format_time(c->nbf, nbf)))
		return -1;
	/* jansson keeps insertion order: the claims read in this order. */
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "sub", json_string(c->sub)) ||
	    json_object_set_new(o, "phase", json_integer(c->phase)) ||
	    json_object_set_new(o, "jti", json_string(c->jti)) ||
	    (c->iat != 0 && json_object_set_new(o, "iat", json_string(iat))) ||
	    (c->nbf != 0 && json_object_set_new(o, "nbf", json_string(nbf))) ||
	    json_object_set_new(o, "exp", json_string(exp)) ||
	    (campaign != NULL &&
		json_object_set_new(o, "iss", json_string(campaign))))
		goto out;
	if ((payload = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	n = snprintf(footer, sizeof(footer), "{\"kid\":\"%s\"}", sk->pid);
	if (n < 0 || (size_t)n >= sizeof(footer))
		goto out;
	rc = token_v4_sign_raw(sk->sk, (const uint8_t *)payload,
	    strlen(payload), (const uint8_t *)footer, (size_t)n, NULL, 0, out);
out:
	free(payload);
	json_decref(o);
	return rc;
}

void
token_new_jti(char buf[27])
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t r[16];
	unsigned int acc = 0, bits = 0;
	size_t i, n = 0;

	(void)token_crypto_init(); /* randombytes works regardless */
	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			buf[n++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		buf[n++] = alpha[(acc << (5 - bits)) & 31];
	buf[n] = '\0';
	sodium_memzero(r, sizeof(r));
}
