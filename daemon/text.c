/*
 * text: shared helpers (bounded buffer, UTF-8, folding), subject helpers,
 * keywords and questions.  HTML, quote splitting and token candidates live
 * in text_html.c, text_quote.c and text_token.c.
 *
 * Design: everything works on bytes with explicit lengths and treats
 * invalid UTF-8 as a non-letter, so no input can make a matcher read past
 * its end or loop.  Case folding covers ASCII and the Latin-1 letters
 * (the languages our campaigns write in); other scripts match exactly.
 * Subject patterns are anchored at the start and need a word boundary
 * after them: a false auto-reply would silently drop a real reply, so
 * they are deliberately conservative.
 */
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "pledged/text.h"
#include "text_p.h"

void
tbuf_init(struct tbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static bool
tbuf_reserve(struct tbuf *b, size_t n)
{
	size_t want;
	char *p;

	if (b->oom)
		return false;
	if (n <= b->cap)
		return true;
	want = b->cap ? b->cap : 64;
	while (want < n)
		want = want > SIZE_MAX / 2 ? n : want * 2;
	if (want > b->max + 1)
		want = b->max + 1;
	if ((p = realloc(b->p, want)) == NULL) {
		log_warn("text: realloc");
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = want;
	return true;
}

void
tbuf_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->oom || b->full)
		return;
	if (n > b->max - b->len) {
		n = b->max - b->len;
		b->full = true;
	}
	/* +1 keeps room for the NUL that tbuf_take adds. */
	if (!tbuf_reserve(b, b->len + n + 1))
		return;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
tbuf_addc(struct tbuf *b, char c)
{
	tbuf_add(b, &c, 1);
}

void
tbuf_add_cp(struct tbuf *b, uint32_t cp)
{
	char u[4];

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		tbuf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		tbuf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		tbuf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		tbuf_add(b, u, 4);
	}
}

char *
tbuf_take(struct tbuf *b)
{
	char *p;

	if (!b->oom && !tbuf_reserve(b, b->len + 1))
		b->oom = true;
	if (b->oom) {
		tbuf_free(b);
		return NULL;
	}
	b->p[b->len] = '\0';
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
tbuf_free(struct tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

uint32_t
text_utf8_decode(const unsigned char *s, size_t n, size_t *adv)
{
	uint32_t cp, min;
	size_t need, i;

	*adv = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 1;
		cp = s[0] & 0x1F;
		min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 2;
		cp = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 3;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0xFFFD;
	}
	if (need >= n)
		return 0xFFFD;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	*adv = need + 1;
	return cp;
}

uint32_t
text_utf8_before(const unsigned char *s, size_t i)
{
	size_t j, adv;
	uint32_t cp;

	if (i == 0)
		return 0;
	/* Step back over at most three continuation bytes to a lead byte. */
	j = i - 1;
	while (j > 0 && i - j < 4 && (s[j] & 0xC0) == 0x80)
		j--;
	cp = text_utf8_decode(s + j, i - j, &adv);
	if (j + adv != i)
		return 0xFFFD;
	return cp;
}

bool
text_is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	if (cp == 0xFFFD)
		return false;
	/* Latin-1 punctuation and symbols, no-break space, × and ÷. */
	if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7)
		return false;
	/* General punctuation (dashes, quotes, …) and CJK punctuation. */
	if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F))
		return false;
	/* Full-width ASCII punctuation. */
	if ((cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	    (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65))
		return false;
	return true;
}

bool
text_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

bool
text_is_b64url(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Fold byte s[j] (ASCII and the second byte of Latin-1 capitals). */
static inline unsigned char
fold_at(const unsigned char *s, size_t j)
{
	unsigned char c = s[j];

	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c + 32);
	/* U+00C0..U+00DE is C3 80..C3 9E; lower case is C3 A0..C3 BE. */
	if (j > 0 && s[j - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97)
		return (unsigned char)(c + 0x20);
	return c;
}

size_t
text_match_fold(const char *str, size_t n, size_t i, const char *pattern)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *pat = (const unsigned char *)pattern;
	size_t j = i, k = 0;
	unsigned char c;

	if (pat[0] == '\0')
		return 0;
	/*
	 * The common answer, cheaply: callers try many patterns at every
	 * position.  A pattern never starts with a UTF-8 continuation byte,
	 * so only ASCII folding can make the first bytes agree.
	 */
	if (pat[0] != ' ') {
		if (i >= n)
			return 0;
		c = s[i] >= 'A' && s[i] <= 'Z' ? (unsigned char)(s[i] + 32)
					       : s[i];
		if (c !=
		    (pat[0] >= 'A' && pat[0] <= 'Z'
			    ? (unsigned char)(pat[0] + 32)
			    : pat[0]))
			return 0;
	}
	while (pat[k] != '\0') {
		if (pat[k] == ' ') {
			size_t start = j;

			while (j < n && text_is_space(s[j]))
				j++;
			/* Also a no-break space, as HTML gives. */
			while (j + 1 < n && s[j] == 0xC2 && s[j + 1] == 0xA0) {
				j += 2;
				while (j < n && text_is_space(s[j]))
					j++;
			}
			if (j == start)
				return 0;
			while (pat[k] == ' ')
				k++;
			continue;
		}
		if (j >= n || fold_at(s, j) != fold_at(pat, k))
			return 0;
		j++;
		k++;
	}
	return j;
}

bool
text_in_url(const char *str, size_t n, size_t i)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = i, end = i, k, at = SIZE_MAX;

	/* A chunk longer than this is not looked at whole; fine for URLs. */
	while (start > 0 && i - start < 4096 && !text_is_space(s[start - 1]))
		start--;
	while (end < n && end - i < 4096 && !text_is_space(s[end]))
		end++;
	while (start < end && strchr("<([\"'", s[start]) != NULL)
		start++;
	if (end - start >= 4 && memcmp(s + start, "www.", 4) == 0)
		return true;
	for (k = start; k < end; k++) {
		if (k + 3 <= end && memcmp(s + k, "://", 3) == 0)
			return true;
		if (s[k] == '@' && k > start && at == SIZE_MAX)
			at = k;
		if (s[k] == '.' && at != SIZE_MAX && k > at + 1 && k + 1 < end)
			return true;
		if (k + 7 <= end && text_match_fold(str, end, k, "mailto:"))
			return true;
	}
	return false;
}

/* Subjects. */

/* Reply and forward markers, each followed by an optional [n], then ':'. */
static const char *const reply_words[] = {
    "re",
    "aw",
    "sv",
    "vs",
    "fwd",
    "fw",
    "wg",
    "tr",
    "rif",
    "r",
    "antw",
    "antwort",
    "odp",
    "odg",
    "ynt",
    "rv",
    "enc",
    "res",
    "vb",
    "vl",
    "doorst",
    "external",
    "ext",
    "回复",
    "回覆",
    "答复",
    "转发",
    "轉寄",
    "Отв",
    "ОТВ",
    "Пер",
    "ΑΠ",
    "ΣΧΕΤ",
    NULL,
};

/* External-sender tags written without a colon. */
static const char *const external_tags[] = {
    "[external]",
    "[ext]",
    "[external email]",
    "[external sender]",
    "[extern]",
    "[externe]",
    "[externo]",
    "*external*",
    "*ext*",
    NULL,
};

/* After a marker word: optional [n] (n) ^n, spaces, then ':' or '：'. */
static size_t
after_colon(const char *s, size_t n, size_t j)
{
	if (j < n && (s[j] == '[' || s[j] == '(')) {
		char close = s[j] == '[' ? ']' : ')';
		size_t k = j + 1;

		while (k < n && k - j <= 4 && s[k] >= '0' && s[k] <= '9')
			k++;
		if (k > j + 1 && k < n && s[k] == close)
			j = k + 1;
	} else if (j < n && s[j] == '^') {
		size_t k = j + 1;

		while (k < n && k - j <= 4 && s[k] >= '0' && s[k] <= '9')
			k++;
		if (k > j + 1)
			j = k;
	}
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j < n && s[j] == ':')
		return j + 1;
	if (j + 3 <= n && memcmp(s + j, "\xEF\xBC\x9A", 3) == 0)
		return j + 3;
	return 0;
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n) {
		if (text_is_space((unsigned char)s[i]))
			i++;
		else if (i + 1 < n && (unsigned char)s[i] == 0xC2 &&
		    (unsigned char)s[i + 1] == 0xA0)
			i += 2;
		else
			break;
	}
	return i;
}

/* Skip markers; 'replies' says whether Re:/Fwd: and kin count too. */
static size_t
skip_markers(const char *s, size_t n, bool replies)
{
	size_t i = 0, e, c;
	size_t w;
	bool again = true;

	while (again) {
		again = false;
		i = skip_ws(s, n, i);
		for (w = 0; external_tags[w] != NULL; w++) {
			if ((e = text_match_fold(s, n, i, external_tags[w]))) {
				i = e;
				again = true;
				break;
			}
		}
		if (again)
			continue;
		for (w = 0; reply_words[w] != NULL; w++) {
			bool ext = strncmp(reply_words[w], "ext", 3) == 0;

			if (!replies && !ext)
				continue;
			if ((e = text_match_fold(s, n, i, reply_words[w])) &&
			    (c = after_colon(s, n, e))) {
				i = c;
				again = true;
				break;
			}
		}
	}
	return i;
}

const char *
text_subject_strip(const char *subject, size_t *len)
{
	size_t n = *len, i, end;

	if (subject == NULL) {
		*len = 0;
		return subject;
	}
	i = skip_markers(subject, n, true);
	end = n;
	while (end > i && text_is_space((unsigned char)subject[end - 1]))
		end--;
	*len = end - i;
	return subject + i;
}

bool
text_find_ref(const char *s, size_t n, char jti[65])
{
	size_t i, j, start, k;

	jti[0] = '\0';
	for (i = 0; i + 5 <= n; i++) {
		if (s[i] != '[' || !text_match_fold(s, n, i + 1, "ref:"))
			continue;
		j = i + 5;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		start = j;
		while (j < n && j - start <= 64 && text_is_b64url(s[j]))
			j++;
		k = j;
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k < n && s[k] == ']' && j - start >= 8 && j - start <= 64) {
			memcpy(jti, s + start, j - start);
			jti[j - start] = '\0';
			return true;
		}
	}
	return false;
}

enum subj_follow {
	F_WORD,	  /* then a non-letter or the end */
	F_COLON,  /* then optional spaces and ':' (or the end) */
	F_PREFIX, /* anything may follow */
};

struct subj_pattern {
	const char *pat; /* lower case */
	enum subj_follow follow;
};

static const struct subj_pattern autoreply_patterns[] = {
    {"out of office", F_WORD},
    {"out of the office", F_WORD},
    {"automatic reply", F_WORD},
    {"automatic response", F_WORD},
    {"automated reply", F_WORD},
    {"automated response", F_WORD},
    {"auto reply", F_WORD},
    {"auto-reply", F_WORD},
    {"autoreply", F_WORD},
    {"auto response", F_WORD},
    {"auto-response", F_WORD},
    {"autorespon", F_PREFIX},
    {"auto", F_COLON},
    {"vacation reply", F_WORD},
    {"vacation", F_COLON},
    {"on vacation", F_COLON},
    {"away until", F_WORD},
    {"absence", F_COLON},
    {"absent", F_COLON},
    {"réponse automatique", F_WORD},
    {"reponse automatique", F_WORD},
    {"absence du bureau", F_WORD},
    {"abwesenheitsnotiz", F_WORD},
    {"abwesend", F_COLON},
    {"automatische antwort", F_WORD},
    {"automatisch antwoord", F_WORD},
    {"afwezig", F_WORD},
    {"respuesta automática", F_WORD},
    {"respuesta automatica", F_WORD},
    {"fuera de la oficina", F_WORD},
    {"fuera de oficina", F_WORD},
    {"ausente", F_COLON},
    {"risposta automatica", F_WORD},
    {"fuori ufficio", F_WORD},
    {"assente", F_COLON},
    {"fora do escritório", F_WORD},
    {"fora do escritorio", F_WORD},
    {"resposta automática", F_WORD},
    {"resposta automatica", F_WORD},
    {"autosvar", F_WORD},
    {"automatisk svar", F_WORD},
    {"automaattinen vastaus", F_WORD},
    {"odpowiedź automatyczna", F_WORD},
    {"automatyczna odpowiedź", F_WORD},
    {"автоматический ответ", F_WORD},
    {"Автоматический ответ", F_WORD},
    {"自動応答", F_PREFIX},
    {"自動返信", F_PREFIX},
    {"自动回复", F_PREFIX},
    {"自動回覆", F_PREFIX},
    {"자동 응답", F_PREFIX},
    {"otomatik yanıt", F_WORD},
    {NULL, F_WORD},
};

static const struct subj_pattern bounce_patterns[] = {
    {"undeliverable", F_WORD},
    {"undelivered mail", F_WORD},
    {"undelivered message", F_WORD},
    {"delivery status notification", F_WORD},
    {"delivery notification", F_COLON},
    {"mail delivery failed", F_WORD},
    {"mail delivery failure", F_WORD},
    {"mail delivery error", F_WORD},
    {"email delivery error", F_WORD},
    {"delivery failure", F_WORD},
    {"delivery failed", F_WORD},
    {"delivery has failed", F_WORD},
    {"returned mail", F_WORD},
    {"failure notice", F_WORD},
    {"mail system error", F_WORD},
    {"nondeliverable", F_WORD},
    {"non-deliverable", F_WORD},
    {"non deliverable", F_WORD},
    {"message not delivered", F_WORD},
    {"mail not delivered", F_WORD},
    {"delayed mail", F_WORD},
    {"warning: could not send message", F_WORD},
    {"could not send message", F_WORD},
    {"warning: message delayed", F_WORD},
    {"postmaster notify", F_WORD},
    {"unzustellbar", F_WORD},
    {"nicht zustellbar", F_WORD},
    {"non remis", F_WORD},
    {"non distribuable", F_WORD},
    {"onbestelbaar", F_WORD},
    {"no se puede entregar", F_WORD},
    {"non recapitabile", F_WORD},
    {"não é possível entregar", F_WORD},
    {"nao e possivel entregar", F_WORD},
    {"olevererbart", F_WORD},
    {"kan ikke leveres", F_WORD},
    {"niedostarczalne", F_WORD},
    {"配信不能", F_PREFIX},
    {"无法投递", F_PREFIX},
    {NULL, F_WORD},
};

static bool
match_subject(const char *s, size_t n, const struct subj_pattern *pats)
{
	size_t i, e, j, adv;
	const struct subj_pattern *p;

	if (s == NULL)
		return false;
	i = skip_markers(s, n, false);
	for (p = pats; p->pat != NULL; p++) {
		if ((e = text_match_fold(s, n, i, p->pat)) == 0)
			continue;
		switch (p->follow) {
		case F_PREFIX:
			return true;
		case F_WORD:
			if (e == n ||
			    !text_is_word_cp(text_utf8_decode(
				(const unsigned char *)s + e, n - e, &adv)))
				return true;
			break;
		case F_COLON:
			j = e;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j == n || s[j] == ':' ||
			    (j + 3 <= n &&
				memcmp(s + j, "\xEF\xBC\x9A", 3) == 0))
				return true;
			break;
		}
	}
	return false;
}

bool
text_is_autoreply_subject(const char *subject, size_t len)
{
	return match_subject(subject, len, autoreply_patterns);
}

bool
text_is_bounce_subject(const char *subject, size_t len)
{
	return match_subject(subject, len, bounce_patterns);
}

/* Keywords and questions. */

static bool
word_before(const char *s, size_t i)
{
	return text_is_word_cp(text_utf8_before((const unsigned char *)s, i));
}

static bool
word_at(const char *s, size_t n, size_t i)
{
	size_t adv;

	if (i >= n)
		return false;
	return text_is_word_cp(
	    text_utf8_decode((const unsigned char *)s + i, n - i, &adv));
}

bool
text_has_keyword(const char *text, size_t len, char *const *keywords, size_t n)
{
	size_t i, k, e, adv;

	if (text == NULL || keywords == NULL)
		return false;
	for (i = 0; i < len; i += adv) {
		text_utf8_decode(
		    (const unsigned char *)text + i, len - i, &adv);
		if (!word_at(text, len, i) || word_before(text, i))
			continue;
		for (k = 0; k < n; k++) {
			if (keywords[k] == NULL || keywords[k][0] == '\0')
				continue;
			e = text_match_fold(text, len, i, keywords[k]);
			if (e == 0 || word_at(text, len, e))
				continue;
			if (!text_in_url(text, len, i))
				return true;
			/* Nothing in this URL counts: skip it whole. */
			while (i + 1 < len &&
			    !text_is_space((unsigned char)text[i + 1]))
				i++;
			adv = 1;
			break;
		}
	}
	return false;
}

/* Closers that may follow the '?' of a question. */
static size_t
skip_closers(const unsigned char *s, size_t n, size_t j)
{
	for (;;) {
		if (j < n && strchr("?!)\"'", s[j]) != NULL && s[j] != '\0')
			j++;
		else if (j + 3 <= n && memcmp(s + j, "\xEF\xBC\x9F", 3) == 0)
			j += 3; /* ？ */
		else if (j + 2 <= n && s[j] == 0xC2 && s[j + 1] == 0xBB)
			j += 2; /* » */
		else if (j + 3 <= n && s[j] == 0xE2 && s[j + 1] == 0x80 &&
		    (s[j + 2] == 0x9D || s[j + 2] == 0x99))
			j += 3; /* ” ’ */
		else
			return j;
	}
}

bool
text_is_question(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, j, q, adv;
	bool word = false; /* a letter or digit earlier on this line */

	if (text == NULL)
		return false;
	for (i = 0; i < len; i += adv) {
		adv = 1;
		if (s[i] == '\n') {
			word = false;
			continue;
		}
		if (s[i] == '?') {
			q = 1;
		} else if (i + 3 <= len &&
		    memcmp(s + i, "\xEF\xBC\x9F", 3) == 0) {
			q = 3;
		} else {
			if (text_is_word_cp(
				text_utf8_decode(s + i, len - i, &adv)))
				word = true;
			continue;
		}
		j = skip_closers(s, len, i + q);
		if (word && (j == len || text_is_space(s[j])) &&
		    !text_in_url(text, len, i))
			return true;
		/* The closers after it share its fate: go past them. */
		adv = j - i;
	}
	return false;
}
