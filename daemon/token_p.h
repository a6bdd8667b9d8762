/*
 * token internals shared by token.c (PASETO) and paserk.c (keys), and
 * used by the tests and the benchmark: raw-key operations that the
 * official vectors exercise, below the claims layer.
 */
#ifndef PLEDGED_TOKEN_P_H
#define PLEDGED_TOKEN_P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pledged/token.h"

#define TOKEN_PK_BYTES 32
#define TOKEN_SK_BYTES 64
#define TOKEN_SIG_BYTES 64
/* "k4.pid." + base64url of a 33-byte BLAKE2b digest (44 characters). */
#define TOKEN_PID_LEN (7 + 44)

struct token_key {
	uint8_t pk[TOKEN_PK_BYTES];
	char pid[TOKEN_PID_LEN + 1];
};

struct token_keyring {
	struct token_key *keys;
	size_t n, cap;
};

struct token_secret {
	uint8_t sk[TOKEN_SK_BYTES]; /* seed || public key, as libsodium */
	char pid[TOKEN_PID_LEN + 1];
};

/* sodium_init() once; 0 or -1 (logged). */
int token_crypto_init(void);

/* A character of the base64url alphabet. */
static inline bool
token_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Strict unpadded base64url: decode all of 'in' (inlen bytes) into at most
 * 'max' bytes; any character outside the alphabet, '=', or non-zero
 * unused bits fail.  Returns 0 and *outlen, or -1.
 */
int token_b64_decode(
    const char *in, size_t inlen, uint8_t *out, size_t max, size_t *outlen);
/*
 * The same, accepting and refusing exactly the same inputs, by table
 * lookup rather than libsodium's constant-time decoder: several times
 * faster, with timing that depends on the bytes.  For public data only
 * (token bodies and footers); keys go through token_b64_decode().
 */
int token_b64_decode_public(
    const char *in, size_t inlen, uint8_t *out, size_t max, size_t *outlen);
/* Unpadded base64url of 'len' bytes as a new string, or NULL (logged). */
char *token_b64_encode(const uint8_t *in, size_t len);

/*
 * PASERK codec on raw bytes, as the k4 vectors state it.  Encoders return
 * a new string or NULL (wrong key length: not logged).  Decoders return 0
 * or -1 for anything but the exact prefix and exact length.
 */
char *token_paserk_public_encode(const uint8_t *key, size_t len);
char *token_paserk_secret_encode(const uint8_t *key, size_t len);
char *token_paserk_pid_encode(const uint8_t *key, size_t len);
int token_paserk_public_decode(const char *s, uint8_t pk[TOKEN_PK_BYTES]);
/* Also checks that the public half matches the seed. */
int token_paserk_secret_decode(const char *s, uint8_t sk[TOKEN_SK_BYTES]);

/*
 * v4.public on raw keys with an implicit assertion 'ia', as the v4
 * vectors need.  Sign: *out a new token (footer omitted when flen is 0).
 * Verify: on TOKEN_OK, *msg and *footer are new buffers (each with a NUL
 * after its length, for convenience) and the lengths are set; on failure
 * they are NULL.  Returns TOKEN_OK, TOKEN_MALFORMED or
 * TOKEN_BAD_SIGNATURE.
 */
int token_v4_sign_raw(const uint8_t sk[TOKEN_SK_BYTES], const uint8_t *m,
    size_t mlen, const uint8_t *f, size_t flen, const uint8_t *ia, size_t ialen,
    char **out);
enum token_status token_v4_verify_raw(const uint8_t pk[TOKEN_PK_BYTES],
    const char *tok, size_t len, const uint8_t *ia, size_t ialen, uint8_t **msg,
    size_t *msglen, uint8_t **footer, size_t *footerlen);

/*
 * The PAE message and signature of a well-formed v4.public token (empty
 * implicit assertion): *pae a new buffer of *paelen bytes.  For the
 * benchmark's baseline.  Returns 0 or -1.
 */
int token_v4_pae(const char *tok, size_t len, uint8_t **pae, size_t *paelen,
    uint8_t sig[TOKEN_SIG_BYTES]);

/* RFC 3339 as token_verify reads it: 0 and *t, or -1.  For tests. */
int token_parse_rfc3339(const char *s, size_t len, int64_t *t);

#endif
