/*
 * token: PASETO v4.public confirmation tokens and PASERK k4 keys.
 *
 * Pure: bytes in, facts out; no I/O, and token contents are never logged.
 * This module alone speaks to libsodium.  The format and the claims are
 * fixed by DESIGN.md ("Tokens: PASETO v4.public"); the decisions that
 * DESIGN leaves open are stated here, beside the function they govern.
 *
 * Memory: all memory belongs to the caller unless stated otherwise.
 * Strings returned through 'char **' are new heap strings; free them with
 * free(), except PASERK secrets, which are freed with token_string_free()
 * so that they are wiped first.  Every _free(NULL) is a no-op.
 */
#ifndef PLEDGED_TOKEN_H
#define PLEDGED_TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum token_status {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,      /* "malformed-token" */
	TOKEN_BAD_SIGNATURE,  /* "bad-signature" */
	TOKEN_UNKNOWN_KEY,    /* "unknown-key" */
	TOKEN_EXPIRED,	      /* "expired" */
	TOKEN_NOT_YET_VALID,  /* "not-yet-valid" */
	TOKEN_WRONG_CAMPAIGN, /* "wrong-campaign" */
};

/*
 * The DESIGN outcome reason for 's' ("malformed-token", ...), a static
 * string; NULL for TOKEN_OK and for values outside the enum.
 */
const char *token_status_reason(enum token_status s);

/* Longest token accepted, in bytes; a longer one is malformed. */
#define TOKEN_MAX_LEN 8192
/* Deepest JSON nesting accepted in a payload or a JSON footer. */
#define TOKEN_JSON_MAX_DEPTH 8

#define TOKEN_SUB_MAX 254
#define TOKEN_JTI_MAX 64
/* A k4.pid is 7 + 44 characters; a longer kid can name no key of ours. */
#define TOKEN_KID_MAX 64

struct token_claims {
	/*
	 * The addr-spec exactly as in the token: it must already be lower
	 * case (no 'A'..'Z'), contain exactly one '@' with text on both
	 * sides, and no control character, space or NUL; else malformed.
	 */
	char sub[TOKEN_SUB_MAX + 1];
	/* 1 or 2: a JSON integer ("1" and 1.0 are malformed). */
	int phase;
	/* 8..64 characters of [A-Za-z0-9_-]. */
	char jti[TOKEN_JTI_MAX + 1];
	/*
	 * Unix seconds from RFC 3339 strings (fractions of a second are
	 * dropped); iat and nbf are 0 when absent.
	 */
	int64_t exp, iat, nbf;
	/* The footer's kid, or "" when the footer names none. */
	char kid[TOKEN_KID_MAX + 1];
};

/* A set of trusted public keys (k4.public), each known by its k4.pid. */
struct token_keyring;

/* A new empty keyring, or NULL when out of memory (logged). */
struct token_keyring *token_keyring_new(void);
/*
 * Add the key of a "k4.public." PASERK string.  Returns 0, or -1 when the
 * string is not a k4.public PASERK of 32 bytes, or the bytes are not a
 * usable Ed25519 public key (not a canonical point of the prime-order
 * subgroup: such a key could verify nothing, so it is a configuration
 * error, caught here).  Adding a key already present is a no-op.
 * Not logged: the caller reports the config line.
 */
int token_keyring_add(struct token_keyring *kr, const char *paserk_public);
size_t token_keyring_count(const struct token_keyring *kr);
void token_keyring_free(struct token_keyring *kr);

struct token_policy {
	/* tokens.campaign; a token's iss, when present, must equal it (a
	 * token with iss under a NULL campaign is wrong-campaign). */
	const char *campaign;
	int64_t now;	    /* Unix seconds */
	int64_t clock_skew; /* seconds, >= 0 */
};

/*
 * Verify the 'len' bytes at 'tok' (no NUL needed) as a v4.public token,
 * exactly as given: nothing is trimmed, decoded or lower-cased first.
 *
 * Syntax: the header is exactly "v4.public."; the body and the optional
 * footer are unpadded base64url in canonical form (no '=', zero unused
 * bits), the body at least a 64-byte signature long; "body." with an
 * empty footer is malformed (it would alias the token without a footer);
 * over TOKEN_MAX_LEN bytes is malformed.
 *
 * Footer: one that begins with '{' must be a JSON object (no duplicate
 * keys, depth <= TOKEN_JSON_MAX_DEPTH) else malformed; its "kid", when
 * present, must be a string and selects the one key with that k4.pid
 * (none: TOKEN_UNKNOWN_KEY).  Any other footer is opaque data, as PASETO
 * allows, and names no key.  Without a kid each key is tried: none
 * verifies, TOKEN_BAD_SIGNATURE; an empty keyring, TOKEN_UNKNOWN_KEY.
 * The implicit assertion is empty.
 *
 * Claims, read only after the signature holds: a JSON object without
 * duplicate keys; sub, phase, jti, exp required as documented in struct
 * token_claims; iat, nbf optional RFC 3339 strings; iss optional string;
 * other claims ignored.  A wrong type or form is TOKEN_MALFORMED; then
 * TOKEN_WRONG_CAMPAIGN; then times with s = clock_skew: now > exp + s is
 * TOKEN_EXPIRED, now < nbf - s or now < iat - s TOKEN_NOT_YET_VALID.
 *
 * RFC 3339 as its grammar says: YYYY-MM-DD"T"hh:mm:ss[.frac] then "Z" or
 * +hh:mm / -hh:mm ('t' and 'z' may be lower case; no space form, no
 * missing seconds), every field range-checked, second 60 allowed.
 *
 * 'out' (may be NULL) is filled whenever the claims were read
 * (TOKEN_OK, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_WRONG_CAMPAIGN),
 * zeroed otherwise.
 */
enum token_status token_verify(const struct token_keyring *kr,
    const struct token_policy *pol, const char *tok, size_t len,
    struct token_claims *out);

/*
 * Cheap syntactic scan for the message scanner: the length of the longest
 * prefix of the 'len' bytes at 'p' that could be a v4.public token
 * ("v4.public.", at least 86 base64url characters (a signature), then
 * optionally '.' and one or more base64url characters), or 0.  A '.' not
 * followed by a base64url character (end of a sentence) is not taken.
 */
size_t token_span(const char *p, size_t len);

/* A signing key (Ed25519), held in guarded memory wiped on free. */
struct token_secret;

/*
 * Load a "k4.secret." PASERK (64 bytes: seed then public key; the public
 * half must be the one the seed derives).  Returns 0 and *out, or -1
 * (malformed, or out of memory: logged).
 */
int token_secret_from_paserk(
    const char *paserk_secret, struct token_secret **out);
void token_secret_free(struct token_secret *sk);

/*
 * A new key pair as three PASERK strings.  Returns 0, or -1 (logged).
 * Free *paserk_secret with token_string_free(), the others with free().
 */
int token_keygen(char **paserk_secret, char **paserk_public, char **paserk_pid);
/* The k4.public and k4.pid of a secret key; returns 0 or -1 (logged). */
int token_secret_public(
    const struct token_secret *sk, char **paserk_public, char **paserk_pid);
/*
 * The k4.pid of a "k4.public." PASERK string.  Returns 0, or -1 when the
 * string is not a k4.public PASERK of 32 bytes (not logged).
 */
int token_paserk_pid(const char *paserk_public, char **paserk_pid);
/* Wipe and free a string (a PASERK secret); NULL is a no-op. */
void token_string_free(char *s);

/*
 * Sign a token for 'c': claims sub, phase, jti, iat, exp (and nbf when
 * non-zero; iat when non-zero), iss = 'campaign' when non-NULL, as
 * compact JSON with RFC 3339 UTC times; footer {"kid":"<k4.pid>"}.  The
 * claims must be ones token_verify accepts (times within years
 * 1970..9999), else -1.  Returns 0 and a new string in *out, or -1.
 */
int token_sign(const struct token_secret *sk, const struct token_claims *c,
    const char *campaign, char **out);

/*
 * A new token id: 16 random bytes as 26 lower-case RFC 4648 base32
 * characters without padding, NUL-terminated in buf.
 */
void token_new_jti(char buf[27]);

#endif
