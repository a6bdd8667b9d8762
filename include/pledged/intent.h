/*
 * intent: what an artist meant by a short reply to a request (DESIGN.md,
 * "Intent"): withdraw, decline, review (doubt) or confirm, and the rule
 * that decided.
 *
 * The input is the writer's own text, as text_split_reply leaves it (the
 * quote and everything below a signature delimiter already cut).  intent
 * then drops what the artist did not write for this answer: "Sent from
 * my ..." lines, legal disclaimers, list footers, and the request's own
 * sentences where they appear unquoted.  What is left is cut into
 * sentences, clauses and words (case- and accent-insensitive for Latin
 * scripts, whole words, emoji as words of their own) and matched against
 * phrase data: the built-in table (contrib/intent.phrases, compiled in)
 * plus the organizers' own file ([tokens] intent_phrases) and the
 * [tokens] yes_keywords, no_keywords and withdraw_keywords.
 *
 * Phrase data is one phrase a line: "CLASS LANG PHRASE", white space
 * between the fields, '#' comments and blank lines ignored.  A phrase is
 * words separated by spaces; a word ending in '*' matches any word that
 * starts with it.  Classes: yes, no, refusal, negator, negator-after,
 * ask, deferral, yet, hedge, condition, mixed, idiom, courtesy, neutral,
 * request, withdraw (phrases matched in the text), and sent-from,
 * disclaimer, footer (lines dropped before reading).  LANG is
 * informative (a two-letter code or '*').
 *
 * Only an empty own text, a yes-word or idiom, or courtesy alone
 * (greetings, thanks, a sign-off with the writer's name) confirm: any
 * other words with none of the rules' classes are held for review
 * (RULE_NEUTRAL), as a refusal in words the data does not know would
 * otherwise be counted.
 *
 * Pure: no I/O except intent_phrases_load, no state between calls.
 * Memory: all memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_INTENT_H
#define PLEDGED_INTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum intent_decision {
	INTENT_CONFIRM = 0,
	INTENT_DECLINE,
	INTENT_REVIEW,
	INTENT_WITHDRAW,
};

/* "confirm", "decline", "review", "withdraw". */
const char *intent_decision_name(enum intent_decision);

/*
 * The rules, in DESIGN's order.  Their names are an interface (stored
 * with the audit row, shown by pledgectl): keep intent_rule_name in step.
 */
enum intent_rule {
	RULE_WITHDRAW_KEYWORD = 0, /* withdraw */
	RULE_NO_WORD,		   /* decline */
	RULE_REFUSAL_PHRASE,
	RULE_NEGATED_ASK,
	RULE_QUESTION, /* review */
	RULE_DEFERRAL,
	RULE_HEDGE,
	RULE_CONDITION,
	RULE_MIXED,
	RULE_NEGATION, /* a negation that attaches to nothing known */
	RULE_EMPTY,    /* confirm */
	RULE_IDIOM,
	RULE_YES_WORD,
	RULE_NEUTRAL,  /* review: words that are none of the above */
	RULE_COURTESY, /* confirm: greetings, thanks, a name, nothing else */
};

/* "withdraw-keyword", "no-word", "refusal-phrase", "negated-ask", ... */
const char *intent_rule_name(enum intent_rule);

/* A set of phrases: the built-in table plus whatever was added. */
struct intent_phrases;

/*
 * The built-in table alone.  NULL on memory exhaustion (logged).  Free
 * with intent_phrases_free.
 */
struct intent_phrases *intent_phrases_new(void);
void intent_phrases_free(struct intent_phrases *);

/*
 * Add the phrases of the file at 'path' (same format as the built-in
 * table).  Every bad line is reported on 'err' as "PATH:LINE: message"
 * and reading goes on; returns 0 when the file was read without error,
 * -1 otherwise (unreadable file: "PATH: strerror").  Lines over 1024
 * bytes are errors, never truncated.
 */
int intent_phrases_load(struct intent_phrases *, const char *path, FILE *err);

/*
 * Add the sentences of a request text (a template: placeholders such as
 * "{name}" as written) to the request class, so that a reply repeating
 * them unquoted never supplies a yes- or a no-word.  The text is cut at
 * sentence and clause marks, blank lines and placeholders; pieces of
 * one word are left out (a "Hello" of the artist's own
 * must still count).  Returns 0, or -1 on memory exhaustion (logged).
 */
int intent_phrases_add_request(
    struct intent_phrases *, const char *text, size_t len);

/* Words from the configuration, all borrowed for the call. */
struct intent_keywords {
	char *const *withdraw;
	size_t n_withdraw;
	char *const *yes;
	size_t n_yes;
	char *const *no;
	size_t n_no;
	/*
	 * Who wrote the reply (the From display name and address, say), or
	 * NULL when unknown.  A sign-off's name ("Cheers, Anna") is read as
	 * courtesy only when its words are the writer's; with NULL, when it
	 * is one to three capitalized words that end the reply.
	 */
	const char *writer;
};

struct intent_result {
	enum intent_decision decision;
	enum intent_rule rule;
};

/*
 * Decide the own text own[0..len) (UTF-8, may hold anything).  'ph' NULL
 * means the built-in table (built once, then shared); 'kw' may be NULL.
 * Never fails: when memory runs out the answer is review (RULE_HEDGE), so
 * that nothing is counted on a guess.
 */
void intent_decide(const struct intent_phrases *ph,
    const struct intent_keywords *kw, const char *own, size_t len,
    struct intent_result *out);

/*
 * The own text without the lines intent never reads ("Sent from my ...",
 * disclaimers, list footers): a new string, or NULL on memory exhaustion.
 * classify reads withdrawals in this text.
 */
char *intent_own_words(
    const struct intent_phrases *ph, const char *own, size_t len);

#endif
