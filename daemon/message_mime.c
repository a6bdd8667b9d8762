/*
 * message_mime: the only place that walks libetpan's MIME tree.
 *
 * Called on a buffer that message.c has already bounded (boundaries
 * checked, depth estimated, zero bytes after the end).  The walk keeps
 * its own depth and part counts, reads only leaves' bodies and the
 * message/rfc822 fields it needs, and never touches mm_preamble or
 * mm_epilogue nor re-serialises the tree (both crash on hostile input).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "message_p.h"

/* "type/subtype" of a content, lower-cased; text/plain when absent. */
static char *
content_name(const struct mailmime_content *ct)
{
	const char *type = "text", *sub = "plain";
	struct msg_buf b = {0};
	char *s;

	if (ct != NULL && ct->ct_type != NULL) {
		const struct mailmime_type *t = ct->ct_type;

		if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
		    t->tp_data.tp_discrete_type != NULL) {
			static const char *const names[] = {"error", "text",
			    "image", "audio", "video", "application"};
			int dt = t->tp_data.tp_discrete_type->dt_type;

			if (dt == MAILMIME_DISCRETE_TYPE_EXTENSION)
				type =
				    t->tp_data.tp_discrete_type->dt_extension;
			else if (dt >= 0 && dt < 6)
				type = names[dt];
		} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
		    t->tp_data.tp_composite_type != NULL) {
			int ctt = t->tp_data.tp_composite_type->ct_type;

			if (ctt == MAILMIME_COMPOSITE_TYPE_MESSAGE)
				type = "message";
			else if (ctt == MAILMIME_COMPOSITE_TYPE_MULTIPART)
				type = "multipart";
			else
				type = t->tp_data.tp_composite_type->ct_token;
		}
		sub = ct->ct_subtype;
	}
	msg_buf_add(&b, type ? type : "", type ? strlen(type) : 0);
	msg_buf_addc(&b, '/');
	msg_buf_add(&b, sub ? sub : "", sub ? strlen(sub) : 0);
	if ((s = msg_buf_take(&b, NULL)) == NULL)
		return NULL;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!msg_utf8_valid(s, strlen(s))) {
		char *u = msg_header_text(s, strlen(s));

		free(s);
		s = u;
	}
	return s;
}

static const char *
param(const struct mailmime_content *ct, const char *name)
{
	clistiter *it;

	if (ct == NULL || ct->ct_parameters == NULL)
		return NULL;
	for (it = clist_begin(ct->ct_parameters); it; it = clist_next(it)) {
		const struct mailmime_parameter *p = clist_content(it);

		if (p->pa_name != NULL && p->pa_value != NULL &&
		    strcasecmp(p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* Content-Disposition: attachment?  *named: it carries a file name. */
static bool
is_attachment(const struct mailmime *mime, bool *named)
{
	clistiter *it;
	bool att = false;

	*named = param(mime->mm_content_type, "name") != NULL;
	if (mime->mm_mime_fields == NULL)
		return false;
	for (it = clist_begin(mime->mm_mime_fields->fld_list); it;
	     it = clist_next(it)) {
		const struct mailmime_field *f = clist_content(it);
		const struct mailmime_disposition *d;
		clistiter *pi;

		if (f->fld_type != MAILMIME_FIELD_DISPOSITION ||
		    (d = f->fld_data.fld_disposition) == NULL)
			continue;
		if (d->dsp_type != NULL &&
		    d->dsp_type->dsp_type ==
			MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			att = true;
		for (pi = d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; pi;
		     pi = clist_next(pi)) {
			const struct mailmime_disposition_parm *p =
			    clist_content(pi);

			if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
				*named = true;
		}
	}
	return att;
}

/*
 * The transfer-decoded bytes of a single part: *dec is set to a buffer
 * to free with mailmime_decoded_part_free, or left NULL when the raw
 * bytes are used.  Returns false when there is nothing to read.
 */
static bool
part_bytes(
    const struct mailmime_data *d, const char **p, size_t *len, char **dec)
{
	size_t idx = 0, dlen = 0;

	*dec = NULL;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return false;
	*p = d->dt_data.dt_text.dt_data;
	*len = d->dt_data.dt_text.dt_length;
	if (!d->dt_encoded)
		return true;
	switch (d->dt_encoding) {
	case MAILMIME_MECHANISM_BASE64:
	case MAILMIME_MECHANISM_QUOTED_PRINTABLE:
		if (mailmime_part_parse(*p, *len, &idx, d->dt_encoding, dec,
			&dlen) != MAILIMF_NO_ERROR ||
		    *dec == NULL) {
			*dec = NULL;
			return true; /* undecodable: read it raw */
		}
		*p = *dec;
		*len = dlen;
		return true;
	default: /* 7bit, 8bit, binary, unknown tokens: as is */
		return true;
	}
}

/* Append a decoded text leaf, within the text budget. */
static void
add_text(struct msg_ctx *ctx, const struct mailmime *mime,
    enum message_part_kind kind, bool flag)
{
	struct message *m = ctx->m;
	const struct mailmime_content *ct = mime->mm_content_type;
	const char *p, *fmt;
	char *dec = NULL, *utf = NULL, *lf = NULL, *txt = NULL;
	size_t len, ulen, lflen, tlen, room;
	struct message_part *parts;

	if (!part_bytes(mime->mm_data.mm_single, &p, &len, &dec))
		return;
	if ((utf = msg_to_utf8(param(ct, "charset"), p, len, &ulen)) == NULL)
		goto out;
	if ((lf = msg_lf(utf, ulen, &lflen)) == NULL)
		goto out;
	fmt = param(ct, "format");
	if (kind == MESSAGE_PART_PLAIN && fmt != NULL &&
	    strcasecmp(fmt, "flowed") == 0) {
		const char *ds = param(ct, "delsp");

		txt = msg_unflow(
		    lf, lflen, ds != NULL && strcasecmp(ds, "yes") == 0, &tlen);
	} else {
		txt = lf;
		tlen = lflen;
		lf = NULL;
	}
	if (txt == NULL)
		goto out;
	room = ctx->lim->max_text - ctx->text_used;
	if (tlen > room) {
		/* Cut at a character boundary. */
		while (room > 0 && (txt[room] & 0xc0) == 0x80)
			room--;
		txt[room] = '\0';
		tlen = room;
		m->text_truncated = true;
		if (tlen == 0)
			goto out;
	}
	parts = realloc(m->parts, (m->n_parts + 1) * sizeof *parts);
	if (parts == NULL)
		goto out;
	m->parts = parts;
	parts[m->n_parts].kind = kind;
	parts[m->n_parts].text = txt;
	parts[m->n_parts].len = tlen;
	parts[m->n_parts].in_attachment_or_rfc822 = flag;
	m->n_parts++;
	ctx->text_used += tlen;
	txt = NULL;
out:
	free(txt);
	free(lf);
	free(utf);
	if (dec != NULL)
		mailmime_decoded_part_free(dec);
}

static void
single(struct msg_ctx *ctx, const struct mailmime *mime, bool in_rfc822)
{
	struct message *m = ctx->m;
	char *name = content_name(mime->mm_content_type);
	bool named, att;

	if (name == NULL)
		return;
	att = is_attachment(mime, &named);
	if (strcmp(name, "text/plain") == 0 || strcmp(name, "text/html") == 0) {
		/* A named text attachment is a file, not the message's text;
		   inside a returned original it is kept (and flagged). */
		if (!(att && named && !in_rfc822))
			add_text(ctx, mime,
			    name[5] == 'p' ? MESSAGE_PART_PLAIN
					   : MESSAGE_PART_HTML,
			    in_rfc822 || att);
	} else if (strcmp(name, "message/delivery-status") == 0 ||
	    strcmp(name, "message/global-delivery-status") == 0) {
		m->has_delivery_status = true;
	} else if (strcmp(name, "text/rfc822-headers") == 0 ||
	    strcmp(name, "message/global-headers") == 0 ||
	    strcmp(name, "message/global") == 0 ||
	    strcmp(name, "message/rfc822") == 0) {
		const char *p;
		size_t len;
		char *dec;

		if (part_bytes(mime->mm_data.mm_single, &p, &len, &dec))
			msg_returned_headers(m, p, len);
		if (dec != NULL)
			mailmime_decoded_part_free(dec);
	}
	free(name);
}

static enum message_status
walk(struct msg_ctx *ctx, const struct mailmime *mime, unsigned depth,
    bool in_rfc822)
{
	clistiter *it;
	enum message_status st;

	if (depth > ctx->lim->max_depth) {
		ctx->why = "MIME nesting too deep";
		return MESSAGE_UNPARSEABLE;
	}
	if (++ctx->parts > ctx->lim->max_parts) {
		ctx->why = "too many MIME parts";
		return MESSAGE_UNPARSEABLE;
	}
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		single(ctx, mime, in_rfc822);
		break;
	case MAILMIME_MULTIPLE:
		if (mime->mm_data.mm_multipart.mm_mp_list == NULL)
			break;
		for (it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		     it; it = clist_next(it)) {
			st = walk(ctx, clist_content(it), depth + 1, in_rfc822);
			if (st != MESSAGE_OK)
				return st;
		}
		break;
	case MAILMIME_MESSAGE:
		if (mime->mm_parent != NULL) {
			/* An enclosed message: its headers are the returned
			   original's; its text is flagged. */
			if (mime->mm_mime_start != NULL && mime->mm_body &&
			    mime->mm_body->dt_type == MAILMIME_DATA_TEXT)
				msg_returned_headers(ctx->m,
				    mime->mm_body->dt_data.dt_text.dt_data,
				    mime->mm_body->dt_data.dt_text.dt_length);
			in_rfc822 = true;
		}
		if (mime->mm_data.mm_message.mm_msg_mime != NULL)
			return walk(ctx, mime->mm_data.mm_message.mm_msg_mime,
			    depth + 1, in_rfc822);
		break;
	default:
		break;
	}
	return MESSAGE_OK;
}

enum message_status
msg_mime_walk(struct msg_ctx *ctx, const char *buf, size_t len)
{
	struct mailmime *root = NULL, *top;
	struct message *m = ctx->m;
	enum message_status st = MESSAGE_UNPARSEABLE;
	size_t idx = 0;

	if (mailmime_parse(buf, len, &idx, &root) != MAILIMF_NO_ERROR ||
	    root == NULL) {
		ctx->why = "MIME structure not parseable";
		return MESSAGE_UNPARSEABLE;
	}
	top = root;
	if (root->mm_type == MAILMIME_MESSAGE &&
	    root->mm_data.mm_message.mm_msg_mime != NULL)
		top = root->mm_data.mm_message.mm_msg_mime;
	if ((m->content_type = content_name(top->mm_content_type)) == NULL) {
		ctx->why = "out of memory";
		goto out;
	}
	if (strcmp(m->content_type, "multipart/report") == 0) {
		const char *rt = param(top->mm_content_type, "report-type");

		m->is_report = true;
		if (rt != NULL) {
			if ((m->report_type =
				    msg_header_text(rt, strlen(rt))) == NULL) {
				ctx->why = "out of memory";
				goto out;
			}
			for (char *p = m->report_type; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		}
	}
	st = walk(ctx, root, 0, false);
out:
	mailmime_free(root);
	return st;
}
