/*
 * text_split_reply: the writer's own text apart from the quote.
 *
 * Design: one pass over the lines, top to bottom.  Quoted lines ('>', or
 * indented below an attribution as mailx does, or the rest of a quoted
 * line folded with a trailing '\') are never own text.  Unquoted lines are own text until a "hard stop": a
 * signature delimiter, an original-message or forward separator, a block
 * of mail headers, or an attribution that is not followed by a '>' quote
 * (the quoted message then follows unprefixed, as Outlook and Gmail mobile
 * write it).  An attribution followed by a quote only heads that quote, so
 * bottom-posted and inline answers below it stay own text.
 *
 * An attribution is recognised on its last line (the one ending in ':'),
 * joined with up to two lines above it: first with a known opening word
 * ("On", "Le", "Am", ...) and its verb, then, failing that, by a verb
 * alone or a "Name <addr@host>:" ending, each with a digit or an '@' as
 * evidence of a date or an address.  Trying the shortest join first keeps
 * an own line written just above the attribution in the own text.
 *
 * Memory: one array of line records (16 bytes a line) plus the output.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "pledged/text.h"
#include "text_p.h"

struct line {
	size_t off, len; /* without '\n' and a trailing '\r' */
	bool own;
	bool indented_quote; /* in a TAB- or space-indented quote block */
	/* is_header_line's answers, worked out once: 0 unknown, 1 no,
	   2 a From-like line, 3 another header line. */
	unsigned char hdr;
};

enum kind { L_BLANK, L_QUOTED, L_TEXT };

static enum kind
line_kind(const char *s, const struct line *l)
{
	size_t i = 0;

	while (i < l->len && i < 3 && s[l->off + i] == ' ')
		i++;
	/* ">:" alone ends an attribution wrapped inside "<addr>". */
	if (i < l->len && s[l->off + i] == '>' &&
	    !(i + 1 < l->len && s[l->off + i + 1] == ':'))
		return L_QUOTED;
	for (i = 0; i < l->len; i++)
		if (!text_is_space((unsigned char)s[l->off + i]))
			return L_TEXT;
	return L_BLANK;
}

/* Trimmed view of a line. */
static void
trim(const char *s, const struct line *l, size_t *b, size_t *e)
{
	*b = l->off;
	*e = l->off + l->len;
	while (*b < *e && text_is_space((unsigned char)s[*b]))
		(*b)++;
	while (*e > *b && text_is_space((unsigned char)s[*e - 1]))
		(*e)--;
}

static bool
is_sig_delim(const char *s, const struct line *l)
{
	return (l->len == 2 && memcmp(s + l->off, "--", 2) == 0) ||
	    (l->len == 3 && memcmp(s + l->off, "-- ", 3) == 0);
}

/* Does the folded phrase 'pat' span exactly s[b..e)? */
static bool
equals_fold(const char *s, size_t b, size_t e, const char *pat)
{
	return text_match_fold(s, e, b, pat) == e;
}

/* Does s[b..e) contain the folded 'pat'? */
static bool
contains_fold(const char *s, size_t b, size_t e, const char *pat)
{
	unsigned char c, first = (unsigned char)pat[0];

	for (; b < e; b++) {
		/* Patterns are lower case: a cheap look at the first byte
		   spares most calls (an attribution is tried on every
		   line ending in ':'). */
		c = (unsigned char)s[b];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (c != first)
			continue;
		if (text_match_fold(s, e, b, pat))
			return true;
	}
	return false;
}

static const char *const separator_phrases[] = {
    "original message",
    "ursprüngliche nachricht",
    "message d'origine",
    "message d’origine",
    "mensaje original",
    "messaggio originale",
    "oorspronkelijk bericht",
    "originalmeddelande",
    "ursprungligt meddelande",
    "alkuperäinen viesti",
    "original meddelelse",
    "opprinnelig melding",
    "mensagem original",
    "wiadomość oryginalna",
    "oryginalna wiadomość",
    "исходное сообщение",
    "forwarded message",
    "weitergeleitete nachricht",
    "message transféré",
    "mensaje reenviado",
    "messaggio inoltrato",
    "doorgestuurd bericht",
    "mensagem encaminhada",
    "vidarebefordrat meddelande",
    "videresendt meddelelse",
    "välitetty viesti",
    "reply message",
    "original email",
    NULL,
};

static const char *const forward_lines[] = {
    "begin forwarded message",
    "anfang der weitergeleiteten nachricht",
    "début du message réexpédié",
    "inicio del mensaje reenviado",
    "inizio messaggio inoltrato",
    "begin doorgestuurd bericht",
    "início da mensagem reencaminhada",
    NULL,
};

static bool
is_separator(const char *s, const struct line *l)
{
	size_t b, e, k;

	trim(s, l, &b, &e);
	if (e > b && s[e - 1] == ':') {
		size_t e2 = e - 1;

		while (e2 > b && s[e2 - 1] == ' ')
			e2--;
		for (k = 0; forward_lines[k] != NULL; k++)
			if (equals_fold(s, b, e2, forward_lines[k]))
				return true;
	}
	if (e - b < 4 || s[b] != '-' || s[b + 1] != '-')
		return false;
	while (b < e && (s[b] == '-' || s[b] == ' '))
		b++;
	while (e > b && (s[e - 1] == '-' || s[e - 1] == ' '))
		e--;
	for (k = 0; separator_phrases[k] != NULL; k++)
		if (equals_fold(s, b, e, separator_phrases[k]))
			return true;
	/* Zoho: "---- On <date> <addr> wrote ----". */
	if (text_match_fold(s, e, b, "on ") && e - b >= 8 &&
	    equals_fold(s, e - 5, e, "wrote"))
		return true;
	return false;
}

/* A line of only '_' or '-' (at least five), as Outlook puts above. */
static bool
is_rule(const char *s, const struct line *l)
{
	size_t b, e, k;

	trim(s, l, &b, &e);
	if (e - b < 5)
		return false;
	for (k = b; k < e; k++)
		if (s[k] != '_' && s[k] != '-')
			return false;
	return true;
}

static const char *const from_names[] = {
    "from",
    "de",
    "von",
    "da",
    "van",
    "från",
    "fra",
    "od",
    "от",
    "От",
    "lähettäjä",
    "kimden",
    "feladó",
    "发件人",
    "寄件者",
    "差出人",
    NULL,
};

static const char *const header_names[] = {
    "sent",
    "date",
    "to",
    "subject",
    "cc",
    "bcc",
    "reply-to",
    "envoyé",
    "à",
    "objet",
    "gesendet",
    "an",
    "betreff",
    "datum",
    "kopie",
    "data",
    "inviato",
    "a",
    "oggetto",
    "risposta",
    "verzonden",
    "aan",
    "onderwerp",
    "skickat",
    "till",
    "ämne",
    "sendt",
    "til",
    "emne",
    "enviado",
    "enviada",
    "para",
    "asunto",
    "assunto",
    "fecha",
    "wysłano",
    "do",
    "temat",
    "отправлено",
    "кому",
    "тема",
    "дата",
    "Отправлено",
    "Кому",
    "Тема",
    "Дата",
    "lähetetty",
    "vastaanottaja",
    "aihe",
    "发送时间",
    "收件人",
    "主题",
    "日期",
    "送信日時",
    "宛先",
    "件名",
    NULL,
};

/*
 * Is the line "Name:" for one of 'names' (with "*Name:*" markup and a
 * space before the colon allowed)?
 */
static bool
is_header_line(const char *s, const struct line *l, const char *const *names)
{
	size_t b, e, j, k;

	trim(s, l, &b, &e);
	while (b < e && s[b] == '*')
		b++;
	for (k = 0; names[k] != NULL; k++) {
		if ((j = text_match_fold(s, e, b, names[k])) == 0)
			continue;
		while (j < e && s[j] == '*')
			j++;
		while (j < e && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < e && s[j] == ':')
			return true;
		if (j + 3 <= e && memcmp(s + j, "\xEF\xBC\x9A", 3) == 0)
			return true;
	}
	return false;
}

#define HEADER_WINDOW 7

enum { HDR_UNKNOWN, HDR_NONE, HDR_FROM, HDR_OTHER };

/*
 * What header line, if any, line i is.  Remembered: each line is looked
 * at from every header window it falls in.
 */
static unsigned char
header_kind(const char *s, struct line *lines, size_t i)
{
	struct line *l = &lines[i];

	if (l->hdr == HDR_UNKNOWN)
		l->hdr = is_header_line(s, l, from_names) ? HDR_FROM
		    : is_header_line(s, l, header_names)  ? HDR_OTHER
							  : HDR_NONE;
	return l->hdr;
}

/* Does a header block start at line i? */
static bool
is_header_block(const char *s, struct line *lines, size_t n, size_t i)
{
	size_t k, count = 0;
	bool from = false;

	if (header_kind(s, lines, i) == HDR_NONE)
		return false;
	for (k = i; k < n && k < i + HEADER_WINDOW; k++) {
		switch (header_kind(s, lines, k)) {
		case HDR_FROM:
			from = true;
			count++;
			break;
		case HDR_OTHER:
			count++;
			break;
		default:
			break;
		}
	}
	return from && count >= 3;
}

struct opening {
	const char *start, *verb;
};

static const struct opening openings[] = {
    {"on ", "wrote"},
    {"on ", "writes"},
    {"le ", "écrit"},
    {"le ", "ecrit"},
    {"am ", "schrieb"},
    {"el ", "escribió"},
    {"el ", "escribio"},
    {"il ", "scritto"},
    {"op ", "schreef"},
    {"op ", "geschreven"},
    {"em ", "escreveu"},
    {"w dniu ", "pisze"},
    {"w dniu ", "napisał"},
    {"dnia ", "napisał"},
    {"den ", "skrev"},
    {"在", "写道"},
    {"於", "寫道"},
    {NULL, NULL},
};

static const char *const verbs[] = {
    "wrote",
    "writes",
    "écrit",
    "ecrit",
    "schrieb",
    "escribió",
    "escribio",
    "scritto",
    "schreef",
    "geschreven",
    "kirjoitti",
    "skrev",
    "skrifaði",
    "写道",
    "寫道",
    "escreveu",
    "pisze",
    "napisał",
    "napisal",
    "написал",
    "написала",
    "yazdı",
    "napsal",
    "írta",
    "έγραψε",
    NULL,
};

/* Attribution text is short; a longer join is prose. */
#define ATTRIB_MAX 600

static bool
has_evidence(const char *s, size_t b, size_t e)
{
	for (; b < e; b++)
		if ((s[b] >= '0' && s[b] <= '9') || s[b] == '@')
			return true;
	return false;
}

/* "..., Name <addr@host>:" as Yandex, Mail.ru and Russian Gmail write. */
static bool
ends_with_address(const char *s, size_t b, size_t e)
{
	size_t k;

	if (e - b < 4 || s[e - 1] != ':')
		return false;
	e--;
	while (e > b && s[e - 1] == ' ')
		e--;
	if (e == b || s[e - 1] != '>')
		return false;
	for (k = e - 1; k > b && e - k < 256; k--) {
		if (s[k - 1] == '<')
			return memchr(s + k, '@', e - k) != NULL;
	}
	return false;
}

enum attrib_kind { A_NONE, A_GENERIC, A_OPENING };

/* Is the joined text s[b..e) an attribution? */
static enum attrib_kind
attribution(const char *s, size_t b, size_t e)
{
	size_t k;

	if (e - b > ATTRIB_MAX || e - b < 4)
		return A_NONE;
	if (s[e - 1] != ':' &&
	    !(e - b >= 3 && memcmp(s + e - 3, "\xEF\xBC\x9A", 3) == 0))
		return A_NONE;
	for (k = 0; openings[k].start != NULL; k++)
		if (text_match_fold(s, e, b, openings[k].start) &&
		    contains_fold(s, b, e, openings[k].verb))
			return A_OPENING;
	if (!has_evidence(s, b, e))
		return A_NONE;
	for (k = 0; verbs[k] != NULL; k++)
		if (contains_fold(s, b, e, verbs[k]))
			return A_GENERIC;
	if (ends_with_address(s, b, e))
		return A_GENERIC;
	return A_NONE;
}

/*
 * Is there an attribution ending at line i?  Lines i-k..i are joined with
 * spaces into 'join'.  Returns the first line of the attribution, or
 * SIZE_MAX.
 */
static size_t
attribution_ending_at(
    const char *s, const struct line *lines, size_t i, struct tbuf *join)
{
	size_t k, m, b, e, found = SIZE_MAX;
	enum attrib_kind best = A_NONE, a;

	/* Every join ends with line i: without a final colon none is one. */
	trim(s, &lines[i], &b, &e);
	if (e == b ||
	    (s[e - 1] != ':' &&
		!(e - b >= 3 && memcmp(s + e - 3, "\xEF\xBC\x9A", 3) == 0)))
		return SIZE_MAX;
	for (k = 0; k <= 2 && k <= i; k++) {
		if (k > 0 &&
		    (!lines[i - k].own ||
			line_kind(s, &lines[i - k]) != L_TEXT))
			break;
		join->len = 0;
		join->full = false;
		for (m = i - k; m <= i; m++) {
			trim(s, &lines[m], &b, &e);
			if (m > i - k)
				tbuf_addc(join, ' ');
			tbuf_add(join, s + b, e - b);
		}
		if (join->oom || join->full)
			break;
		a = attribution(join->p, 0, join->len);
		/* Shortest generic match, but an opening word wins. */
		if (a == A_OPENING)
			return i - k;
		/*
		 * A generic match is the shortest, unless its first line is
		 * the "<addr>" that Gmail wraps off the name before it.
		 */
		if (a == A_GENERIC && best == A_NONE) {
			trim(s, &lines[i - k], &b, &e);
			if (b < e && s[b] == '<' && k < 2 && k < i &&
			    lines[i - k - 1].own &&
			    line_kind(s, &lines[i - k - 1]) == L_TEXT)
				continue;
			best = a;
			found = i - k;
		}
	}
	return found;
}

static bool
is_indented(const char *s, const struct line *l)
{
	return l->len > 0 && (s[l->off] == '\t' || s[l->off] == ' ');
}

/* A quoted line folded with a trailing '\' (s-nail's quote-fold). */
static bool
is_folded(const char *s, const struct line *l)
{
	size_t e = l->off + l->len;

	while (e > l->off && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	return e > l->off && s[e - 1] == '\\';
}

/*
 * The quote that POSIX mailx, bsd-mailx and s-nail write below an
 * attribution: every line indented with a TAB (or spaces), blank lines
 * inside it, and lines continuing one folded with a trailing '\'; one
 * indented with spaces only must end at a blank line or the end.  Marks the block that starts at line k;
 * returns whether there was one.
 */
static bool
mark_indented_quote(const char *s, struct line *lines, size_t n, size_t k)
{
	size_t i, j;
	bool any = false;

	for (i = k; i < n; i++) {
		bool cont = i > k && lines[i - 1].indented_quote &&
		    is_folded(s, &lines[i - 1]);
		if (line_kind(s, &lines[i]) == L_BLANK) {
			/* Blank lines belong to it when it goes on after. */
			for (j = i; j < n && line_kind(s, &lines[j]) == L_BLANK;
			     j++)
				;
			if (j == n || !is_indented(s, &lines[j]))
				break;
		} else if (!cont && !is_indented(s, &lines[i]) &&
		    line_kind(s, &lines[i]) != L_QUOTED)
			break;
		lines[i].indented_quote = true;
		any = true;
	}
	/*
	 * s-nail and bsd-mailx indent with a TAB, and the answer may follow
	 * the last quoted line directly.  A block indented with spaces only,
	 * with text right below it, is the original going on unquoted
	 * (Apple Mail indents only a header line): no such quote, the
	 * attribution stops.
	 */
	for (j = k; j < i && s[lines[j].off] != '\t'; j++)
		;
	if (i < n && line_kind(s, &lines[i]) != L_BLANK && j == i) {
		for (j = k; j < i; j++)
			lines[j].indented_quote = false;
		return false;
	}
	return any;
}

static void
add_line(struct tbuf *b, bool *started, const char *s, const struct line *l)
{
	size_t k, start = l->off;

	if (*started)
		tbuf_addc(b, '\n');
	*started = true;
	/* NUL bytes would cut the C string: they become spaces. */
	for (k = l->off; k < l->off + l->len; k++) {
		if (s[k] == '\0') {
			tbuf_add(b, s + start, k - start);
			tbuf_addc(b, ' ');
			start = k + 1;
		}
	}
	tbuf_add(b, s + start, l->off + l->len - start);
}

void
text_split_reply(const char *text, size_t len, struct text_split *out)
{
	struct line *lines = NULL;
	struct tbuf own, quoted, join;
	size_t n = 0, i, k, stop, first, last;
	bool own_started = false, quoted_started = false;

	out->own = out->quoted = NULL;
	tbuf_init(&own, len);
	tbuf_init(&quoted, len);
	tbuf_init(&join, ATTRIB_MAX + 8);
	if (text == NULL)
		len = 0;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	n++;
	if ((lines = calloc(n, sizeof(*lines))) == NULL) {
		log_warn("text: calloc");
		goto out;
	}
	n = 0;
	for (i = 0, k = 0; i <= len; i++) {
		if (i == len || text[i] == '\n') {
			lines[n].off = k;
			lines[n].len = i - k;
			if (lines[n].len > 0 && text[i - 1] == '\r')
				lines[n].len--;
			n++;
			k = i + 1;
		}
	}
	/* A final newline does not start another line. */
	if (n > 1 && lines[n - 1].len == 0 && lines[n - 1].off == len)
		n--;

	stop = n;
	for (i = 0; i < n; i++) {
		enum kind kd = line_kind(text, &lines[i]);

		if (kd == L_QUOTED || lines[i].indented_quote)
			continue;
		/* The rest of a quoted line folded with a trailing '\'. */
		if (i > 0 && !lines[i - 1].own &&
		    (line_kind(text, &lines[i - 1]) == L_QUOTED ||
			lines[i - 1].indented_quote) &&
		    is_folded(text, &lines[i - 1])) {
			lines[i].indented_quote = true;
			continue;
		}
		if (kd == L_BLANK) {
			lines[i].own = true;
			continue;
		}
		if (is_sig_delim(text, &lines[i]) ||
		    is_separator(text, &lines[i])) {
			stop = i;
			break;
		}
		if (is_header_block(text, lines, n, i)) {
			stop = i;
			while (stop > 0 &&
			    (line_kind(text, &lines[stop - 1]) == L_BLANK ||
				is_rule(text, &lines[stop - 1])) &&
			    lines[stop - 1].own)
				stop--;
			break;
		}
		lines[i].own = true;
		first = attribution_ending_at(text, lines, i, &join);
		if (join.oom)
			goto out;
		if (first == SIZE_MAX)
			continue;
		for (k = i + 1; k < n; k++)
			if (line_kind(text, &lines[k]) != L_BLANK)
				break;
		if (k < n &&
		    (line_kind(text, &lines[k]) == L_QUOTED ||
			(is_indented(text, &lines[k]) &&
			    mark_indented_quote(text, lines, n, k)))) {
			for (k = first; k <= i; k++)
				lines[k].own = false;
			continue;
		}
		stop = first;
		break;
	}
	for (i = stop; i < n; i++)
		lines[i].own = false;

	/* Own text without leading and trailing blank lines. */
	for (first = 0; first < n; first++)
		if (lines[first].own &&
		    line_kind(text, &lines[first]) != L_BLANK)
			break;
	for (last = n; last > first; last--)
		if (lines[last - 1].own &&
		    line_kind(text, &lines[last - 1]) != L_BLANK)
			break;
	for (i = 0; i < n; i++) {
		if (!lines[i].own)
			add_line(&quoted, &quoted_started, text, &lines[i]);
		else if (i >= first && i < last)
			add_line(&own, &own_started, text, &lines[i]);
	}
	out->own = tbuf_take(&own);
	out->quoted = tbuf_take(&quoted);
	if (out->own == NULL || out->quoted == NULL)
		text_split_free(out);
out:
	tbuf_free(&own);
	tbuf_free(&quoted);
	tbuf_free(&join);
	free(lines);
}

void
text_split_free(struct text_split *s)
{
	if (s == NULL)
		return;
	free(s->own);
	free(s->quoted);
	s->own = s->quoted = NULL;
}
