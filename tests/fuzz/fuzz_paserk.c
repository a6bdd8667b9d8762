/*
 * Fuzz the PASERK readers (keyring_add, secret_from_paserk, paserk_pid)
 * over arbitrary strings, and the raw codec round trip: whatever is
 * accepted must encode back to the same string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/token.h"
#include "token_p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_keyring *kr;
	struct token_secret *sk = NULL;
	uint8_t raw[64];
	char *s, *pid = NULL, *pub = NULL, *pid2 = NULL;

	if (size > 1024)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if ((kr = token_keyring_new()) == NULL)
		abort();
	if (token_keyring_add(kr, s) == 0 && token_keyring_count(kr) != 1)
		abort();
	token_keyring_free(kr);

	if (token_paserk_pid(s, &pid) == 0) {
		/* Accepted: it must be the canonical spelling. */
		if (token_paserk_public_decode(s, raw) != 0)
			abort();
		pub = token_paserk_public_encode(raw, 32);
		if (pub == NULL || strcmp(pub, s) != 0)
			abort();
		free(pub);
		pub = NULL;
	}
	free(pid);
	pid = NULL;

	if (token_secret_from_paserk(s, &sk) == 0) {
		if (token_secret_public(sk, &pub, &pid) != 0 ||
		    token_paserk_pid(pub, &pid2) != 0 || strcmp(pid, pid2))
			abort();
		if (token_paserk_secret_decode(s, raw) != 0)
			abort();
		free(pub);
		pub = token_paserk_secret_encode(raw, 64);
		if (pub == NULL || strcmp(pub, s) != 0)
			abort();
	} else if (sk != NULL) {
		abort();
	}
	token_secret_free(sk);
	free(pub);
	free(pid);
	free(pid2);
	free(s);
	return 0;
}
