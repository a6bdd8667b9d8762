/*
 * tls: chains made at test time by contrib/testenv/dovecot.sh certs (a
 * test CA, another CA, a wrong-name and an expired certificate), checked
 * table-driven against trust files and host names.
 */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "pledged/tls.h"
#include "testutil.h"

static char *certdir;

static int
group_setup(void **state)
{
	char *argv[] = {"sh", PLEDGED_SOURCE_DIR "/contrib/testenv/dovecot.sh",
	    "certs", NULL, NULL};

	(void)state;
	certdir = tu_mkdtemp("tls");
	argv[3] = certdir;
	assert_int_equal(tu_run(argv, NULL, NULL, NULL), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_rmtree(certdir);
	free(certdir);
	return 0;
}

/* The DER of certs/<name>.pem; caller frees with gnutls_free. */
static gnutls_datum_t
der_of(const char *name)
{
	char *path = tu_asprintf("%s/%s.pem", certdir, name);
	size_t len;
	char *pem = tu_read_file(path, &len);
	gnutls_datum_t in = {(unsigned char *)pem, (unsigned int)len};
	gnutls_datum_t out = {NULL, 0};

	assert_int_equal(
	    gnutls_pem_base64_decode2("CERTIFICATE", &in, &out), 0);
	free(pem);
	free(path);
	return out;
}

static void
test_verify_table(void **state)
{
	static const struct {
		const char *leaf, *ca, *host;
		enum tls_status want;
		const char *reason;
	} cases[] = {
	    {"server", "ca", "localhost", TLS_OK, ""},
	    {"server", "ca", "127.0.0.1", TLS_OK, ""},
	    {"server", "ca", "LOCALHOST", TLS_OK, ""},
	    {"server", "ca", "127.0.0.2", TLS_REJECTED, "host name mismatch"},
	    {"server", "ca", "mail.example.org", TLS_REJECTED,
		"host name mismatch"},
	    {"server", "other-ca", "localhost", TLS_REJECTED,
		"certificate signer not found"},
	    {"other", "other-ca", "127.0.0.2", TLS_OK, ""},
	    {"other", "ca", "127.0.0.2", TLS_REJECTED,
		"certificate signer not found"},
	    {"wrong-name", "ca", "wrong.invalid", TLS_OK, ""},
	    {"wrong-name", "ca", "127.0.0.1", TLS_REJECTED,
		"host name mismatch"},
	    {"wrong-name", "ca", "invalid", TLS_REJECTED, "host name mismatch"},
	    {"expired", "ca", "127.0.0.1", TLS_REJECTED, "certificate expired"},
	    /* Our test CA is in no system store. */
	    {"server", NULL, "localhost", TLS_REJECTED,
		"certificate signer not found"},
	    /* A CA certificate is no server certificate for its name. */
	    {"ca", "ca", "unused", TLS_REJECTED, NULL},
	    {"server", "missing", "localhost", TLS_ERROR, "cannot load"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gnutls_datum_t der = der_of(cases[i].leaf);
		struct tls_cert c = {der.data, der.size};
		char *ca = cases[i].ca != NULL
		    ? tu_asprintf("%s/%s.pem", certdir, cases[i].ca)
		    : NULL;
		char reason[256];
		enum tls_status st;

		st = tls_verify_chain(
		    &c, 1, cases[i].host, ca, reason, sizeof(reason));
		if (st != cases[i].want ||
		    (cases[i].reason != NULL &&
			strstr(reason, cases[i].reason) == NULL) ||
		    (cases[i].want == TLS_OK) != (reason[0] == '\0'))
			fail_msg("case %zu (%s, %s, %s): status %d reason "
				 "\"%s\"",
			    i, cases[i].leaf, cases[i].ca ? cases[i].ca : "-",
			    cases[i].host, st, reason);
		free(ca);
		gnutls_free(der.data);
	}
}

/* The chain as a server sends it: leaf then its issuer. */
static void
test_chain_with_root(void **state)
{
	gnutls_datum_t leaf = der_of("server"), root = der_of("ca");
	struct tls_cert c[2] = {{leaf.data, leaf.size}, {root.data, root.size}};
	char *ca = tu_asprintf("%s/ca.pem", certdir);
	char *other = tu_asprintf("%s/other-ca.pem", certdir);
	char reason[256];

	(void)state;
	assert_int_equal(
	    tls_verify_chain(c, 2, "localhost", ca, reason, sizeof(reason)),
	    TLS_OK);
	/* A root sent by the server earns no trust by itself. */
	assert_int_equal(
	    tls_verify_chain(c, 2, "localhost", other, reason, sizeof(reason)),
	    TLS_REJECTED);
	assert_non_null(strstr(reason, "signer not found"));
	free(ca);
	free(other);
	gnutls_free(leaf.data);
	gnutls_free(root.data);
}

static void
test_bad_input(void **state)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct tls_cert c = {junk, sizeof(junk)};
	char *ca = tu_asprintf("%s/ca.pem", certdir);
	char *empty = tu_asprintf("%s/empty.pem", certdir);
	gnutls_datum_t leaf = der_of("server");
	struct tls_cert good = {leaf.data, leaf.size};
	char reason[8]; /* small on purpose: truncated, still terminated */

	(void)state;
	assert_int_equal(
	    tls_verify_chain(&c, 0, "localhost", ca, reason, sizeof(reason)),
	    TLS_REJECTED);
	assert_int_equal(
	    tls_verify_chain(&c, 1, "localhost", ca, reason, sizeof(reason)),
	    TLS_REJECTED);
	assert_true(strlen(reason) < sizeof(reason));
	assert_int_equal(
	    tls_verify_chain(&good, 1, "", ca, reason, sizeof(reason)),
	    TLS_ERROR);
	tu_write_file(empty, "", 0, 0644);
	assert_int_equal(
	    tls_verify_chain(&good, 1, "localhost", empty, NULL, 0), TLS_ERROR);
	free(ca);
	free(empty);
	gnutls_free(leaf.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify_table),
	    cmocka_unit_test(test_chain_with_root),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
