/* digest: SHA-256 through libsodium, which pledged links for tokens anyway. */
#include <sodium.h>

#include "pledged/digest.h"

void
digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(hex, DIGEST_HEX_LEN + 1, h, sizeof h);
}
