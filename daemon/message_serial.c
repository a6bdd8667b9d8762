/*
 * message_serial: a struct message on the wire between the parse worker
 * and the daemon.  Fields in a fixed order, each string a 32-bit length
 * (all ones: NULL) and its bytes, integers little-endian.  The reader
 * trusts nothing (the writer ran libetpan on hostile bytes): every length
 * is checked against what is left, every string must be valid UTF-8
 * without NUL, and the reason text is mapped back to one of our own.
 */
#include <stdlib.h>
#include <string.h>

#include "message_p.h"

#define MAGIC 0x314d4c50u /* "PLM1" */
#define NULLSTR 0xffffffffu

/* Every reason message_parse can give (the reader hands out these). */
static const char *const reasons[] = {
    "message too large",
    "too many header fields",
    "header field too long",
    "no header fields",
    "invalid MIME boundary",
    "MIME nesting too deep",
    "too many MIME parts",
    "MIME structure not parseable",
    "out of memory",
};

static void
put32(struct msg_buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24)};

	msg_buf_add(b, c, 4);
}

static void
put64(struct msg_buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void
putstr(struct msg_buf *b, const char *s)
{
	size_t n;

	if (s == NULL) {
		put32(b, NULLSTR);
		return;
	}
	n = strlen(s);
	if (n >= NULLSTR) {
		b->oom = true;
		return;
	}
	put32(b, (uint32_t)n);
	msg_buf_add(b, s, n);
}

int
msg_serialise(enum message_status st, const char *why, const struct message *m,
    struct msg_buf *out)
{
	put32(out, MAGIC);
	put32(out, (uint32_t)st);
	putstr(out, why);
	if (st == MESSAGE_OK && m != NULL) {
		const char *const strs[] = {m->from_addr, m->from_name,
		    m->message_id, m->in_reply_to, m->subject, m->date,
		    m->auto_submitted, m->precedence, m->list_id,
		    m->return_path, m->content_type, m->report_type,
		    m->returned_message_id, m->returned_subject};

		for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
			putstr(out, strs[i]);
		msg_buf_addc(out, (char)m->has_list_headers);
		msg_buf_addc(out, (char)m->has_autoreply_header);
		msg_buf_addc(out, (char)m->is_report);
		msg_buf_addc(out, (char)m->has_delivery_status);
		msg_buf_addc(out, (char)m->text_truncated);
		put64(out, m->size);
		put32(out, (uint32_t)m->n_references);
		for (size_t i = 0; i < m->n_references; i++)
			putstr(out, m->references[i]);
		put32(out, (uint32_t)m->n_auth_results);
		for (size_t i = 0; i < m->n_auth_results; i++)
			putstr(out, m->auth_results[i]);
		put32(out, (uint32_t)m->n_parts);
		for (size_t i = 0; i < m->n_parts; i++) {
			msg_buf_addc(out, (char)m->parts[i].kind);
			msg_buf_addc(
			    out, (char)m->parts[i].in_attachment_or_rfc822);
			putstr(out, m->parts[i].text);
		}
	}
	return out->oom ? -1 : 0;
}

struct rd {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint32_t
get32(struct rd *r)
{
	uint32_t v;

	if (r->bad || r->left < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

static bool
getbool(struct rd *r)
{
	if (r->bad || r->left < 1 || r->p[0] > 1) {
		r->bad = true;
		return false;
	}
	r->left--;
	return *r->p++ == 1;
}

/* A new string, or NULL (for a NULL on the wire, or r->bad set). */
static char *
getstr(struct rd *r, size_t *lenp)
{
	uint32_t n = get32(r);
	char *s;

	if (r->bad || n == NULLSTR)
		return NULL;
	if (n > r->left || memchr(r->p, '\0', n) != NULL ||
	    !msg_utf8_valid((const char *)r->p, n) ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	r->left -= n;
	if (lenp != NULL)
		*lenp = n;
	return s;
}

/* An array of 'count' strings; the count is bounded by what is left. */
static char **
getstrs(struct rd *r, size_t *count)
{
	uint32_t n = get32(r);
	char **v;

	*count = 0;
	if (r->bad || n == 0)
		return NULL;
	if (n > r->left / 4 || (v = calloc(n, sizeof *v)) == NULL) {
		r->bad = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		v[i] = getstr(r, NULL);
		if (v[i] == NULL)
			r->bad = true;
		else
			(*count)++;
	}
	return v;
}

int
msg_deserialise(const char *p, size_t len, enum message_status *st,
    struct message **out, const char **why)
{
	struct rd r = {(const unsigned char *)p, len, false};
	struct message *m = NULL;
	char *w = NULL;
	uint32_t s, n;
	int rc = -1;

	*out = NULL;
	*why = NULL;
	if (get32(&r) != MAGIC)
		goto out;
	s = get32(&r);
	w = getstr(&r, NULL);
	if (r.bad || s > MESSAGE_UNPARSEABLE)
		goto out;
	*st = (enum message_status)s;
	if (*st != MESSAGE_OK) {
		*why = "MIME structure not parseable";
		for (size_t i = 0;
		     w != NULL && i < sizeof reasons / sizeof reasons[0]; i++)
			if (strcmp(w, reasons[i]) == 0)
				*why = reasons[i];
		rc = r.left == 0 ? 0 : -1;
		goto out;
	}
	if ((m = calloc(1, sizeof *m)) == NULL)
		goto out;
	{
		char **const strs[] = {&m->from_addr, &m->from_name,
		    &m->message_id, &m->in_reply_to, &m->subject, &m->date,
		    &m->auto_submitted, &m->precedence, &m->list_id,
		    &m->return_path, &m->content_type, &m->report_type,
		    &m->returned_message_id, &m->returned_subject};

		for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
			*strs[i] = getstr(&r, NULL);
	}
	m->has_list_headers = getbool(&r);
	m->has_autoreply_header = getbool(&r);
	m->is_report = getbool(&r);
	m->has_delivery_status = getbool(&r);
	m->text_truncated = getbool(&r);
	m->size = get32(&r);
	m->size |= (size_t)((uint64_t)get32(&r) << 32);
	m->references = getstrs(&r, &m->n_references);
	m->auth_results = getstrs(&r, &m->n_auth_results);
	n = get32(&r);
	if (r.bad || n > r.left / 6)
		goto out;
	if (n > 0 && (m->parts = calloc(n, sizeof *m->parts)) == NULL)
		goto out;
	for (uint32_t i = 0; i < n && !r.bad; i++) {
		struct message_part *pt = &m->parts[i];
		unsigned kind;

		if (r.left < 2 || r.p[0] > MESSAGE_PART_HTML) {
			r.bad = true;
			break;
		}
		kind = r.p[0];
		pt->kind = (enum message_part_kind)kind;
		r.p++, r.left--;
		pt->in_attachment_or_rfc822 = getbool(&r);
		pt->text = getstr(&r, &pt->len);
		if (pt->text == NULL)
			r.bad = true;
		else
			m->n_parts++;
	}
	if (r.bad || r.left != 0 || m->content_type == NULL)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	free(w);
	message_free(m);
	return rc;
}
