/*
 * text_from_html: HTML to plain text for reading a reply.
 *
 * Design: a single forward pass, no DOM.  Text is emitted with white space
 * collapsed; block elements end lines; a stack of open elements (capped)
 * tells when a quote container closes.  Quotes become "> " line prefixes
 * so that the plain-text splitter (text_quote.c) handles HTML and plain
 * replies alike.  Clients that do not wrap the quote in an element
 * (Outlook puts the original after #divRplyFwdMsg, Hotmail after
 * hr#stopSpelling) are handled by quoting everything after their marker.
 * When the element stack overflows, a quote container cannot be tracked
 * and the rest of the document is taken as quoted: it is safer to miss
 * own text than to read a quote as the writer's words.
 *
 * Link targets are emitted after the link text so that tokens in links
 * are found.  The output is capped at 2 * len + 64 bytes: each input byte
 * yields at most one output byte except quote prefixes and entities, and
 * a hostile document is simply cut at the cap.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "pledged/text.h"
#include "text_p.h"

#define STACK_MAX 256
#define NAME_MAX_LEN 15
/* Prefixes show nesting up to this depth; deeper is still one quote. */
#define PREFIX_DEPTH_MAX 4

/* Element names are kept zero-padded, so that comparing is one memcmp. */
struct elem {
	char name[NAME_MAX_LEN + 1];
	bool quote;
};

/*
 * Open elements per hash of their name: an end tag whose name has a zero
 * count matches nothing on the stack, and is dismissed without walking
 * it (a document of "</x>" after 256 open elements stays cheap).
 */
#define NAME_HASH 256

/* The last look-ahead for a closing tag: where it started, what it found. */
struct seek {
	char needle[NAME_MAX_LEN + 3];
	size_t from, at;
};
#define SEEK_CACHE 8

struct html {
	const char *s;
	size_t n;
	struct tbuf out;
	struct elem stack[STACK_MAX];
	size_t sp, overflow;
	uint16_t open_count[NAME_HASH];
	struct seek seeks[SEEK_CACHE];
	size_t n_seeks;
	unsigned depth;	   /* quote containers open */
	bool rest_quoted;  /* a "what follows is quoted" marker was seen */
	bool line_start;   /* nothing emitted on the current line yet */
	bool space;	   /* a collapsed space is pending */
	unsigned newlines; /* line breaks pending (at most 2) */
	unsigned pre;	   /* inside <pre> */
	size_t href, hlen; /* pending link target, offsets into s */
	bool has_href;
};

struct attrs {
	size_t href, hlen, src, slen, cls, clen, id, idlen, style, stlen;
	bool has_href, has_src, has_cls, has_id, has_style, self_closing;
};

static unsigned
quote_level(const struct html *h)
{
	return h->depth + (h->rest_quoted ? 1 : 0);
}

/* Start of visible content on a line: pending breaks, prefix, space. */
static void
flush(struct html *h)
{
	unsigned q, k;

	if (h->newlines > 0) {
		for (k = 0; k < h->newlines; k++)
			tbuf_addc(&h->out, '\n');
		h->newlines = 0;
		h->line_start = true;
		h->space = false;
	}
	if (h->line_start) {
		q = quote_level(h);
		if (q > 0) {
			for (k = 0; k < q && k < PREFIX_DEPTH_MAX; k++)
				tbuf_addc(&h->out, '>');
			tbuf_addc(&h->out, ' ');
		}
		h->line_start = false;
		h->space = false;
	} else if (h->space) {
		tbuf_addc(&h->out, ' ');
		h->space = false;
	}
}

static void
emit_byte(struct html *h, unsigned char c)
{
	if (c == '\0')
		return;
	if (h->pre > 0) {
		if (c == '\r')
			return;
		if (c == '\n') {
			if (h->newlines < 2)
				h->newlines++;
			return;
		}
	} else if (text_is_space(c)) {
		h->space = true;
		return;
	}
	flush(h);
	tbuf_addc(&h->out, (char)c);
}

static void
emit_cp(struct html *h, uint32_t cp)
{
	if (cp < 0x80) {
		emit_byte(h, (unsigned char)cp);
		return;
	}
	if (cp == 0xA0) { /* no-break space: a plain, collapsible one */
		emit_byte(h, ' ');
		return;
	}
	if (cp == 0xAD || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
	    cp == 0x200E || cp == 0x200F || cp == 0xFEFF)
		return; /* invisible: soft hyphen, zero-width */
	flush(h);
	tbuf_add_cp(&h->out, cp);
}

static void
block_break(struct html *h)
{
	if (!h->line_start && h->newlines == 0)
		h->newlines = 1;
	h->space = false;
}

static void
line_break(struct html *h)
{
	if (h->newlines < 2)
		h->newlines++;
	h->space = false;
}

static bool
isalpha_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* The longest name in the table below. */
#define ENTITY_NAME_MAX 6

struct entity {
	const char *name;
	uint32_t cp;
};

static const struct entity entities[] = {
    {"amp", '&'},
    {"lt", '<'},
    {"gt", '>'},
    {"quot", '"'},
    {"apos", '\''},
    {"nbsp", 0xA0},
    {"ensp", ' '},
    {"emsp", ' '},
    {"thinsp", ' '},
    {"shy", 0xAD},
    {"zwnj", 0x200C},
    {"zwj", 0x200D},
    {"copy", 0xA9},
    {"reg", 0xAE},
    {"trade", 0x2122},
    {"hellip", 0x2026},
    {"mdash", 0x2014},
    {"ndash", 0x2013},
    {"lsquo", 0x2018},
    {"rsquo", 0x2019},
    {"sbquo", 0x201A},
    {"ldquo", 0x201C},
    {"rdquo", 0x201D},
    {"bdquo", 0x201E},
    {"laquo", 0xAB},
    {"raquo", 0xBB},
    {"bull", 0x2022},
    {"middot", 0xB7},
    {"times", 0xD7},
    {"divide", 0xF7},
    {"euro", 0x20AC},
    {"pound", 0xA3},
    {"yen", 0xA5},
    {"cent", 0xA2},
    {"sect", 0xA7},
    {"deg", 0xB0},
    {"iexcl", 0xA1},
    {"iquest", 0xBF},
    {"agrave", 0xE0},
    {"aacute", 0xE1},
    {"acirc", 0xE2},
    {"atilde", 0xE3},
    {"auml", 0xE4},
    {"aring", 0xE5},
    {"aelig", 0xE6},
    {"ccedil", 0xE7},
    {"egrave", 0xE8},
    {"eacute", 0xE9},
    {"ecirc", 0xEA},
    {"euml", 0xEB},
    {"igrave", 0xEC},
    {"iacute", 0xED},
    {"icirc", 0xEE},
    {"iuml", 0xEF},
    {"ntilde", 0xF1},
    {"ograve", 0xF2},
    {"oacute", 0xF3},
    {"ocirc", 0xF4},
    {"otilde", 0xF5},
    {"ouml", 0xF6},
    {"oslash", 0xF8},
    {"ugrave", 0xF9},
    {"uacute", 0xFA},
    {"ucirc", 0xFB},
    {"uuml", 0xFC},
    {"yacute", 0xFD},
    {"yuml", 0xFF},
    {"szlig", 0xDF},
    {"Agrave", 0xC0},
    {"Aacute", 0xC1},
    {"Acirc", 0xC2},
    {"Atilde", 0xC3},
    {"Auml", 0xC4},
    {"Aring", 0xC5},
    {"AElig", 0xC6},
    {"Ccedil", 0xC7},
    {"Egrave", 0xC8},
    {"Eacute", 0xC9},
    {"Ecirc", 0xCA},
    {"Euml", 0xCB},
    {"Igrave", 0xCC},
    {"Iacute", 0xCD},
    {"Icirc", 0xCE},
    {"Iuml", 0xCF},
    {"Ntilde", 0xD1},
    {"Ograve", 0xD2},
    {"Oacute", 0xD3},
    {"Ocirc", 0xD4},
    {"Otilde", 0xD5},
    {"Ouml", 0xD6},
    {"Oslash", 0xD8},
    {"Ugrave", 0xD9},
    {"Uacute", 0xDA},
    {"Ucirc", 0xDB},
    {"Uuml", 0xDC},
    {"Yacute", 0xDD},
    {"oelig", 0x153},
    {"OElig", 0x152},
    {NULL, 0},
};

/*
 * Decode the character reference at s[i] == '&'.  Returns the number of
 * bytes consumed (0: not a reference, take '&' literally) and the code
 * point in *cp.
 */
static size_t
entity_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
	size_t j = i + 1, k, nl;
	uint32_t v = 0;
	bool hex = false, any = false, big = false;
	int d;

	if (j < n && s[j] == '#') {
		j++;
		if (j < n && (s[j] == 'x' || s[j] == 'X')) {
			hex = true;
			j++;
		}
		for (; j < n; j++) {
			if (hex && s[j] >= 'a' && s[j] <= 'f')
				d = s[j] - 'a' + 10;
			else if (hex && s[j] >= 'A' && s[j] <= 'F')
				d = s[j] - 'A' + 10;
			else if (s[j] >= '0' && s[j] <= '9')
				d = s[j] - '0';
			else
				break;
			any = true;
			if (v > 0x10FFFF)
				big = true;
			else
				v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (!any)
			return 0;
		if (j < n && s[j] == ';')
			j++;
		if (big || v == 0 || v > 0x10FFFF ||
		    (v >= 0xD800 && v <= 0xDFFF))
			v = 0xFFFD;
		*cp = v;
		return j - i;
	}
	/*
	 * A name is a short run of letters and digits closed by ';': find
	 * its end first, so that a text of lone '&' costs one look each,
	 * and compare with the table only then.
	 */
	for (k = j; k < n && k - j <= ENTITY_NAME_MAX && isalnum_ascii(s[k]);
	     k++)
		;
	nl = k - j;
	if (nl == 0 || nl > ENTITY_NAME_MAX || k >= n || s[k] != ';')
		return 0;
	for (k = 0; entities[k].name != NULL; k++) {
		if (entities[k].name[0] == s[j] &&
		    strlen(entities[k].name) == nl &&
		    memcmp(s + j, entities[k].name, nl) == 0) {
			*cp = entities[k].cp;
			return nl + 2;
		}
	}
	return 0;
}

/* Case-insensitive: does s[i..n) start with the lower-case 'w'? */
static bool
starts_ci(const char *s, size_t n, size_t i, const char *w)
{
	size_t k;

	for (k = 0; w[k] != '\0'; k++) {
		char c;

		if (i + k >= n)
			return false;
		c = s[i + k];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != w[k])
			return false;
	}
	return true;
}

/* Find the lower-case 'w' case-insensitively from i; n when absent. */
static size_t
find_ci(const char *s, size_t n, size_t i, const char *w)
{
	const char *p;
	size_t wl = strlen(w);

	while (i < n && (p = memchr(s + i, '<', n - i)) != NULL) {
		i = (size_t)(p - s);
		if (i + wl <= n && starts_ci(s, n, i, w))
			return i;
		i++;
	}
	return n;
}

/*
 * find_ci over the document, remembering the last answer per needle: the
 * first match at or after i is the one found from an earlier start when
 * that match lies at or after i.  Without this, "<head>x<body>" repeated
 * would search to the end for "</head" at every <head>.
 */
static size_t
seek_ci(struct html *h, size_t i, const char *w)
{
	struct seek *c = NULL;
	size_t k;

	for (k = 0; k < h->n_seeks; k++)
		if (strcmp(h->seeks[k].needle, w) == 0)
			c = &h->seeks[k];
	if (c != NULL && c->from <= i && c->at >= i)
		return c->at;
	if (c == NULL && h->n_seeks < SEEK_CACHE &&
	    strlen(w) < sizeof(c->needle)) {
		c = &h->seeks[h->n_seeks++];
		memcpy(c->needle, w, strlen(w) + 1);
	}
	k = find_ci(h->s, h->n, i, w);
	if (c != NULL) {
		c->from = i;
		c->at = k;
	}
	return k;
}

/* Emit " <URL>" for an href or src value, decoding references. */
static void
emit_target(struct html *h, size_t off, size_t len)
{
	static const char *const skip[] = {
	    "mailto:", "cid:", "data:", "tel:", "javascript:", "#", NULL};
	size_t i, e, k;
	uint32_t cp;

	while (len > 0 && text_is_space((unsigned char)h->s[off])) {
		off++;
		len--;
	}
	if (len == 0)
		return;
	for (k = 0; skip[k] != NULL; k++)
		if (starts_ci(h->s, off + len, off, skip[k]))
			return;
	emit_byte(h, ' ');
	emit_byte(h, '<');
	for (i = off; i < off + len; i++) {
		/* Spaces in a URL are noise (wrapped attribute values). */
		if (text_is_space((unsigned char)h->s[i]))
			continue;
		if (h->s[i] == '&' &&
		    (e = entity_at(h->s, off + len, i, &cp))) {
			if (cp != 0xA0)
				emit_cp(h, cp);
			i += e - 1;
			continue;
		}
		emit_byte(h, (unsigned char)h->s[i]);
	}
	emit_byte(h, '>');
}

static void
flush_link(struct html *h)
{
	if (h->has_href) {
		h->has_href = false;
		emit_target(h, h->href, h->hlen);
	}
}

static bool
name_is(const char *name, const char *const *set)
{
	size_t k;

	for (k = 0; set[k] != NULL; k++)
		if (strcmp(name, set[k]) == 0)
			return true;
	return false;
}

static const char *const void_elems[] = {"area", "base", "br", "col", "embed",
    "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "basefont", "frame", "keygen", NULL};

static const char *const block_elems[] = {"address", "article", "aside",
    "blockquote", "caption", "center", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "tr", "ul", "body", "html", NULL};

static const char *const quote_classes[] = {
    "gmail_quote", "yahoo_quoted", "protonmail_quote", NULL};

static const char *const rest_ids[] = {"divrplyfwdmsg", "x_divrplyfwdmsg",
    "appendonsend", "x_appendonsend", "olk_src_body_section", "stopspelling",
    "x_stopspelling", "ecxstopspelling", "zwchr",
    "mail-editor-reference-message-container", NULL};

/* Does a class list or id value match one of 'set' (prefix match)? */
static bool
attr_matches(const char *s, size_t off, size_t len, const char *const *set)
{
	size_t i = off, e = off + len, b, k;

	while (i < e) {
		while (i < e && text_is_space((unsigned char)s[i]))
			i++;
		b = i;
		while (i < e && !text_is_space((unsigned char)s[i]))
			i++;
		for (k = 0; set[k] != NULL; k++)
			if (i - b >= strlen(set[k]) &&
			    starts_ci(s, i, b, set[k]))
				return true;
	}
	return false;
}

static bool
id_is(const char *s, size_t off, size_t len, const char *const *set)
{
	size_t k;

	for (k = 0; set[k] != NULL; k++)
		if (len == strlen(set[k]) &&
		    starts_ci(s, off + len, off, set[k]))
			return true;
	return false;
}

/* Does s[off..off+len) contain the lower-case 'w', ignoring case? */
static bool
contains_ci(const char *s, size_t off, size_t len, const char *w)
{
	size_t i;

	for (i = off; i < off + len; i++)
		if (starts_ci(s, off + len, i, w))
			return true;
	return false;
}

/*
 * Outlook (Word) puts the original below a div styled
 * "border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm".
 */
static bool
outlook_separator(const char *s, size_t off, size_t len)
{
	return len < 256 && contains_ci(s, off, len, "border-top:solid") &&
	    contains_ci(s, off, len, "padding:3.0pt 0");
}

static unsigned
name_hash(const char name[NAME_MAX_LEN + 1])
{
	uint32_t v = 2166136261u;
	size_t k;

	for (k = 0; k < NAME_MAX_LEN && name[k] != '\0'; k++)
		v = (v ^ (unsigned char)name[k]) * 16777619u;
	return v % NAME_HASH;
}

static void
pop_to(struct html *h, size_t level)
{
	while (h->sp > level) {
		h->sp--;
		h->open_count[name_hash(h->stack[h->sp].name)]--;
		if (h->stack[h->sp].quote) {
			h->depth--;
			block_break(h);
		}
	}
}

static void
end_tag(struct html *h, const char *name)
{
	size_t k;

	if (strcmp(name, "a") == 0)
		flush_link(h);
	if (strcmp(name, "pre") == 0 && h->pre > 0)
		h->pre--;
	if (name_is(name, block_elems))
		block_break(h);
	for (k = h->open_count[name_hash(name)] > 0 ? h->sp : 0; k > 0; k--) {
		if (memcmp(h->stack[k - 1].name, name, NAME_MAX_LEN + 1) == 0) {
			pop_to(h, k - 1);
			return;
		}
	}
	if (h->overflow > 0)
		h->overflow--;
}

static void
start_tag(struct html *h, const char *name, const struct attrs *a)
{
	bool quote = false;

	if (strcmp(name, "a") == 0) {
		flush_link(h);
		if (a->has_href) {
			h->has_href = true;
			h->href = a->href;
			h->hlen = a->hlen;
		}
	}
	if (strcmp(name, "br") == 0)
		line_break(h);
	else if (name_is(name, block_elems))
		block_break(h);
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		h->space = !h->line_start;
	if (strcmp(name, "pre") == 0 && !a->self_closing)
		h->pre++;
	if (a->has_src)
		emit_target(h, a->src, a->slen);

	if ((a->has_id && id_is(h->s, a->id, a->idlen, rest_ids)) ||
	    (strcmp(name, "div") == 0 && a->has_style &&
		outlook_separator(h->s, a->style, a->stlen))) {
		block_break(h);
		h->rest_quoted = true;
	}
	if (strcmp(name, "blockquote") == 0 ||
	    (a->has_cls && attr_matches(h->s, a->cls, a->clen, quote_classes)))
		quote = true;

	if (name_is(name, void_elems) || a->self_closing)
		return;
	/* Unclosed <p> and <li> close their predecessor, as in browsers. */
	if (h->sp > 0 && (strcmp(name, "p") == 0 || strcmp(name, "li") == 0) &&
	    strcmp(h->stack[h->sp - 1].name, name) == 0)
		pop_to(h, h->sp - 1);
	if (h->sp == STACK_MAX) {
		h->overflow++;
		if (quote)
			h->rest_quoted = true;
		return;
	}
	memcpy(h->stack[h->sp].name, name, NAME_MAX_LEN + 1);
	h->stack[h->sp].quote = quote;
	h->open_count[name_hash(name)]++;
	h->sp++;
	if (quote) {
		block_break(h);
		h->depth++;
	}
}

/*
 * Parse the tag at s[i] == '<' (not a comment).  Returns the index after
 * it; *name gets the lower-cased name ("" for <!...> and <?...>).
 */
static size_t
parse_tag(struct html *h, size_t i, char name[NAME_MAX_LEN + 1], bool *end,
    struct attrs *a)
{
	const char *s = h->s;
	size_t n = h->n, j = i + 1, k = 0, nb, ne, vb, ve;

	memset(a, 0, sizeof(*a));
	memset(name, 0, NAME_MAX_LEN + 1); /* zero-padded: see struct elem */
	*end = false;
	if (j < n && s[j] == '/') {
		*end = true;
		j++;
	}
	if (j < n && (s[j] == '!' || s[j] == '?')) {
		while (j < n && s[j] != '>')
			j++;
		return j < n ? j + 1 : n;
	}
	while (j < n && (isalnum_ascii(s[j]) || s[j] == ':' || s[j] == '-')) {
		if (k < NAME_MAX_LEN) {
			char c = s[j];

			name[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		j++;
	}
	name[k] = '\0';
	for (;;) {
		while (j < n &&
		    (text_is_space((unsigned char)s[j]) || s[j] == '/')) {
			if (s[j] == '/' && j + 1 < n && s[j + 1] == '>')
				a->self_closing = true;
			j++;
		}
		if (j >= n)
			return n;
		if (s[j] == '>')
			return j + 1;
		nb = j;
		while (j < n && !text_is_space((unsigned char)s[j]) &&
		    s[j] != '=' && s[j] != '>' && s[j] != '/')
			j++;
		ne = j;
		if (ne == nb) { /* a stray '=' */
			j++;
			continue;
		}
		while (j < n && text_is_space((unsigned char)s[j]))
			j++;
		vb = ve = j;
		if (j < n && s[j] == '=') {
			j++;
			while (j < n && text_is_space((unsigned char)s[j]))
				j++;
			if (j < n && (s[j] == '"' || s[j] == '\'')) {
				const char *q =
				    memchr(s + j + 1, s[j], n - j - 1);

				vb = j + 1;
				ve = q != NULL ? (size_t)(q - s) : n;
				j = q != NULL ? ve + 1 : n;
			} else {
				vb = j;
				while (j < n &&
				    !text_is_space((unsigned char)s[j]) &&
				    s[j] != '>')
					j++;
				ve = j;
			}
		}
		if (*end)
			continue;
		if (ne - nb == 4 && starts_ci(s, ne, nb, "href")) {
			a->has_href = true;
			a->href = vb;
			a->hlen = ve - vb;
		} else if (ne - nb == 3 && starts_ci(s, ne, nb, "src")) {
			a->has_src = true;
			a->src = vb;
			a->slen = ve - vb;
		} else if (ne - nb == 5 && starts_ci(s, ne, nb, "class")) {
			a->has_cls = true;
			a->cls = vb;
			a->clen = ve - vb;
		} else if (ne - nb == 5 && starts_ci(s, ne, nb, "style")) {
			a->has_style = true;
			a->style = vb;
			a->stlen = ve - vb;
		} else if (ne - nb == 2 && starts_ci(s, ne, nb, "id")) {
			a->has_id = true;
			a->id = vb;
			a->idlen = ve - vb;
		}
	}
}

static const char *const raw_elems[] = {
    "script", "style", "title", "textarea", "xml", "template", NULL};

char *
text_from_html(const char *html, size_t len)
{
	struct html *h;
	struct attrs a;
	char name[NAME_MAX_LEN + 1], close[NAME_MAX_LEN + 3];
	size_t i = 0, e, k;
	uint32_t cp;
	bool end;
	char *res;

	if (html == NULL)
		len = 0;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		log_warn("text: calloc");
		return NULL;
	}
	h->s = html;
	h->n = len;
	h->line_start = true;
	tbuf_init(&h->out, len <= (SIZE_MAX - 64) / 2 ? 2 * len + 64 : len);

	while (i < len && !h->out.full && !h->out.oom) {
		unsigned char c = (unsigned char)html[i];

		if (c == '&') {
			if ((e = entity_at(html, len, i, &cp)) > 0) {
				emit_cp(h, cp);
				i += e;
			} else {
				emit_byte(h, '&');
				i++;
			}
			continue;
		}
		if (c != '<' || i + 1 >= len ||
		    !(isalpha_ascii(html[i + 1]) || html[i + 1] == '/' ||
			html[i + 1] == '!' || html[i + 1] == '?')) {
			emit_byte(h, c);
			i++;
			continue;
		}
		if (starts_ci(html, len, i, "<!--")) {
			const char *p =
			    memmem(html + i + 4, len - i - 4, "-->", 3);

			i = p != NULL ? (size_t)(p - html) + 3 : len;
			continue;
		}
		i = parse_tag(h, i, name, &end, &a);
		if (name[0] == '\0')
			continue;
		if (end) {
			end_tag(h, name);
			continue;
		}
		if (strcmp(name, "head") == 0 && !a.self_closing) {
			/* Metadata only; resume at </head> or <body>. */
			e = seek_ci(h, i, "</head");
			k = seek_ci(h, i, "<body");
			i = e < k ? e : k;
			continue;
		}
		if (name_is(name, raw_elems) && !a.self_closing) {
			close[0] = '<';
			close[1] = '/';
			memcpy(close + 2, name, strlen(name) + 1);
			i = seek_ci(h, i, close);
			continue;
		}
		start_tag(h, name, &a);
	}
	flush_link(h);
	res = tbuf_take(&h->out);
	free(h);
	return res;
}
