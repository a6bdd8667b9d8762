/*
 * Benchmark: token_verify against bare Ed25519 verification of the same
 * PAE messages and signatures, in one run, so that the cost of our
 * parsing, kid lookup and claims checks shows as a ratio (target: at
 * least 0.9 of bare libsodium).  Usage: bench_token [N] (default 20000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "pledged/token.h"
#include "token_p.h"

#define CHUNK 500

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000, i, ok = 0;
	size_t start, bare = 0;
	char *sec = NULL, *pub = NULL, *pid = NULL, **toks;
	uint8_t **pae, (*sig)[TOKEN_SIG_BYTES], pk[TOKEN_PK_BYTES];
	size_t *paelen;
	struct token_secret *sk = NULL;
	struct token_keyring *kr = token_keyring_new();
	struct token_policy pol = {"nomusicforice", 1780000000, 300};
	struct token_claims c;
	double t0, t_tok, t_bare;

	toks = calloc(n, sizeof(*toks));
	pae = calloc(n, sizeof(*pae));
	sig = calloc(n, sizeof(*sig));
	paelen = calloc(n, sizeof(*paelen));
	if (n == 0 || kr == NULL || !toks || !pae || !sig || !paelen ||
	    token_keygen(&sec, &pub, &pid) != 0 ||
	    token_secret_from_paserk(sec, &sk) != 0 ||
	    token_keyring_add(kr, pub) != 0 ||
	    token_paserk_public_decode(pub, pk) != 0) {
		fprintf(stderr, "bench_token: setup failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.sub, sizeof(c.sub), "artist%zu@example.org", i);
		c.phase = 1 + (int)(i % 2);
		token_new_jti(c.jti);
		c.iat = pol.now - 3600;
		c.exp = pol.now + 30 * 86400;
		if (token_sign(sk, &c, pol.campaign, &toks[i]) != 0 ||
		    token_v4_pae(toks[i], strlen(toks[i]), &pae[i], &paelen[i],
			sig[i]) != 0) {
			fprintf(stderr, "bench_token: sign failed\n");
			return 1;
		}
	}

	/* Warm up both paths, then time each over all the tokens. */
	for (i = 0; i < n && i < 100; i++)
		ok += token_verify(kr, &pol, toks[i], strlen(toks[i]), &c) ==
			TOKEN_OK &&
		    crypto_sign_verify_detached(
			sig[i], pae[i], paelen[i], pk) == 0;
	ok = 0;
	/*
	 * Interleave the two in chunks so that load from elsewhere on the
	 * machine falls on both alike.
	 */
	t_tok = t_bare = 0;
	for (start = 0; start < n; start += CHUNK) {
		size_t end = start + CHUNK < n ? start + CHUNK : n;

		t0 = now_s();
		for (i = start; i < end; i++)
			ok += token_verify(kr, &pol, toks[i], strlen(toks[i]),
				  &c) == TOKEN_OK;
		t_tok += now_s() - t0;
		t0 = now_s();
		for (i = start; i < end; i++)
			bare += crypto_sign_verify_detached(
				    sig[i], pae[i], paelen[i], pk) == 0;
		t_bare += now_s() - t0;
	}
	if (ok != n || bare != n) {
		fprintf(stderr, "bench_token: %zu and %zu of %zu verified\n",
		    ok, bare, n);
		return 1;
	}
	printf("tokens: %zu, token length: %zu bytes\n", n, strlen(toks[0]));
	printf("token_verify:                %.0f verifications/s\n",
	    (double)n / t_tok);
	printf("crypto_sign_verify_detached: %.0f verifications/s\n",
	    (double)n / t_bare);
	printf("ratio: %.3f\n", t_bare / t_tok);

	for (i = 0; i < n; i++) {
		free(toks[i]);
		free(pae[i]);
	}
	free(toks);
	free(pae);
	free(sig);
	free(paelen);
	token_secret_free(sk);
	token_keyring_free(kr);
	token_string_free(sec);
	free(pub);
	free(pid);
	return 0;
}
