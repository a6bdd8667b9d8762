/* Unit tests for addr: the first mailbox of a From, and addr-specs. */
#include <stdlib.h>
#include <string.h>

#include "pledged/addr.h"
#include "testutil.h"

static void
test_parse(void **state)
{
	static const struct {
		const char *in, *addr, *name;
	} cases[] = {
	    {"x@example.org", "x@example.org", NULL},
	    {"Ann <Ann@Example.org>", "Ann@Example.org", "Ann"},
	    /* A quoted local part is kept exactly (libetpan drops the
	     * blank). */
	    {"\"a b\"@example.org", "\"a b\"@example.org", NULL},
	    {"<\"a  b\"@example.org>", "\"a  b\"@example.org", NULL},
	    {"Ann <\"a\\\"b\"@example.org>", "\"a\\\"b\"@example.org", "Ann"},
	    /* A display name with '<' inside, quoted or not. */
	    {"\"Smith <Band>\" <x@example.org>", "x@example.org",
		"Smith <Band>"},
	    {"Smith <Band> <x@example.org>", "x@example.org", "Smith <Band>"},
	    {"\"A, B\" <ab@example.org>, c@example.org", "ab@example.org",
		"A, B"},
	    {"x@example.org (The Band)", "x@example.org", NULL},
	    {"The (great)  Band\t <x@example.org>", "x@example.org",
		"The Band"},
	    {"\"A \\\"q\\\" B\" <q@example.org>", "q@example.org", "A \"q\" B"},
	    {"=?utf-8?q?Zo=C3=AB?= <z@example.org>", "z@example.org",
		"=?utf-8?q?Zo=C3=AB?="},
	    {"Friends: a@example.org, b@example.org;", "a@example.org", NULL},
	    /* Broken: what was written is what we keep (and cannot mail). */
	    {"Foo <foo@bar@example.net>", "foo@bar@example.net", "Foo"},
	    {"Foo <foo@example.net", "foo@example.net", "Foo"},
	    {"", NULL, NULL},
	    {"Nobody", "Nobody", NULL},
	};
	char *addr, *name;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(addr_parse_mailbox(cases[i].in,
				     strlen(cases[i].in), &addr, &name),
		    0);
		if (cases[i].addr == NULL)
			assert_null(addr);
		else
			assert_string_equal(addr, cases[i].addr);
		if (cases[i].name == NULL)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].name);
		free(addr);
		free(name);
	}
}

static void
test_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	    {"x@example.org", true},
	    {"first.last+tag@sub.example.org", true},
	    {"\"a b\"@example.org", true},
	    {"\"a\\\"b\"@example.org", true},
	    {"user@[192.0.2.1]", true},
	    {"user@localhost", true},
	    {"zoë@example.org", true},
	    {"foo@bar@example.net", false},
	    {"a b@example.org", false},
	    {".a@example.org", false},
	    {"a..b@example.org", false},
	    {"a.@example.org", false},
	    {"@example.org", false},
	    {"a@", false},
	    {"a@.example.org", false},
	    {"a@example..org", false},
	    {"a@example.org.", false},
	    {"\"a b@example.org", false},
	    {"a@exa mple.org", false},
	    {"a\r\n@example.org", false},
	    {"noat", false},
	    {"", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (addr_valid(cases[i].s) != cases[i].ok)
			fail_msg("%s: expected %s", cases[i].s,
			    cases[i].ok ? "valid" : "invalid");
		assert_true(
		    (addr_invalid_reason(cases[i].s) == NULL) == cases[i].ok);
	}
	assert_string_equal(
	    addr_invalid_reason("foo@bar@example.net"), "more than one @");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
