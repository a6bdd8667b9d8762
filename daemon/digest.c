/* digest: SHA-256 through libsodium, which pledged links for tokens anyway. */
#include <stdlib.h>

#include <sodium.h>

#include "pledged/digest.h"

void
digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(hex, DIGEST_HEX_LEN + 1, h, sizeof h);
}

struct digest {
	crypto_hash_sha256_state st;
};

struct digest *
digest_new(void)
{
	struct digest *d = malloc(sizeof *d);

	if (d != NULL)
		crypto_hash_sha256_init(&d->st);
	return d;
}

void
digest_update(struct digest *d, const void *data, size_t len)
{
	crypto_hash_sha256_update(&d->st, data, len);
}

void
digest_final(struct digest *d, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&d->st, h);
	sodium_bin2hex(hex, DIGEST_HEX_LEN + 1, h, sizeof h);
	free(d);
}
