/*
 * escape: see escape.h.  One pass over the bytes; a character is either
 * copied whole or replaced whole, so a cut never splits a sequence.
 */
#include <stdio.h>
#include <string.h>

#include "pledged/escape.h"

/* Length of the well-formed UTF-8 sequence at 'p', or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] < 0xe0)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] < 0xf0)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] < 0xf5)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, surrogates, beyond U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

static unsigned long
code_point(const unsigned char *p, size_t len)
{
	switch (len) {
	case 2:
		return (unsigned long)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	case 3:
		return (unsigned long)(p[0] & 0x0f) << 12 |
		    (unsigned long)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	default:
		return p[0];
	}
}

static bool
is_bidi(unsigned long cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t
escape_unsafe(const unsigned char *p, size_t n, size_t *len)
{
	size_t l = utf8_len(p, n);

	if (l == 0 || (l == 1 && (p[0] < 0x20 || p[0] == 0x7f)))
		return 1;
	if (l <= 3 && l >= 2) {
		unsigned long cp = code_point(p, l);
		if ((cp >= 0x80 && cp < 0xa0) || is_bidi(cp))
			return l;
	}
	if (len != NULL)
		*len = l;
	return 0;
}

char *
escape_text(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0, bad, ok;
	char esc[12];

	while (n > 0) {
		const char *piece;
		size_t plen;

		if ((bad = escape_unsafe(p, n, &ok)) > 0) {
			if (bad == 1)
				snprintf(esc, sizeof esc, "\\x%02x", p[0]);
			else
				snprintf(esc, sizeof esc, "\\u%04lx",
				    code_point(p, bad));
			piece = esc;
			plen = strlen(esc);
			ok = bad;
		} else {
			piece = (const char *)p;
			plen = ok;
		}
		if (o + plen + 1 > size)
			break;
		memcpy(buf + o, piece, plen);
		o += plen;
		p += ok;
		n -= ok;
	}
	buf[o] = '\0';
	return buf;
}
