/*
 * Unit tests for token: the official PASETO v4 / PASERK k4 vectors (read
 * from tests/data/vectors/ at run time, expected failures included), then
 * the attacks the vectors miss and every claims rule, table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "pledged/token.h"
#include "testutil.h"
#include "token_p.h"

#define NOW INT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define SKEW 300
#define CAMPAIGN "nomusicforice"

/* The 4-S-1 key pair: secret as PASERK, public raw. */
static const char *const SK_HEX =
    "b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774"
    "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2";

static uint8_t *
unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n + 1);

	assert_non_null(b);
	assert_int_equal(
	    sodium_hex2bin(b, n + 1, hex, strlen(hex), NULL, len, NULL), 0);
	return b;
}

static json_t *
load_vectors(const char *file)
{
	char *path = tu_asprintf("%s/vectors/%s", TU_DATA, file);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	if (j == NULL)
		fail_msg("%s: %s", path, err.text);
	free(path);
	return j;
}

static const char *
jstr(json_t *t, const char *key)
{
	return json_string_value(json_object_get(t, key));
}

static void
test_v4_vectors(void **state)
{
	json_t *all = load_vectors("v4.json"), *t;
	size_t i, checked = 0;

	(void)state;
	json_array_foreach(json_object_get(all, "tests"), i, t)
	{
		const char *name = jstr(t, "name"), *tok = jstr(t, "token");
		const char *pkhex = jstr(t, "public-key"), *ia, *f, *m;
		bool fail = json_is_true(json_object_get(t, "expect-fail"));
		uint8_t *pk, *sk, *msg, *foot;
		size_t pklen, sklen, mlen, flen;
		char *out;
		enum token_status st;

		ia = jstr(t, "implicit-assertion");
		f = jstr(t, "footer");
		m = jstr(t, "payload");
		if (pkhex == NULL) {
			/*
			 * A v4.local vector: not a token we accept, and one
			 * its symmetric key must not verify as a public key.
			 */
			pk = unhex(jstr(t, "key"), &pklen);
			assert_int_equal(pklen, 32);
			st = token_v4_verify_raw(pk, tok, strlen(tok),
			    (const uint8_t *)ia, strlen(ia), &msg, &mlen, &foot,
			    &flen);
			if (st == TOKEN_OK)
				fail_msg("%s: local token verified", name);
			free(pk);
			checked++;
			continue;
		}
		pk = unhex(pkhex, &pklen);
		sk = unhex(jstr(t, "secret-key"), &sklen);
		assert_int_equal(pklen, 32);
		assert_int_equal(sklen, 64);
		st = token_v4_verify_raw(pk, tok, strlen(tok),
		    (const uint8_t *)ia, strlen(ia), &msg, &mlen, &foot, &flen);
		if (fail) {
			if (st == TOKEN_OK)
				fail_msg("%s: expected failure verified", name);
		} else {
			if (st != TOKEN_OK)
				fail_msg("%s: verify gave %d", name, st);
			assert_int_equal(mlen, strlen(m));
			assert_memory_equal(msg, m, mlen);
			assert_int_equal(flen, strlen(f));
			assert_memory_equal(foot, f, flen);
			/* Ed25519 is deterministic: the exact token. */
			assert_int_equal(
			    token_v4_sign_raw(sk, (const uint8_t *)m, strlen(m),
				(const uint8_t *)f, strlen(f),
				(const uint8_t *)ia, strlen(ia), &out),
			    0);
			if (strcmp(out, tok) != 0)
				fail_msg("%s: signed %s", name, out);
			free(out);
		}
		free(msg);
		free(foot);
		free(pk);
		free(sk);
		checked++;
	}
	/* 9 local, 3 public, 5 failures in the pinned file. */
	assert_int_equal(checked, 17);
	json_decref(all);
}

enum kind { PUBLIC, SECRET, PID };

static void
run_paserk_vectors(const char *file, enum kind kind, size_t expect)
{
	json_t *all = load_vectors(file), *t;
	size_t i, n = 0, len;

	json_array_foreach(json_object_get(all, "tests"), i, t)
	{
		const char *name = jstr(t, "name"), *want = jstr(t, "paserk");
		bool fail = json_is_true(json_object_get(t, "expect-fail"));
		uint8_t *key = unhex(jstr(t, "key"), &len);
		uint8_t back[64];
		char *s = NULL, *pub = NULL, *pid = NULL;
		struct token_secret *tsk = NULL;

		switch (kind) {
		case PUBLIC:
			s = token_paserk_public_encode(key, len);
			break;
		case SECRET:
			s = token_paserk_secret_encode(key, len);
			break;
		case PID:
			s = token_paserk_pid_encode(key, len);
			break;
		}
		if (fail) {
			if (s != NULL)
				fail_msg("%s: serialised %s", name, s);
			/* And the same bytes spelt as a PASERK load not. */
			free(s);
			s = token_b64_encode(key, len);
			pub = tu_asprintf("k4.public.%s", s);
			assert_int_not_equal(
			    token_paserk_public_decode(pub, back), 0);
			assert_int_not_equal(token_paserk_pid(pub, &pid), 0);
			free(pub);
			pub = tu_asprintf("k4.secret.%s", s);
			assert_int_not_equal(
			    token_secret_from_paserk(pub, &tsk), 0);
			assert_null(tsk);
			free(pub);
			free(s);
			free(key);
			n++;
			continue;
		}
		if (s == NULL || strcmp(s, want) != 0)
			fail_msg("%s: got %s", name, s ? s : "(null)");
		switch (kind) {
		case PUBLIC:
			assert_int_equal(
			    token_paserk_public_decode(s, back), 0);
			assert_memory_equal(back, key, 32);
			break;
		case SECRET:
			assert_int_equal(
			    token_paserk_secret_decode(s, back), 0);
			assert_memory_equal(back, key, 64);
			assert_int_equal(token_secret_from_paserk(s, &tsk), 0);
			assert_int_equal(
			    token_secret_public(tsk, &pub, &pid), 0);
			free(s);
			s = token_paserk_public_encode(key + 32, 32);
			assert_string_equal(pub, s);
			token_secret_free(tsk);
			break;
		case PID:
			free(pub);
			pub = token_paserk_public_encode(key, len);
			assert_int_equal(token_paserk_pid(pub, &pid), 0);
			assert_string_equal(pid, want);
			break;
		}
		free(pid);
		free(pub);
		free(s);
		free(key);
		n++;
	}
	assert_int_equal(n, expect);
	json_decref(all);
}

static void
test_k4_vectors(void **state)
{
	(void)state;
	run_paserk_vectors("k4.public.json", PUBLIC, 4);
	run_paserk_vectors("k4.secret.json", SECRET, 5);
	run_paserk_vectors("k4.pid.json", PID, 5);
}

/* Fixtures: two signing keys and a keyring trusting both. */
struct fx {
	uint8_t sk1[64], sk2[64];
	struct token_secret *s1, *s2;
	char *pub1, *pub2, *pid1, *pid2;
	struct token_keyring *kr;
	struct token_policy pol;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *sec2, *psk;
	uint8_t *b;
	size_t n;

	assert_non_null(fx);
	b = unhex(SK_HEX, &n);
	memcpy(fx->sk1, b, 64);
	free(b);
	psk = token_paserk_secret_encode(fx->sk1, 64);
	assert_int_equal(token_secret_from_paserk(psk, &fx->s1), 0);
	token_string_free(psk);
	assert_int_equal(token_secret_public(fx->s1, &fx->pub1, &fx->pid1), 0);
	assert_int_equal(token_keygen(&sec2, &fx->pub2, &fx->pid2), 0);
	assert_int_equal(token_secret_from_paserk(sec2, &fx->s2), 0);
	assert_int_equal(token_paserk_secret_decode(sec2, fx->sk2), 0);
	token_string_free(sec2);
	fx->kr = token_keyring_new();
	assert_int_equal(token_keyring_add(fx->kr, fx->pub1), 0);
	assert_int_equal(token_keyring_add(fx->kr, fx->pub2), 0);
	assert_int_equal(token_keyring_count(fx->kr), 2);
	fx->pol.campaign = CAMPAIGN;
	fx->pol.now = NOW;
	fx->pol.clock_skew = SKEW;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	token_secret_free(fx->s1);
	token_secret_free(fx->s2);
	free(fx->pub1);
	free(fx->pub2);
	free(fx->pid1);
	free(fx->pid2);
	token_keyring_free(fx->kr);
	free(fx);
	return 0;
}

/* A token over 'payload' and 'footer' (NULL: none) with a raw key. */
static char *
mk(const uint8_t *sk, const char *payload, const char *footer)
{
	char *out;

	assert_int_equal(token_v4_sign_raw(sk, (const uint8_t *)payload,
			     strlen(payload), (const uint8_t *)footer,
			     footer ? strlen(footer) : 0, NULL, 0, &out),
	    0);
	return out;
}

static enum token_status
verify(struct fx *fx, const char *tok, struct token_claims *c)
{
	return token_verify(fx->kr, &fx->pol, tok, strlen(tok), c);
}

#define GOOD_CLAIMS                                                            \
	"\"sub\":\"artist@example.org\",\"phase\":1,"                          \
	"\"jti\":\"abcdefghijklmnopqrstuvwxyz\",\"exp\":\"2026-06-01T00:00:"   \
	"00Z\""

static void
test_claims_table(void **state)
{
	static const struct {
		const char *payload;
		enum token_status want;
	} cases[] = {
	    {"{" GOOD_CLAIMS "}", TOKEN_OK},
	    {"{" GOOD_CLAIMS ",\"iss\":\"" CAMPAIGN "\"}", TOKEN_OK},
	    {"{" GOOD_CLAIMS ",\"iss\":\"other\"}", TOKEN_WRONG_CAMPAIGN},
	    {"{" GOOD_CLAIMS ",\"iss\":7}", TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"aud\":\"ignored\"}", TOKEN_OK},
	    {"[]", TOKEN_MALFORMED},
	    {"\"x\"", TOKEN_MALFORMED},
	    {"1", TOKEN_MALFORMED},
	    {"", TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS "} x", TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"sub\":\"other@example.org\"}",
		TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"x\":[[[[[[[[[1]]]]]]]]]}", TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"x\":[[[[[[1]]]]]]}", TOKEN_OK},
	    {"{\"sub\":\"Artist@example.org\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"artist.example.org\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b@c\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a\\u0000@b\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a b@c\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"@c\",\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"phase\":1,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":2,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_OK},
	    {"{\"sub\":\"a@b\",\"phase\":\"1\",\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1.0,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":3,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":true,\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"jti\":"
	     "\"abcdefgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":"
	     "\"abcdefg\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":"
	     "\"abcd.efgh\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":"
	     "\"0123456789012345678901234567890123456789012345678901234"
	     "567890123\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_OK},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":"
	     "\"0123456789012345678901234567890123456789012345678901234"
	     "5678901234\",\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":12345678,"
	     "\"exp\":\"2026-06-01T00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":\"abcdefgh\"}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":\"abcdefgh\","
	     "\"exp\":1780000000}",
		TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":\"abcdefgh\","
	     "\"exp\":\"2026-06-01 00:00:00Z\"}",
		TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"iat\":\"2026-05-01T00:00:00+02:00\"}",
		TOKEN_OK},
	    {"{" GOOD_CLAIMS ",\"iat\":\"yesterday\"}", TOKEN_MALFORMED},
	    {"{" GOOD_CLAIMS ",\"nbf\":null}", TOKEN_MALFORMED},
	    {"{\"sub\":\"a@b\",\"phase\":1,\"jti\":\"abcdefgh\","
	     "\"exp\":\"2026-05-01T00:00:00Z\"}",
		TOKEN_EXPIRED},
	    {"{" GOOD_CLAIMS ",\"nbf\":\"2026-05-29T00:00:00Z\"}",
		TOKEN_NOT_YET_VALID},
	    {"{" GOOD_CLAIMS ",\"iat\":\"2026-05-29T00:00:00Z\"}",
		TOKEN_NOT_YET_VALID},
	};
	struct fx *fx = *state;
	struct token_claims c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *tok = mk(fx->sk1, cases[i].payload, NULL);
		enum token_status st = verify(fx, tok, &c);

		if (st != cases[i].want)
			fail_msg("case %zu (%s): got %d want %d", i,
			    cases[i].payload, st, cases[i].want);
		free(tok);
	}
}

static void
test_round_trip(void **state)
{
	struct fx *fx = *state;
	struct token_claims in, out;
	char *tok, *tok2;

	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "artist@example.org");
	in.phase = 2;
	token_new_jti(in.jti);
	in.iat = NOW - 10;
	in.exp = NOW + 86400 * 30;
	assert_int_equal(token_sign(fx->s1, &in, CAMPAIGN, &tok), 0);
	assert_int_equal(verify(fx, tok, &out), TOKEN_OK);
	assert_string_equal(out.sub, in.sub);
	assert_int_equal(out.phase, 2);
	assert_string_equal(out.jti, in.jti);
	assert_int_equal(out.exp, in.exp);
	assert_int_equal(out.iat, in.iat);
	assert_int_equal(out.nbf, 0);
	assert_string_equal(out.kid, fx->pid1);
	assert_int_equal(token_span(tok, strlen(tok)), strlen(tok));
	/* Not normalised: a lower-cased token is another token. */
	tok2 = strdup(tok);
	for (char *p = tok2; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	assert_int_not_equal(verify(fx, tok2, NULL), TOKEN_OK);
	free(tok2);
	/* A campaign-less issuer, and a policy without a campaign. */
	fx->pol.campaign = NULL;
	assert_int_equal(verify(fx, tok, NULL), TOKEN_WRONG_CAMPAIGN);
	fx->pol.campaign = CAMPAIGN;
	free(tok);
	assert_int_equal(token_sign(fx->s2, &in, NULL, &tok), 0);
	assert_int_equal(verify(fx, tok, &out), TOKEN_OK);
	assert_string_equal(out.kid, fx->pid2);
	free(tok);
	/* Claims we would reject are not signed. */
	snprintf(in.sub, sizeof(in.sub), "Artist@example.org");
	assert_int_equal(token_sign(fx->s1, &in, NULL, &tok), -1);
	snprintf(in.sub, sizeof(in.sub), "artist@example.org");
	in.phase = 3;
	assert_int_equal(token_sign(fx->s1, &in, NULL, &tok), -1);
	in.phase = 1;
	in.exp = -1;
	assert_int_equal(token_sign(fx->s1, &in, NULL, &tok), -1);
	assert_null(tok);
}

/* A token for 'exp'/'nbf'/'iat' (0: absent) at the fixed NOW. */
static enum token_status
at_edge(struct fx *fx, int64_t exp, int64_t nbf, int64_t iat)
{
	struct token_claims in;
	enum token_status st;
	char *tok;

	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "a@example.org");
	snprintf(in.jti, sizeof(in.jti), "edge-case-jti");
	in.phase = 1;
	in.exp = exp;
	in.nbf = nbf;
	in.iat = iat;
	assert_int_equal(token_sign(fx->s1, &in, CAMPAIGN, &tok), 0);
	st = verify(fx, tok, NULL);
	free(tok);
	return st;
}

static void
test_time_edges(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(at_edge(fx, NOW - SKEW, 0, 0), TOKEN_OK);
	assert_int_equal(at_edge(fx, NOW - SKEW - 1, 0, 0), TOKEN_EXPIRED);
	assert_int_equal(at_edge(fx, NOW, 0, 0), TOKEN_OK);
	assert_int_equal(at_edge(fx, NOW + 100, NOW + SKEW, 0), TOKEN_OK);
	assert_int_equal(
	    at_edge(fx, NOW + 100, NOW + SKEW + 1, 0), TOKEN_NOT_YET_VALID);
	assert_int_equal(at_edge(fx, NOW + 100, 0, NOW + SKEW), TOKEN_OK);
	assert_int_equal(
	    at_edge(fx, NOW + 100, 0, NOW + SKEW + 1), TOKEN_NOT_YET_VALID);
	/* Expiry is judged before the start of validity. */
	assert_int_equal(
	    at_edge(fx, NOW - SKEW - 1, NOW + SKEW + 1, 0), TOKEN_EXPIRED);
	/* A huge skew saturates rather than overflowing. */
	fx->pol.clock_skew = INT64_MAX;
	assert_int_equal(at_edge(fx, 1, 0, 0), TOKEN_OK);
	fx->pol.clock_skew = SKEW;
}

static void
test_rfc3339(void **state)
{
	static const struct {
		const char *s;
		int ok;
		int64_t t;
	} cases[] = {
	    {"2026-12-01T10:00:00Z", 1, INT64_C(1796119200)},
	    {"2026-12-01t10:00:00z", 1, INT64_C(1796119200)},
	    {"2026-12-01T12:00:00+02:00", 1, INT64_C(1796119200)},
	    {"2026-12-01T05:30:00-04:30", 1, INT64_C(1796119200)},
	    {"2026-12-01T10:00:00.123456Z", 1, INT64_C(1796119200)},
	    {"2026-12-01T10:00:00-00:00", 1, INT64_C(1796119200)},
	    {"1970-01-01T00:00:00Z", 1, 0},
	    {"2024-02-29T00:00:00Z", 1, INT64_C(1709164800)},
	    {"2016-12-31T23:59:60Z", 1, INT64_C(1483228800)},
	    {"2023-02-29T00:00:00Z", 0, 0},
	    {"2026-12-01T10:00:00", 0, 0},
	    {"2026-12-01 10:00:00Z", 0, 0},
	    {"2026-12-01T10:00Z", 0, 0},
	    {"2026-12-01T10:00:00.Z", 0, 0},
	    {"2026-12-01T10:00:00+0200", 0, 0},
	    {"2026-12-01T10:00:00+02", 0, 0},
	    {"2026-12-01T10:00:00+24:00", 0, 0},
	    {"2026-13-01T10:00:00Z", 0, 0},
	    {"2026-00-01T10:00:00Z", 0, 0},
	    {"2026-04-31T10:00:00Z", 0, 0},
	    {"2026-12-01T24:00:00Z", 0, 0},
	    {"2026-12-01T10:60:00Z", 0, 0},
	    {"2026-12-01T10:00:61Z", 0, 0},
	    {"2026-12-01T10:00:00Zx", 0, 0},
	    {"+2026-12-01T10:00:00Z", 0, 0},
	    {"2026-1-01T10:00:00Z", 0, 0},
	    {"2026-12-01T10:00:00 Z", 0, 0},
	    {"", 0, 0},
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc =
		    token_parse_rfc3339(cases[i].s, strlen(cases[i].s), &t);

		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d", cases[i].s, rc);
		if (rc == 0 && t != cases[i].t)
			fail_msg("%s: %lld", cases[i].s, (long long)t);
	}
}

/* Re-encode a token's body after flipping bit 'bit' of byte 'idx'. */
static char *
flip(const char *tok, size_t idx, int bit)
{
	const char *body = tok + 10, *dot = strchr(body, '.');
	size_t blen = dot ? (size_t)(dot - body) : strlen(body), n;
	uint8_t raw[4096];
	char *enc, *out;

	assert_int_equal(token_b64_decode(body, blen, raw, sizeof(raw), &n), 0);
	raw[idx % n] ^= (uint8_t)(1u << bit);
	enc = token_b64_encode(raw, n);
	out = tu_asprintf("v4.public.%s%s", enc, dot ? dot : "");
	free(enc);
	return out;
}

static void
test_attacks(void **state)
{
	struct fx *fx = *state;
	char *good, *kidtok, *t, *enc, *foot;
	uint8_t raw[300];
	size_t len, bodylen, i;

	good = mk(fx->sk1, "{" GOOD_CLAIMS "}", NULL);
	kidtok = tu_asprintf("{\"kid\":\"%s\"}", fx->pid1);
	foot = kidtok;
	kidtok = mk(fx->sk1, "{" GOOD_CLAIMS "}", foot);
	free(foot);
	assert_int_equal(verify(fx, good, NULL), TOKEN_OK);
	assert_int_equal(verify(fx, kidtok, NULL), TOKEN_OK);

	/* A flipped bit anywhere in the signature or the message. */
	for (i = 0; i < 8; i++) {
		t = flip(good, (size_t)-1 - i * 7, (int)i);
		assert_int_equal(verify(fx, t, NULL), TOKEN_BAD_SIGNATURE);
		free(t);
		t = flip(kidtok, i, (int)i);
		assert_int_equal(verify(fx, t, NULL), TOKEN_BAD_SIGNATURE);
		free(t);
	}

	/* Bodies shorter than a signature, with or without a footer. */
	memset(raw, 'A', sizeof(raw));
	for (len = 0; len < 64; len += 21) {
		enc = token_b64_encode(raw, len);
		t = tu_asprintf("v4.public.%s", enc);
		assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
		free(t);
		foot = token_b64_encode(raw, sizeof(raw));
		t = tu_asprintf("v4.public.%s.%s", enc, foot);
		assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
		assert_int_equal(token_span(t, strlen(t)), 0);
		free(t);
		free(foot);
		free(enc);
	}

	/* Other versions and purposes, same body. */
	{
		static const char *const hdr[] = {"v4.local.", "v3.public.",
		    "V4.public.", "v4.Public.", "v4.public", "v4public.",
		    " v4.public."};

		for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
			t = tu_asprintf("%s%s", hdr[i], good + 10);
			assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
			free(t);
		}
	}

	/* Padding, stray characters, an empty footer, surrounding text. */
	{
		static const char *const tail[] = {"=", "==", ".", "..", " ",
		    "\n", ".e30=", ".e3 0", ".e30.e30", "+", "/"};

		for (i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
			t = tu_asprintf("%s%s", good, tail[i]);
			assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
			free(t);
		}
	}

	/* A non-canonical last character (non-zero unused bits). */
	bodylen = strlen(good) - 10;
	if (bodylen % 4 != 0) {
		static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
					    "ghijklmnopqrstuvwxyz0123456789-_";
		char *last;

		t = strdup(good);
		last = t + strlen(t) - 1;
		*last = alpha[((strchr(alpha, *last) - alpha) + 1) % 64];
		assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
		free(t);
	} else {
		fail_msg("fixture body has no unused bits");
	}

	/*
	 * Bytes 0x80..0xff where the alphabet has '_' (libsodium 1.0.18
	 * decodes them as '_'): one token must have one spelling.
	 */
	{
		size_t u = 10 + strcspn(good + 10, "_");
		int c;

		assert_true(u < strlen(good));
		for (c = 0x80; c <= 0xff; c += 0x3f) {
			t = strdup(good);
			t[u] = (char)c;
			assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
			free(t);
		}
	}

	/* Duplicate claim keys, signed properly. */
	t = mk(fx->sk1, "{" GOOD_CLAIMS ",\"phase\":2}", NULL);
	assert_int_equal(verify(fx, t, NULL), TOKEN_MALFORMED);
	free(t);

	/* A 1 MB token: refused on length alone. */
	{
		size_t big = 1024 * 1024;
		char *b = malloc(big);

		assert_non_null(b);
		memset(b, 'A', big);
		memcpy(b, "v4.public.", 10);
		assert_int_equal(token_verify(fx->kr, &fx->pol, b, big, NULL),
		    TOKEN_MALFORMED);
		assert_int_equal(token_span(b, big), big);
		free(b);
	}

	/* Footers: kid of a key not configured, odd footers. */
	{
		static const struct {
			const char *footer;
			enum token_status want;
		} cases[] = {
		    {"{\"kid\":\"k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1"
		     "YtTakWFE\"}",
			TOKEN_UNKNOWN_KEY},
		    {"{\"kid\":\"" /* too long for any pid */
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
			TOKEN_UNKNOWN_KEY},
		    {"{\"kid\":7}", TOKEN_MALFORMED},
		    {"{\"kid\":\"a\",\"kid\":\"b\"}", TOKEN_MALFORMED},
		    {"{\"kid\":", TOKEN_MALFORMED},
		    {"{}", TOKEN_OK},
		    {"{\"other\":1}", TOKEN_OK},
		    {"arbitrary-string-that-isn't-json", TOKEN_OK},
		    {"[1]", TOKEN_OK},
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			t = mk(fx->sk1, "{" GOOD_CLAIMS "}", cases[i].footer);
			if (verify(fx, t, NULL) != cases[i].want)
				fail_msg("footer %s", cases[i].footer);
			free(t);
		}
	}

	/* Key rotation: kid selects one key; no kid tries each. */
	foot = tu_asprintf("{\"kid\":\"%s\"}", fx->pid1);
	t = mk(fx->sk2, "{" GOOD_CLAIMS "}", foot);
	assert_int_equal(verify(fx, t, NULL), TOKEN_BAD_SIGNATURE);
	free(t);
	free(foot);
	foot = tu_asprintf("{\"kid\":\"%s\"}", fx->pid2);
	t = mk(fx->sk2, "{" GOOD_CLAIMS "}", foot);
	assert_int_equal(verify(fx, t, NULL), TOKEN_OK);
	free(t);
	free(foot);
	t = mk(fx->sk2, "{" GOOD_CLAIMS "}", NULL);
	assert_int_equal(verify(fx, t, NULL), TOKEN_OK);
	{
		/* With only the first key, key two's token is not ours. */
		struct token_keyring *one = token_keyring_new();
		struct token_claims c;

		assert_int_equal(token_keyring_add(one, fx->pub1), 0);
		assert_int_equal(token_verify(one, &fx->pol, t, strlen(t), &c),
		    TOKEN_BAD_SIGNATURE);
		assert_string_equal(c.sub, "");
		assert_int_equal(
		    token_verify(one, &fx->pol, kidtok, strlen(kidtok), NULL),
		    TOKEN_OK);
		token_keyring_free(one);
		one = token_keyring_new();
		assert_int_equal(token_verify(one, &fx->pol, t, strlen(t), &c),
		    TOKEN_UNKNOWN_KEY);
		token_keyring_free(one);
	}
	free(t);

	/* Bytes after the length given are not read. */
	t = tu_asprintf("%sGARBAGE", good);
	assert_int_equal(
	    token_verify(fx->kr, &fx->pol, t, strlen(good), NULL), TOKEN_OK);
	free(t);

	free(good);
	free(kidtok);
}

static void
test_keyring(void **state)
{
	struct fx *fx = *state;
	struct token_keyring *kr = token_keyring_new();
	static const char *const bad[] = {
	    /* all zero: a small-order point */
	    "k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "k4.public.",
	    "k4.public",
	    "",
	    "k3.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
	    "k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
	    "K4.PUBLIC.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
	    "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8=",
	    "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo9",
	    "k4.public.cHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo8",
	    "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8 ",
	    "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8AA",
	    "k4.public.c\xff\xff\xff\xec"
	    "3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4ynjpA",
	    "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo\x80",
	};
	size_t i;

	assert_non_null(kr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (token_keyring_add(kr, bad[i]) != -1)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(token_keyring_add(kr, NULL), -1);
	assert_int_equal(token_keyring_count(kr), 0);
	assert_int_equal(token_keyring_add(kr, fx->pub1), 0);
	assert_int_equal(token_keyring_add(kr, fx->pub1), 0);
	assert_int_equal(token_keyring_count(kr), 1);
	token_keyring_free(kr);
	token_keyring_free(NULL);
	token_secret_free(NULL);
	token_string_free(NULL);
}

static void
test_keygen(void **state)
{
	char *sec, *pub, *pid, *pub2, *pid2, *pid3;
	struct token_secret *sk;

	(void)state;
	assert_int_equal(token_keygen(&sec, &pub, &pid), 0);
	assert_int_equal(strncmp(sec, "k4.secret.", 10), 0);
	assert_int_equal(strlen(sec), 10 + 86);
	assert_int_equal(strlen(pub), 10 + 43);
	assert_int_equal(strlen(pid), TOKEN_PID_LEN);
	assert_int_equal(token_secret_from_paserk(sec, &sk), 0);
	assert_int_equal(token_secret_public(sk, &pub2, &pid2), 0);
	assert_string_equal(pub, pub2);
	assert_string_equal(pid, pid2);
	assert_int_equal(token_paserk_pid(pub, &pid3), 0);
	assert_string_equal(pid, pid3);
	/* A secret whose public half was swapped does not load. */
	{
		uint8_t raw[64];
		char *enc, *forged;
		struct token_secret *bad = NULL;

		assert_int_equal(token_paserk_secret_decode(sec, raw), 0);
		raw[40] ^= 1;
		enc = token_b64_encode(raw, 64);
		forged = tu_asprintf("k4.secret.%s", enc);
		assert_int_equal(token_secret_from_paserk(forged, &bad), -1);
		assert_null(bad);
		token_string_free(forged);
		token_string_free(enc);
		sodium_memzero(raw, sizeof(raw));
	}
	token_secret_free(sk);
	token_string_free(sec);
	free(pub);
	free(pid);
	free(pub2);
	free(pid2);
	free(pid3);
}

static void
test_jti(void **state)
{
	char a[27], b[27];
	size_t i;

	(void)state;
	token_new_jti(a);
	token_new_jti(b);
	assert_int_equal(strlen(a), 26);
	assert_string_not_equal(a, b);
	for (i = 0; i < 26; i++)
		assert_non_null(
		    strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]));
	/* 128 bits in 26 characters: the last carries 3 bits, then zeros. */
	assert_non_null(strchr("aeimquy4", a[25]));
}

static void
test_span(void **state)
{
	struct fx *fx = *state;
	char *tok = mk(fx->sk1, "{" GOOD_CLAIMS "}", "{\"kid\":\"x\"}");
	char *bare = mk(fx->sk1, "{" GOOD_CLAIMS "}", NULL);
	size_t tl = strlen(tok), bl = strlen(bare);
	static const char *const after[] = {"", ".", ",", ">", ")", "\"",
	    "\r\n", " more text", ". Next", "&amp;", "=", "<br>"};
	size_t i;

	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		char *s = tu_asprintf("%s%s", tok, after[i]);
		char *u = tu_asprintf("%s%s", bare, after[i]);

		if (token_span(s, strlen(s)) != tl)
			fail_msg("after '%s': %zu", after[i],
			    token_span(s, strlen(s)));
		if (token_span(u, strlen(u)) != bl)
			fail_msg("bare after '%s'", after[i]);
		free(s);
		free(u);
	}
	/* Cut short: the length is respected. */
	assert_int_equal(token_span(tok, tl - 3), tl - 3);
	assert_int_equal(token_span(tok, 50), 0);
	assert_int_equal(token_span("v4.public.", 10), 0);
	assert_int_equal(token_span("v4.local.abc", 12), 0);
	assert_int_equal(token_span("> v4.public.", 12), 0);
	assert_int_equal(token_span(tok + 1, tl - 1), 0);
	free(tok);
	free(bare);
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_null(token_status_reason(TOKEN_OK));
	assert_string_equal(
	    token_status_reason(TOKEN_MALFORMED), "malformed-token");
	assert_string_equal(
	    token_status_reason(TOKEN_BAD_SIGNATURE), "bad-signature");
	assert_string_equal(
	    token_status_reason(TOKEN_UNKNOWN_KEY), "unknown-key");
	assert_string_equal(token_status_reason(TOKEN_EXPIRED), "expired");
	assert_string_equal(
	    token_status_reason(TOKEN_NOT_YET_VALID), "not-yet-valid");
	assert_string_equal(
	    token_status_reason(TOKEN_WRONG_CAMPAIGN), "wrong-campaign");
	assert_null(token_status_reason((enum token_status)99));
}

/*
 * Token bodies go through the table decoder, keys through libsodium's
 * constant-time one: both must take and refuse exactly the same strings,
 * or a token would have a second spelling.  Every string of up to three
 * characters over the whole alphabet plus '=', '+', '/', '.', ' ', high
 * and NUL bytes (so every unused-bit pattern), each with every output
 * limit; then pseudo-random longer ones.
 */
#define B64URL                                                                 \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void
check_b64_same(const char *in, size_t len, size_t max)
{
	uint8_t o1[64], o2[64];
	size_t n1 = 0, n2 = 0;
	int r1, r2;

	r1 = token_b64_decode(in, len, o1, max, &n1);
	r2 = token_b64_decode_public(in, len, o2, max, &n2);
	if (r1 != r2)
		fail_msg("'%.*s' (%zu bytes, max %zu): %d vs %d", (int)len, in,
		    len, max, r1, r2);
	if (r1 == 0) {
		assert_int_equal(n1, n2);
		assert_memory_equal(o1, o2, n1);
	}
}

static void
test_b64_public(void **state)
{
	static const char alpha[] = B64URL "=+/. \x80\xff"; /* and NUL */
	const size_t na = sizeof(alpha);
	char in[48];
	size_t len, i, max;
	uint32_t x = 12345;

	(void)state;
	memset(in, 0, sizeof in);
	for (len = 0; len <= 3; len++) {
		size_t total = 1;

		for (i = 0; i < len; i++)
			total *= na;
		for (size_t k = 0; k < total; k++) {
			size_t r = k;

			for (i = 0; i < len; i++, r /= na)
				in[i] = alpha[r % na];
			for (max = 0; max <= 3; max++)
				check_b64_same(in, len, max);
		}
	}
	for (i = 0; i < 200000; i++) {
		len = i % 47 + 1;
		for (size_t k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			/* Mostly the alphabet, sometimes any byte. */
			in[k] = (x >> 24) % 16 == 0 ? (char)(x >> 16)
						    : B64URL[(x >> 16) % 64];
		}
		check_b64_same(in, len, sizeof in);
		/* One byte short of the output, when it fits at all. */
		if (len * 3 / 4 > 0)
			check_b64_same(in, len, len * 3 / 4 - 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v4_vectors),
	    cmocka_unit_test(test_k4_vectors),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_b64_public),
	    cmocka_unit_test(test_jti),
	    cmocka_unit_test(test_keygen),
	    cmocka_unit_test_setup_teardown(test_claims_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_time_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attacks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keyring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_span, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
