/*
 * libFuzzer target for the intent module: arbitrary bytes as a reply's own
 * text (NUL bytes and invalid UTF-8 included) and, split at the first
 * NUL, as a phrase line.  Checks that a decision and a rule always come
 * back with names, and that the own words never grow.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *yes[] = {"yes", "s\xc3\xad"}, *no[] = {"no", ""},
	     *wd[] = {"withdraw"};
	const struct intent_keywords kw = {wd, 1, yes, 2, no, 2, NULL};
	const char *s = (const char *)data;
	struct intent_result r;
	char *words;

	intent_decide(NULL, &kw, s, size, &r);
	if (intent_decision_name(r.decision) == NULL ||
	    intent_rule_name(r.rule) == NULL)
		abort();
	words = intent_own_words(NULL, s, size);
	if (words != NULL && strlen(words) > size)
		abort();
	free(words);
	return 0;
}
