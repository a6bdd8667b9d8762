/*
 * libFuzzer target: parse + classify, in process, over arbitrary bytes.
 * The look-ups a store would answer are left out (NULL): classify must
 * cope with that, and the fuzzer exercises every path before them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pledged/classify.h"
#include "pledged/message.h"
#include "pledged/token.h"

static char *const pledge_kw[] = {"pledge"};
static char *const withdraw_kw[] = {"withdraw", "unsubscribe"};
static char *const yes_kw[] = {"yes", "confirm", "oui", "sí"};
static char *const no_kw[] = {"no", "decline", "nein", "não"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct token_keyring *ring;
	static struct message_limits lim;
	struct classify_policy pol;
	struct classify_lookup lk;
	struct classify_result r;
	struct message *msg = NULL;
	const char *why;

	if (ring == NULL) {
		char *sec, *pub, *pid;
		ring = token_keyring_new();
		if (token_keygen(&sec, &pub, &pid) != 0 ||
		    token_keyring_add(ring, pub) != 0)
			return 0;
		token_string_free(sec);
		token_string_free(pub);
		token_string_free(pid);
		message_limits_default(&lim);
		lim.max_bytes = 1 << 20;
	}
	memset(&pol, 0, sizeof pol);
	memset(&lk, 0, sizeof lk);
	pol.keyring = ring;
	pol.campaign = "nomusicforice";
	pol.clock_skew = 300;
	pol.pledge_keywords = pledge_kw, pol.n_pledge_keywords = 1;
	pol.withdraw_keywords = withdraw_kw, pol.n_withdraw_keywords = 2;
	pol.yes_keywords = yes_kw, pol.n_yes_keywords = 4;
	pol.no_keywords = no_kw, pol.n_no_keywords = 4;
	pol.authserv_id = "mx.example.org";
	if (message_parse((const char *)data, size, &lim, &msg, &why) ==
	    MESSAGE_OK)
		classify_message(&pol, &lk, msg, 1800000000, &r);
	message_free(msg);
	return 0;
}
