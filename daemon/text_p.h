/*
 * text module internals shared by text.c, text_html.c, text_quote.c and
 * text_token.c (and their tests): a bounded growable buffer, UTF-8
 * decoding, and the case folding and word classes every matcher uses.
 */
#ifndef PLEDGED_TEXT_P_H
#define PLEDGED_TEXT_P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer that never grows past 'max' bytes (plus the NUL):
 * appends beyond that are dropped and 'full' is set.  'oom' is set (and
 * logged once) when an allocation fails; later appends are dropped.
 */
struct tbuf {
	char *p;
	size_t len, cap, max;
	bool full, oom;
};

void tbuf_init(struct tbuf *b, size_t max);
void tbuf_add(struct tbuf *b, const char *s, size_t n);
void tbuf_addc(struct tbuf *b, char c);
/* Encode code point 'cp' (U+FFFD when invalid) as UTF-8. */
void tbuf_add_cp(struct tbuf *b, uint32_t cp);
/* NUL-terminate and hand over the string (NULL after oom); resets b. */
char *tbuf_take(struct tbuf *b);
void tbuf_free(struct tbuf *b);

/*
 * Decode one UTF-8 sequence at s[0..n); *adv gets its length (1 for an
 * invalid byte, which decodes as U+FFFD).  n must be > 0.
 */
uint32_t text_utf8_decode(const unsigned char *s, size_t n, size_t *adv);
/* The code point that ends just before s[i] (0 at the start). */
uint32_t text_utf8_before(const unsigned char *s, size_t i);

/* Letters and digits for word boundaries (see text_has_keyword). */
bool text_is_word_cp(uint32_t cp);
/* ' ', '\t', '\r', '\n', '\f', '\v' and U+00A0 is handled by callers. */
bool text_is_space(unsigned char c);
bool text_is_b64url(unsigned char c);

/*
 * Match the folded pattern 'pat' (NUL-terminated, lower case) at s[i..n)
 * ignoring ASCII and Latin-1 case; a space in 'pat' matches one or more
 * white-space bytes.  Returns the end index of the match, or 0 when it
 * does not match (a match always ends after i).
 */
size_t text_match_fold(const char *s, size_t n, size_t i, const char *pat);

/*
 * Whether s[i..n) starts an "ignore this" chunk for words: a URL or an
 * address.  'start' and 'end' bound the white-space-delimited chunk that
 * holds position i.
 */
bool text_in_url(const char *s, size_t n, size_t i);

#endif
