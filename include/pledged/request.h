/*
 * request: the confirmation request, as an RFC 5322 message.
 *
 * Pure: strings in, message bytes out; the only I/O is reading the
 * organizers' template files in request_templates_load().
 *
 * A request (DESIGN.md, flows 2 and 3, "Where tokens are found") carries
 * the full token on a line of its own in a text/plain part and in a
 * text/html alternative, its secret reference in the Subject as
 * "[ref:<ref>]" (random, stored with the token, never the jti that
 * exports and Message-IDs show), a
 * Message-ID that the caller records with the token, Date, From and
 * Reply-To the campaign address, and optionally "Auto-Submitted:
 * auto-generated" (mail the daemon sends on its own, RFC 3834).
 *
 * Both parts are UTF-8 in 7bit or 8bit transfer encoding, never
 * quoted-printable: a ~400-character token must reach the reader as one
 * unbroken line, and lines up to 998 octets are legal.  Every line of the
 * message ends in CRLF.
 *
 * Templates: one file a phase, DIR/request-phase1.txt and
 * DIR/request-phase2.txt ([smtp] templates = DIR; a missing file, or no
 * DIR, means the built-in text).  The first line is "Subject: ...", the
 * rest (after one optional empty line) the plain text body, UTF-8.
 * Placeholders: {name} (display name, else the address), {address},
 * {token}, {ref} (the request's secret reference), {expires} (the
 * expiry, "YYYY-MM-DD HH:MM UTC"), {campaign}, {phase}; "{{" is a literal "{".  {token} must appear
 * in the body, alone on its line (surrounding blanks aside), and nowhere
 * in the Subject.  The Subject gets " [ref:<ref>]" appended unless it
 * already has "[ref:{ref}]".  An unknown placeholder, a missing Subject
 * line, a misplaced {token} or a line over 900 bytes is an error, logged
 * as "FILE:LINE: message".
 *
 * Memory: all memory belongs to the caller unless stated otherwise;
 * strings passed in are borrowed for the call.
 */
#ifndef PLEDGED_REQUEST_H
#define PLEDGED_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The templates of both phases. */
struct request_templates;

/*
 * Load the templates from 'dir' (NULL: the built-in ones for both
 * phases); a phase whose file does not exist gets the built-in text.
 * Returns 0 and *out (free with request_templates_free), or -1, every
 * problem logged as "FILE:LINE: message".
 */
int request_templates_load(const char *dir, struct request_templates **out);
void request_templates_free(struct request_templates *);

/*
 * The template text of 'phase' (1 or 2), placeholders as written: the
 * Subject into *subject and the body into *body, both borrowed from 't'.
 * For intent, which must not read the request's own sentences as the
 * artist's (intent_phrases_add_request).  Returns -1 for another phase.
 */
int request_template_text(const struct request_templates *t, int phase,
    const char **subject, const char **body);

/* Everything one request says; all strings borrowed, UTF-8. */
struct request_params {
	const char *from;    /* [smtp] from: "Name <addr>" or "addr" */
	const char *to;	     /* the artist's addr-spec */
	const char *to_name; /* display name, NULL or "" when unknown */
	const char *token;   /* the full token */
	const char *jti;     /* its id, [A-Za-z0-9_-]{8,64} */
	/* The request's secret reference, [A-Za-z0-9_-]{8,64}, for the
	 * Subject and {ref}; NULL: the jti (requests.h always has one). */
	const char *ref;
	const char *campaign; /* tokens.campaign (may be NULL) */
	int phase;	      /* 1 or 2 */
	int64_t expires_at;   /* Unix seconds */
	int64_t date;	      /* the Date header, Unix seconds */
	bool auto_submitted;  /* add "Auto-Submitted: auto-generated" */
};

/* Longest Message-ID request_message_id writes, with brackets and NUL. */
#define REQUEST_MSGID_MAX 340

/*
 * The request's Message-ID, "<jti@domain-of-from>", into 'buf'.  It is a
 * function of the jti alone, so a request sent again after a crash (same
 * token) carries the same Message-ID, and receivers see one message.
 * Returns 0, or -1 when 'from' holds no addr-spec with a domain or the jti
 * is not one (not logged: the caller names the problem).
 */
int request_message_id(
    const char *from, const char *jti, char buf[REQUEST_MSGID_MAX]);

/*
 * The addr-spec of a From value ("Name <a@b>" or "a@b") into 'buf' of
 * 'len' bytes: the envelope sender.  Returns 0, or -1 when there is none
 * or it does not fit.
 */
int request_from_address(const char *from, char *buf, size_t len);

/*
 * Build the request for 'p' with the template of p->phase.  Returns 0
 * with *msg a new NUL-terminated buffer of *len bytes (free with free())
 * and the Message-ID in 'msgid' (may be NULL), or -1 (logged: a bad
 * parameter, a line that would exceed 998 octets, out of memory).
 */
int request_build(const struct request_templates *,
    const struct request_params *p, char **msg, size_t *len,
    char msgid[REQUEST_MSGID_MAX]);

#endif
