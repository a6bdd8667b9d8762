/*
 * intent: a small model of short replies (DESIGN.md, "Intent").
 *
 * Design: the reply is folded (lower case, Latin accents removed, curly
 * apostrophes made straight) and cut into words, each with the sentence
 * and the clause it belongs to.  Phrases are then matched left to right,
 * longest first: a multi-word phrase becomes one unit with its classes
 * and hides its words from everything else, which is how "no problem"
 * stops being a no-word and "not sure" a negation.  The rules then look
 * at the units in DESIGN's order: withdrawal, refusal (a free no-word, a
 * refusal phrase, a negator a few words before an ask verb, or after it
 * for French and German), doubt (a question, a deferral, a hedge, a
 * condition, a mix, a negation that attaches to nothing known), and only
 * then confirmation: an empty text, a yes-word or idiom, or courtesy
 * alone (greetings, thanks, a sign-off with the writer's name).  Anything
 * the model cannot place is doubt, never a yes (rule "neutral"): a
 * refusal in words the data does not know ("Preferimos ficar de fora")
 * must not be counted.
 *
 * Words are runs of letters and digits; an apostrophe between letters
 * stays in the word ("don't"), except after a French or Italian elided
 * article or particle ("n'", "l'", "c'", "qu'"), which is a word of its
 * own.  Emoji and dingbats are words of one character.  Chunks that hold
 * "://", '@' or start with "www." are links or addresses, and chunks
 * that start with "v4.public." are tokens: never read, and a '?' inside
 * them asks nothing.
 *
 * Memory: per call, one folded copy of the text and one token array,
 * both bounded by INTENT_TEXT_MAX.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pledged/intent.h"
#include "pledged/log.h"

/* Built into the binary from contrib/intent.phrases (intent_data.c). */
extern const char intent_builtin_phrases[];

/* Longer own text is read up to here: replies are short. */
#define INTENT_TEXT_MAX 16384
#define PHRASE_WORDS_MAX 24
#define PHRASE_LINE_MAX 1024
#define BUCKETS 512
/* A negator this many words before an ask negates it (same clause). */
#define NEG_BEFORE 5
/* A French or German negator this many words after it. */
#define NEG_AFTER 2

enum cls {
	C_YES = 1u << 0,
	C_NO = 1u << 1,
	C_REFUSAL = 1u << 2,
	C_NEGATOR = 1u << 3,
	C_NEG_AFTER = 1u << 4,
	C_ASK = 1u << 5,
	C_DEFERRAL = 1u << 6,
	C_YET = 1u << 7,
	C_HEDGE = 1u << 8,
	C_CONDITION = 1u << 9,
	C_MIXED = 1u << 10,
	C_IDIOM = 1u << 11,
	C_NEUTRAL = 1u << 12,
	C_REQUEST = 1u << 13,
	C_WITHDRAW = 1u << 14,
	C_SENT_FROM = 1u << 15,
	C_DISCLAIMER = 1u << 16,
	C_FOOTER = 1u << 17,
	C_COURTESY = 1u << 18,
};

static const struct {
	const char *name;
	uint32_t bit;
} class_names[] = {
    {"yes", C_YES},
    {"no", C_NO},
    {"refusal", C_REFUSAL},
    {"negator", C_NEGATOR},
    {"negator-after", C_NEG_AFTER},
    {"ask", C_ASK},
    {"deferral", C_DEFERRAL},
    {"yet", C_YET},
    {"hedge", C_HEDGE},
    {"condition", C_CONDITION},
    {"mixed", C_MIXED},
    {"idiom", C_IDIOM},
    {"neutral", C_NEUTRAL},
    {"request", C_REQUEST},
    {"withdraw", C_WITHDRAW},
    {"sent-from", C_SENT_FROM},
    {"disclaimer", C_DISCLAIMER},
    {"footer", C_FOOTER},
    {"courtesy", C_COURTESY},
};

static const char *const decision_names[] = {
    [INTENT_CONFIRM] = "confirm",
    [INTENT_DECLINE] = "decline",
    [INTENT_REVIEW] = "review",
    [INTENT_WITHDRAW] = "withdraw",
};

/* Keep in step with enum intent_rule, the man pages and DESIGN.md. */
static const char *const rule_names[] = {
    [RULE_WITHDRAW_KEYWORD] = "withdraw-keyword",
    [RULE_NO_WORD] = "no-word",
    [RULE_REFUSAL_PHRASE] = "refusal-phrase",
    [RULE_NEGATED_ASK] = "negated-ask",
    [RULE_QUESTION] = "question",
    [RULE_DEFERRAL] = "deferral",
    [RULE_HEDGE] = "hedge",
    [RULE_CONDITION] = "condition",
    [RULE_MIXED] = "mixed",
    [RULE_NEGATION] = "negation",
    [RULE_EMPTY] = "empty",
    [RULE_IDIOM] = "idiom",
    [RULE_YES_WORD] = "yes-word",
    [RULE_NEUTRAL] = "neutral",
    [RULE_COURTESY] = "courtesy",
};

const char *
intent_decision_name(enum intent_decision d)
{
	if ((size_t)d >= sizeof decision_names / sizeof decision_names[0])
		return "review";
	return decision_names[d];
}

const char *
intent_rule_name(enum intent_rule r)
{
	if ((size_t)r >= sizeof rule_names / sizeof rule_names[0])
		return "neutral";
	return rule_names[r];
}

/* ------------------------------------------------------------------ */
/* Folding and words                                                   */

/*
 * Base letters for U+00C0..U+017F (Latin-1 Supplement and Latin
 * Extended-A), lower case; '\0' where the code point is no letter.
 * Two-letter ligatures (ß, æ, œ) are handled in fold_cp.
 */
static const char latin_base[] =
    "aaaaaaaceeeeiiii"	/* C0 */
    "dnooooo\0ouuuuyts" /* D0: D7 is the multiplication sign */
    "aaaaaaaceeeeiiii"	/* E0 */
    "dnooooo\0ouuuuyty" /* F0: F7 is the division sign */
    "aaaaaaccccccccdd"	/* 100 */
    "ddeeeeeeeeeegggg"	/* 110 */
    "gggghhhhiiiiiiii"	/* 120 */
    "iiiijjkkklllllll"	/* 130 */
    "lllnnnnnnnnnoooo"	/* 140 */
    "oooorrrrrrssssss"	/* 150 */
    "ssttttttuuuuuuuu"	/* 160 */
    "uuuuwwyyyzzzzzzs"; /* 170 */

static uint32_t
utf8_decode(const unsigned char *s, size_t n, size_t *adv)
{
	uint32_t cp;
	size_t need, k;

	*adv = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		need = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		need = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		need = 3;
	} else
		return 0xfffd;
	if (need >= n)
		return 0xfffd;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*adv = need + 1;
	return cp;
}

enum cp_kind {
	K_SPACE,
	K_NEWLINE,
	K_LETTER,
	K_APOS,
	K_SYMBOL,
	K_SENT,
	K_CLAUSE,
	K_JOIN,
	K_IGNORE
};

/* Emoji and dingbats: words of their own ("👍", "✅"). */
static bool
is_symbol(uint32_t cp)
{
	return (cp >= 0x2190 && cp <= 0x21ff) ||
	    (cp >= 0x2600 && cp <= 0x27bf) || (cp >= 0x2b00 && cp <= 0x2bff) ||
	    (cp >= 0x1f000 && cp <= 0x1faff);
}

static enum cp_kind
cp_kind(uint32_t cp)
{
	if (cp == '\n')
		return K_NEWLINE;
	if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\f' || cp == '\v' ||
	    cp == 0xa0 || cp == 0x202f || cp == 0x2009)
		return K_SPACE;
	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	    (cp >= '0' && cp <= '9'))
		return K_LETTER;
	if (cp == '\'' || cp == 0x2019 || cp == 0x02bc)
		return K_APOS;
	if (cp == '.' || cp == '!' || cp == '?' || cp == ';' || cp == 0x2026 ||
	    cp == 0xa1 || cp == 0xbf || cp == 0xff1f || cp == 0xff01 ||
	    cp == 0x3002)
		return K_SENT;
	if (cp == ',' || cp == ':' || cp == '(' || cp == ')' || cp == '"' ||
	    cp == 0x2013 || cp == 0x2014 || cp == 0xab || cp == 0xbb ||
	    cp == 0x201c || cp == 0x201d || cp == '[' || cp == ']' ||
	    cp == 0xff0c)
		return K_CLAUSE;
	/* A hyphen or slash joins words without ending a phrase. */
	if (cp == '-' || cp == '/' || cp == 0x2010 || cp == 0x2011)
		return K_JOIN;
	/* Variation selectors, skin tones and joiners belong to emoji. */
	if (cp == 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f) ||
	    (cp >= 0x1f3fb && cp <= 0x1f3ff))
		return K_IGNORE;
	if (is_symbol(cp))
		return K_SYMBOL;
	if (cp == 0xfffd || cp < 0xc0 || cp == 0xd7 || cp == 0xf7 ||
	    (cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xff00 && cp <= 0xff0f))
		return K_SPACE;
	return K_LETTER;
}

/* A capital Latin letter (ASCII, Latin-1, Latin Extended-A)? */
static bool
is_upper(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z';
	if (cp >= 0xc0 && cp <= 0xde)
		return cp != 0xd7;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return cp % 2 == 0;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return cp % 2 == 1;
	return cp == 0x178;
}

/* Append the folded form of a letter 'cp' as read from s[0..adv). */
static size_t
fold_cp(uint32_t cp, const unsigned char *s, size_t adv, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		return 1;
	}
	if (cp == 0xdf) { /* ß */
		memcpy(out, "ss", 2);
		return 2;
	}
	if (cp == 0xc6 || cp == 0xe6) {
		memcpy(out, "ae", 2);
		return 2;
	}
	if (cp == 0x152 || cp == 0x153) {
		memcpy(out, "oe", 2);
		return 2;
	}
	if (cp >= 0xc0 && cp <= 0x17f && latin_base[cp - 0xc0] != '\0') {
		out[0] = latin_base[cp - 0xc0];
		return 1;
	}
	memcpy(out, s, adv); /* other scripts: as written */
	return adv;
}

/* A word of the folded text, and where it stands. */
struct tok {
	uint32_t off, len; /* in the folded buffer */
	uint32_t sent, clause;
	bool pbreak; /* punctuation before it: no phrase spans it */
	bool star;   /* followed by '*' (phrase data: a prefix) */
	bool upper;  /* written with a capital first letter ("Anna") */
	uint32_t cls;
	int unit; /* index of the unit it belongs to */
};

struct toks {
	char *buf; /* folded words, NUL after each */
	size_t blen, bcap;
	struct tok *t;
	size_t n, cap;
	bool *question; /* per sentence: ended by '?' */
	size_t nsent, qcap;
	bool bare_question; /* a '?' with no words of its own: "??" */
	bool ends_marked;   /* the text ends with '.', '!' or '?' */
	bool oom;
};

static void
toks_free(struct toks *w)
{
	free(w->buf);
	free(w->t);
	free(w->question);
	memset(w, 0, sizeof *w);
}

static bool
grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t nc;
	void *np;

	if (want <= *cap)
		return true;
	nc = *cap ? *cap : 64;
	while (nc < want)
		nc *= 2;
	if ((np = realloc(*p, nc * size)) == NULL) {
		log_warn("intent: realloc");
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

static bool
is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' ||
	    c == '>' || c == '"' || c == '\0';
}

/*
 * Is the white-space chunk starting at s[i] a link or an address?  *end
 * gets where it ends (i itself when s[i] ends a chunk).
 */
static bool
chunk_is_link(const char *s, size_t n, size_t i, size_t *end)
{
	size_t b = i, e = i;

	while (e < n && !is_delim(s[e]))
		e++;
	*end = e;
	if (e - b >= 4 && strncasecmp(s + b, "www.", 4) == 0)
		return true;
	/* A token pasted unquoted is no word of the artist's. */
	if (e - b >= 10 && strncmp(s + b, "v4.public.", 10) == 0)
		return true;
	for (size_t k = b; k < e; k++) {
		if (s[k] == '@' && k > b && k + 1 < e)
			return true;
		if (s[k] == ':' && k + 2 < e && s[k + 1] == '/' &&
		    s[k + 2] == '/')
			return true;
	}
	return false;
}

/* French and Italian elisions: "n'", "l'", "qu'" stand alone. */
static bool
is_elision(const char *w, size_t len)
{
	if (len == 1)
		return strchr("cdjlmnst", w[0]) != NULL;
	return len == 2 && w[0] == 'q' && w[1] == 'u';
}

struct tstate {
	uint32_t sent, clause;
	bool pbreak, in_word;
	bool after_sent; /* the last mark seen ended a sentence */
};

static bool
start_word(struct toks *w, struct tstate *st)
{
	if (!grow((void **)&w->t, &w->cap, w->n + 1, sizeof *w->t))
		return false;
	w->t[w->n] = (struct tok){(uint32_t)w->blen, 0, st->sent, st->clause,
	    st->pbreak, false, false, 0, -1};
	w->n++;
	st->pbreak = false;
	st->in_word = true;
	return true;
}

static bool
add_bytes(struct toks *w, const char *b, size_t n)
{
	if (!grow((void **)&w->buf, &w->bcap, w->blen + n + 1, 1))
		return false;
	memcpy(w->buf + w->blen, b, n);
	w->blen += n;
	w->t[w->n - 1].len += (uint32_t)n;
	return true;
}

static bool
end_word(struct toks *w, struct tstate *st)
{
	if (!st->in_word)
		return true;
	st->in_word = false;
	if (!grow((void **)&w->buf, &w->bcap, w->blen + 1, 1))
		return false;
	w->buf[w->blen++] = '\0';
	return true;
}

static bool
new_sentence(struct toks *w, struct tstate *st, bool question)
{
	bool words = w->n > 0 && w->t[w->n - 1].sent == st->sent;

	if (!grow((void **)&w->question, &w->qcap, st->sent + 2, sizeof(bool)))
		return false;
	if (question && words)
		w->question[st->sent] = true;
	else if (question && !st->after_sent)
		w->bare_question = true;
	/* A sentence with no word yet goes on ("?!", "..."). */
	if (words) {
		st->sent++;
		w->question[st->sent] = false;
	}
	st->clause++;
	return true;
}

/*
 * Cut s[0..n) into folded words.  Returns false on memory exhaustion
 * (logged), with w holding what was cut so far.
 */
static bool
tokenize(const char *s, size_t n, struct toks *w)
{
	const unsigned char *u = (const unsigned char *)s;
	struct tstate st = {0, 0, false, false, false};
	size_t i = 0, adv, end, chunk_end = 0;
	char fb[8];

	memset(w, 0, sizeof *w);
	if (n > INTENT_TEXT_MAX)
		n = INTENT_TEXT_MAX;
	if (!grow((void **)&w->question, &w->qcap, 2, sizeof(bool)))
		goto oom;
	w->question[0] = false;
	while (i < n) {
		uint32_t cp = utf8_decode(u + i, n - i, &adv);
		enum cp_kind k = cp_kind(cp);

		/* Each white-space chunk is looked at once. */
		if (k != K_SPACE && k != K_NEWLINE && i >= chunk_end) {
			if (chunk_is_link(s, n, i, &end) && end > i) {
				if (!end_word(w, &st))
					goto oom;
				i = end;
				st.pbreak = true;
				continue;
			}
			chunk_end = end;
		}
		switch (k) {
		case K_LETTER:
			if (!st.in_word) {
				if (!start_word(w, &st))
					goto oom;
				w->t[w->n - 1].upper = is_upper(cp);
			}
			if (!add_bytes(w, fb, fold_cp(cp, u + i, adv, fb)))
				goto oom;
			break;
		case K_APOS: {
			struct tok *t = st.in_word ? &w->t[w->n - 1] : NULL;
			size_t a2;
			bool elision =
			    t != NULL && is_elision(w->buf + t->off, t->len);
			bool next_letter = i + adv < n &&
			    cp_kind(utf8_decode(
				u + i + adv, n - i - adv, &a2)) == K_LETTER;
			if (t == NULL || (!next_letter && !elision)) {
				if (!end_word(w, &st))
					goto oom;
				break;
			}
			if (!add_bytes(w, "'", 1))
				goto oom;
			if (elision && !end_word(w, &st))
				goto oom;
			break;
		}
		case K_SYMBOL:
			if (!end_word(w, &st) || !start_word(w, &st) ||
			    !add_bytes(w, (const char *)u + i, adv) ||
			    !end_word(w, &st))
				goto oom;
			break;
		case K_IGNORE:
			break;
		case K_JOIN:
		case K_SPACE:
			if (cp == '*' && st.in_word)
				w->t[w->n - 1].star = true;
			if (!end_word(w, &st))
				goto oom;
			break;
		case K_NEWLINE:
			if (!end_word(w, &st) || !new_sentence(w, &st, false))
				goto oom;
			break;
		case K_SENT:
			if (!end_word(w, &st) ||
			    !new_sentence(w, &st, cp == '?' || cp == 0xff1f))
				goto oom;
			st.pbreak = true;
			break;
		case K_CLAUSE:
			if (!end_word(w, &st))
				goto oom;
			st.clause++;
			st.pbreak = true;
			break;
		}
		if (k != K_SPACE && k != K_NEWLINE && k != K_IGNORE)
			st.after_sent = k == K_SENT;
		i += adv;
	}
	if (!end_word(w, &st))
		goto oom;
	w->nsent = st.sent + 1;
	w->ends_marked = st.after_sent;
	return true;
oom:
	w->oom = true;
	return false;
}

static const char *
word(const struct toks *w, size_t i)
{
	return w->buf + w->t[i].off;
}

/* ------------------------------------------------------------------ */
/* Phrase sets                                                         */

struct entry {
	uint32_t cls;
	uint8_t n;
	bool prefix[PHRASE_WORDS_MAX];
	char *words[PHRASE_WORDS_MAX];
	struct entry *next;
};

struct intent_phrases {
	struct entry *bucket[BUCKETS]; /* by first word, exact */
	struct entry *prefixed;	       /* first word ends in '*' */
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static void
entry_free(struct entry *e)
{
	for (size_t k = 0; k < e->n; k++)
		free(e->words[k]);
	free(e);
}

/* Free every entry of a set (not the set itself). */
static void
phrases_clear(struct intent_phrases *ph)
{
	struct entry *e, *next;

	for (size_t b = 0; b <= BUCKETS; b++) {
		for (e = b < BUCKETS ? ph->bucket[b] : ph->prefixed; e != NULL;
		     e = next) {
			next = e->next;
			entry_free(e);
		}
	}
}

void
intent_phrases_free(struct intent_phrases *ph)
{
	if (ph == NULL)
		return;
	phrases_clear(ph);
	free(ph);
}

/*
 * Add the phrase p[0..len) with classes 'cls'.  Returns 0, 1 when the
 * phrase has no word or too many, -1 on memory exhaustion.
 */
static int
add_phrase(struct intent_phrases *ph, uint32_t cls, const char *p, size_t len)
{
	struct toks w;
	struct entry *e = NULL;
	int rc = -1;

	if (!tokenize(p, len, &w))
		goto out;
	rc = 1;
	if (w.n == 0 || w.n > PHRASE_WORDS_MAX)
		goto out;
	rc = -1;
	if ((e = calloc(1, sizeof *e)) == NULL)
		goto out;
	e->cls = cls;
	for (size_t k = 0; k < w.n; k++) {
		if ((e->words[k] = strndup(word(&w, k), w.t[k].len)) == NULL)
			goto out;
		e->prefix[k] = w.t[k].star;
		e->n++;
	}
	if (e->prefix[0]) {
		e->next = ph->prefixed;
		ph->prefixed = e;
	} else {
		uint32_t h = hash(e->words[0]);
		e->next = ph->bucket[h];
		ph->bucket[h] = e;
	}
	e = NULL;
	rc = 0;
out:
	if (rc == -1)
		log_warnx("intent: out of memory");
	if (e != NULL)
		entry_free(e);
	toks_free(&w);
	return rc;
}

static uint32_t
class_bit(const char *s, size_t len)
{
	for (size_t k = 0; k < sizeof class_names / sizeof class_names[0]; k++)
		if (strlen(class_names[k].name) == len &&
		    strncmp(class_names[k].name, s, len) == 0)
			return class_names[k].bit;
	return 0;
}

/*
 * Parse one line "CLASS LANG PHRASE".  Returns 0 (added, or a blank or
 * comment line), -1 on memory exhaustion, or a message for a bad line.
 */
static int
parse_line(
    struct intent_phrases *ph, const char *line, size_t len, const char **msg)
{
	size_t i = 0, cb, ce, lb;
	uint32_t bit;
	int rc;

	*msg = NULL;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	for (cb = i; i < len && line[i] != ' ' && line[i] != '\t'; i++)
		;
	ce = i;
	if ((bit = class_bit(line + cb, ce - cb)) == 0) {
		*msg = "unknown class (yes, no, refusal, negator, "
		       "negator-after, ask, deferral, yet, hedge, condition, "
		       "mixed, idiom, courtesy, neutral, request, withdraw, "
		       "sent-from, disclaimer, footer)";
		return 1;
	}
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	for (lb = i; i < len && line[i] != ' ' && line[i] != '\t'; i++)
		;
	if (i == lb || i - lb > 8) {
		*msg = "expected CLASS LANG PHRASE";
		return 1;
	}
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (len > i &&
	    (line[len - 1] == ' ' || line[len - 1] == '\t' ||
		line[len - 1] == '\r'))
		len--;
	if (i == len) {
		*msg = "expected CLASS LANG PHRASE";
		return 1;
	}
	rc = add_phrase(ph, bit, line + i, len - i);
	if (rc == 1)
		*msg = "the phrase has no word, or more than 24";
	return rc;
}

static int
parse_text(struct intent_phrases *ph, const char *text, size_t len,
    const char *path, FILE *err)
{
	size_t lineno = 0, b = 0, e;
	const char *msg;
	int ret = 0, rc;

	while (b < len) {
		const char *nl = memchr(text + b, '\n', len - b);
		e = nl != NULL ? (size_t)(nl - text) : len;
		lineno++;
		if (e - b > PHRASE_LINE_MAX)
			msg = "line too long", rc = 1;
		else if (memchr(text + b, '\0', e - b) != NULL)
			msg = "NUL byte", rc = 1;
		else
			rc = parse_line(ph, text + b, e - b, &msg);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			if (err != NULL)
				fprintf(err, "%s:%zu: %s\n", path, lineno, msg);
			ret = -1;
		}
		b = e + 1;
	}
	return ret;
}

struct intent_phrases *
intent_phrases_new(void)
{
	struct intent_phrases *ph;

	if ((ph = calloc(1, sizeof *ph)) == NULL) {
		log_warn("intent: calloc");
		return NULL;
	}
	if (parse_text(ph, intent_builtin_phrases,
		strlen(intent_builtin_phrases), "intent.phrases",
		stderr) != 0) {
		intent_phrases_free(ph);
		return NULL;
	}
	return ph;
}

int
intent_phrases_load(struct intent_phrases *ph, const char *path, FILE *err)
{
	FILE *fp;
	char *text = NULL;
	size_t len = 0, cap = 0, r;
	int rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		if (err != NULL)
			fprintf(err, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (!grow((void **)&text, &cap, len + 4096, 1))
			goto out;
		r = fread(text + len, 1, cap - len, fp);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		if (err != NULL)
			fprintf(err, "%s: read error\n", path);
		goto out;
	}
	rc = parse_text(ph, text, len, path, err);
out:
	free(text);
	fclose(fp);
	return rc;
}

/* Add one piece of request text, in chunks of PHRASE_WORDS_MAX words. */
static int
add_request_piece(struct intent_phrases *ph, const char *p, size_t len)
{
	struct toks w;
	size_t k, b;
	int rc = 0;

	if (!tokenize(p, len, &w)) {
		toks_free(&w);
		return -1;
	}
	for (b = 0; b + 2 <= w.n && rc == 0; b += PHRASE_WORDS_MAX) {
		size_t e =
		    b + PHRASE_WORDS_MAX < w.n ? b + PHRASE_WORDS_MAX : w.n;
		size_t from = w.t[b].off, to = w.t[e - 1].off + w.t[e - 1].len;
		char *chunk;

		if (e - b < 2)
			break;
		/* The folded words, one space apart: a phrase of its own. */
		if ((chunk = malloc(to - from + 1)) == NULL) {
			log_warn("intent: malloc");
			rc = -1;
			break;
		}
		for (k = from; k < to; k++)
			chunk[k - from] = w.buf[k] == '\0' ? ' ' : w.buf[k];
		if (add_phrase(ph, C_REQUEST, chunk, to - from) == -1)
			rc = -1;
		free(chunk);
	}
	toks_free(&w);
	return rc;
}

int
intent_phrases_add_request(
    struct intent_phrases *ph, const char *text, size_t len)
{
	size_t b = 0, i;

	for (i = 0; i <= len; i++) {
		bool cut = i == len || strchr(".!?;:(),{}", text[i]) != NULL ||
		    (text[i] == '\n' && i + 1 < len && text[i + 1] == '\n');

		if (!cut)
			continue;
		if (i > b && add_request_piece(ph, text + b, i - b) != 0)
			return -1;
		/* Skip a placeholder's name. */
		if (i < len && text[i] == '{') {
			const char *close = memchr(text + i, '}', len - i);
			i = close != NULL ? (size_t)(close - text) : len;
		}
		b = i + 1;
	}
	return 0;
}

/* The built-in set, built on first use and kept. */
static const struct intent_phrases *
builtin(void)
{
	static struct intent_phrases *ph;

	if (ph == NULL)
		ph = intent_phrases_new();
	return ph;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

static bool
word_matches(const struct entry *e, size_t k, const char *w, size_t wl)
{
	size_t el = strlen(e->words[k]);

	if (e->prefix[k])
		return wl >= el && memcmp(w, e->words[k], el) == 0;
	return wl == el && memcmp(w, e->words[k], el) == 0;
}

/* Does entry e match the words from i on (no punctuation inside)? */
static bool
entry_at(const struct entry *e, const struct toks *w, size_t i)
{
	if (i + e->n > w->n)
		return false;
	for (size_t k = 0; k < e->n; k++) {
		if (k > 0 && w->t[i + k].pbreak)
			return false;
		if (!word_matches(e, k, word(w, i + k), w->t[i + k].len))
			return false;
	}
	return true;
}

static void
best_in(const struct entry *e, const struct toks *w, size_t i, size_t *best,
    uint32_t *cls)
{
	for (; e != NULL; e = e->next) {
		if (e->n < *best || !entry_at(e, w, i))
			continue;
		if (e->n > *best) {
			*best = e->n;
			*cls = 0;
		}
		*cls |= e->cls;
	}
}

static void
match_at(const struct intent_phrases *ph, const struct toks *w, size_t i,
    size_t *best, uint32_t *cls)
{
	best_in(ph->bucket[hash(word(w, i))], w, i, best, cls);
	best_in(ph->prefixed, w, i, best, cls);
}

/* One phrase, or one word, with its classes. */
struct unit {
	size_t first, last; /* word indexes */
	uint32_t cls;
};

struct units {
	struct unit *u;
	size_t n, cap;
};

/*
 * Match left to right, longest first, over the phrase sets; every word
 * ends up in exactly one unit.
 */
static bool
find_units(const struct intent_phrases *const *sets, size_t nsets,
    struct toks *w, struct units *out)
{
	size_t i = 0;

	memset(out, 0, sizeof *out);
	while (i < w->n) {
		size_t best = 0;
		uint32_t cls = 0;

		for (size_t s = 0; s < nsets; s++)
			if (sets[s] != NULL)
				match_at(sets[s], w, i, &best, &cls);
		if (best == 0) {
			/* English contractions: "don't", "wouldn't". */
			const char *s = word(w, i);
			size_t l = w->t[i].len;
			best = 1;
			if (l > 3 && memcmp(s + l - 3, "n't", 3) == 0)
				cls = C_NEGATOR;
		}
		if (!grow((void **)&out->u, &out->cap, out->n + 1,
			sizeof *out->u))
			return false;
		out->u[out->n] = (struct unit){i, i + best - 1, cls};
		for (size_t k = i; k < i + best; k++) {
			w->t[k].unit = (int)out->n;
			w->t[k].cls = cls;
		}
		out->n++;
		i += best;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Lines intent never reads                                            */

static bool
line_classes(const struct intent_phrases *ph, const char *s, size_t len,
    uint32_t *cls, bool *first_is_sent_from)
{
	const struct intent_phrases *sets[1] = {ph};
	struct toks w;
	struct units u;
	bool ok;

	*cls = 0;
	*first_is_sent_from = false;
	if (!tokenize(s, len, &w)) {
		toks_free(&w);
		return false;
	}
	ok = find_units(sets, 1, &w, &u);
	for (size_t k = 0; ok && k < u.n; k++)
		*cls |= u.u[k].cls;
	if (ok && u.n > 0)
		*first_is_sent_from = (u.u[0].cls & C_SENT_FROM) != 0;
	free(u.u);
	toks_free(&w);
	return ok;
}

static bool
blank(const char *s, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
			return false;
	return true;
}

char *
intent_own_words(const struct intent_phrases *ph, const char *own, size_t len)
{
	char *out;
	size_t o = 0, b = 0, e;

	if (ph == NULL)
		ph = builtin();
	if ((out = malloc(len + 1)) == NULL) {
		log_warn("intent: malloc");
		return NULL;
	}
	while (b < len) {
		const char *nl = memchr(own + b, '\n', len - b);
		uint32_t cls = 0;

		/* Past what intent reads, lines are kept as they are. */
		if (b >= INTENT_TEXT_MAX) {
			memcpy(out + o, own + b, len - b);
			o += len - b;
			break;
		}
		bool sent_from = false;

		e = nl != NULL ? (size_t)(nl - own) : len;
		if (!blank(own + b, e - b) && ph != NULL &&
		    !line_classes(ph, own + b, e - b, &cls, &sent_from)) {
			free(out);
			return NULL;
		}
		/*
		 * A disclaimer runs from its line to the end.  Not from its
		 * paragraph: "No." just above one must still be read.
		 */
		if (cls & C_DISCLAIMER)
			break;
		if (!sent_from && !(cls & C_FOOTER)) {
			memcpy(out + o, own + b, e - b);
			o += e - b;
			if (nl != NULL)
				out[o++] = '\n';
		}
		b = e + 1;
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* The rules                                                           */

static bool
has(const struct unit *u, uint32_t c)
{
	return (u->cls & c) != 0;
}

static bool
is_ask(const struct unit *u)
{
	return has(u, C_ASK | C_YES) && !has(u, C_IDIOM | C_REQUEST);
}

/* Does unit k begin its sentence ("No." stands for itself)? */
static bool
starts_sentence(const struct toks *w, const struct units *us, size_t k)
{
	return k == 0 ||
	    w->t[us->u[k - 1].last].sent != w->t[us->u[k].first].sent;
}

/* Is unit k followed by punctuation, a new sentence or nothing ("No,")? */
static bool
stands_alone(const struct toks *w, const struct units *us, size_t k)
{
	return k + 1 >= us->n || w->t[us->u[k + 1].first].pbreak ||
	    w->t[us->u[k + 1].first].sent != w->t[us->u[k].last].sent;
}

/* Is unit k next to a deferral or a "yet" word ("No, not yet")? */
static bool
next_to_deferral(const struct toks *w, const struct units *us, size_t k)
{
	uint32_t s = w->t[us->u[k].first].sent;

	if (k > 0 && w->t[us->u[k - 1].first].sent == s &&
	    has(&us->u[k - 1], C_DEFERRAL | C_YET))
		return true;
	return k + 1 < us->n && w->t[us->u[k + 1].first].sent == s &&
	    has(&us->u[k + 1], C_DEFERRAL | C_YET);
}

/* Does the sentence of word i hold a unit of class c? */
static bool
sentence_has(const struct toks *w, const struct units *us, size_t i, uint32_t c)
{
	for (size_t k = 0; k < us->n; k++) {
		const struct unit *u = &us->u[k];
		if (w->t[u->first].sent == w->t[i].sent && has(u, c))
			return true;
	}
	return false;
}

/* Does the sentence of word i hold a deferral or a "yet" word? */
static bool
clause_defers(const struct toks *w, const struct units *us, size_t i)
{
	return sentence_has(w, us, i, C_DEFERRAL | C_YET);
}

/* The unit of a negator that negates the ask unit 'a', or -1. */
static int
negator_of(const struct toks *w, const struct units *us, size_t a)
{
	const struct unit *ask = &us->u[a];
	uint32_t clause = w->t[ask->first].clause;

	for (size_t k = a; k-- > 0;) {
		const struct unit *u = &us->u[k];
		if (w->t[u->last].clause != clause ||
		    ask->first - u->last > NEG_BEFORE)
			break;
		if (has(u, C_NEGATOR))
			return (int)k;
	}
	for (size_t k = a + 1; k < us->n; k++) {
		const struct unit *u = &us->u[k];
		if (w->t[u->first].clause != clause ||
		    u->first - ask->last > NEG_AFTER)
			break;
		if (has(u, C_NEG_AFTER))
			return (int)k;
	}
	return -1;
}

/*
 * "si" is "yes" and "if": a condition when its clause goes on with a word
 * that is neither a yes nor an ask ("si mi sello lo aprueba").
 */
static bool
is_condition(const struct toks *w, const struct units *us, size_t k)
{
	const struct unit *u = &us->u[k];

	if (!has(u, C_CONDITION))
		return false;
	if (!has(u, C_YES))
		return true;
	if (k + 1 >= us->n)
		return false;
	if (w->t[us->u[k + 1].first].clause != w->t[u->last].clause)
		return false;
	return !has(&us->u[k + 1], C_YES | C_ASK);
}

/* Is a question sentence 's' more than idioms ("why not?")? */
static bool
asks(const struct toks *w, const struct units *us, uint32_t s)
{
	for (size_t k = 0; k < us->n; k++)
		if (w->t[us->u[k].first].sent == s &&
		    !has(&us->u[k], C_IDIOM | C_REQUEST))
			return true;
	return false;
}

struct facts {
	bool withdraw, no, refusal, negated, question, deferral, hedge,
	    condition, mixed, negation, idiom, yes, words, content;
};

/*
 * A single word of no class that may be the writer's name: one of the
 * writer's words when the writer is known ('wr' not NULL), else a word
 * written with a capital.
 */
static bool
name_word(const struct toks *w, const struct units *us, size_t k,
    const struct toks *wr)
{
	const struct unit *u = &us->u[k];
	const struct tok *t = &w->t[u->first];

	if (u->cls != 0 || u->first != u->last)
		return false;
	if (wr == NULL)
		return t->upper;
	for (size_t i = 0; i < wr->n; i++)
		if (wr->t[i].len == t->len &&
		    memcmp(word(wr, i), word(w, u->first), t->len) == 0)
			return true;
	return false;
}

/*
 * The writer's name in a greeting or a sign-off ("Hi Anna", "Cheers,
 * Anna", "LG Jonas"): up to three name words (name_word) right after a
 * courtesy unit, that either end the text with no '.', '!' or
 * '?' after them or are followed by more courtesy ("Hi Anna, thanks") or
 * by the request's own sentences.
 * A capitalized word anywhere else is content: "Passamos." is read as a
 * person would, not as a name.
 */
static void
find_names(const struct toks *w, const struct units *us, const struct toks *wr,
    bool *name)
{
	for (size_t k = 0; k < us->n; k++) {
		size_t j = k + 1;

		if (!has(&us->u[k], C_COURTESY))
			continue;
		while (j < us->n && j - k - 1 < 3 && name_word(w, us, j, wr))
			j++;
		if (j == k + 1)
			continue;
		if (j == us->n ? w->ends_marked
			       : !has(&us->u[j], C_COURTESY | C_REQUEST))
			continue;
		for (size_t m = k + 1; m < j; m++)
			name[m] = true;
	}
}

static void
gather(const struct toks *w, const struct units *us, const struct toks *wr,
    struct facts *f)
{
	bool *neg_used, *name;

	memset(f, 0, sizeof *f);
	neg_used = calloc(2 * (us->n + 1), sizeof(bool));
	name = neg_used != NULL ? neg_used + us->n + 1 : NULL;
	if (name != NULL)
		find_names(w, us, wr, name);
	for (size_t k = 0; k < us->n; k++) {
		const struct unit *u = &us->u[k];
		int ng;

		if (!has(u, C_REQUEST))
			f->words = true;
		/* Words beyond courtesy and the writer's name say something. */
		if (!has(u, C_REQUEST | C_COURTESY) &&
		    (name == NULL || !name[k]))
			f->content = true;
		if (has(u, C_WITHDRAW))
			f->withdraw = true;
		/*
		 * A no-word next to a deferral is part of it ("No, not
		 * yet"), and one inside a sentence with a "yet" word defers
		 * ("non ha ancora risposto"), as does one that starts it
		 * with no mark after it ("Non l'ho ancora mandato": the
		 * Italian negator); "No." first stands for itself.
		 */
		if (has(u, C_NO) &&
		    !has(u,
			C_IDIOM | C_HEDGE | C_DEFERRAL | C_MIXED | C_REQUEST |
			    C_NEUTRAL)) {
			if (next_to_deferral(w, us, k) ||
			    ((!starts_sentence(w, us, k) ||
				 !stands_alone(w, us, k)) &&
				sentence_has(w, us, u->first, C_YET)))
				f->deferral = true;
			else
				f->no = true;
		}
		if (has(u, C_REFUSAL))
			f->refusal = true;
		if (is_ask(u) && (ng = negator_of(w, us, k)) >= 0) {
			if (neg_used != NULL)
				neg_used[ng] = true;
			if (clause_defers(w, us, u->first))
				f->deferral = true;
			else
				f->negated = true;
		}
		if (has(u, C_DEFERRAL))
			f->deferral = true;
		if (has(u, C_HEDGE))
			f->hedge = true;
		if (is_condition(w, us, k))
			f->condition = true;
		if (has(u, C_MIXED))
			f->mixed = true;
		if (has(u, C_IDIOM))
			f->idiom = true;
		if (has(u, C_YES) && !has(u, C_IDIOM | C_REQUEST))
			f->yes = true;
	}
	for (size_t k = 0; k < us->n; k++) {
		const struct unit *u = &us->u[k];
		if (!has(u, C_NEGATOR | C_NEG_AFTER) ||
		    has(u,
			C_IDIOM | C_HEDGE | C_DEFERRAL | C_REFUSAL | C_REQUEST |
			    C_NEUTRAL | C_MIXED))
			continue;
		if (neg_used == NULL || !neg_used[k]) {
			/* "not yet sent", "noch keine": a deferral. */
			if (clause_defers(w, us, u->first))
				f->deferral = true;
			else
				f->negation = true;
		}
	}
	for (uint32_t s = 0; s < w->nsent; s++)
		if (w->question[s] && asks(w, us, s))
			f->question = true;
	if (w->bare_question)
		f->question = true;
	if (neg_used == NULL) /* cannot tell: doubt */
		f->hedge = true;
	free(neg_used);
}

static void
set(struct intent_result *out, enum intent_decision d, enum intent_rule r)
{
	out->decision = d;
	out->rule = r;
}

static void
apply(const struct facts *f, struct intent_result *out)
{
	if (f->withdraw)
		set(out, INTENT_WITHDRAW, RULE_WITHDRAW_KEYWORD);
	else if (f->no)
		set(out, INTENT_DECLINE, RULE_NO_WORD);
	else if (f->refusal)
		set(out, INTENT_DECLINE, RULE_REFUSAL_PHRASE);
	else if (f->negated)
		set(out, INTENT_DECLINE, RULE_NEGATED_ASK);
	else if (f->question)
		set(out, INTENT_REVIEW, RULE_QUESTION);
	else if (f->deferral)
		set(out, INTENT_REVIEW, RULE_DEFERRAL);
	else if (f->hedge)
		set(out, INTENT_REVIEW, RULE_HEDGE);
	else if (f->condition)
		set(out, INTENT_REVIEW, RULE_CONDITION);
	else if (f->mixed)
		set(out, INTENT_REVIEW, RULE_MIXED);
	else if (f->negation)
		set(out, INTENT_REVIEW, RULE_NEGATION);
	else if (!f->words)
		set(out, INTENT_CONFIRM, RULE_EMPTY);
	else if (f->idiom)
		set(out, INTENT_CONFIRM, RULE_IDIOM);
	else if (f->yes)
		set(out, INTENT_CONFIRM, RULE_YES_WORD);
	else if (f->content) /* none of the above: a person reads it */
		set(out, INTENT_REVIEW, RULE_NEUTRAL);
	else
		set(out, INTENT_CONFIRM, RULE_COURTESY);
}

static int
add_list(struct intent_phrases *set, uint32_t cls, char *const *items, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (items[k] != NULL &&
		    add_phrase(set, cls, items[k], strlen(items[k])) == -1)
			return -1;
	return 0;
}

/* The configuration's keyword lists as a phrase set of their own. */
static int
keyword_set(const struct intent_keywords *kw, struct intent_phrases *set)
{
	memset(set, 0, sizeof *set);
	if (kw == NULL)
		return 0;
	if (add_list(set, C_WITHDRAW, kw->withdraw, kw->n_withdraw) != 0 ||
	    add_list(set, C_YES, kw->yes, kw->n_yes) != 0 ||
	    add_list(set, C_NO, kw->no, kw->n_no) != 0)
		return -1;
	return 0;
}

void
intent_decide(const struct intent_phrases *ph, const struct intent_keywords *kw,
    const char *own, size_t len, struct intent_result *out)
{
	struct intent_phrases kws;
	const struct intent_phrases *sets[2];
	struct toks w, wr;
	struct units us = {NULL, 0, 0};
	struct facts f;
	char *words = NULL;
	bool have_wr = false;

	memset(&w, 0, sizeof w);
	memset(&wr, 0, sizeof wr);
	set(out, INTENT_REVIEW, RULE_HEDGE);
	if (keyword_set(kw, &kws) != 0)
		goto out;
	/* Without the table nothing can be told apart: review. */
	if (ph == NULL && (ph = builtin()) == NULL)
		goto out;
	sets[0] = ph;
	sets[1] = &kws;
	if (own == NULL)
		len = 0;
	if ((words = intent_own_words(ph, own != NULL ? own : "", len)) == NULL)
		goto out;
	if (!tokenize(words, strlen(words), &w) ||
	    !find_units(sets, 2, &w, &us))
		goto out;
	if (kw != NULL && kw->writer != NULL) {
		if (!tokenize(kw->writer, strlen(kw->writer), &wr))
			goto out;
		have_wr = true;
	}
	gather(&w, &us, have_wr ? &wr : NULL, &f);
	apply(&f, out);
out:
	phrases_clear(&kws);
	free(us.u);
	toks_free(&w);
	toks_free(&wr);
	free(words);
}
