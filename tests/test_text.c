/*
 * Unit tests for text: HTML to text, reply splitting against the
 * corpus of real replies, token candidates from crafted mangled replies,
 * subjects, keywords and questions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/text.h"
#include "testutil.h"

#define CORPUS TU_DATA "/corpus/"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char *
corpus_file(const char *rel, size_t *len)
{
	char *path = tu_asprintf("%s%s", CORPUS, rel);
	char *data = tu_read_file(path, len);

	free(path);
	return data;
}

/* The corpus files of one kind in INDEX.tsv, as a count. */
static size_t
index_count(const char *kind)
{
	size_t len, count = 0;
	char *idx = corpus_file("INDEX.tsv", &len), *line, *save = NULL;

	for (line = strtok_r(idx, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');

		if (tab != NULL && strncmp(tab + 1, kind, strlen(kind)) == 0 &&
		    tab[1 + strlen(kind)] == '\t')
			count++;
	}
	free(idx);
	return count;
}

/* Reply bodies: a phrase of the writer's and one of the quote. */
struct body_case {
	const char *file;
	const char *own;   /* must be in the own text */
	const char *quote; /* must be in the quoted part, not the own text */
};

#define CR "crisp-email-reply-parser/fixtures/"
#define DI "discourse-email_reply_trimmer/emails/"

static const struct body_case body_cases[] = {
    {CR "email_finnish.txt", "nec nec nibh.", "Thanks!"},
    {CR "email_german_outlook.txt", "nec nec nibh.", "original message"},
    {CR "email_gmail_split_line_from.txt", "Fusce bibendum", "Respond"},
    {CR "email_ios_outlook.txt", "Get Outlook for iOS", "Chauffeur"},
    {CR "email_ios_outlook_fr.txt", "Fusce bibendum", "Etiam non sagittis"},
    {CR "email_msn.txt", "nec nec nibh.", "Republic Transport"},
    {CR "email_norwegian_gmail.txt", "nec nec nibh.", "skrev Test user"},
    {CR "email_outlook_split_line_from.txt", "Fusce", "Human Resources"},
    {CR "email_russian.txt", "nec nec nibh.", "\xd0\xbf\xd1\x80\xd0\xb8"},
    {CR "email_zoho.txt", "Riak bucket", "Java sucks"},
    {DI "email_headers_1.txt", "reply from Outlook!", "random text"},
    {DI "email_headers_3.txt", "the actual reply.", "important stuff"},
    {DI "email_headers_4.txt", "test", "Sally54721"},
    {DI "embedded_email_chinese.txt", "Thank you for your reply.",
	"Some random question"},
    {DI "embedded_email_dutch_1.txt", "Could you make a PR?", "VannillaSky"},
    {DI "embedded_email_french_1.txt", "C'est super !", "Neil Lalonde"},
    {DI "embedded_email_french_2.txt", "Thanks for your answer.",
	"Hello French guy"},
    {DI "embedded_email_german_1.txt", "alright, no big deal",
	"codinghorror posted"},
    {DI "embedded_email_german_4.txt", "I am replying", "Max Mustermann"},
    {DI "embedded_email_italian.txt", "Ok, will do.", "Sam Saffron"},
    {DI "embedded_email_norwegian.txt", "Thanx :-)", "Enable tags"},
    {DI "embedded_email_polish_1.txt", "forgot to add. MIT", "Michael Downey"},
    {DI "embedded_email_portuguese.txt", "estamos ai.", "Bom dia"},
    {DI "embedded_email_russian_1.txt", "Why don't you override", "winterbox"},
    {DI "embedded_email_spanish_1.txt", "Twitter Authentication",
	"How are you creating this user?"},
    {DI "embedded_email_swedish.txt", "Some One", "Skickat"},
    {DI "forwarded_apple.txt", "forwarded from Apple Mail", "Lorem ipsum"},
    {DI "forwarded_gmail.txt", "forwarded from Gmail", "Lorem ipsum"},
    {DI "usenet.txt", "Mal sehen", "John Doe"},
};

static void
test_corpus_bodies(void **state)
{
	size_t i, len;

	(void)state;
	assert_int_equal(ARRAY_LEN(body_cases), index_count("reply-body-only"));
	for (i = 0; i < ARRAY_LEN(body_cases); i++) {
		const struct body_case *c = &body_cases[i];
		char *data = corpus_file(c->file, &len);
		struct text_split sp;

		text_split_reply(data, len, &sp);
		assert_non_null(sp.own);
		assert_non_null(sp.quoted);
		if (strstr(sp.own, c->own) == NULL ||
		    strstr(sp.own, c->quote) != NULL ||
		    strstr(sp.quoted, c->quote) == NULL)
			fail_msg("%s: own text:\n%s\n-- quoted:\n%s", c->file,
			    sp.own, sp.quoted);
		text_split_free(&sp);
		text_split_free(&sp); /* twice is harmless */
		free(data);
	}
}

/*
 * The Discourse notifications whose only "unsubscribe" is in the quoted
 * footer: a withdrawal keyword must not match the own text.
 */
static const char *const unsubscribe_bodies[] = {
    DI "embedded_email_dutch_1.txt",
    DI "embedded_email_german_1.txt",
    DI "embedded_email_german_4.txt",
    DI "embedded_email_italian.txt",
    DI "embedded_email_polish_1.txt",
    DI "embedded_email_portuguese.txt",
    DI "embedded_email_russian_1.txt",
    DI "embedded_email_spanish_1.txt",
};

static void
test_corpus_unsubscribe(void **state)
{
	char *const kw[] = {"unsubscribe", "withdraw"};
	size_t i, len;

	(void)state;
	for (i = 0; i < ARRAY_LEN(unsubscribe_bodies); i++) {
		char *data = corpus_file(unsubscribe_bodies[i], &len);
		struct text_split sp;

		assert_true(text_has_keyword(data, len, kw, 2));
		text_split_reply(data, len, &sp);
		if (text_has_keyword(sp.own, strlen(sp.own), kw, 2) ||
		    strcasestr(sp.own, "unsubscribe") != NULL)
			fail_msg(
			    "%s: own text:\n%s", unsubscribe_bodies[i], sp.own);
		text_split_free(&sp);
		free(data);
	}
}

struct html_case {
	const char *file;
	const char *own;    /* kept, and in the own text */
	const char *quote;  /* kept, and not in the own text */
	const char *marked; /* on a '>' line, when the client marks quotes */
};

static const struct html_case html_cases[] = {
    {"talon/OLK_SRC_BODY_SECTION.html", "Reply", "Subject: Test", "From: Bob"},
    {"talon/html_replies/gmail.html", "Hi. I am fine.", "How are you?",
	"How are you?"},
    {"talon/html_replies/hotmail.html", "Hi. I am fine.", "How are you?",
	"How are you?"},
    {"talon/html_replies/mail_ru.html", "Hi. I am fine.", "How are you?",
	"How are you?"},
    {"talon/html_replies/ms_outlook_2003.html", "Hi. I am fine.",
	"How are you?", NULL},
    {"talon/html_replies/ms_outlook_2007.html", "Hi. I am fine.",
	"How are you?", "How are you?"},
    {"talon/html_replies/ms_outlook_2010.html", "Hi. I am fine.",
	"How are you?", NULL},
    {"talon/html_replies/thunderbird.html", "Hi. I am fine.", "How are you?",
	"How are you?"},
    {"talon/html_replies/windows_mail.html", "Hi. I am fine.", "How are you?",
	NULL},
    {"talon/html_replies/yandex_ru.html", "Hi. I am fine.", "How are you?",
	"How are you?"},
    {"talon/reply-separated-by-hr.html", "there", "Subject: Hello", NULL},
};

/* Is 'needle' on a line of 'text' that starts with '>'? */
static bool
on_quoted_line(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *bol;

	if (p == NULL)
		return false;
	for (bol = p; bol > text && bol[-1] != '\n'; bol--)
		;
	return bol[0] == '>';
}

static void
test_corpus_html(void **state)
{
	size_t i, len;

	(void)state;
	assert_int_equal(
	    ARRAY_LEN(html_cases), index_count("reply-html-fragment"));
	for (i = 0; i < ARRAY_LEN(html_cases); i++) {
		const struct html_case *c = &html_cases[i];
		char *data = corpus_file(c->file, &len), *text;
		struct text_split sp;

		text = text_from_html(data, len);
		assert_non_null(text);
		assert_true(strlen(text) <= 2 * len + 64);
		assert_null(strstr(text, "<div"));
		assert_null(strstr(text, "font-family"));
		text_split_reply(text, strlen(text), &sp);
		if (strstr(text, c->quote) == NULL ||
		    strstr(sp.own, c->own) == NULL ||
		    strstr(sp.own, c->quote) != NULL ||
		    (c->marked != NULL && !on_quoted_line(text, c->marked)))
			fail_msg("%s: text:\n%s\n-- own:\n%s", c->file, text,
			    sp.own);
		text_split_free(&sp);
		free(text);
		free(data);
	}
}

struct str_case {
	const char *in;
	const char *out;
};

static void
test_html_crafted(void **state)
{
	static const struct str_case cases[] = {
	    {"a&amp;b &lt;c&gt; &#65;&#x42;&#X43; &quot;", "a&b <c> ABC \""},
	    {"&#0;|&#xD800;|&#99999999999;|&#x110000;",
		"\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd"},
	    {"&bogus; & &#; &eacute;t&Eacute;",
		"&bogus; & &#; \xc3\xa9t\xc3\x89"},
	    {"<script>no()</script><style>.x{}</style>yes", "yes"},
	    {"<html><head><title>t</title></head><body>b</body>", "b"},
	    {"<!-- hidden --><!-- <p>also -->shown", "shown"},
	    {"one<br>two<p>three</p><div>four</div>", "one\ntwo\nthree\nfour"},
	    {"  lots   of\n\t space  ", "lots of space"},
	    {"<pre>a  b\nc</pre>", "a  b\nc"},
	    {"<a href=\"https://x.org/c?t=1&amp;u=2\">go</a> on",
		"go <https://x.org/c?t=1&u=2> on"},
	    {"<a href='mailto:a@b.c'>a@b.c</a>", "a@b.c"},
	    {"<img src=\"https://x.org/i.png\"><img src=\"cid:x\">",
		"<https://x.org/i.png>"},
	    {"mine<blockquote type=\"cite\">theirs<blockquote>deeper"
	     "</blockquote>back</blockquote>mine again",
		"mine\n> theirs\n>> deeper\n> back\nmine again"},
	    {"x<div class=\"gmail_quote\">On Mon wrote:<br>q</div>y",
		"x\n> On Mon wrote:\n> q\ny"},
	    {"x<div class=\"yahoo_quoted\">q</div>", "x\n> q"},
	    {"yes<div id=\"appendonsend\"></div><hr><div>From: a</div>"
	     "<div>q</div>",
		"yes\n> From: a\n> q"},
	    {"a<b", "a"},
	    {"I <3 you", "I <3 you"},
	    {"a < b", "a < b"},
	    {"x<p", "x"},
	    {"<div", ""},
	    {"t<a href=\"unterminated>z", "t <unterminated>z>"},
	    /* Entity names are measured first: no look-up for lone '&'. */
	    {"&&&amp&amp;&thinspx;&hellip;&", "&&&amp&&thinspx;\xe2\x80\xa6&"},
	    /* The look-ahead for </head> is remembered, answers unchanged. */
	    {"<head>t<body>a<head>u</head>b<head>v<body>c<head>w", "ab\nc"},
	    /* An end tag naming nothing open leaves the quotes as they are;
	       one naming an open quote closes it and what it holds. */
	    {"<blockquote>q</x></b></div>r<span><i>s</blockquote>t",
		"> q\n> rs\nt"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		char *out = text_from_html(cases[i].in, strlen(cases[i].in));

		assert_non_null(out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("html %zu: %s\n got: [%s]\nwant: [%s]", i,
			    cases[i].in, out, cases[i].out);
		free(out);
	}
}

static void
test_html_bounds(void **state)
{
	char *in = malloc(200000), *out;
	size_t n = 0, i;

	(void)state;
	assert_non_null(in);
	for (i = 0; i < 1000; i++) {
		memcpy(in + n, "<blockquote>", 12);
		n += 12;
	}
	for (i = 0; i < 5000; i++) {
		memcpy(in + n, "<br>x&#1;", 9);
		n += 9;
	}
	in[n++] = '\0'; /* a NUL byte inside the input */
	memcpy(in + n, "tail", 4);
	n += 4;
	out = text_from_html(in, n);
	assert_non_null(out);
	assert_true(strlen(out) <= 2 * n + 64);
	free(out);
	out = text_from_html(NULL, 0);
	assert_string_equal(out, "");
	free(out);
	free(in);
}

struct split_case {
	const char *in, *own;
};

static void
test_split_crafted(void **state)
{
	static const struct split_case cases[] = {
	    {"Yes\n\nOn Mon, 1 Jan 2024, A <a@b.c> wrote:\n> token\n", "Yes"},
	    {"> q1\nanswer one\n>q2\n  > q3\nanswer two\n",
		"answer one\nanswer two"},
	    {"On Mon, 1 Jan 2024 at 10:00, A <a@b.c> wrote:\n> q\n\nBottom\n",
		"Bottom"},
	    {"Yes\nOn Mon, A wrote:\nthe original, unquoted\n", "Yes"},
	    /* POSIX mailx, bsd-mailx, s-nail: a TAB-indented quote below
	     * the attribution; the answer below it is own text. */
	    {"On Tue, 01 Dec 2026 10:02, A <a@b.c> wrote:\n\tHello Ana,\n"
	     "\t\n\tAnswer NO if you do not want to join.\n\n"
	     "No, I do not confirm.\n",
		"No, I do not confirm."},
	    {"Count me out\n\nOn Tue, 01 Dec 2026 10:02, A wrote:\n"
	     "    Hello Ana,\n\n    reply to confirm\n",
		"Count me out"},
	    /* s-nail: the answer right below the TAB quote. */
	    {"NoMusicForICE <pledges@example.org> wrote:\n\n\tHello Ana,\n"
	     "\t\n\tAnswer NO if you do not want to join.\n"
	     "No, I do not confirm.\n",
		"No, I do not confirm."},
	    /* s-nail's quote-fold: a folded quoted line ends in '\'. */
	    {"On Tue, 01 Dec 2026 10:02, A wrote:\n\tAnswer NO if you do "
	     "not\\\n\twant to join.\n\nNope\n",
		"Nope"},
	    {"On Mon, 1 Jan 2024, A <a@b.c> wrote:\n> Answer NO if you\\\n"
	     "do not want to join\n> bye\n\nNope\n",
		"Nope"},
	    {"Yes\n-- \nJohn\nwithdraw\n", "Yes"},
	    {"Yes\n--\nJohn\n", "Yes"},
	    {"No\r\n\r\n-----Original Message-----\r\nFrom: x\r\n", "No"},
	    {"Ok\n-------- Message d'origine --------\nDe : x\n", "Ok"},
	    {"Ok\n________________________________\nDe : A\nEnvoyé : hier\n"
	     "À : B\nObjet : C\n",
		"Ok"},
	    {"No thanks\nJohn <j@x.org> schrieb am 1.2.2024:\n> q\n",
		"No thanks"},
	    {"Sure\nAm 01.02.2024 um 10:00 schrieb A <a@b.c>:\n\n> q\n",
		"Sure"},
	    {"Oui\nLe lun. 1 janv. 2024 à 10:00, A <a@b.c> a écrit :\n> q\n",
		"Oui"},
	    {"Sí\nEl lun, 1 ene 2024 a las 10:00, A (<a@b.c>) escribió:\n> q\n",
		"Sí"},
	    {"Sì\nIl giorno lun 1 gen 2024 alle ore 10:00 A <a@b.c> ha "
	     "scritto:\n> q\n",
		"Sì"},
	    {"Ja\nOp ma 1 jan. 2024 om 10:00 schreef A <a@b.c>:\n> q\n", "Ja"},
	    {"Sim\nEm seg., 1 de jan. de 2024 às 10:00, A <a@b.c> escreveu:\n"
	     "> q\n",
		"Sim"},
	    {"Tak\nW dniu 1.01.2024 o 10:00, A pisze:\n> q\n", "Tak"},
	    {"好\n在 2024年1月1日，A <a@b.c> 写道：\n> q\n", "好"},
	    {"I wrote this: it is fine\nand more\n",
		"I wrote this: it is fine\nand more"},
	    {"From: me\nI confirm\n", "From: me\nI confirm"},
	    {"", ""},
	    {"\n\n\n", ""},
	    {"> only quote\n", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct text_split sp;

		text_split_reply(cases[i].in, strlen(cases[i].in), &sp);
		assert_non_null(sp.own);
		if (strcmp(sp.own, cases[i].own) != 0)
			fail_msg("split %zu: got [%s] want [%s]", i, sp.own,
			    cases[i].own);
		text_split_free(&sp);
	}
}

static void
test_split_nul(void **state)
{
	static const char in[] = "a\0b\n> q\0\n";
	struct text_split sp;

	(void)state;
	text_split_reply(in, sizeof(in) - 1, &sp);
	assert_string_equal(sp.own, "a b");
	assert_string_equal(sp.quoted, "> q ");
	text_split_free(&sp);
}

/* Tokens: deterministic token-shaped strings. */
static char *
fake_token(int seed, bool footer)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char body[131], foot[41];
	unsigned v = (unsigned)seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < 130; i++) {
		v = v * 1103515245u + 12345u;
		body[i] = b64[(v >> 16) & 63];
	}
	body[130] = '\0';
	for (i = 0; i < 40; i++) {
		v = v * 1103515245u + 12345u;
		foot[i] = b64[(v >> 16) & 63];
	}
	foot[40] = '\0';
	return footer ? tu_asprintf("v4.public.%s.%s", body, foot)
		      : tu_asprintf("v4.public.%s", body);
}

static bool
has_item(const struct text_tokens *t, const char *s)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->items[i], s) == 0)
			return true;
	return false;
}

/* 'tok' hard-wrapped: first line 'first' bytes, then 'width' a line. */
static char *
wrap(const char *lead, const char *tok, size_t first, size_t width,
    const char *prefix, const char *tail)
{
	size_t n = strlen(tok), i;
	char *out = tu_asprintf("%s%s%.*s", prefix, lead, (int)first, tok), *t;

	for (i = first; i < n; i += width) {
		t = tu_asprintf("%s\n%s%.*s", out, prefix, (int)width, tok + i);
		free(out);
		out = t;
	}
	t = tu_asprintf("%s%s", out, tail);
	free(out);
	return t;
}

static void
expect_token(const char *text, const char *tok, const char *what)
{
	struct text_tokens t = {0};

	text_find_tokens(text, strlen(text), &t);
	if (!has_item(&t, tok)) {
		size_t i;

		for (i = 0; i < t.n; i++)
			fprintf(stderr, "  candidate %zu: %s\n", i, t.items[i]);
		fail_msg("%s: token not found in:\n%s", what, text);
	}
	assert_true(t.n <= TEXT_TOKENS_MAX);
	text_tokens_free(&t);
}

static void
test_tokens_plain(void **state)
{
	char *tok = fake_token(1, true), *tok2 = fake_token(2, false), *s;
	struct text_tokens t = {0};

	(void)state;
	s = tu_asprintf("Please confirm:\n\n%s\n\nThanks", tok);
	text_find_tokens(s, strlen(s), &t);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.items[0], tok);
	/* Called again over the same text: nothing new. */
	text_find_tokens(s, strlen(s), &t);
	assert_int_equal(t.n, 1);
	text_tokens_free(&t);
	text_tokens_free(&t);
	free(s);

	s = tu_asprintf("Your token is %s.", tok);
	expect_token(s, tok, "trailing period");
	free(s);
	s = tu_asprintf("(see %s)", tok2);
	expect_token(s, tok2, "parenthesis");
	free(s);
	s = tu_asprintf("<%s>", tok);
	expect_token(s, tok, "angle brackets");
	free(s);
	s = tu_asprintf("%s\nThanks, Ann", tok);
	expect_token(s, tok, "word on the next line");
	free(s);

	s = tu_asprintf("first %s and second\n> %s\n", tok, tok2);
	text_find_tokens(s, strlen(s), &t);
	assert_true(has_item(&t, tok));
	assert_true(has_item(&t, tok2));
	text_tokens_free(&t);
	free(s);

	/* Not a token: empty body, other version. */
	s = tu_asprintf(
	    "v4.public. and v3.public.%s and v4.local.abc", tok + 10);
	text_find_tokens(s, strlen(s), &t);
	assert_int_equal(t.n, 0);
	text_tokens_free(&t);
	free(s);
	free(tok);
	free(tok2);
}

static void
test_tokens_wrapped(void **state)
{
	static const struct {
		const char *prefix;
		size_t width;
	} wraps[] = {
	    {"", 72},
	    {"", 76},
	    {"> ", 70},
	    {"> ", 74},
	    {">> ", 69},
	    {">", 75},
	    {"> > ", 68},
	};
	char *tok = fake_token(3, true), *tok2 = fake_token(4, false), *s;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(wraps); i++) {
		size_t w = wraps[i].width;

		s = wrap(
		    "Token: ", tok, w - 7, w, wraps[i].prefix, "\n\nThanks\n");
		expect_token(s, tok, "wrapped");
		free(s);
		/* The word after it on the same last line. */
		s = wrap("", tok2, w, w, wraps[i].prefix, " thanks\nbye\n");
		expect_token(s, tok2, "wrapped, words after");
		free(s);
		/* Followed directly by a line of text. */
		s = wrap("", tok2, w, w, wraps[i].prefix, "\nRegards\n");
		expect_token(s, tok2, "wrapped, text below");
		free(s);
	}
	/* s-nail's quote-fold: TAB-indented, a '\' ends each folded line. */
	s = tu_asprintf(
	    "\t%.*s\\\n\t%.*s\\\n\t%s\n", 50, tok, 50, tok + 50, tok + 100);
	expect_token(s, tok, "folded with a trailing backslash");
	free(s);
	/* Wrapped right after the footer's dot. */
	s = tu_asprintf(
	    "%.*s\n%s\n", (int)(strlen(tok) - 40), tok, tok + strlen(tok) - 40);
	expect_token(s, tok, "wrapped at the footer dot");
	free(s);
	/* CRLF line ends. */
	s = tu_asprintf("%.*s\r\n> %s\r\n", 60, tok2, tok2 + 60);
	expect_token(s, tok2, "CRLF");
	free(s);
	free(tok);
	free(tok2);
}

static void
test_tokens_links(void **state)
{
	char *tok = fake_token(5, true), *s, *html, *enc;
	size_t i, o;

	(void)state;
	html = tu_asprintf("<p>Confirm <a href=\"https://x.org/c?t=%s\">here"
			   "</a></p>",
	    tok);
	s = text_from_html(html, strlen(html));
	expect_token(s, tok, "href via text_from_html");
	expect_token(html, tok, "raw html");
	free(s);
	free(html);

	/* SafeLinks, with the token's dots percent-encoded too. */
	enc = malloc(3 * strlen(tok) + 1);
	assert_non_null(enc);
	for (i = 0, o = 0; tok[i] != '\0'; i++) {
		if (tok[i] == '.') {
			memcpy(enc + o, "%2E", 3);
			o += 3;
		} else {
			enc[o++] = tok[i];
		}
	}
	enc[o] = '\0';
	s = tu_asprintf("https://eur01.safelinks.protection.outlook.com/?url="
			"https%%3A%%2F%%2Fx.org%%2Fc%%3Ft%%3D%s&data=05%%7C01",
	    enc);
	expect_token(s, tok, "safelinks");
	free(s);
	/* Double encoding: every '%' of the above as "%25". */
	{
		char *single =
		    tu_asprintf("?url=https%%3A%%2F%%2Fx.org%%2Fc%%3Ft"
				"%%3D%s&data=1",
			enc);
		char *dbl = malloc(3 * strlen(single) + 1);

		assert_non_null(dbl);
		for (i = 0, o = 0; single[i] != '\0'; i++) {
			dbl[o++] = single[i];
			if (single[i] == '%') {
				dbl[o++] = '2';
				dbl[o++] = '5';
			}
		}
		dbl[o] = '\0';
		expect_token(dbl, tok, "double safelinks");
		free(dbl);
		free(single);
	}
	free(enc);

	/* urldefense v3. */
	s = tu_asprintf("https://urldefense.com/v3/__https://x.org/c?t=%s__;!!"
			"ABC$",
	    tok);
	expect_token(s, tok, "urldefense v3");
	free(s);
	free(tok);

	/* Proofpoint v2: '-' as -2D, '_' as -5F, '/' as '_'. */
	{
		const char *pp_tok = "v4.public.ab-cd_ef0123456789";
		s = tu_asprintf("https://urldefense.proofpoint.com/v2/url?u="
				"https-3A__x.org_c-3Ft-3D"
				"v4.public.ab-2Dcd-5Fef0123456789&d=DwMF");
		expect_token(s, pp_tok, "proofpoint v2");
		free(s);
	}
}

static void
test_tokens_not_repaired(void **state)
{
	struct text_tokens t = {0};
	const char *s = "v4.public.AAAA=\nBBBB\nv4.public.CCCC3D\n";
	size_t i;

	(void)state;
	text_find_tokens(s, strlen(s), &t);
	assert_true(has_item(&t, "v4.public.AAAA"));
	assert_false(has_item(&t, "v4.public.AAAABBBB"));
	assert_true(has_item(&t, "v4.public.CCCC3D"));
	for (i = 0; i < t.n; i++)
		assert_null(strchr(t.items[i], '='));
	text_tokens_free(&t);
}

static void
test_tokens_limits(void **state)
{
	struct text_tokens t = {0};
	char *big = malloc(20000), *s;
	int i;

	(void)state;
	assert_non_null(big);
	memcpy(big, "v4.public.", 10);
	memset(big + 10, 'A', 9990);
	big[10000] = '\0';
	text_find_tokens(big, strlen(big), &t);
	assert_int_equal(t.n, 0);
	for (i = 0; i < 100; i++) {
		s = fake_token(100 + i, false);
		text_find_tokens(s, strlen(s), &t);
		free(s);
	}
	assert_int_equal(t.n, TEXT_TOKENS_MAX);
	for (i = 0; i < (int)t.n; i++)
		assert_true(strlen(t.items[i]) <= TEXT_TOKEN_LEN_MAX);
	text_tokens_free(&t);
	/* A wrap that goes on and on stops after TEXT_TOKEN_WRAP_LINES. */
	s = fake_token(7, false);
	{
		size_t o = strlen(s);

		memcpy(big, s, o);
		big[o++] = '\n';
		for (i = 0; i < 30; i++) {
			memcpy(big + o, "> ABCDEFGH\n", 11);
			o += 11;
		}
		big[o] = '\0';
	}
	text_find_tokens(big, strlen(big), &t);
	assert_int_equal(t.n, TEXT_TOKEN_WRAP_LINES + 1);
	assert_true(has_item(&t, s));
	text_tokens_free(&t);
	free(s);
	free(big);
}

static void
test_subject_strip(void **state)
{
	static const struct str_case cases[] = {
	    {"Re: Fwd: hello", "hello"},
	    {"RE: AW: SV: VS: hello", "hello"},
	    {"Re[2]: hello", "hello"},
	    {"Re(3): hello", "hello"},
	    {"re:Re:RE:hello", "hello"},
	    {"[EXTERNAL] Re: hello", "hello"},
	    {"Re: [External] FW: hello", "hello"},
	    {"*EXTERNAL* RE: hello", "hello"},
	    {"TR : hello", "hello"},
	    {"RIF: R: hello", "hello"},
	    {"WG: Antw: hello", "hello"},
	    {"Fwd: [ref:abcdefgh]", "[ref:abcdefgh]"},
	    {"\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a hello", "hello"},
	    {"  hello  ", "hello"},
	    {"Regarding the pledge", "Regarding the pledge"},
	    {"Reply: hello", "Reply: hello"},
	    {"Re", "Re"},
	    {"Re:", ""},
	    {"", ""},
	};
	size_t i, len;
	const char *p;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		len = strlen(cases[i].in);
		p = text_subject_strip(cases[i].in, &len);
		if (len != strlen(cases[i].out) ||
		    memcmp(p, cases[i].out, len) != 0)
			fail_msg("strip %zu: [%s] gave [%.*s]", i, cases[i].in,
			    (int)len, p);
	}
}

static void
test_find_ref(void **state)
{
	static const struct str_case cases[] = {
	    {"Please confirm [ref:abcdefghijklmnopqrstuvwxyz]",
		"abcdefghijklmnopqrstuvwxyz"},
	    {"RE: x [REF:ABCDEFGH]", "ABCDEFGH"},
	    {"[Ref: abc_def-12 ]", "abc_def-12"},
	    {"[ref:short] [ref:longenough]", "longenough"},
	    {"[ref:abc def12345]", NULL},
	    {"[ref:abcdefgh", NULL},
	    {"ref:abcdefgh]", NULL},
	    {"[ref:abcdefgh!]", NULL},
	    {"[ref:0123456789012345678901234567890123456789012345678901234567"
	     "890123]",
		"01234567890123456789012345678901234567890123456789012345678901"
		"23"},
	    {"[ref:0123456789012345678901234567890123456789012345678901234567"
	     "8901234]",
		NULL},
	};
	char jti[65];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		bool ok = text_find_ref(cases[i].in, strlen(cases[i].in), jti);

		if (ok != (cases[i].out != NULL) ||
		    (ok && strcmp(jti, cases[i].out) != 0))
			fail_msg("ref %zu: [%s] gave %d [%s]", i, cases[i].in,
			    ok, jti);
		if (!ok)
			assert_string_equal(jti, "");
	}
}

struct bool_case {
	const char *in;
	bool want;
};

static void
test_autoreply_subject(void **state)
{
	static const struct bool_case cases[] = {
	    {"Out of Office: Re: I pledge", true},
	    {"Out of office reply", true},
	    {"Automatic reply: I pledge", true},
	    {"Auto: Re: confirm", true},
	    {"Autoreply: x", true},
	    {"Auto reply: Nyaan", true},
	    {"AutoRespons :Nyaan", true},
	    {"Réponse automatique : x", true},
	    {"RÉPONSE AUTOMATIQUE : x", true},
	    {"Absence: John", true},
	    {"Abwesenheitsnotiz: x", true},
	    {"Automatische Antwort: x", true},
	    {"Respuesta automática: x", true},
	    {"Fuera de la oficina", true},
	    {"Risposta automatica: x", true},
	    {"Fora do escritório", true},
	    {"Resposta automática: x", true},
	    {"Afwezig: x", true},
	    {"Autosvar: x", true},
	    {"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94: x", true},
	    {"[EXTERNAL] Out of Office", true},
	    {"Away until May 5", true},
	    {"Re: absence of evidence", false},
	    {"Absence of evidence", false},
	    {"Re: Out of Office", false},
	    {"Automatically generated", false},
	    {"Auto parts", false},
	    {"Autobiography", false},
	    {"I pledge", false},
	    {"", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if (text_is_autoreply_subject(
			cases[i].in, strlen(cases[i].in)) != cases[i].want)
			fail_msg("autoreply %zu: [%s]", i, cases[i].in);
}

static void
test_bounce_subject(void **state)
{
	static const struct bool_case cases[] = {
	    {"Undeliverable: I pledge", true},
	    {"Undeliverable Mail", true},
	    {"Undelivered Mail Returned to Sender", true},
	    {"Delivery Status Notification (Failure)", true},
	    {"Delivery status notification: error", true},
	    {"Mail delivery failed: returning message to sender", true},
	    {"Returned mail: see transcript for details", true},
	    {"failure notice", true},
	    {"Failure Notice", true},
	    {"Delivery Failure", true},
	    {"DELIVERY FAILURE: ", true},
	    {"Mail System Error - Returned Mail", true},
	    {"Nondeliverable mail", true},
	    {"Unzustellbar: x", true},
	    {"Non remis : x", true},
	    {"Warning: could not send message for past 8 hours", true},
	    {"email delivery error", true},
	    {"[EXTERNAL] Undeliverable: x", true},
	    {"Re: Undeliverable", false},
	    {"Delivery of the album", false},
	    {"Returned to sender by the artist", false},
	    {"Failure is not an option", false},
	    {"Undeliverables", false},
	    {"I pledge", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if (text_is_bounce_subject(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("bounce %zu: [%s]", i, cases[i].in);
}

struct kw_case {
	const char *text;
	const char *kw;
	bool want;
};

static void
test_keywords(void **state)
{
	static const struct kw_case cases[] = {
	    {"I know", "no", false},
	    {"No.", "no", true},
	    {"NO!", "no", true},
	    {"no", "no", true},
	    {"well, no thanks", "no", true},
	    {"\xc2\xa1No!", "no", true},
	    {"\xe2\x80\x9cno\xe2\x80\x9d", "no", true},
	    {"nonsense", "no", false},
	    {"piano", "no", false},
	    {"Sí, claro", "sí", true},
	    {"SÍ", "sí", true},
	    {"si", "sí", false},
	    {"NÃO", "não", true},
	    {"não", "NÃO", true},
	    {"Nein danke", "nein", true},
	    {"keinesfalls nein.", "nein", true},
	    {"see https://x.org/withdraw now", "withdraw", false},
	    {"see <https://x.org/?no=1>", "no", false},
	    {"www.no.org", "no", false},
	    {"mail no@x.org", "no", false},
	    {"I withdraw. https://x.org/", "withdraw", true},
	    {"I am not\ninterested", "not interested", true},
	    {"I am nothing interested", "not interested", false},
	    {"x", "", false},
	    {"ñno", "no", false},
	    {"noñ", "no", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		char *const kw[] = {(char *)(uintptr_t)cases[i].kw};

		if (text_has_keyword(cases[i].text, strlen(cases[i].text), kw,
			1) != cases[i].want)
			fail_msg("keyword %zu: [%s] [%s]", i, cases[i].text,
			    cases[i].kw);
	}
	{
		char *const kws[] = {"yes", "oui", "withdraw"};

		assert_true(text_has_keyword("Oui!", 4, kws, 3));
		assert_false(text_has_keyword("yesterday", 9, kws, 3));
		assert_false(text_has_keyword(NULL, 0, kws, 3));
	}
}

static void
test_questions(void **state)
{
	static const struct bool_case cases[] = {
	    {"Is this real?", true},
	    {"what? no", true},
	    {"Really?!", true},
	    {"Vraiment ?", true},
	    {"Is it \"real?\"", true},
	    {"\xc2\xbf"
	     "De verdad?",
		true},
	    {"\xe6\x9c\xac\xe5\xbd\x93\xef\xbc\x9f", true},
	    {"https://x.org/?a=b", false},
	    {"see https://x.org/? now", false},
	    {"Done, thank you.", false},
	    {"?", false},
	    {"  ?\n", false},
	    {"a?b", false},
	    {"", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if (text_is_question(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("question %zu: [%s]", i, cases[i].in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_bodies),
	    cmocka_unit_test(test_corpus_unsubscribe),
	    cmocka_unit_test(test_corpus_html),
	    cmocka_unit_test(test_html_crafted),
	    cmocka_unit_test(test_html_bounds),
	    cmocka_unit_test(test_split_crafted),
	    cmocka_unit_test(test_split_nul),
	    cmocka_unit_test(test_tokens_plain),
	    cmocka_unit_test(test_tokens_wrapped),
	    cmocka_unit_test(test_tokens_links),
	    cmocka_unit_test(test_tokens_not_repaired),
	    cmocka_unit_test(test_tokens_limits),
	    cmocka_unit_test(test_subject_strip),
	    cmocka_unit_test(test_find_ref),
	    cmocka_unit_test(test_autoreply_subject),
	    cmocka_unit_test(test_bounce_subject),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_questions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
