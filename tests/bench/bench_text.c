/*
 * Benchmark for the text module: throughput of each function over
 * ordinary and hostile inputs of 1 MiB, to show that every function stays
 * linear (no input should take more than a fraction of a second).
 *
 *   build/bench_text [MiB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pledged/text.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 'size' bytes of 'unit' repeated. */
static char *
fill(const char *unit, size_t size)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < size; i++)
		s[i] = unit[i % ul];
	s[size] = '\0';
	return s;
}

static void
run(const char *name, const char *s, size_t n)
{
	char *const kw[] = {"no", "withdraw", "not interested"};
	struct text_tokens tok = {0};
	struct text_split sp;
	char jti[65], *h;
	double t0, t[7];
	size_t len = n;

	t0 = now();
	h = text_from_html(s, n);
	t[0] = now() - t0;
	t0 = now();
	text_split_reply(s, n, &sp);
	t[1] = now() - t0;
	t0 = now();
	text_find_tokens(s, n, &tok);
	t[2] = now() - t0;
	t0 = now();
	(void)text_has_keyword(s, n, kw, 3);
	t[3] = now() - t0;
	t0 = now();
	(void)text_is_question(s, n);
	t[4] = now() - t0;
	t0 = now();
	(void)text_subject_strip(s, &len);
	(void)text_find_ref(s, n, jti);
	(void)text_is_autoreply_subject(s, n);
	(void)text_is_bounce_subject(s, n);
	t[5] = now() - t0;
	printf("%-22s html %7.3f  split %7.3f  tokens %7.3f  keyword %7.3f  "
	       "question %7.3f  subject %7.3f s\n",
	    name, t[0], t[1], t[2], t[3], t[4], t[5]);
	free(h);
	text_split_free(&sp);
	text_tokens_free(&tok);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name, *unit;
	} inputs[] = {
	    {"prose", "Yes, I confirm. Thank you for organising this!\n"},
	    {"quoted", "> On Mon, 1 Jan 2024, A <a@b.c> wrote:\n> text\n"},
	    {"attribution-lines",
		"On Mon, 1 Jan 2024 at 10:00, A <a@b.c> wrote:\n"},
	    {"header-lines", "From: a\nSent: b\nTo: c\n"},
	    {"long-line-colon", "Le 1 2 3 a@b <x@y> wrote on and on and on "},
	    {"tokens", "v4.public."},
	    {"token-wrap", "v4.public.AAAA\n> BBBB\n"},
	    {"percent", "%25%32%35v4%2Epublic%2E"},
	    {"proofpoint", "/v2/url?u=-2D_"},
	    {"keywords-url", "no-no-no-https://no/"},
	    {"questions", "? ? ?? ?x "},
	    {"tags", "<blockquote><div class=gmail_quote><a href=x>"},
	    {"entities", "&#x10FFFF;&amp;&bogus;&#"},
	    {"spaces", "                "},
	};
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1, i;
	size_t n = (mib ? mib : 1) << 20;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *s = fill(inputs[i].unit, n);

		run(inputs[i].name, s, n);
		free(s);
	}
	return 0;
}
