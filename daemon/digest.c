/*
 * digest: SHA-256 through GnuTLS, which pledged links for TLS anyway.
 *
 * Every fetched message is hashed whole in the main process, so the hash
 * is on the hot path of a pass: GnuTLS (nettle underneath) picks the
 * CPU's SHA extensions or a vectorised routine at run time, several times
 * faster than libsodium's portable SHA-256 (about 1.2 GB/s against
 * 175 MB/s on an x86-64 with SHA-NI), which made hashing a fifth of a
 * full pass.  The digests are the same bytes, so stored ones still match.
 */
#include <stdlib.h>

#include <gnutls/crypto.h>
#include <sodium.h>

#include "pledged/digest.h"

#define SHA256_BYTES 32

void
digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char h[SHA256_BYTES];

	/* Fails only if the library could not start, which also fails TLS;
	 * abort rather than record a digest that is not one. */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, h) < 0)
		abort();
	sodium_bin2hex(hex, DIGEST_HEX_LEN + 1, h, sizeof h);
}

struct digest {
	gnutls_hash_hd_t hd;
};

struct digest *
digest_new(void)
{
	struct digest *d = malloc(sizeof *d);

	if (d != NULL && gnutls_hash_init(&d->hd, GNUTLS_DIG_SHA256) < 0) {
		free(d);
		d = NULL;
	}
	return d;
}

void
digest_update(struct digest *d, const void *data, size_t len)
{
	/* SHA-256 in GnuTLS has no failing update once initialised. */
	if (gnutls_hash(d->hd, data, len) < 0)
		abort();
}

void
digest_final(struct digest *d, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char h[SHA256_BYTES];

	gnutls_hash_deinit(d->hd, h);
	sodium_bin2hex(hex, DIGEST_HEX_LEN + 1, h, sizeof h);
	free(d);
}
