/*
 * message: entry point, the bounds checked before libetpan sees a byte,
 * and the header facts.
 *
 * Order of work in message_parse: size cap; copy into a CRLF-normalised
 * buffer with trailing zero bytes; our own scan of the top header block
 * (field count and length caps, and every fact classify needs, read from
 * the raw values so a header libetpan dislikes costs that header only);
 * a scan of every Content-Type line in the message that refuses the
 * boundaries that crash mailmime_extract_boundary and estimates the MIME
 * nesting depth (a stack of open boundaries) so libetpan's recursion
 * stays shallow; only then the libetpan tree walk (message_mime.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "message_p.h"
#include "pledged/addr.h"

#define PAD 8 /* zero bytes after the copy */

void
message_limits_default(struct message_limits *l)
{
	l->max_bytes = 10 * 1024 * 1024;
	l->max_headers = 1000;
	l->max_header_len = 64 * 1024;
	l->max_depth = 32;
	l->max_parts = 500;
	l->max_text = 4 * 1024 * 1024;
}

char *
msg_crlf(const char *s, size_t len, size_t pad, size_t *outlen)
{
	char *out, *o;
	size_t i = 0;

	if (len > (SIZE_MAX - pad) / 2)
		return NULL;
	if ((out = malloc(2 * len + pad)) == NULL)
		return NULL;
	o = out;
	/*
	 * Line by line with memchr and memcpy rather than byte by byte: every
	 * byte of every fetched message passes here, and lines are short
	 * (base64 attachments are 76 columns), so this loop was the parser's
	 * largest cost.  [i, end) holds no LF; each CR in it becomes CRLF,
	 * and a CR just before the LF at 'end' takes that LF with it.
	 */
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : len;
		bool cr_lf = false;

		while (i < end) {
			const char *cr = memchr(s + i, '\r', end - i);
			size_t stop = cr != NULL ? (size_t)(cr - s) : end;

			memcpy(o, s + i, stop - i);
			o += stop - i;
			i = stop;
			if (cr != NULL) {
				*o++ = '\r';
				*o++ = '\n';
				i++;
				cr_lf = i == end && nl != NULL;
			}
		}
		if (nl != NULL) {
			if (!cr_lf) {
				*o++ = '\r';
				*o++ = '\n';
			}
			i = end + 1;
		}
	}
	*outlen = (size_t)(o - out);
	memset(o, 0, pad);
	return out;
}

int
msg_field_next(const char *buf, size_t len, size_t *pos, struct msg_field *f)
{
	size_t p = *pos, n;

	if (p >= len)
		return 0;
	if (len - p >= 2 && buf[p] == '\r' && buf[p + 1] == '\n') {
		*pos = p + 2;
		return 0;
	}
	for (n = p; n < len && buf[n] > 32 && buf[n] < 127 && buf[n] != ':';
	     n++)
		;
	if (n == p)
		return 0;
	f->name = buf + p;
	f->name_len = n - p;
	while (n < len && (buf[n] == ' ' || buf[n] == '\t'))
		n++;
	if (n >= len || buf[n] != ':')
		return 0; /* not a field: the body starts here */
	f->value = buf + ++n;
	for (;;) {
		const char *cr = memmem(buf + n, len - n, "\r\n", 2);

		if (cr == NULL) {
			n = len;
			f->value_len = n - (size_t)(f->value - buf);
			break;
		}
		n = (size_t)(cr - buf) + 2;
		if (n < len && (buf[n] == ' ' || buf[n] == '\t'))
			continue;
		f->value_len = (size_t)(cr - f->value);
		break;
	}
	*pos = n;
	return 1;
}

bool
msg_field_is(const struct msg_field *f, const char *name)
{
	return strlen(name) == f->name_len &&
	    strncasecmp(f->name, name, f->name_len) == 0;
}

char *
msg_unfold(const char *v, size_t len)
{
	struct msg_buf b = {0};
	size_t s = 0, e = len;

	while (s < e &&
	    (v[s] == ' ' || v[s] == '\t' || v[s] == '\r' || v[s] == '\n'))
		s++;
	while (e > s &&
	    (v[e - 1] == ' ' || v[e - 1] == '\t' || v[e - 1] == '\r' ||
		v[e - 1] == '\n'))
		e--;
	for (size_t i = s; i < e; i++)
		if (v[i] != '\r' && v[i] != '\n')
			msg_buf_addc(&b, v[i]);
	return msg_buf_take(&b, NULL);
}

/* Unfolded raw value as valid UTF-8. */
static char *
field_text(const struct msg_field *f)
{
	char *u = msg_unfold(f->value, f->value_len), *t;

	if (u == NULL)
		return NULL;
	t = msg_header_text(u, strlen(u));
	free(u);
	return t;
}

static void
lower(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

char *
msg_angle_id(const char *s, size_t len)
{
	const char *lt = memchr(s, '<', len), *gt;
	char *u, *t;

	if (lt == NULL)
		return NULL;
	gt = memchr(lt, '>', len - (size_t)(lt - s));
	if (gt == NULL || gt == lt + 1)
		return NULL;
	if ((u = msg_unfold(lt + 1, (size_t)(gt - lt - 1))) == NULL)
		return NULL;
	t = msg_header_text(u, strlen(u));
	free(u);
	return t;
}

/* A Message-ID value: the bracketed id, or a bare one without blanks. */
static char *
msg_id_value(const struct msg_field *f)
{
	char *id = msg_angle_id(f->value, f->value_len), *u;

	if (id != NULL)
		return id;
	if ((u = field_text(f)) == NULL || *u == '\0' ||
	    strpbrk(u, " \t") != NULL) {
		free(u);
		return NULL;
	}
	return u;
}

/*
 * The first mailbox of From, parsed by addr (RFC 5322): libetpan's
 * parser drops the blanks of a quoted local part and takes a '<' in an
 * unquoted display name for the address.
 */
static void
set_from(struct message *m, const struct msg_field *f)
{
	char *u = msg_unfold(f->value, f->value_len), *addr = NULL;
	char *name = NULL;

	if (u == NULL || addr_parse_mailbox(u, strlen(u), &addr, &name) != 0)
		goto out;
	if (addr != NULL && strchr(addr, '@') != NULL)
		m->from_addr = msg_header_text(addr, strlen(addr));
	if (name != NULL && *name != '\0')
		m->from_name = msg_decode_2047(name);
	lower(m->from_addr);
out:
	free(u);
	free(addr);
	free(name);
}

static void
add_references(struct message *m, const struct msg_field *f)
{
	const char *p = f->value, *end = f->value + f->value_len;
	char **v;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p)), *gt;
		char *id;

		if (lt == NULL ||
		    (gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			break;
		p = gt + 1;
		if ((id = msg_angle_id(lt, (size_t)(gt + 1 - lt))) == NULL)
			continue;
		v = realloc(m->references, (m->n_references + 1) * sizeof *v);
		if (v == NULL) {
			free(id);
			break;
		}
		m->references = v;
		m->references[m->n_references++] = id;
	}
}

static void
set_return_path(struct message *m, const struct msg_field *f)
{
	char *u = field_text(f);
	char *lt, *gt;

	if (u == NULL)
		return;
	if ((lt = strchr(u, '<')) == NULL) {
		m->return_path = u;
		return;
	}
	gt = strchr(lt + 1, '>');
	if (gt != NULL)
		*gt = '\0';
	m->return_path = strdup(lt + 1);
	free(u);
}

static bool
value_has(const struct msg_field *f, const char *word)
{
	char *u = msg_unfold(f->value, f->value_len);
	bool r = u != NULL && strcasestr(u, word) != NULL;

	free(u);
	return r;
}

static bool
autoreply_field(const struct msg_field *f)
{
	static const char *const any[] = {"X-Autoreply", "X-Autorespond",
	    "X-Autoresponder", "X-AutoReply-From", "X-Mail-Autoreply",
	    "X-Vacation"};

	for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
		if (msg_field_is(f, any[i]))
			return true;
	if (msg_field_is(f, "X-Apple-Action"))
		return value_has(f, "vacation");
	if (msg_field_is(f, "X-Autogenerated"))
		return value_has(f, "reply");
	if (msg_field_is(f, "X-POST-MessageClass"))
		return value_has(f, "autoresponder");
	if (msg_field_is(f, "X-Mailer"))
		return value_has(f, "vacation");
	return false;
}

static bool
list_field(const struct msg_field *f)
{
	static const char *const names[] = {"List-Id", "List-Unsubscribe",
	    "List-Post", "List-Help", "List-Subscribe", "List-Owner",
	    "List-Archive"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (msg_field_is(f, names[i]))
			return true;
	return false;
}

/* Keep the first occurrence of a single-valued field. */
#define FIRST(dst, expr)                                                       \
	do {                                                                   \
		if ((dst) == NULL)                                             \
			(dst) = (expr);                                        \
	} while (0)

/*
 * The top header block: bounds and facts.  Returns the body offset, or
 * (size_t)-1 with *why set when a bound is exceeded.
 */
static size_t
top_headers(struct message *m, const char *buf, size_t len,
    const struct message_limits *lim, const char **why)
{
	struct msg_field f;
	size_t pos = 0, n = 0;

	while (msg_field_next(buf, len, &pos, &f)) {
		if (++n > lim->max_headers) {
			*why = "too many header fields";
			return (size_t)-1;
		}
		if (f.name_len + f.value_len > lim->max_header_len) {
			*why = "header field too long";
			return (size_t)-1;
		}
		if (msg_field_is(&f, "From")) {
			if (m->from_addr == NULL && m->from_name == NULL)
				set_from(m, &f);
		} else if (msg_field_is(&f, "Message-ID")) {
			FIRST(m->message_id, msg_id_value(&f));
		} else if (msg_field_is(&f, "In-Reply-To")) {
			FIRST(
			    m->in_reply_to, msg_angle_id(f.value, f.value_len));
		} else if (msg_field_is(&f, "References")) {
			if (m->n_references == 0)
				add_references(m, &f);
		} else if (msg_field_is(&f, "Subject")) {
			if (m->subject == NULL) {
				char *u = msg_unfold(f.value, f.value_len);

				if (u != NULL)
					m->subject = msg_decode_2047(u);
				free(u);
			}
		} else if (msg_field_is(&f, "Date")) {
			FIRST(m->date, field_text(&f));
		} else if (msg_field_is(&f, "Auto-Submitted")) {
			FIRST(m->auto_submitted, field_text(&f));
		} else if (msg_field_is(&f, "Precedence")) {
			FIRST(m->precedence, field_text(&f));
		} else if (msg_field_is(&f, "Return-Path")) {
			if (m->return_path == NULL)
				set_return_path(m, &f);
		} else if (msg_field_is(&f, "Authentication-Results")) {
			char *v = field_text(&f), **a;

			a = v == NULL
			    ? NULL
			    : realloc(m->auth_results,
				  (m->n_auth_results + 1) * sizeof *a);
			if (a == NULL) {
				free(v);
			} else {
				m->auth_results = a;
				a[m->n_auth_results++] = v;
			}
		}
		if (list_field(&f)) {
			m->has_list_headers = true;
			if (msg_field_is(&f, "List-Id"))
				FIRST(m->list_id, field_text(&f));
		}
		if (autoreply_field(&f))
			m->has_autoreply_header = true;
	}
	return pos;
}

void
msg_returned_headers(struct message *m, const char *buf, size_t len)
{
	struct msg_field f;
	char *crlf;
	size_t clen, pos = 0, n = 0;

	if (m->returned_message_id != NULL)
		return;
	if ((crlf = msg_crlf(buf, len, 1, &clen)) == NULL)
		return;
	while (msg_field_next(crlf, clen, &pos, &f) && n++ < 1000) {
		if (msg_field_is(&f, "Message-ID")) {
			FIRST(m->returned_message_id, msg_id_value(&f));
		} else if (msg_field_is(&f, "Subject") &&
		    m->returned_subject == NULL) {
			char *u = msg_unfold(f.value, f.value_len);

			if (u != NULL)
				m->returned_subject = msg_decode_2047(u);
			free(u);
		}
	}
	free(crlf);
	if (m->returned_message_id == NULL) {
		free(m->returned_subject);
		m->returned_subject = NULL;
	}
}

/* Skip blanks and (nested) comments. */
static size_t
skip_cfws(const char *s, size_t i, size_t len)
{
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
		} else if (s[i] == '(') {
			unsigned d = 0;

			for (; i < len; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(')
					d++;
				else if (s[i] == ')' && --d == 0) {
					i++;
					break;
				}
			}
		} else {
			break;
		}
	}
	return i;
}

/*
 * Check every boundary parameter in a Content-Type value (unfolded, v
 * of vlen).  Refuses what mailmime_extract_boundary mishandles (it
 * strips a leading quote of the unquoted value and underflows on a
 * one-byte one) and what RFC 2046 forbids: empty, over 70 characters,
 * a quote or a backslash.  *b gets the first boundary for the depth
 * estimate.  Returns false when one is refused.
 */
static bool
check_boundaries(const char *v, size_t vlen, const char **b, size_t *blen)
{
	static const char key[] = "boundary";
	size_t i = 0;

	*b = NULL;
	*blen = 0;
	while (i + sizeof key - 1 <= vlen) {
		size_t s, e;

		if (strncasecmp(v + i, key, sizeof key - 1) != 0) {
			i++;
			continue;
		}
		i = skip_cfws(v, i + sizeof key - 1, vlen);
		if (i >= vlen || v[i] != '=')
			continue;
		i = skip_cfws(v, i + 1, vlen);
		if (i < vlen && v[i] == '"') {
			s = ++i;
			while (i < vlen && v[i] != '"') {
				if (v[i] == '\\')
					return false;
				i++;
			}
			if (i >= vlen)
				return false; /* unterminated */
			e = i++;
		} else {
			s = i;
			while (i < vlen && !strchr(" \t\r\n;()\"\\", v[i]))
				i++;
			e = i;
			if (i < vlen && (v[i] == '"' || v[i] == '\\'))
				return false;
		}
		if (e == s || e - s > 70)
			return false;
		if (*b == NULL) {
			*b = v + s;
			*blen = e - s;
		}
	}
	return true;
}

struct open_part {
	const char *boundary; /* NULL: a message/... level */
	size_t len;
};

/*
 * Scan every line of buf for Content-Type fields and boundary
 * delimiters.  Returns false with *why set when a boundary is refused,
 * the estimated nesting exceeds max_depth, or there are more composite
 * Content-Types than max_parts (a hard cap on libetpan's recursion that
 * no delimiter trickery can lift).
 */
/*
 * The first CRLF in buf[0..len), as memmem(buf, len, "\r\n", 2) would
 * find it, but through memchr: check_structure looks for the end of every
 * line of every message, and glibc's memmem pays a setup per call that
 * cost more than the search on short lines.
 */
static const char *
find_crlf(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl > buf && nl[-1] == '\r')
			return nl - 1;
		p = nl + 1;
	}
	return NULL;
}

static bool
check_structure(const char *buf, size_t len, const struct message_limits *lim,
    const char **why)
{
	struct open_part *stack = NULL;
	size_t depth = 0, composite = 0, pos = 0;
	bool ok = false;

	if ((stack = calloc((size_t)lim->max_depth + 1, sizeof *stack)) ==
	    NULL) {
		*why = "out of memory";
		return false;
	}
	while (pos < len) {
		const char *line = buf + pos;
		const char *cr = find_crlf(line, len - pos);
		size_t ll = cr ? (size_t)(cr - line) : len - pos;
		size_t next = pos + ll + (cr ? 2 : 0);
		size_t i;

		if (ll >= 2 && line[0] == '-' && line[1] == '-') {
			for (i = depth; i-- > 0;) {
				struct open_part *o = &stack[i];

				if (o->boundary == NULL || ll - 2 < o->len ||
				    memcmp(line + 2, o->boundary, o->len) != 0)
					continue;
				if (ll - 2 - o->len >= 2 &&
				    line[2 + o->len] == '-' &&
				    line[3 + o->len] == '-')
					depth = i; /* closed */
				else
					depth = i + 1;
				break;
			}
		} else if (ll > 12 &&
		    strncasecmp(line, "content-type", 12) == 0) {
			/* libetpan takes comments before the colon too. */
			size_t c = skip_cfws(line, 12, ll), vlen, vs;
			const char *v, *b;
			size_t blen;

			if (c < ll && line[c] == ':') {
				v = line + c + 1;
				next = pos + c + 1;
				for (;;) {
					const char *e =
					    find_crlf(buf + next, len - next);

					if (e == NULL) {
						next = len;
						break;
					}
					next = (size_t)(e - buf) + 2;
					if (next >= len ||
					    (buf[next] != ' ' &&
						buf[next] != '\t'))
						break;
				}
				vlen = (size_t)(buf + next - v);
				if (vlen > lim->max_header_len) {
					*why = "header field too long";
					goto out;
				}
				/* On the raw bytes: a NUL must hide nothing. */
				if (!check_boundaries(v, vlen, &b, &blen)) {
					*why = "invalid MIME boundary";
					goto out;
				}
				vs = skip_cfws(v, 0, vlen);
				if ((vlen - vs >= 9 &&
					strncasecmp(v + vs, "multipart", 9) ==
					    0) ||
				    (vlen - vs >= 7 &&
					strncasecmp(v + vs, "message", 7) ==
					    0)) {
					if (++composite > lim->max_parts ||
					    depth >= lim->max_depth) {
						*why = "MIME nesting too deep";
						goto out;
					}
					stack[depth].boundary = b;
					stack[depth].len = b ? blen : 0;
					depth++;
				}
			}
		}
		pos = next;
	}
	ok = true;
out:
	free(stack);
	return ok;
}

void
message_free(struct message *m)
{
	if (m == NULL)
		return;
	free(m->from_addr);
	free(m->from_name);
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->subject);
	free(m->date);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->return_path);
	free(m->content_type);
	free(m->report_type);
	free(m->returned_message_id);
	free(m->returned_subject);
	for (size_t i = 0; i < m->n_auth_results; i++)
		free(m->auth_results[i]);
	free(m->auth_results);
	for (size_t i = 0; i < m->n_parts; i++)
		free(m->parts[i].text);
	free(m->parts);
	free(m);
}

/*
 * Plain bounces (qmail, Exim, Gmail) quote the original's headers in
 * their text: take the first "Message-ID: <...>" at the start of a line,
 * and the nearest "Subject:" line within 40 lines of it.
 */
static void
inline_returned(struct message *m)
{
	for (size_t i = 0; i < m->n_parts && !m->returned_message_id; i++) {
		const char *t = m->parts[i].text, *p = t, *hit = NULL;

		if (m->parts[i].kind != MESSAGE_PART_PLAIN)
			continue;
		while (*p != '\0') {
			const char *q = p + strspn(p, " \t");
			const char *nl = strchr(p, '\n');

			if (strncasecmp(q, "Message-ID:", 11) == 0) {
				size_t l = nl ? (size_t)(nl - q) : strlen(q);

				m->returned_message_id = msg_angle_id(q, l);
				if (m->returned_message_id != NULL) {
					hit = q;
					break;
				}
			}
			if (nl == NULL)
				break;
			p = nl + 1;
		}
		if (hit == NULL)
			continue;
		/* Look back up to 40 lines for the start, then forward. */
		p = hit;
		for (int n = 0; n < 40 && p > t; n++) {
			p--;
			while (p > t && p[-1] != '\n')
				p--;
		}
		for (int n = 0; n < 80 && *p != '\0'; n++) {
			const char *q = p + strspn(p, " \t");
			const char *nl = strchr(p, '\n');

			if (strncasecmp(q, "Subject:", 8) == 0) {
				size_t l = nl ? (size_t)(nl - q) : strlen(q);
				char *u = msg_unfold(q + 8, l - 8);

				if (u != NULL)
					m->returned_subject =
					    msg_decode_2047(u);
				free(u);
				break;
			}
			if (nl == NULL)
				break;
			p = nl + 1;
		}
	}
}

enum message_status
message_parse(const char *raw, size_t len, const struct message_limits *limits,
    struct message **out, const char **why)
{
	struct message_limits deflim;
	struct msg_ctx ctx = {0};
	struct message *m = NULL;
	enum message_status st = MESSAGE_UNPARSEABLE;
	const char *reason = "out of memory", *src = raw;
	char *buf = NULL;
	size_t blen = 0, srclen = len, body;

	*out = NULL;
	if (limits == NULL) {
		message_limits_default(&deflim);
		limits = &deflim;
	}
	if (len > limits->max_bytes) {
		st = MESSAGE_TOO_LARGE;
		reason = "message too large";
		goto out;
	}
	/* A UTF-8 byte order mark and blank lines before the first field
	   (some stores leave them) are no part of the header block. */
	if (srclen >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		src += 3, srclen -= 3;
	for (;;) {
		size_t n = 0, blanks = 0;

		for (; n < srclen && strchr(" \t\r", src[n]) && src[n]; n++)
			blanks += src[n] != '\r';
		if (blanks == 0 || n >= srclen || src[n] != '\n')
			break;
		src += n + 1;
		srclen -= n + 1;
	}
	/* An mbox "From " separator is no header field: skip it. */
	if (srclen >= 5 && memcmp(src, "From ", 5) == 0) {
		const char *nl = memchr(src, '\n', srclen);

		srclen = nl ? srclen - (size_t)(nl + 1 - src) : 0;
		src = nl ? nl + 1 : src + len;
	}
	if ((buf = msg_crlf(src, srclen, PAD, &blen)) == NULL)
		goto out;
	if ((m = calloc(1, sizeof *m)) == NULL)
		goto out;
	m->size = len;
	if ((body = top_headers(m, buf, blen, limits, &reason)) == (size_t)-1)
		goto out;
	if (body == 0) {
		reason = "no header fields";
		goto out;
	}
	if (!check_structure(buf, blen, limits, &reason))
		goto out;
	ctx.lim = limits;
	ctx.m = m;
	if ((st = msg_mime_walk(&ctx, buf, blen)) != MESSAGE_OK) {
		reason = ctx.why;
		goto out;
	}
	if (m->returned_message_id == NULL)
		inline_returned(m);
	*out = m;
	m = NULL;
	reason = NULL;
out:
	if (why != NULL)
		*why = reason;
	message_free(m);
	free(buf);
	return st;
}
