/* Unit tests for digest: the FIPS 180-2 examples. */
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
	for (const char *p = text; *p != '\0'; p += 3)
		digest_update(d, p, strnlen(p, 3));
	digest_final(d, pieces);
	digest_sha256_hex(text, strlen(text), one);
	assert_string_equal(one, pieces);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_streaming),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
