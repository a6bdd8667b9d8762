/*
 * Fuzz token_verify and token_span over arbitrary bytes, with a fixed
 * keyring (the PASETO 4-S-1 key).  A random input cannot carry a valid
 * signature, so the same bytes are also signed as a payload (and as a
 * footer) with the matching secret key and verified: that drives the
 * claims and footer parsers, which sit behind the signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/token.h"
#include "token_p.h"

static const uint8_t SK[64] = {0xb4, 0xcb, 0xfb, 0x43, 0xdf, 0x4c, 0xe2, 0x10,
    0x72, 0x7d, 0x95, 0x3e, 0x4a, 0x71, 0x33, 0x07, 0xfa, 0x19, 0xbb, 0x7d,
    0x9f, 0x85, 0x04, 0x14, 0x38, 0xd9, 0xe1, 0x1b, 0x94, 0x2a, 0x37, 0x74,
    0x1e, 0xb9, 0xdb, 0xbb, 0xbc, 0x04, 0x7c, 0x03, 0xfd, 0x70, 0x60, 0x4e,
    0x00, 0x71, 0xf0, 0x98, 0x7e, 0x16, 0xb2, 0x8b, 0x75, 0x72, 0x25, 0xc1,
    0x1f, 0x00, 0x41, 0x5d, 0x0e, 0x20, 0xb1, 0xa2};

static struct token_keyring *kr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *tok, size_t len)
{
	struct token_policy pol = {"nomusicforice", 1780000000, 300};
	struct token_claims c;
	enum token_status st;
	size_t span;

	st = token_verify(kr, &pol, tok, len, &c);
	if (st == TOKEN_OK &&
	    (c.phase < 1 || c.phase > 2 || strchr(c.sub, '@') == NULL))
		abort();
	if (token_status_reason(st) == NULL && st != TOKEN_OK)
		abort();
	span = token_span(tok, len);
	if (span > len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok = NULL;

	if (kr == NULL) {
		char *pub = token_paserk_public_encode(SK + 32, 32);

		kr = token_keyring_new();
		if (pub == NULL || kr == NULL || token_keyring_add(kr, pub))
			abort();
		free(pub);
	}
	check((const char *)data, size);
	if (size > 4096)
		return 0;
	/* The bytes as a signed payload, without a footer. */
	if (token_v4_sign_raw(SK, data, size, NULL, 0, NULL, 0, &tok) == 0) {
		check(tok, strlen(tok));
		free(tok);
	}
	/* The bytes as a signed footer, over a valid payload. */
	{
		static const char m[] =
		    "{\"sub\":\"a@b\",\"phase\":1,\"jti\":\"abcdefgh\","
		    "\"exp\":\"2026-06-01T00:00:00Z\"}";

		if (token_v4_sign_raw(SK, (const uint8_t *)m, sizeof(m) - 1,
			data, size, NULL, 0, &tok) == 0) {
			check(tok, strlen(tok));
			free(tok);
		}
	}
	return 0;
}
