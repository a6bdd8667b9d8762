/*
 * libFuzzer target for the text module: every function over arbitrary
 * bytes.  The first byte picks nothing; all functions run on every input,
 * and the output of text_from_html is fed to the splitter and the token
 * finder as the classifier does.  Checks the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *const kw[] = {"no", "withdraw", "sí", "not interested", ""};
	struct text_tokens tok = {0};
	struct text_split sp;
	char jti[65], *html;
	const char *stripped;
	size_t len = size, i;

	html = text_from_html(s, size);
	if (html != NULL) {
		if (strlen(html) > 2 * size + 64)
			abort();
		text_split_reply(html, strlen(html), &sp);
		if (sp.own != NULL) {
			(void)text_has_keyword(sp.own, strlen(sp.own), kw, 5);
			(void)text_is_question(sp.own, strlen(sp.own));
		}
		text_split_free(&sp);
		text_find_tokens(html, strlen(html), &tok);
		free(html);
	}
	text_split_reply(s, size, &sp);
	if (sp.own != NULL &&
	    (strlen(sp.own) > size || strlen(sp.quoted) > size))
		abort();
	text_split_free(&sp);
	text_find_tokens(s, size, &tok);
	if (tok.n > TEXT_TOKENS_MAX)
		abort();
	for (i = 0; i < tok.n; i++)
		if (strlen(tok.items[i]) > TEXT_TOKEN_LEN_MAX ||
		    strncmp(tok.items[i], "v4.public.", 10) != 0)
			abort();
	text_tokens_free(&tok);

	stripped = text_subject_strip(s, &len);
	if (stripped < s || stripped + len > s + size)
		abort();
	if (text_find_ref(s, size, jti) &&
	    (strlen(jti) < 8 || strlen(jti) > 64))
		abort();
	(void)text_has_keyword(s, size, kw, 5);
	(void)text_is_question(s, size);
	(void)text_is_autoreply_subject(s, size);
	(void)text_is_bounce_subject(s, size);
	return 0;
}
