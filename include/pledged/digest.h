/*
 * digest: the SHA-256 that identifies a message's content in the audit log
 * (with its Message-ID, it tells a re-delivered copy from new mail).
 */
#ifndef PLEDGED_DIGEST_H
#define PLEDGED_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Lower-case hex SHA-256 of 'len' bytes into 'hex' (NUL-terminated). */
void digest_sha256_hex(
    const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1]);

/*
 * The same, over data that arrives in pieces (a message too large to keep
 * in memory).  digest_new returns NULL when out of memory; digest_final
 * frees the context.
 */
struct digest;
struct digest *digest_new(void);
void digest_update(struct digest *, const void *data, size_t len);
void digest_final(struct digest *, char hex[DIGEST_HEX_LEN + 1]);

#endif
