/*
 * addr: email addresses per RFC 5322 (section 3.4), for the From of a
 * pledge, the recipients of requests and the addresses organizers type.
 *
 * Pure: bytes in, strings out, no I/O.  libetpan's mailbox parser
 * rewrites a quoted local part ("a b"@example.org becomes "ab"@...) and
 * takes the first angle bracket of an unquoted display name that holds
 * one (Smith <Band> <x@example.org> gives "Band"), so the From of a
 * pledge is parsed here instead.  A quoted local part is kept exactly
 * as written (quotes, spaces and escapes), since that is the mailbox.
 *
 * Memory: all memory belongs to the caller; strings returned are new and
 * freed with free().
 */
#ifndef PLEDGED_ADDR_H
#define PLEDGED_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Longest address we keep or mail (RFC 5321's path limit, less <>). */
#define ADDR_MAX 254

/*
 * The first mailbox of a header value 'in' of 'len' bytes (a From,
 * unfolded or not): *addr the addr-spec as written (comments and blanks
 * outside quoted strings removed, case kept), *name the display name
 * with quoted strings unquoted and blanks collapsed, still RFC 2047
 * encoded (NULL when none).  The address is the last angle-addr of the
 * mailbox when there is one, so that a display name holding '<' does
 * not become the address.  Either may be NULL on return; returns 0, or
 * -1 when out of memory.  The address is not validated: see addr_valid.
 */
int addr_parse_mailbox(const char *in, size_t len, char **addr, char **name);

/*
 * Is 's' an RFC 5322 addr-spec that a request can be mailed to:
 * local-part a dot-atom or a quoted-string, '@', domain a dot-atom (at
 * least one dot not required: "localhost" is legal) or a domain-literal,
 * at most ADDR_MAX bytes, no control characters?  UTF-8 is allowed in
 * atoms and quoted strings (RFC 6532).
 */
bool addr_valid(const char *s);

/*
 * Why 's' is not a valid address, in a few words ("no @", "two @",
 * "blank in the local part", ...), or NULL when it is valid.  A static
 * string.
 */
const char *addr_invalid_reason(const char *s);

#endif
