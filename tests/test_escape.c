/*
 * Unit tests for escape: what a sender can put in an address or a
 * Subject never reaches a terminal or a log as a control.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/escape.h"
#include "testutil.h"

static const struct {
	const char *in, *out;
} cases[] = {
    {"artist@example.org", "artist@example.org"},
    {"caf\xc3\xa9 \xf0\x9f\x91\x8d", "caf\xc3\xa9 \xf0\x9f\x91\x8d"},
    /* ESC sequences, BS, CR, LF, TAB, DEL */
    {"a\x1b]0;owned\x07z", "a\\x1b]0;owned\\x07z"},
    {"evil\x08\x08\x08good", "evil\\x08\\x08\\x08good"},
    {"x\r\ny\tz\x7f", "x\\x0d\\x0ay\\x09z\\x7f"},
    /* C1: CSI (U+009B) and NEL (U+0085) */
    {"\xc2\x9b"
     "31m",
	"\\u009b31m"},
    {"a\xc2\x85"
     "b",
	"a\\u0085b"},
    /* bidi controls */
    {"gpj.\xe2\x80\xae"
     "exe",
	"gpj.\\u202eexe"},
    {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	"\\u202a\\u202b\\u202c\\u202d"},
    {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	"\\u2066\\u2067\\u2068\\u2069"},
    {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c"},
    /* not UTF-8: stray bytes, a cut sequence, an overlong form */
    {"\xff\xfe", "\\xff\\xfe"},
    {"ab\xe2\x80", "ab\\xe2\\x80"},
    {"\xc0\xaf", "\\xc0\\xaf"},
    {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},
};

static void
test_table(void **state)
{
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		escape_text(cases[i].in, buf, sizeof buf);
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
			    cases[i].out);
	}
}

/* A result too long is cut between characters, never mid-escape. */
static void
test_cut(void **state)
{
	char buf[8];

	(void)state;
	/* "ab" + "\x1b" + "c" fills 7 bytes; "d" no longer fits. */
	assert_string_equal(escape_text("ab\x1b"
					"cd",
				buf, sizeof buf),
	    "ab\\x1bc");
	assert_string_equal(
	    escape_text("abc\xc3\xa9xyz", buf, sizeof buf), "abc\xc3\xa9xy");
	assert_string_equal(
	    escape_text("abcdef\xc3\xa9", buf, sizeof buf), "abcdef");
	assert_string_equal(escape_text("x", buf, 1), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
