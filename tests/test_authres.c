/*
 * Unit tests for authres: Authentication-Results as real servers write
 * them, and as a forger would, against the verdict for one From domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/authres.h"
#include "testutil.h"

#define ID "mx.example.org"
#define DOMAIN "example.org"

struct ar_case {
	const char *name;
	const char *fields[3]; /* topmost first; NULL ends */
	enum authres_dmarc want;
};

static const struct ar_case cases[] = {
    /* What real servers write. */
    {"plain pass", {ID "; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_PASS},
    {"opendmarc", {ID "; dmarc=pass (p=none dis=none) header.from=example.org"},
	AUTHRES_DMARC_PASS},
    {"gmail style",
	{ID "; dkim=pass header.i=@example.org header.s=s1 header.b=AbC;"
	    " spf=pass (mx.example.org: domain of a@example.org designates"
	    " 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.org;"
	    " dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org"},
	AUTHRES_DMARC_PASS},
    {"microsoft style",
	{ID "; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.org;"
	    " dkim=pass (signature was verified) header.d=example.org;"
	    "dmarc=pass action=none header.from=example.org;compauth=pass"
	    " reason=100"},
	AUTHRES_DMARC_PASS},
    {"version and case",
	{" MX.Example.ORG 1; DMARC=Pass header.From=Example.Org."},
	AUTHRES_DMARC_PASS},
    {"quoted header.from", {ID "; dmarc=pass header.from=\"example.org\""},
	AUTHRES_DMARC_PASS},
    {"quoted authserv-id", {"\"" ID "\"; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_PASS},
    {"comment before id",
	{"(ours) " ID " (v1); dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_PASS},
    {"trailing semicolon", {ID "; dmarc=pass header.from=example.org;"},
	AUTHRES_DMARC_PASS},
    {"fail", {ID "; dmarc=fail (p=reject) header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"dmarc none", {ID "; dmarc=none header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"no-result", {ID "; none"}, AUTHRES_DMARC_NONE},
    {"no dmarc result", {ID "; spf=pass smtp.mailfrom=example.org"},
	AUTHRES_DMARC_NONE},
    {"no field of ours", {"other.example; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_NONE},
    {"id prefix is not ours",
	{ID ".evil.example; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_NONE},

    /* Forgeries: the pass is not a method result. */
    {"pass in a comment",
	{ID "; dmarc=fail (; dmarc=pass header.from=example.org)"
	    " header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"pass in a nested comment",
	{ID "; spf=fail (a (b; dmarc=pass) header.from=example.org c)"
	    " smtp.mailfrom=example.org"},
	AUTHRES_DMARC_NONE},
    {"escaped paren in a comment",
	{ID "; spf=fail (x \\) ; dmarc=pass header.from=example.org)"
	    " smtp.mailfrom=example.org"},
	AUTHRES_DMARC_NONE},
    {"pass in a quoted property",
	{ID "; spf=fail smtp.mailfrom=\"x; dmarc=pass"
	    " header.from=example.org\""},
	AUTHRES_DMARC_NONE},
    {"pass in a quoted reason",
	{ID "; dkim=fail reason=\"; dmarc=pass header.from=example.org\""},
	AUTHRES_DMARC_NONE},
    {"escaped quote in a quoted string",
	{ID "; spf=fail smtp.mailfrom=\"a\\\"; dmarc=pass"
	    " header.from=example.org\""},
	AUTHRES_DMARC_NONE},
    {"pass for another domain", {ID "; dmarc=pass header.from=evil.example"},
	AUTHRES_DMARC_FAIL},
    {"pass for a suffix domain",
	{ID "; dmarc=pass header.from=example.org.evil.example"},
	AUTHRES_DMARC_FAIL},
    {"pass for a longer domain", {ID "; dmarc=pass header.from=notexample.org"},
	AUTHRES_DMARC_FAIL},
    {"pass without header.from", {ID "; dmarc=pass"}, AUTHRES_DMARC_FAIL},
    {"two header.from",
	{ID "; dmarc=pass header.from=evil.example"
	    " header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"pass and fail",
	{ID "; dmarc=pass header.from=example.org;"
	    " dmarc=fail header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"unterminated comment",
	{ID "; dmarc=fail (x; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"unterminated quote",
	{ID "; spf=fail smtp.mailfrom=\"x; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"garbage after a result",
	{ID "; dmarc=fail !; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"pass glued to a comment", {ID "; dmarc=pass(x)header.from=example.org"},
	AUTHRES_DMARC_PASS},
    /* Only the topmost field of ours counts. */
    {"forged field below ours",
	{ID "; dmarc=fail header.from=example.org",
	    ID "; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"ours without dmarc, forged pass below",
	{ID "; spf=pass smtp.mailfrom=example.org",
	    ID "; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_NONE},
    {"broken ours, forged pass below",
	{ID "; dmarc=pass (header.from=example.org",
	    ID "; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_FAIL},
    {"someone else's field on top",
	{"relay.example; dmarc=fail header.from=example.org",
	    ID "; dmarc=pass header.from=example.org"},
	AUTHRES_DMARC_PASS},
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct ar_case *c = &cases[i];
		size_t n = 0;

		while (n < 3 && c->fields[n] != NULL)
			n++;
		enum authres_dmarc got = authres_dmarc(
		    (char *const *)(uintptr_t)c->fields, n, ID, DOMAIN);
		if (got != c->want)
			fail_msg("%s: got %d, want %d", c->name, got, c->want);
	}
}

static void
test_no_id_configured(void **state)
{
	char *f[] = {
	    (char *)(uintptr_t)(ID "; dmarc=pass header.from=example.org")};

	(void)state;
	assert_int_equal(authres_dmarc(f, 1, NULL, DOMAIN), AUTHRES_DMARC_NONE);
	assert_int_equal(authres_dmarc(f, 1, "", DOMAIN), AUTHRES_DMARC_NONE);
	/* No From domain: no pass. */
	assert_int_equal(authres_dmarc(f, 1, ID, NULL), AUTHRES_DMARC_FAIL);
}

/* Deep comments and long words end the field, not the stack or a buffer. */
static void
test_bounds(void **state)
{
	size_t n = 100000, k;
	char *deep = malloc(n + 64), *longword = malloc(n + 64);

	(void)state;
	assert_non_null(deep);
	assert_non_null(longword);
	snprintf(deep, 64, "%s; dmarc=pass ", ID);
	k = strlen(deep);
	memset(deep + k, '(', n);
	deep[k + n] = '\0';
	assert_int_equal(
	    authres_dmarc(&deep, 1, ID, DOMAIN), AUTHRES_DMARC_FAIL);
	snprintf(longword, 64, "%s; dmarc=pass header.from=", ID);
	k = strlen(longword);
	memset(longword + k, 'a', n);
	longword[k + n] = '\0';
	assert_int_equal(
	    authres_dmarc(&longword, 1, ID, DOMAIN), AUTHRES_DMARC_FAIL);
	free(deep);
	free(longword);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_no_id_configured),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
