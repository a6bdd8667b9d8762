/*
 * authres: what the receiving mail server says about a message's sender,
 * read from Authentication-Results header fields (RFC 8601).
 *
 * Only the topmost field whose authserv-id is ours counts: the receiving
 * server adds its field on top, and anything below may have been written
 * by the sender.  The field is parsed by its grammar, not searched for
 * strings: comments (nested, with quoted pairs) and quoted strings are
 * skipped as the RFC says, so "dmarc=pass" inside a comment or inside a
 * quoted property value is no result.  A field of ours that does not
 * parse is no evidence at all: it is never searched for a pass.
 *
 * Pure: strings in, a verdict out; no allocation, no I/O.
 */
#ifndef PLEDGED_AUTHRES_H
#define PLEDGED_AUTHRES_H

#include <stddef.h>

enum authres_dmarc {
	AUTHRES_DMARC_NONE = 0, /* no field of ours, or no dmarc result */
	AUTHRES_DMARC_PASS,	/* dmarc=pass for the From domain */
	AUTHRES_DMARC_FAIL,	/* any other dmarc result, or unparseable */
};

/*
 * The DMARC verdict for a message whose From domain is 'from_domain'
 * (NULL: unknown), from the field values 'fields' (unfolded, topmost
 * first, 'n' of them) as written by the server named 'authserv_id'
 * (compared without regard to case).
 *
 * PASS only when the topmost field of ours parses, has a dmarc result
 * "pass" whose header.from equals 'from_domain' (case aside, a trailing
 * dot aside), and no other dmarc result for that domain.  FAIL when that
 * field has any other dmarc result, or does not parse.  NONE when no
 * field is ours, or ours has no dmarc result ("none" included).
 */
enum authres_dmarc authres_dmarc(char *const *fields, size_t n,
    const char *authserv_id, const char *from_domain);

#endif
