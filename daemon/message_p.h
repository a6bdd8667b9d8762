/*
 * message internals shared by message.c (entry, bounds, header facts),
 * message_decode.c (charsets, UTF-8, format=flowed, RFC 2047),
 * message_mime.c (the libetpan tree walk), message_serial.c and
 * message_worker.c.  Tests may include it.
 */
#ifndef PLEDGED_MESSAGE_P_H
#define PLEDGED_MESSAGE_P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pledged/message.h"

/* A growing byte buffer; 'oom' is sticky, so callers check once. */
struct msg_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void msg_buf_add(struct msg_buf *b, const void *data, size_t len);
void msg_buf_addc(struct msg_buf *b, char c);
/* NUL-terminate and hand over the bytes (NULL when out of memory). */
char *msg_buf_take(struct msg_buf *b, size_t *len);
void msg_buf_free(struct msg_buf *b);

/* One header field of a CRLF-normalised header block. */
struct msg_field {
	const char *name;
	size_t name_len;
	const char *value; /* raw, still folded, after the colon */
	size_t value_len;
};
/*
 * Iterate over the header block starting at *pos in buf[0..len):
 * returns 1 with *f set and *pos advanced, or 0 at the end of the block
 * (*pos then at the body: after the empty line, or at the first line
 * that is no header field).
 */
int msg_field_next(
    const char *buf, size_t len, size_t *pos, struct msg_field *f);
bool msg_field_is(const struct msg_field *f, const char *name);
/* Unfold and trim a raw value into a new string (NULL when OOM). */
char *msg_unfold(const char *v, size_t len);

/* UTF-8 */
bool msg_utf8_valid(const char *s, size_t len);
/* A copy with invalid sequences and NULs replaced by U+FFFD. */
char *msg_utf8_repair(const char *s, size_t len, size_t *outlen);
/* windows-1252 to UTF-8; never fails but for memory. */
char *msg_cp1252_to_utf8(const char *s, size_t len, size_t *outlen);
/*
 * Bytes in 'charset' (may be NULL) to valid UTF-8, never failing for a
 * charset: aliases as mail clients read them (ISO-8859-1 and us-ascii
 * as windows-1252, ks_c_5601-1987 as CP949, GB2312 as GB18030,
 * Shift_JIS as CP932), unknown or missing charsets as UTF-8 when valid,
 * else windows-1252.  NULL only when out of memory.
 */
char *msg_to_utf8(
    const char *charset, const char *s, size_t len, size_t *outlen);
/* Header text (raw 8-bit allowed) to valid UTF-8: UTF-8 or cp1252. */
char *msg_header_text(const char *s, size_t len);
/*
 * Decode RFC 2047 encoded words in an unfolded header text; adjacent
 * words in one charset split mid-character are joined first.  Falls
 * back to the raw text (made valid UTF-8) when libetpan refuses it.
 */
char *msg_decode_2047(const char *s);
/* RFC 3676 format=flowed unwrapping of LF-terminated text. */
char *msg_unflow(const char *s, size_t len, bool delsp, size_t *outlen);
/*
 * LF and bare CR to CRLF, in a new buffer with 'pad' zero bytes after
 * the text (libetpan's QP decoder reads one byte past "=X").
 */
char *msg_crlf(const char *s, size_t len, size_t pad, size_t *outlen);
/* CRLF and bare CR to LF, in a new string. */
char *msg_lf(const char *s, size_t len, size_t *outlen);

/* Parse state while walking one message. */
struct msg_ctx {
	const struct message_limits *lim;
	struct message *m;
	size_t parts;	  /* MIME parts seen */
	size_t text_used; /* decoded text bytes kept */
	const char *why;
};
/*
 * Parse the MIME structure of 'buf' (CRLF-normalised, padded with zero
 * bytes past 'len') with libetpan and fill parts, content type, report
 * and returned-message facts.  Returns MESSAGE_OK or UNPARSEABLE with
 * ctx->why set.
 */
enum message_status msg_mime_walk(
    struct msg_ctx *ctx, const char *buf, size_t len);
/* Message-ID and Subject of a header block (a returned message). */
void msg_returned_headers(struct message *m, const char *buf, size_t len);
/* The first <...> in s without the brackets, trimmed, or NULL. */
char *msg_angle_id(const char *s, size_t len);

/* Serialisation between worker and parent (length-prefixed fields). */
int msg_serialise(enum message_status st, const char *why,
    const struct message *m, struct msg_buf *out);
/*
 * Decode what msg_serialise wrote.  Returns 0 with *st, *m (NULL unless
 * OK) and *why (a static string) set, or -1 when the bytes are not a
 * well-formed answer.
 */
int msg_deserialise(const char *p, size_t len, enum message_status *st,
    struct message **m, const char **why);

/* Tests: the current child's pid, or -1. */
pid_t message_worker_pid(const struct message_worker *w);
/* Tests: the per-message deadline in milliseconds (default 10 s). */
void message_worker_set_timeout(struct message_worker *w, int ms);

#endif
