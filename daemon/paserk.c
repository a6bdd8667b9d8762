/*
 * token, part two: PASERK k4 keys (public, secret, pid), the keyring and
 * the signing key.
 *
 * A PASERK is a version-and-type prefix followed by unpadded base64url of
 * the raw key.  Decoding is exact: the prefix byte for byte, canonical
 * base64url, and the exact key length, so that one key has one spelling
 * and the k4.pid computed from a configured key matches the kid an issuer
 * wrote.  k4.pid = "k4.pid." || base64url(BLAKE2b-264("k4.pid." ||
 * "k4.public." || base64url(key))), per the PASERK ID operation.
 *
 * Secret keys live in sodium_malloc() memory (guard pages, wiped on
 * free); the PASERK strings that carry them are wiped by
 * token_string_free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pledged/log.h"
#include "token_p.h"

static const char K4_PUBLIC[] = "k4.public.";
static const char K4_SECRET[] = "k4.secret.";
static const char K4_PID[] = "k4.pid.";
#define PREFIX_LEN(p) (sizeof(p) - 1)
#define PID_DIGEST_BYTES 33

int
token_crypto_init(void)
{
	/* sodium_init() is idempotent and thread-safe; 1 means "already". */
	if (sodium_init() < 0) {
		log_warnx("token: libsodium initialisation failed");
		return -1;
	}
	return 0;
}

int
token_b64_decode(
    const char *in, size_t inlen, uint8_t *out, size_t max, size_t *outlen)
{
	const char *end = NULL;
	size_t n = 0, i;

	/*
	 * libsodium 1.0.18 (Debian 12) decodes bytes 0x80..0xff as if they
	 * were '_' (its constant-time comparisons look at the low bits
	 * only), which would give one token many spellings: check the
	 * alphabet ourselves first.
	 */
	for (i = 0; i < inlen; i++)
		if (!token_b64_char((unsigned char)in[i]))
			return -1;
	/*
	 * Without an 'ignore' set, libsodium stops at the first byte
	 * outside the alphabet (a '=' included) and refuses non-zero unused
	 * bits in the last character; the whole input must be consumed.
	 */
	if (sodium_base642bin(out, max, in, inlen, NULL, &n, &end,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	if (end != in + inlen)
		return -1;
	*outlen = n;
	return 0;
}

/*
 * Values of the base64url alphabet, X for every other byte (its high bit
 * set, so one OR of four lookups tells whether any was outside).
 */
#define X 0xff
/* clang-format off */
static const uint8_t b64url_value[256] = {
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
/* clang-format on */
#undef X

int
token_b64_decode_public(
    const char *in, size_t inlen, uint8_t *out, size_t max, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t full = inlen / 4, rest = inlen % 4, o = 0, i;
	uint32_t a, b, c, d;

	/* One character left over carries 6 bits: no whole byte. */
	if (rest == 1 || full * 3 + (rest ? rest - 1 : 0) > max)
		return -1;
	for (i = 0; i < full; i++, p += 4) {
		a = b64url_value[p[0]];
		b = b64url_value[p[1]];
		c = b64url_value[p[2]];
		d = b64url_value[p[3]];
		if ((a | b | c | d) & 0x80)
			return -1;
		a = a << 18 | b << 12 | c << 6 | d;
		out[o++] = (uint8_t)(a >> 16);
		out[o++] = (uint8_t)(a >> 8);
		out[o++] = (uint8_t)a;
	}
	if (rest > 0) {
		a = b64url_value[p[0]];
		b = b64url_value[p[1]];
		c = rest == 3 ? b64url_value[p[2]] : 0;
		if ((a | b | c) & 0x80)
			return -1;
		/* Canonical form: the unused low bits are zero. */
		if ((rest == 2 && (b & 0x0f) != 0) ||
		    (rest == 3 && (c & 0x03) != 0))
			return -1;
		a = a << 18 | b << 12 | c << 6;
		out[o++] = (uint8_t)(a >> 16);
		if (rest == 3)
			out[o++] = (uint8_t)(a >> 8);
	}
	*outlen = o;
	return 0;
}

char *
token_b64_encode(const uint8_t *in, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(
	    len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(size);

	if (s == NULL) {
		log_warnx("token: out of memory");
		return NULL;
	}
	sodium_bin2base64(
	    s, size, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* prefix || base64url(key) as a new string, or NULL (logged). */
static char *
paserk_encode(const char *prefix, const uint8_t *key, size_t len)
{
	size_t plen = strlen(prefix), size;
	char *s;

	size = plen +
	    sodium_base64_ENCODED_LEN(
		len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((s = malloc(size)) == NULL) {
		log_warnx("token: out of memory");
		return NULL;
	}
	memcpy(s, prefix, plen);
	sodium_bin2base64(s + plen, size - plen, key, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* Decode prefix || base64url of exactly 'len' bytes; 0 or -1. */
static int
paserk_decode(const char *s, const char *prefix, uint8_t *key, size_t len)
{
	size_t plen = strlen(prefix), n = 0, slen;

	if (s == NULL)
		return -1;
	slen = strlen(s);
	if (slen <= plen || memcmp(s, prefix, plen) != 0)
		return -1;
	if (token_b64_decode(s + plen, slen - plen, key, len, &n) != 0 ||
	    n != len)
		return -1;
	return 0;
}

char *
token_paserk_public_encode(const uint8_t *key, size_t len)
{
	if (len != TOKEN_PK_BYTES)
		return NULL;
	return paserk_encode(K4_PUBLIC, key, len);
}

char *
token_paserk_secret_encode(const uint8_t *key, size_t len)
{
	uint8_t pk[TOKEN_PK_BYTES], sk[TOKEN_SK_BYTES];
	char *s = NULL;

	if (len != TOKEN_SK_BYTES || token_crypto_init() != 0)
		return NULL;
	/* Refuse to write a key whose halves disagree: it would not load. */
	crypto_sign_seed_keypair(pk, sk, key);
	if (sodium_memcmp(pk, key + 32, TOKEN_PK_BYTES) == 0)
		s = paserk_encode(K4_SECRET, key, len);
	sodium_memzero(sk, sizeof(sk));
	return s;
}

/* The k4.pid of a raw public key into buf[TOKEN_PID_LEN + 1]; 0 or -1. */
static int
pid_of(const uint8_t pk[TOKEN_PK_BYTES], char buf[TOKEN_PID_LEN + 1])
{
	/* "k4.pid." + "k4.public." + 43 characters. */
	char msg[PREFIX_LEN(K4_PID) + PREFIX_LEN(K4_PUBLIC) + 44];
	uint8_t d[PID_DIGEST_BYTES];
	size_t off = 0;

	memcpy(msg, K4_PID, PREFIX_LEN(K4_PID));
	off += PREFIX_LEN(K4_PID);
	memcpy(msg + off, K4_PUBLIC, PREFIX_LEN(K4_PUBLIC));
	off += PREFIX_LEN(K4_PUBLIC);
	sodium_bin2base64(msg + off, sizeof(msg) - off, pk, TOKEN_PK_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	off += strlen(msg + off);
	if (crypto_generichash(
		d, sizeof(d), (const uint8_t *)msg, off, NULL, 0) != 0)
		return -1;
	memcpy(buf, K4_PID, PREFIX_LEN(K4_PID));
	sodium_bin2base64(buf + PREFIX_LEN(K4_PID),
	    TOKEN_PID_LEN + 1 - PREFIX_LEN(K4_PID), d, sizeof(d),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

char *
token_paserk_pid_encode(const uint8_t *key, size_t len)
{
	char buf[TOKEN_PID_LEN + 1], *s;

	if (len != TOKEN_PK_BYTES || token_crypto_init() != 0 ||
	    pid_of(key, buf) != 0)
		return NULL;
	if ((s = strdup(buf)) == NULL)
		log_warnx("token: out of memory");
	return s;
}

int
token_paserk_public_decode(const char *s, uint8_t pk[TOKEN_PK_BYTES])
{
	return paserk_decode(s, K4_PUBLIC, pk, TOKEN_PK_BYTES);
}

int
token_paserk_secret_decode(const char *s, uint8_t sk[TOKEN_SK_BYTES])
{
	uint8_t pk[TOKEN_PK_BYTES], sk2[TOKEN_SK_BYTES];
	int rc = -1;

	if (token_crypto_init() != 0 ||
	    paserk_decode(s, K4_SECRET, sk, TOKEN_SK_BYTES) != 0)
		goto out;
	/*
	 * The second half is the public key: one that the seed does not
	 * derive would sign tokens that its own k4.public cannot verify.
	 */
	crypto_sign_seed_keypair(pk, sk2, sk);
	if (sodium_memcmp(pk, sk + 32, TOKEN_PK_BYTES) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(sk2, sizeof(sk2));
	if (rc != 0)
		sodium_memzero(sk, TOKEN_SK_BYTES);
	return rc;
}

struct token_keyring *
token_keyring_new(void)
{
	struct token_keyring *kr;

	if (token_crypto_init() != 0)
		return NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		log_warnx("token: out of memory");
	return kr;
}

int
token_keyring_add(struct token_keyring *kr, const char *paserk_public)
{
	struct token_key key, *grown;
	size_t i;

	if (kr == NULL || token_paserk_public_decode(paserk_public, key.pk))
		return -1;
	/* Catches a mistyped key now rather than as bad signatures later. */
	if (!crypto_core_ed25519_is_valid_point(key.pk))
		return -1;
	if (pid_of(key.pk, key.pid) != 0)
		return -1;
	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i].pk, key.pk, TOKEN_PK_BYTES) == 0)
			return 0;
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 4;

		grown = reallocarray(kr->keys, cap, sizeof(*grown));
		if (grown == NULL) {
			log_warnx("token: out of memory");
			return -1;
		}
		kr->keys = grown;
		kr->cap = cap;
	}
	kr->keys[kr->n++] = key;
	return 0;
}

size_t
token_keyring_count(const struct token_keyring *kr)
{
	return kr ? kr->n : 0;
}

void
token_keyring_free(struct token_keyring *kr)
{
	if (kr == NULL)
		return;
	free(kr->keys);
	free(kr);
}

int
token_secret_from_paserk(const char *paserk_secret, struct token_secret **out)
{
	struct token_secret *sk;

	*out = NULL;
	if (token_crypto_init() != 0)
		return -1;
	if ((sk = sodium_malloc(sizeof(*sk))) == NULL) {
		log_warnx("token: out of memory");
		return -1;
	}
	if (token_paserk_secret_decode(paserk_secret, sk->sk) != 0 ||
	    pid_of(sk->sk + 32, sk->pid) != 0) {
		sodium_free(sk);
		return -1;
	}
	*out = sk;
	return 0;
}

void
token_secret_free(struct token_secret *sk)
{
	sodium_free(sk); /* wipes; NULL is a no-op */
}

void
token_string_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

int
token_secret_public(
    const struct token_secret *sk, char **paserk_public, char **paserk_pid)
{
	*paserk_public = NULL;
	*paserk_pid = NULL;
	if ((*paserk_public = token_paserk_public_encode(
		 sk->sk + 32, TOKEN_PK_BYTES)) == NULL ||
	    (*paserk_pid = strdup(sk->pid)) == NULL) {
		log_warnx("token: out of memory");
		free(*paserk_public);
		*paserk_public = NULL;
		return -1;
	}
	return 0;
}

int
token_paserk_pid(const char *paserk_public, char **paserk_pid)
{
	uint8_t pk[TOKEN_PK_BYTES];

	*paserk_pid = NULL;
	if (token_crypto_init() != 0 ||
	    token_paserk_public_decode(paserk_public, pk) != 0)
		return -1;
	*paserk_pid = token_paserk_pid_encode(pk, sizeof(pk));
	return *paserk_pid ? 0 : -1;
}

int
token_keygen(char **paserk_secret, char **paserk_public, char **paserk_pid)
{
	uint8_t pk[TOKEN_PK_BYTES], sk[TOKEN_SK_BYTES];
	int rc = -1;

	*paserk_secret = *paserk_public = *paserk_pid = NULL;
	if (token_crypto_init() != 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	if ((*paserk_secret = paserk_encode(K4_SECRET, sk, sizeof(sk))) ==
		NULL ||
	    (*paserk_public = paserk_encode(K4_PUBLIC, pk, sizeof(pk))) ==
		NULL ||
	    (*paserk_pid = token_paserk_pid_encode(pk, sizeof(pk))) == NULL)
		goto out;
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	if (rc != 0) {
		token_string_free(*paserk_secret);
		free(*paserk_public);
		free(*paserk_pid);
		*paserk_secret = *paserk_public = *paserk_pid = NULL;
	}
	return rc;
}
