/*
 * The real-world corpus through the whole pipeline: every complete message
 * of tests/data/corpus/ gets the decision tests/data/corpus_expect.tsv
 * gives it, against a real store and the isolated parser.
 *
 * Every sender is first recorded as a pledged artist, so that a withdraw
 * keyword in a quote, a footer or a bounced original ("unsubscribe" is in
 * thirteen of these files) would show up as a withdrawal: none may.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pledged/classify.h"
#include "pledged/digest.h"
#include "pledged/message.h"
#include "pledged/pipeline.h"
#include "pledged/store.h"
#include "pledged/token.h"
#include "testutil.h"

static char *const pledge_kw[] = {"pledge"};
static char *const withdraw_kw[] = {"withdraw", "unsubscribe"};
static char *const yes_kw[] = {"yes", "confirm", "confirmed", "agree"};
static char *const no_kw[] = {"no", "decline", "non", "nein"};

struct expect {
	char *file;
	char *decision;
};

static size_t
load_expectations(struct expect **out)
{
	char *text = tu_read_file(
	    PLEDGED_SOURCE_DIR "/tests/data/corpus_expect.tsv", NULL);
	char *line, *save = NULL, *tab;
	struct expect *e = NULL;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || (tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		e = realloc(e, (n + 1) * sizeof *e);
		assert_non_null(e);
		e[n].file = strdup(line);
		e[n].decision = strdup(tab + 1);
		n++;
	}
	free(text);
	*out = e;
	return n;
}

/* Record the sender of 'raw' as an artist with a pledge. */
static void
pledge_sender(struct store *st, const char *raw, size_t len)
{
	struct message_limits lim;
	struct message *msg = NULL;
	struct store_audit a;
	char sha[DIGEST_HEX_LEN + 1];
	const char *why;
	int64_t artist, audit;

	message_limits_default(&lim);
	if (message_parse(raw, len, &lim, &msg, &why) != MESSAGE_OK ||
	    msg->from_addr == NULL || strchr(msg->from_addr, '@') == NULL) {
		message_free(msg);
		return;
	}
	memset(&a, 0, sizeof a);
	digest_sha256_hex(msg->from_addr, strlen(msg->from_addr), sha);
	a.sha256_hex = sha;
	a.outcome = "pledge";
	a.from_addr = msg->from_addr;
	a.processed_at = time(NULL);
	if (store_artist_get(st, msg->from_addr, &artist, (char[16]){0}) !=
	    STORE_OK) {
		assert_int_equal(
		    store_artist_upsert(st, msg->from_addr, NULL, &artist),
		    STORE_OK);
		a.artist_id = artist;
		assert_int_equal(store_audit_insert(st, &a, &audit), STORE_OK);
		assert_int_equal(
		    store_pledge_record(st, artist, audit), STORE_OK);
	}
	message_free(msg);
}

static void
test_corpus(void **state)
{
	struct classify_policy pol = {0};
	struct pipeline_params pp = {0};
	struct message_limits lim;
	struct expect *e;
	char *dir = tu_mkdtemp("corpus"), *db = tu_asprintf("%s/c.db", dir);
	struct token_keyring *ring = token_keyring_new();
	char *sec, *pub, *pid;
	size_t n = load_expectations(&e), wrong = 0;

	(void)state;
	assert_true(n >= 100);
	pol.keyring = ring;
	assert_int_equal(token_keygen(&sec, &pub, &pid), 0);
	assert_int_equal(token_keyring_add(ring, pub), 0);
	token_string_free(sec), free(pub), free(pid);
	pol.campaign = "nomusicforice";
	pol.clock_skew = 300;
	pol.pledge_keywords = pledge_kw, pol.n_pledge_keywords = 1;
	pol.withdraw_keywords = withdraw_kw, pol.n_withdraw_keywords = 2;
	pol.yes_keywords = yes_kw, pol.n_yes_keywords = 4;
	pol.no_keywords = no_kw, pol.n_no_keywords = 4;

	assert_int_equal(store_open(db, true, &pp.store), STORE_OK);
	message_limits_default(&lim);
	assert_int_equal(message_worker_start(&lim, &pp.worker), 0);
	pp.policy = &pol;
	pp.max_message_bytes = lim.max_bytes;

	assert_int_equal(store_begin(pp.store), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		char *path = tu_asprintf("%s/corpus/%s", TU_DATA, e[i].file);
		size_t len;
		char *raw = tu_read_file(path, &len);
		pledge_sender(pp.store, raw, len);
		free(raw), free(path);
	}
	assert_int_equal(store_commit(pp.store), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		struct pipeline_source src = {
		    "INBOX", 7, (uint32_t)i + 1, time(NULL)};
		char *path = tu_asprintf("%s/corpus/%s", TU_DATA, e[i].file);
		struct pipeline_decision d;
		char got[64];
		size_t len;
		char *raw = tu_read_file(path, &len);
		const char *reason;

		assert_int_equal(
		    pipeline_process(&pp, &src, raw, len, NULL, time(NULL), &d),
		    PIPELINE_RECORDED);
		reason = classify_reason_name(d.result.reason);
		snprintf(got, sizeof got, "%s%s%s",
		    classify_outcome_name(d.result.outcome),
		    reason != NULL ? "/" : "", reason != NULL ? reason : "");
		if (strcmp(got, e[i].decision) != 0) {
			print_error("%s: got %s, want %s\n", e[i].file, got,
			    e[i].decision);
			wrong++;
		}
		assert_true(d.result.outcome != OUTCOME_PLEDGE &&
		    d.result.outcome != OUTCOME_CONFIRM &&
		    d.result.outcome != OUTCOME_WITHDRAW);
		free(raw), free(path);
	}
	assert_int_equal(wrong, 0);

	for (size_t i = 0; i < n; i++)
		free(e[i].file), free(e[i].decision);
	free(e);
	message_worker_stop(pp.worker);
	store_close(pp.store);
	token_keyring_free(ring);
	tu_rmtree(dir);
	free(db), free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
