/*
 * net: the scanner that bounds every byte a server sends (lines,
 * answers, IMAP literals), table-driven, and the connection helpers.
 * The guard in a real stream is exercised by test_imap and test_smtp
 * against scripted hostile servers.
 */
#include <string.h>
#include <unistd.h>

#include "pledged/net.h"
#include "testutil.h"

static const struct {
	const char *name;
	const char *input;
	bool literals;
	size_t line_max;
	uint64_t response_max, literal_max;
	enum net_fail want;
} cases[] = {
    {"short lines", "* OK a\r\n* OK b\r\n", true, 16, 100, 0, NET_FAIL_NONE},
    {"line at the cap", "12345678\r\n", false, 9, 100, 0, NET_FAIL_NONE},
    {"line over the cap", "123456789\r\n", false, 9, 100, 0, NET_FAIL_LINE},
    {"answer over the cap", "1\r\n2\r\n3\r\n", false, 9, 8, 0,
	NET_FAIL_RESPONSE},
    {"literal within its cap", "* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\n", true,
	64, 100, 5, NET_FAIL_NONE},
    {"literal over its cap", "* 1 FETCH (BODY[] {6}\r\nab\r\ncd)\r\n", true, 64,
	100, 5, NET_FAIL_LITERAL},
    {"4294967295 after a size of 10",
	"* 1 FETCH (UID 1 BODY[] {4294967295}\r\n", true, 64, 1000, 10,
	NET_FAIL_LITERAL},
    {"length beyond 64 bits", "{99999999999999999999999999}\r\n", true, 64,
	1000, 10, NET_FAIL_LITERAL},
    /* Literal bytes do not count as line bytes, a CRLF inside neither. */
    {"long literal, short line", "* {20}\r\n01234567\r\n0123456789 x\r\n", true,
	12, 100, 20, NET_FAIL_NONE},
    /* Not a literal: braces inside a line, or in SMTP. */
    {"braces mid-line", "* OK {5} x\r\n", true, 64, 100, 0, NET_FAIL_NONE},
    {"SMTP has no literals", "250 {99}\r\n", false, 64, 100, 0, NET_FAIL_NONE},
};

static void
test_scan_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_budget b = {.timeout = 1};
		const char *in = cases[i].input;
		bool ok;

		b.literals = cases[i].literals;
		b.line_max = cases[i].line_max;
		net_begin(&b, 1, cases[i].response_max, cases[i].literal_max);
		ok = net_scan(&b, in, strlen(in));
		if (ok != (cases[i].want == NET_FAIL_NONE) ||
		    b.fail != cases[i].want)
			fail_msg("%s: fail %d, want %d", cases[i].name, b.fail,
			    cases[i].want);
	}
}

/* The same bytes one at a time: a split anywhere changes nothing. */
static void
test_scan_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_budget b = {.timeout = 1};
		const char *in = cases[i].input;
		bool ok = true;

		b.literals = cases[i].literals;
		b.line_max = cases[i].line_max;
		net_begin(&b, 1, cases[i].response_max, cases[i].literal_max);
		for (size_t j = 0; in[j] != '\0' && ok; j++)
			ok = net_scan(&b, in + j, 1);
		if (b.fail != cases[i].want)
			fail_msg("%s, split: fail %d, want %d", cases[i].name,
			    b.fail, cases[i].want);
	}
}

/* A broken cap sticks; a new operation starts a new answer count. */
static void
test_scan_operations(void **state)
{
	struct net_budget b = {.timeout = 1, .line_max = 100};

	(void)state;
	net_begin(&b, 1, 10, 0);
	assert_true(net_scan(&b, "12345\r\n", 7));
	net_begin(&b, 1, 10, 0);
	assert_true(net_scan(&b, "12345\r\n", 7));
	assert_false(net_scan(&b, "12345\r\n", 7));
	assert_int_equal(b.fail, NET_FAIL_RESPONSE);
	assert_false(net_scan(&b, "", 0));
	assert_string_equal(
	    net_fail_str(NET_FAIL_LITERAL), "a literal over the size limit");
}

static void
test_connect(void **state)
{
	int fd = -1;

	(void)state;
	assert_true(net_is_ip_literal("127.0.0.1"));
	assert_true(net_is_ip_literal("::1"));
	assert_false(net_is_ip_literal("imap.example.org"));
	/* Plaintext is refused, without connecting, off this machine. */
	assert_int_equal(
	    net_connect("test", "192.0.2.1", 143, true, 1, &fd), NET_INSECURE);
	assert_int_equal(fd, -1);
	/* Nothing listens on port 1. */
	assert_int_equal(
	    net_connect("test", "127.0.0.1", 1, true, 1, &fd), NET_UNAVAILABLE);
	assert_int_equal(
	    net_connect("test", "host.invalid", 143, false, 1, &fd),
	    NET_UNAVAILABLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_table),
	    cmocka_unit_test(test_scan_split),
	    cmocka_unit_test(test_scan_operations),
	    cmocka_unit_test(test_connect),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
