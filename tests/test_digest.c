/* Unit tests for digest: the FIPS 180-2 examples. */
#include <stdlib.h>
#include <string.h>

#include "pledged/digest.h"
#include "testutil.h"

static void
test_vectors(void **state)
{
	static const struct {
		const char *in, *hex;
	} cases[] = {
	    {"",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8"
		"55"},
	    {"abc",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015"
		"ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06"
		"c1"},
	};
	char hex[DIGEST_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		digest_sha256_hex(cases[i].in, strlen(cases[i].in), hex);
		assert_string_equal(hex, cases[i].hex);
	}
}

/* Fed in pieces, the same digest as in one go. */
static void
test_streaming(void **state)
{
	const char *text =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char one[DIGEST_HEX_LEN + 1], pieces[DIGEST_HEX_LEN + 1];
	struct digest *d = digest_new();

	(void)state;
	assert_non_null(d);
	for (size_t i = 0, n = strlen(text); i < n; i += 3)
		digest_update(d, text + i, n - i < 3 ? n - i : 3);
	digest_final(d, pieces);
	digest_sha256_hex(text, strlen(text), one);
	assert_string_equal(one, pieces);
}

/*
 * FIPS 180-2's long example, one million 'a': many blocks, so the
 * accelerated block routine is checked too, in one go and in odd pieces.
 */
static void
test_million(void **state)
{
	static const char want[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	const size_t n = 1000000;
	char hex[DIGEST_HEX_LEN + 1];
	struct digest *d;
	char *a = malloc(n);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', n);
	digest_sha256_hex(a, n, hex);
	assert_string_equal(hex, want);
	assert_non_null(d = digest_new());
	for (size_t i = 0; i < n; i += 4097)
		digest_update(d, a + i, n - i < 4097 ? n - i : 4097);
	digest_final(d, hex);
	assert_string_equal(hex, want);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_million),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
