/*
 * notify: what the next digest says (notify_preview), with no server:
 * news is held replies with their own words and reason, withdrawals and
 * numbers that moved; after a digest is recorded, the same events are
 * not news again; the interval and the "no [notify] to" cases of
 * notify_send.  Sending itself is tested against a real server in
 * tests/integration/digest.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/config.h"
#include "pledged/notify.h"
#include "pledged/store.h"
#include "testutil.h"

struct fx {
	char *dir;
	struct config *cfg;
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char *conf, *text, *db;

	assert_non_null(fx);
	fx->dir = tu_mkdtemp("notify");
	conf = tu_asprintf("%s/p.conf", fx->dir);
	db = tu_asprintf("%s/p.db", fx->dir);
	text = tu_asprintf("[store]\ndatabase = %s\n[tokens]\ncampaign = camp\n"
			   "[smtp]\nhost = localhost\ntls = none\n"
			   "from = Camp <camp@example.org>\n"
			   "[notify]\nto = org@example.org\ninterval = 1h\n",
	    db);
	tu_write_file(conf, text, strlen(text), 0600);
	assert_int_equal(config_load(conf, &fx->cfg), CONFIG_OK);
	assert_int_equal(store_open(db, true, &fx->st), STORE_OK);
	free(conf);
	free(db);
	free(text);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	config_free(fx->cfg);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void
record(struct store *st, const char *addr, const char *outcome,
    const char *reason, const char *words, int n)
{
	char sha[65];
	struct store_audit a = {
	    .from_addr = addr,
	    .subject = "x",
	    .outcome = outcome,
	    .reason = reason,
	    .phase = reason != NULL ? 1 : 0,
	    .own_text = words,
	    .processed_at = 1000 + n,
	};
	int64_t artist, id;

	snprintf(sha, sizeof sha, "%064x", n);
	a.sha256_hex = sha;
	assert_int_equal(
	    store_artist_upsert(st, addr, NULL, &artist), STORE_OK);
	a.artist_id = artist;
	assert_int_equal(store_audit_insert(st, &a, &id), STORE_OK);
	if (strcmp(outcome, "pledge") == 0)
		assert_int_equal(store_pledge_record(st, artist, id), STORE_OK);
	if (strcmp(outcome, "withdraw") == 0)
		assert_int_equal(
		    store_pledge_withdraw(st, artist, id), STORE_OK);
}

static char *
preview(struct fx *fx, int64_t now, enum notify_status want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(notify_preview(fx->cfg, fx->st, now, fp), want);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
test_news(void **state)
{
	struct fx *fx = *state;
	struct store_digest d = {0};
	char *out;
	int64_t id, hi, n, fmax;

	/* An empty campaign: nothing to say. */
	out = preview(fx, 5000, NOTIFY_NO_NEWS);
	assert_string_equal(out, "");
	free(out);

	record(fx->st, "ana@example.org", "pledge", NULL, NULL, 1);
	record(fx->st, "ana@example.org", "review", "unclear",
	    "Is it\x1b[2J all\nor nothing?", 2);
	record(fx->st, "bo@example.org", "pledge", NULL, NULL, 3);
	record(fx->st, "bo@example.org", "withdraw", NULL, "Sorry, out.", 4);
	out = preview(fx, 5000, NOTIFY_SENT);
	assert_non_null(strstr(out, "Auto-Submitted: auto-generated\n"));
	assert_non_null(strstr(out, "To: org@example.org\n"));
	assert_non_null(strstr(out, "From: Camp <camp@example.org>\n"));
	assert_non_null(strstr(out,
	    "Subject: [camp] digest: 1 to review, 1 withdrew, 1 pledged\n"));
	assert_non_null(strstr(out, "Replies held for review (1)"));
	assert_non_null(strstr(out, "reason: unclear, phase 1"));
	/* The words quoted line by line, the escape blanked. */
	assert_non_null(
	    strstr(out, "      | Is it [2J all\n      | or nothing?\n"));
	assert_non_null(strstr(out, "Artists who withdrew (1)"));
	assert_non_null(strstr(out, "      | Sorry, out.\n"));
	assert_null(strchr(out, '\x1b'));
	free(out);

	/* A digest recorded up to here: the same events are told. */
	assert_int_equal(
	    store_digest_marks(fx->st, &hi, 0, &n, &fmax), STORE_OK);
	d.created_at = 5000;
	d.audit_upto = hi;
	d.counts = (char *)"{\"pledged\":1,\"confirmed_phase1\":0,"
			   "\"confirmed_phase2\":0,\"withdrawn\":1,"
			   "\"declined\":0,\"review\":1}";
	assert_int_equal(
	    store_digest_begin(fx->st, &d, "<d@x>", "org@example.org", &id),
	    STORE_OK);
	out = preview(fx, 6000, NOTIFY_NO_NEWS);
	free(out);

	/* A new pledge moves a number: news, with the change. */
	record(fx->st, "cy@example.org", "pledge", NULL, NULL, 5);
	out = preview(fx, 6000, NOTIFY_SENT);
	assert_null(strstr(out, "Replies held for review"));
	assert_non_null(
	    strstr(out, "pledged                     2 artists (+1)"));
	assert_non_null(strstr(out, "between 1970-01-01 01:23 UTC and"));
	free(out);

	/* Within the interval (1h after 5000), not due; no [notify] to: off. */
	assert_int_equal(
	    notify_send(fx->cfg, fx->st, 6000, false), NOTIFY_NOT_DUE);
	config_free(fx->cfg);
	fx->cfg = NULL;
	{
		char *conf = tu_asprintf("%s/off.conf", fx->dir);
		tu_write_file(conf, "[tokens]\n", 9, 0600);
		assert_int_equal(config_load(conf, &fx->cfg), CONFIG_OK);
		free(conf);
	}
	assert_int_equal(notify_send(fx->cfg, fx->st, 9000, true), NOTIFY_OFF);
}

static void
pass_at(struct store *st, int64_t start, int exit_code)
{
	struct store_pass p = {
	    .ended_at = start + 1, .exit_code = exit_code, .waiting = -1};
	int64_t id;

	p.error = exit_code != 0 ? "imap: connect: Connection refused" : NULL;
	assert_int_equal(store_pass_begin(st, "daemon", start, &id), STORE_OK);
	assert_int_equal(store_pass_end(st, id, &p), STORE_OK);
}

/* A feed down for longer than the stale period is news, and so is its
 * recovery; a short failure is not. */
static void
test_feed(void **state)
{
	struct fx *fx = *state;
	struct store_digest d = {0};
	char *out;
	int64_t id;

	pass_at(fx->st, 10000, 0);
	d.created_at = 10001;
	d.counts = (char *)"{\"pledged\":0,\"confirmed_phase1\":0,"
			   "\"confirmed_phase2\":0,\"withdrawn\":0,"
			   "\"declined\":0,\"review\":0,\"feed_stale\":false}";
	assert_int_equal(
	    store_digest_begin(fx->st, &d, "<d1@x>", "o@x", &id), STORE_OK);
	pass_at(fx->st, 10060, 69);
	out = preview(fx, 10100, NOTIFY_NO_NEWS); /* a minute: not yet */
	free(out);
	pass_at(fx->st, 13700, 69);
	out = preview(fx, 13702, NOTIFY_SENT); /* over an hour: news */
	assert_non_null(strstr(out, "Subject: [camp] digest: FEED STOPPED,"));
	assert_non_null(strstr(out,
	    "THE FEED HAS STOPPED: mail has not been "
	    "read since 1970-01-01 02:46 UTC; 2 "
	    "passes failed since."));
	assert_non_null(
	    strstr(out, "  last error: imap: connect: Connection refused"));
	free(out);

	/* Told: not news again until it recovers. */
	d.created_at = 13702;
	d.counts = (char *)"{\"pledged\":0,\"confirmed_phase1\":0,"
			   "\"confirmed_phase2\":0,\"withdrawn\":0,"
			   "\"declined\":0,\"review\":0,\"feed_stale\":true}";
	assert_int_equal(
	    store_digest_begin(fx->st, &d, "<d2@x>", "o@x", &id), STORE_OK);
	out = preview(fx, 14000, NOTIFY_NO_NEWS);
	free(out);
	pass_at(fx->st, 14100, 0);
	out = preview(fx, 14200, NOTIFY_SENT);
	assert_non_null(strstr(out, "The feed reads mail again"));
	assert_null(strstr(out, "FEED STOPPED"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_news, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
