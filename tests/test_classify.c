/*
 * Unit tests for classify, through the pipeline that feeds it: crafted
 * messages for every outcome and reason and every token channel of
 * DESIGN.md, with tokens signed at test time, decided against a real
 * store in a temporary file and the real parser worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pledged/classify.h"
#include "pledged/message.h"
#include "pledged/pipeline.h"
#include "pledged/store.h"
#include "pledged/token.h"
#include "testutil.h"

#define CAMPAIGN "nomusicforice"
#define ARTIST "artist@example.org"

static char *const pledge_kw[] = {"pledge"};
static char *const withdraw_kw[] = {"withdraw", "unsubscribe"};
static char *const yes_kw[] = {
    "yes", "confirm", "confirmed", "agree", "oui", "sí", "si", "ja", "sim"};
static char *const no_kw[] = {"no", "decline", "non", "nein", "não"};

struct fixture {
	char *dir;
	struct store *store;
	struct message_worker *worker;
	struct token_keyring *ring;
	struct token_secret *key, *other_key;
	char *other_public;
	struct classify_policy policy;
	struct pipeline_params pp;
	uint32_t next_uid;
};

static struct fixture fx;

static int
setup(void **state)
{
	struct message_limits lim;
	char *sec, *pub, *pid, *path;

	(void)state;
	memset(&fx, 0, sizeof fx);
	fx.dir = tu_mkdtemp("classify");
	path = tu_asprintf("%s/pledges.db", fx.dir);
	assert_int_equal(store_open(path, true, &fx.store), STORE_OK);
	free(path);
	message_limits_default(&lim);
	assert_int_equal(message_worker_start(&lim, &fx.worker), 0);

	fx.ring = token_keyring_new();
	assert_int_equal(token_keygen(&sec, &pub, &pid), 0);
	assert_int_equal(token_secret_from_paserk(sec, &fx.key), 0);
	assert_int_equal(token_keyring_add(fx.ring, pub), 0);
	token_string_free(sec);
	free(pub);
	free(pid);
	/* A key the daemon does not know. */
	assert_int_equal(token_keygen(&sec, &fx.other_public, &pid), 0);
	assert_int_equal(token_secret_from_paserk(sec, &fx.other_key), 0);
	token_string_free(sec);
	free(pid);

	fx.policy.keyring = fx.ring;
	fx.policy.campaign = CAMPAIGN;
	fx.policy.clock_skew = 300;
	fx.policy.pledge_keywords = pledge_kw;
	fx.policy.n_pledge_keywords = 1;
	fx.policy.withdraw_keywords = withdraw_kw;
	fx.policy.n_withdraw_keywords = 2;
	fx.policy.yes_keywords = yes_kw;
	fx.policy.n_yes_keywords = sizeof yes_kw / sizeof yes_kw[0];
	fx.policy.no_keywords = no_kw;
	fx.policy.n_no_keywords = sizeof no_kw / sizeof no_kw[0];
	/* No server vouches for senders unless a test says so. */
	fx.policy.authserv_id = NULL;
	fx.pp.store = fx.store;
	fx.pp.worker = fx.worker;
	fx.pp.policy = &fx.policy;
	fx.pp.max_message_bytes = 10 * 1024 * 1024;
	fx.next_uid = 1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(fx.store);
	message_worker_stop(fx.worker);
	token_keyring_free(fx.ring);
	token_secret_free(fx.key);
	token_secret_free(fx.other_key);
	free(fx.other_public);
	tu_rmtree(fx.dir);
	free(fx.dir);
	return 0;
}

/* Sign a token; 'exp_in' seconds from now; the jti goes to 'jti'. */
static char *
make_token(const struct token_secret *key, const char *sub, int phase,
    int64_t exp_in, const char *campaign, char jti[27])
{
	struct token_claims c;
	char *tok = NULL;

	memset(&c, 0, sizeof c);
	snprintf(c.sub, sizeof c.sub, "%s", sub);
	c.phase = phase;
	token_new_jti(c.jti);
	c.iat = time(NULL) - 60;
	c.exp = time(NULL) + exp_in;
	assert_int_equal(token_sign(key, &c, campaign, &tok), 0);
	if (jti != NULL)
		memcpy(jti, c.jti, 27);
	return tok;
}

/*
 * Record a token as issued (and sent with 'mid'), as pledgectl would,
 * with the request's secret reference 'ref' (may be NULL).
 */
static void
record_issued_ref(const char *sub, int phase, const char *jti, const char *tok,
    const char *mid, const char *ref)
{
	int64_t artist;

	assert_int_equal(store_begin(fx.store), STORE_OK);
	assert_int_equal(
	    store_artist_upsert(fx.store, sub, NULL, &artist), STORE_OK);
	assert_int_equal(store_token_issue(fx.store, jti, artist, phase, tok,
			     time(NULL), time(NULL) + 86400, ref),
	    STORE_OK);
	if (mid != NULL)
		assert_int_equal(
		    store_token_sent(fx.store, jti, mid, time(NULL)), STORE_OK);
	assert_int_equal(store_commit(fx.store), STORE_OK);
}

static void
record_issued(const char *sub, int phase, const char *jti, const char *tok,
    const char *mid)
{
	record_issued_ref(sub, phase, jti, tok, mid, NULL);
}

/*
 * Run one message through the pipeline in its own transaction, as
 * received at 'received' (0: unknown).
 */
static struct classify_result
decide_at(const char *raw, int64_t received)
{
	struct pipeline_source src = {"INBOX", 1, fx.next_uid++, received};
	struct pipeline_decision d;

	assert_int_equal(pipeline_process(&fx.pp, &src, raw, strlen(raw), NULL,
			     time(NULL), &d),
	    PIPELINE_RECORDED);
	return d.result;
}

static struct classify_result
decide(const char *raw)
{
	return decide_at(raw, time(NULL));
}

static void
expect(const struct classify_result *r, enum classify_outcome o,
    enum classify_reason why, int phase)
{
	if (r->outcome != o || r->reason != why || r->phase != phase)
		fail_msg("got %s/%s phase %d, want %s/%s phase %d",
		    classify_outcome_name(r->outcome),
		    classify_reason_name(r->reason)
			? classify_reason_name(r->reason)
			: "-",
		    r->phase, classify_outcome_name(o),
		    classify_reason_name(why) ? classify_reason_name(why) : "-",
		    phase);
}

/* Hard-wrap 's' every 'width' characters, each line led by 'prefix'. */
static char *
wrap(const char *s, size_t width, const char *prefix, const char *eol)
{
	size_t n = strlen(s), plen = strlen(prefix), elen = strlen(eol);
	char *out = calloc(1, n + (n / width + 1) * (plen + elen) + 1),
	     *p = out;

	assert_non_null(out);
	for (size_t i = 0; i < n; i += width) {
		size_t k = n - i < width ? n - i : width;
		memcpy(p, prefix, plen), p += plen;
		memcpy(p, s + i, k), p += k;
		memcpy(p, eol, elen), p += elen;
	}
	return out;
}

static char *
reply(const char *from, const char *subject, const char *extra_headers,
    const char *body)
{
	static unsigned n;

	return tu_asprintf("From: Artist <%s>\r\n"
			   "To: NoMusicForICE <pledges@example.org>\r\n"
			   "Subject: %s\r\n"
			   "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
			   "Message-ID: <reply-%u-%ld@mail.example.org>\r\n"
			   "MIME-Version: 1.0\r\n"
			   "%s"
			   "\r\n%s",
	    from, subject, ++n, (long)time(NULL),
	    extra_headers != NULL ? extra_headers : "", body);
}

static char *
plain_reply(const char *own, const char *quoted_token)
{
	char *q = wrap(quoted_token, 1000, "> ", "\r\n");
	char *body = tu_asprintf("%s\r\n\r\nOn Fri, 27 Nov 2026, NoMusicForICE "
				 "wrote:\r\n> Reply to confirm.\r\n%s",
	    own, q);
	char *m = reply(ARTIST, "Re: Confirm phase two",
	    "Content-Type: text/plain; charset=utf-8\r\n", body);
	free(q);
	free(body);
	return m;
}

static void
test_pledge_and_withdraw(void **state)
{
	struct classify_result r;
	char *m;

	(void)state;
	m = reply("Singer@Example.NET", "I pledge",
	    "Content-Type: text/plain\r\n", "Count me in.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	assert_string_equal(r.artist, "singer@example.net");
	free(m);

	/* The keyword in the first lines of the body counts too. */
	m = reply("band@example.net", "Hello", NULL,
	    "Hi,\r\nwe pledge not to play.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	free(m);

	/* Withdrawal from an artist who pledged, with nothing that shows
	 * the writer reads that artist's mail: held (see
	 * test_sender_evidence for what is enough). */
	m = reply("singer@example.net", "withdraw", NULL,
	    "Please withdraw my name.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	assert_int_equal(r.held, OUTCOME_WITHDRAW);
	assert_string_equal(r.artist, "singer@example.net");
	free(m);

	/* From someone who never pledged the word is just text. */
	m = reply("stranger@example.net", "withdraw", NULL,
	    "I withdraw my objection.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_OTHER, 0);
	free(m);

	/* "pledged" is not the word "pledge". */
	m = reply("x@example.net", "Hello", NULL, "I pledged last year.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_OTHER, 0);
	free(m);
}

static void
test_confirm_channels(void **state)
{
	char jti[27], *tok, *m, *body, *w;
	struct classify_result r;

	(void)state;
	/* 1. Quoted on one line, top-posted "Yes". */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, jti);
	m = plain_reply("Yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.artist, ARTIST);
	assert_string_equal(r.jti, jti);
	free(m);
	/* 2. The same token again: replayed. */
	m = plain_reply("Yes again", tok);
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_REPLAYED, 2);
	free(m);
	free(tok);

	/* 3. Hard-wrapped at 72 columns inside a "> " quote. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	w = wrap(tok, 72, "> ", "\r\n");
	body = tu_asprintf("Done, thank you\r\n\r\nOn Fri, NoMusicForICE "
			   "wrote:\r\n%s> \r\n> Thanks\r\n",
	    w);
	m = reply(ARTIST, "Re: phase two", NULL, body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(body), free(w), free(tok);

	/* 4. Wrapped at 76 without prefix, LF line ends. */
	tok = make_token(fx.key, ARTIST, 1, 86400, CAMPAIGN, NULL);
	w = wrap(tok, 76, "", "\n");
	body = tu_asprintf("Je confirme\n\n%sMerci\n", w);
	m = tu_asprintf(
	    "From: %s\nSubject: Re: x\nMessage-ID: <lf@x>\n\n%s", ARTIST, body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 1);
	free(m), free(body), free(w), free(tok);

	/* 5. Quoted-printable soft breaks inside the token. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	w = wrap(tok, 60, "", "=\r\n");
	body = tu_asprintf("yes\r\n\r\n> %s\r\n", w);
	m = reply(ARTIST, "Re: x",
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n",
	    body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(body), free(w), free(tok);

	/* 6. HTML only, the token in a link rewritten by a link protector. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	body = tu_asprintf("<html><body><p>I agree</p><blockquote>"
			   "<a href=\"https://eur01.safelinks.protection."
			   "outlook.com/?url=https%%3A%%2F%%2Fcampaign.example."
			   "org%%2Fc%%3Ft%%3D%s&amp;data=05\">confirm</a>"
			   "</blockquote></body></html>\r\n",
	    tok);
	m = reply(ARTIST, "RE: phase two",
	    "Content-Type: text/html; charset=utf-8\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(body), free(tok);

	/* 7. In the Subject only. */
	tok = make_token(fx.key, ARTIST, 1, 86400, CAMPAIGN, NULL);
	body = tu_asprintf("Re: [EXTERNAL] %s", tok);
	m = reply(ARTIST, body, NULL, "ok\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 1);
	free(m), free(body), free(tok);

	/* 8. Only the request's secret [ref:<ref>] in the Subject, typed
	 * in upper case: the issued token. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, jti);
	record_issued_ref(
	    ARTIST, 2, jti, tok, NULL, "s3cr3tref0000000000000000a");
	m = reply(ARTIST, "RE: Phase two [ref:S3CR3TREF0000000000000000A]",
	    NULL, "Yes, done.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.jti, jti);
	free(m), free(tok);

	/* 9. Only In-Reply-To naming a recorded request, from a sender
	 * our server vouches for. */
	fx.policy.authserv_id = "mx.example.org";
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, jti);
	record_issued(ARTIST, 2, jti, tok, "req-1@pledged.example.org");
	m = reply(ARTIST, "Re: Phase two",
	    "Authentication-Results: mx.example.org; dmarc=pass"
	    " header.from=example.org\r\n"
	    "In-Reply-To: <req-1@pledged.example.org>\r\n",
	    "Sim\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	fx.policy.authserv_id = NULL;
	free(m), free(tok);
}

static void
test_more_channels(void **state)
{
	struct classify_result r;
	char *tok, *m, *body, *subj, *att, jti[27];

	(void)state;
	/* The Subject's token in RFC 2047 encoded words of at most 75
	 * characters, as mail clients fold it: split mid-token. */
	tok = make_token(fx.key, ARTIST, 1, 86400, CAMPAIGN, NULL);
	{
		size_t n = strlen(tok), cap = 4 * n + 64, k = 0;
		char *p;
		subj = malloc(cap);
		assert_non_null(subj);
		p = subj + snprintf(subj, cap, "=?UTF-8?Q?Re:_?=");
		for (size_t i = 0; i < n; i += k) {
			k = n - i < 40 ? n - i : 40;
			p += snprintf(p, cap - (p - subj), "\r\n =?UTF-8?Q?");
			for (size_t j = i; j < i + k; j++) {
				/* Q encoding: '_' means a space; write =5F. */
				if (tok[j] == '_')
					p += snprintf(p, 4, "=5F");
				else
					*p++ = tok[j];
			}
			p += snprintf(p, cap - (p - subj), "?=");
		}
	}
	m = reply(ARTIST, subj, NULL, "Oui\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 1);
	free(m), free(subj), free(tok);

	/* Only a References entry naming a recorded request: public, so
	 * it counts for an authenticated sender only. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, jti);
	record_issued(ARTIST, 2, jti, tok, "req-7@pledged.example.org");
	m = reply(ARTIST, "Re: Phase two",
	    "References: <other@x> <req-7@pledged.example.org>\r\n", "ja\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	assert_int_equal(r.held, OUTCOME_CONFIRM);
	free(m);
	fx.policy.authserv_id = "mx.example.org";
	m = reply(ARTIST, "Re: Phase two",
	    "Authentication-Results: mx.example.org; dmarc=pass"
	    " header.from=example.org\r\n"
	    "References: <other@x> <req-7@pledged.example.org>\r\n",
	    "ja\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	fx.policy.authserv_id = NULL;
	free(m), free(tok);

	/* An 8-bit body without a charset (Latin-1 "sí, claro"). */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	body = tu_asprintf("s\xed, claro\r\n\r\n> %s\r\n", tok);
	m = reply(ARTIST, "Re: x", "Content-Transfer-Encoding: 8bit\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(body), free(tok);

	/* mixed > alternative > related, after a 3 MiB attachment. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	att = malloc(3 * 1024 * 1024 + 1);
	assert_non_null(att);
	for (size_t i = 0; i < 3 * 1024 * 1024; i++)
		att[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : 'A';
	att[3 * 1024 * 1024] = '\0';
	body = tu_asprintf(
	    "--m\r\nContent-Type: image/jpeg\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"p.jpg\"\r\n\r\n"
	    "%s\r\n"
	    "--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n"
	    "\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	    "Yes\r\n\r\n> %s\r\n"
	    "--a\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n"
	    "--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	    "<p>Yes</p><blockquote>%s</blockquote>\r\n"
	    "--r--\r\n--a--\r\n--m--\r\n",
	    att, tok, tok);
	m = reply(ARTIST, "Re: x",
	    "Content-Type: multipart/mixed; boundary=\"m\"\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(body), free(att), free(tok);
}

static void
test_intent(void **state)
{
	struct classify_result r;
	char *tok, *m;

	(void)state;
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("No, sorry.", tok);
	r = decide(m);
	expect(&r, OUTCOME_DECLINE, REASON_NONE, 2);
	free(m), free(tok);

	/* "know" is not "no". */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("I know, count me in", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(tok);

	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("What does phase two mean for my label?", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNCLEAR, 2);
	free(m), free(tok);

	/* A question is doubt, even with a yes (DESIGN "Intent"). */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("Yes. Is there anything else?", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNCLEAR, 2);
	assert_string_equal(r.rule, "question");
	free(m), free(tok);

	/* Empty own text is a confirmation. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.rule, "empty");
	free(m), free(tok);

	/* A yes-word inside a negated ask is a refusal. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("I do not confirm.", tok);
	r = decide(m);
	expect(&r, OUTCOME_DECLINE, REASON_NONE, 2);
	assert_string_equal(r.rule, "negated-ask");
	free(m), free(tok);

	/* An idiom with a negation affirms. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("Of course. No worries.", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.rule, "idiom");
	free(m), free(tok);

	/* A deferral is held. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("Not yet, will do next week.", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNCLEAR, 2);
	assert_string_equal(r.rule, "deferral");
	free(m), free(tok);

	/* "unsubscribe" in a signature is not the artist's word, and the
	 * disclaimer's "do not" negates nothing. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("Done\r\n\r\nIf you are not the intended recipient, "
			"do not forward this.\r\n-- \r\nAna | unsubscribe: "
			"https://ana.example/list",
	    tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.rule, "yes-word");
	free(m), free(tok);

	/* HTML-only replies are read by the same rule. */
	{
		char *body;
		tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
		body = tu_asprintf("<html><body><div>Wir machen nicht mit."
				   "</div><blockquote>Answer NO if you do "
				   "not want to join.<br>%s</blockquote>"
				   "</body></html>\r\n",
		    tok);
		m = reply(ARTIST, "Re: phase two",
		    "Content-Type: text/html; charset=utf-8\r\n", body);
		r = decide(m);
		expect(&r, OUTCOME_DECLINE, REASON_NONE, 2);
		assert_non_null(r.rule);
		free(m), free(body), free(tok);
	}
}

static void
test_token_failures(void **state)
{
	struct classify_result r;
	char *tok, *m;
	size_t n;

	(void)state;
	/* A flipped bit in the signature. */
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	/* The signature ends the body, just before the footer's dot. */
	n = strrchr(tok, '.') - tok;
	tok[n - 20] = tok[n - 20] == 'A' ? 'B' : 'A';
	m = plain_reply("yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_BAD_SIGNATURE, 0);
	free(m), free(tok);

	tok = make_token(fx.key, ARTIST, 2, -3600, CAMPAIGN, NULL);
	m = plain_reply("yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_EXPIRED, 0);
	free(m), free(tok);

	tok = make_token(fx.key, ARTIST, 2, 86400, "othercampaign", NULL);
	m = plain_reply("yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_WRONG_CAMPAIGN, 0);
	free(m), free(tok);

	/* Signed by a key the daemon does not have; the kid names it. */
	tok = make_token(fx.other_key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_UNKNOWN_KEY, 0);
	free(m), free(tok);

	/* Not valid before tomorrow. */
	{
		struct token_claims c;
		char *t2 = NULL;
		memset(&c, 0, sizeof c);
		snprintf(c.sub, sizeof c.sub, "%s", ARTIST);
		c.phase = 2;
		token_new_jti(c.jti);
		c.nbf = time(NULL) + 86400;
		c.exp = time(NULL) + 2 * 86400;
		assert_int_equal(token_sign(fx.key, &c, CAMPAIGN, &t2), 0);
		m = plain_reply("yes", t2);
		r = decide(m);
		expect(&r, OUTCOME_REJECT, REASON_NOT_YET_VALID, 0);
		free(m), free(t2);
	}

	m = plain_reply("yes", "v4.public.AAAA");
	r = decide(m);
	expect(&r, OUTCOME_REJECT, REASON_MALFORMED_TOKEN, 0);
	free(m);
}

static void
test_review(void **state)
{
	struct classify_result r;
	char *tok, *tok2, *m, *both;

	(void)state;
	tok = make_token(
	    fx.key, "someone.else@example.org", 2, 86400, CAMPAIGN, NULL);
	m = plain_reply("yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_SENDER_MISMATCH, 2);
	assert_int_equal(r.held, OUTCOME_CONFIRM);
	free(m);
	/* What the words say is kept: approving a "no" from another address
	 * records the artist's decline (cmd_review.c), never a confirmation;
	 * doubt holds nothing. */
	m = plain_reply("No, we will not take part.", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_SENDER_MISMATCH, 2);
	assert_int_equal(r.held, OUTCOME_DECLINE);
	assert_string_equal(r.rule, "no-word");
	free(m);
	m = plain_reply("Preferimos ficar de fora", tok);
	r = decide(m);
	assert_int_equal(r.held, OUTCOME_DECLINE);
	free(m);
	m = plain_reply("Maybe later", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_SENDER_MISMATCH, 2);
	assert_int_equal(r.held, OUTCOME_REVIEW);
	assert_string_equal(r.rule, "deferral");
	free(m), free(tok);

	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	tok2 = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	both = tu_asprintf("%s\r\n> %s", tok, tok2);
	m = plain_reply("yes", both);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_MULTIPLE_TOKENS, 2);
	free(m), free(tok), free(tok2), free(both);

	/* DMARC required: a pass from our own server only. */
	fx.policy.authserv_id = "mx.example.org";
	fx.policy.require_dmarc = true;
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	m = reply(ARTIST, "Re: x",
	    "Authentication-Results: mx.example.org; dmarc=fail "
	    "header.from=example.org\r\n"
	    "Authentication-Results: mx.example.org; dmarc=pass "
	    "header.from=example.org\r\n",
	    "yes\r\n");
	both = tu_asprintf("%s\r\n> %s\r\n", m, tok);
	r = decide(both);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	free(m), free(both);
	m = reply(ARTIST, "Re: x",
	    "Authentication-Results: mx.example.org; spf=pass; dmarc=pass "
	    "header.from=example.org\r\n",
	    "yes\r\n");
	both = tu_asprintf("%s\r\n> %s\r\n", m, tok);
	r = decide(both);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_int_equal(r.dmarc, DMARC_PASS);
	fx.policy.require_dmarc = false;
	fx.policy.authserv_id = NULL;
	free(m), free(both), free(tok);
}

/* A sign-off's name is the writer's (From "Artist <artist@...>"). */
static void
test_sign_off(void **state)
{
	struct classify_result r;
	char *tok, *m;

	(void)state;
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, NULL);
	/* Not the writer's name: a word of no class, held. */
	m = plain_reply("Obrigado,\r\nPassamos", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNCLEAR, 2);
	assert_string_equal(r.rule, "neutral");
	free(m);
	m = plain_reply("Thanks,\r\nArtist", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	assert_string_equal(r.rule, "courtesy");
	free(m), free(tok);
}

static void
test_automatic_mail(void **state)
{
	struct classify_result r;
	char *tok, *m, *body, jti[27];

	(void)state;
	tok = make_token(fx.key, ARTIST, 2, 86400, CAMPAIGN, jti);
	/* An auto-reply quoting the request never confirms. */
	body = tu_asprintf("I am away.\r\n> %s\r\n", tok);
	m = reply(ARTIST, "Out of Office: Re: phase two",
	    "Auto-Submitted: auto-replied\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_AUTO_REPLY, 0);
	free(m);
	m = reply(ARTIST, "Automatic reply: phase two", NULL, body);
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_AUTO_REPLY, 0);
	free(m);
	/* A null Return-Path alone marks automatic mail, not a bounce. */
	m = reply(ARTIST, "Re: phase two", "Return-Path: <>\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_AUTO_REPLY, 0);
	free(m);
	/* Auto-Submitted: no is a person, whose "I am away." is no yes. */
	m = reply(ARTIST, "Re: phase two", "Auto-Submitted: no\r\n", body);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNCLEAR, 2);
	assert_string_equal(r.rule, "neutral");
	free(m), free(body);

	m = reply(ARTIST, "digest", "List-Id: <music.lists.example.org>\r\n",
	    "We pledge to read.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_LIST, 0);
	free(m);
	m = reply(ARTIST, "pledge news", "Precedence: bulk\r\n", "x\r\n");
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_LIST, 0);
	free(m);
	free(tok);
}

static void
test_bounce_marks_request(void **state)
{
	struct classify_result r;
	char *tok, *m, jti[27], *tokstate = NULL;

	(void)state;
	tok = make_token(fx.key, "gone@example.com", 2, 86400, CAMPAIGN, jti);
	record_issued(
	    "gone@example.com", 2, jti, tok, "req-9@pledged.example.org");
	m = tu_asprintf(
	    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
	    "To: pledges@example.org\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\n"
	    "This is the mail system. Your message could not be delivered.\r\n"
	    "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.example.org\r\n\r\n"
	    "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\n"
	    "Status: 5.1.1\r\n\r\n"
	    "--b1\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: pledges@example.org\r\nTo: gone@example.com\r\n"
	    "Subject: Phase two [ref:%s]\r\n"
	    "Message-ID: <req-9@pledged.example.org>\r\n\r\n%s\r\n"
	    "--b1--\r\n",
	    jti, tok);
	r = decide(m);
	expect(&r, OUTCOME_IGNORE, REASON_BOUNCE, 0);
	assert_string_equal(r.bounced_jti, jti);
	free(m);
	(void)tokstate;
	free(tok);
}

static void
test_withdraw_wins_over_token(void **state)
{
	struct classify_result r;
	char *tok, *m;

	(void)state;
	m = reply("wd@example.org", "I pledge", NULL, "in\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	free(m);
	tok = make_token(fx.key, "wd@example.org", 2, 86400, CAMPAIGN, NULL);
	m = tu_asprintf("From: wd@example.org\r\nSubject: Re: phase two\r\n"
			"Message-ID: <wd2@x>\r\n\r\n"
			"Please withdraw me.\r\n\r\n> %s\r\n",
	    tok);
	r = decide(m);
	expect(&r, OUTCOME_WITHDRAW, REASON_NONE, 0);
	free(m), free(tok);
}

static void
test_duplicate_and_unparseable(void **state)
{
	struct classify_result r;
	const char *m = "From: dup@example.org\r\nSubject: I pledge\r\n"
			"Message-ID: <dup-1@x>\r\n\r\nyes\r\n";

	(void)state;
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	r = decide(m); /* a new UID, same Message-ID and content */
	expect(&r, OUTCOME_IGNORE, REASON_DUPLICATE, 0);
	r = decide("From: a@b\r\nContent-Type: multipart/mixed; "
		   "boundary=\"\\\"\"\r\n\r\n--\"\r\nx\r\n");
	expect(&r, OUTCOME_REJECT, REASON_UNPARSEABLE, 0);
}

/* The artist's pledge state in the store ("" when none). */
static const char *
pledge_state(const char *addr)
{
	static char state[16];
	int64_t id;

	if (store_artist_get(fx.store, addr, &id, state) != STORE_OK)
		state[0] = '\0';
	return state;
}

#define AR_PASS                                                                \
	"Authentication-Results: mx.example.org; dmarc=pass"                   \
	" header.from=example.org\r\n"
#define AR_FAIL                                                                \
	"Authentication-Results: mx.example.org; dmarc=fail"                   \
	" header.from=example.org\r\n"

/*
 * Issue 13, failures 1 and 3: a forged From never withdraws an artist,
 * whatever the settings, and a "dmarc=pass" that is no method result
 * of our server's header is no pass.
 */
static void
test_forged_withdrawal(void **state)
{
	struct classify_result r;
	char *m, *tok, *body, jti[27];
	const char *who = "bassist@example.org";

	(void)state;
	m = reply(who, "I pledge", NULL, "Count me in.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	free(m);

	/* Default settings: a forged From and "withdraw" in the Subject. */
	m = reply(who, "withdraw", NULL, "Take my name off.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	assert_int_equal(r.held, OUTCOME_WITHDRAW);
	free(m);
	/* A References entry naming mail of the artist is no proof:
	 * Message-IDs are in the organizers' exports. */
	m = reply(who, "Re: I pledge", "In-Reply-To: <m1@example.org>\r\n",
	    "I withdraw.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m);
	/* Nor is the jti of a request to the artist. */
	tok = make_token(fx.key, who, 1, 86400, CAMPAIGN, jti);
	record_issued_ref(who, 1, jti, tok, "req-w@pledged.example.org",
	    "wsecretref000000000000000a");
	body = tu_asprintf("Re: Please confirm [ref:%s]", jti);
	m = reply(who, body, NULL, "withdraw\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m), free(body);
	assert_string_equal(pledge_state(who), "received");

	/* authserv_id set, require_dmarc on, our server says fail. */
	fx.policy.authserv_id = "mx.example.org";
	fx.policy.require_dmarc = true;
	m = reply(who, "withdraw", AR_FAIL, "Take my name off.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	assert_int_equal(r.dmarc, DMARC_FAIL);
	free(m);
	fx.policy.require_dmarc = false;
	/* The pass in a comment, in a quoted value, or in a forged field
	 * below ours. */
	m = reply(who, "withdraw",
	    "Authentication-Results: mx.example.org; dmarc=fail"
	    " (dmarc=pass header.from=example.org) header.from=example.org\r\n",
	    "withdraw\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m);
	m = reply(who, "withdraw",
	    "Authentication-Results: mx.example.org; spf=fail"
	    " smtp.mailfrom=\"x; dmarc=pass header.from=example.org\"\r\n",
	    "withdraw\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m);
	m = reply(who, "withdraw",
	    "Authentication-Results: mx.example.org; spf=fail"
	    " smtp.mailfrom=example.org\r\n" AR_PASS,
	    "withdraw\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m);
	/* With authserv_id, even a quoted token is no substitute for the
	 * server's word. */
	body = tu_asprintf("Please withdraw me.\r\n\r\n> %s\r\n", tok);
	m = reply(who, "Re: x", AR_FAIL, body);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m);
	assert_string_equal(pledge_state(who), "received");
	/* Our server vouches: the withdrawal stands. */
	m = reply(who, "withdraw", AR_PASS, "Take my name off.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_WITHDRAW, REASON_NONE, 0);
	free(m);
	assert_string_equal(pledge_state(who), "withdrawn");
	fx.policy.authserv_id = NULL;

	/* No authserv_id: a reply that quotes the artist's token, or that
	 * carries the request's secret reference, shows the writer reads
	 * the artist's mail. */
	m = reply(who, "I pledge", NULL, "Again.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	free(m);
	m = reply(who, "Re: x", NULL, body);
	r = decide(m);
	expect(&r, OUTCOME_WITHDRAW, REASON_NONE, 0);
	free(m), free(body);
	m = reply(who, "I pledge", NULL, "Once more.\r\n");
	r = decide(m);
	free(m);
	m = reply(who, "Re: Please confirm [ref:WSECRETREF000000000000000A]",
	    NULL, "withdraw\r\n");
	r = decide(m);
	expect(&r, OUTCOME_WITHDRAW, REASON_NONE, 0);
	free(m);
	/* A token of another artist proves nothing about this one. */
	m = reply("fan@example.org", "I pledge", NULL, "Me too.\r\n");
	r = decide(m);
	free(m);
	body = tu_asprintf("withdraw\r\n\r\n> %s\r\n", tok);
	m = reply("fan@example.org", "Re: x", NULL, body);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	free(m), free(body), free(tok);
}

/*
 * Issue 13, failure 2: what organizers export (the jti, the request's
 * Message-ID) and a forged From never confirm or decline.
 */
static void
test_reference_is_not_consent(void **state)
{
	struct classify_result r;
	char *m, *tok, *subj, *mid, jti[27];
	const char *who = "drummer@example.org";

	(void)state;
	tok = make_token(fx.key, who, 2, 86400, CAMPAIGN, jti);
	mid = tu_asprintf("%s@pledged.example.org", jti);
	record_issued_ref(who, 2, jti, tok, mid, "dsecretref000000000000000b");
	free(mid);
	subj = tu_asprintf("Re: Phase two [ref:%s]", jti);
	m = reply(who, subj, NULL, "Yes\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	assert_int_equal(r.held, OUTCOME_CONFIRM);
	free(m);
	m = reply(who, subj, NULL, "No\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	assert_int_equal(r.held, OUTCOME_DECLINE);
	free(m), free(subj);
	subj = tu_asprintf("In-Reply-To: <%s@pledged.example.org>\r\n", jti);
	m = reply(who, "Re: Phase two", subj, "Yes\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	free(m), free(subj);
	/* authserv_id set, and a failed or absent DMARC result. */
	fx.policy.authserv_id = "mx.example.org";
	subj = tu_asprintf("Re: Phase two [ref:%s]", jti);
	m = reply(who, subj, AR_FAIL, "Yes\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	free(m), free(subj);
	/* Even the secret reference needs the server's word there. */
	m = reply(who, "Re: Phase two [ref:dsecretref000000000000000b]", NULL,
	    "Yes\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 2);
	free(m);
	fx.policy.authserv_id = NULL;
	assert_false(store_jti_used(fx.store, jti));
	/* The secret reference alone: the writer read the request. */
	m = reply(who, "Re: Phase two [ref:dsecretref000000000000000b]", NULL,
	    "Yes\r\n");
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(tok);
}

/*
 * With authserv_id set, pledges and declines need a pass too; a reply
 * carrying the full token confirms without one (require_dmarc aside).
 */
static void
test_vouched_outcomes(void **state)
{
	struct classify_result r;
	char *m, *tok;

	(void)state;
	fx.policy.authserv_id = "mx.example.org";
	m = reply("keys@example.org", "I pledge", NULL, "In.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 0);
	assert_int_equal(r.held, OUTCOME_PLEDGE);
	free(m);
	m = reply("keys@example.org", "I pledge", AR_PASS, "In.\r\n");
	r = decide(m);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	free(m);
	tok = make_token(fx.key, ARTIST, 1, 86400, CAMPAIGN, NULL);
	m = plain_reply("No thanks", tok);
	r = decide(m);
	expect(&r, OUTCOME_REVIEW, REASON_UNAUTHENTICATED, 1);
	assert_int_equal(r.held, OUTCOME_DECLINE);
	free(m);
	m = plain_reply("Yes", tok);
	r = decide(m);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 1);
	free(m), free(tok);
	fx.policy.authserv_id = NULL;
}

/*
 * Issue 13, failure 12: a token is judged when the message was received,
 * never later than now; the Date header only when nothing else says.
 */
static void
test_judged_at_receipt(void **state)
{
	struct classify_result r;
	char *tok, *m, *msg, date[64];
	int64_t now = time(NULL);
	struct tm tm;
	time_t t;

	(void)state;
	fx.policy.clock_skew = 0;
	/* Issued 60 s ago, expired 30 s ago, received 45 s ago. */
	tok = make_token(fx.key, "late@example.org", 2, -30, CAMPAIGN, NULL);
	m = reply("late@example.org", "Re: x", NULL, "Done.\r\n");
	msg = tu_asprintf("%s\r\n> %s\r\n", m, tok);
	r = decide_at(msg, now - 45);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(msg), free(tok);

	/* A receipt time in the future is now. */
	tok = make_token(fx.key, "late@example.org", 2, -30, CAMPAIGN, NULL);
	m = reply("late@example.org", "Re: x", NULL, "Done.\r\n");
	msg = tu_asprintf("%s\r\n> %s\r\n", m, tok);
	r = decide_at(msg, now + 86400);
	expect(&r, OUTCOME_REJECT, REASON_EXPIRED, 0);
	free(msg);
	/* Unknown receipt: the Date header, never in the future. */
	t = (time_t)(now - 45);
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	msg = tu_asprintf("Date: %s\r\n%s\r\n> %s\r\n", date, m, tok);
	r = decide_at(msg, 0);
	expect(&r, OUTCOME_CONFIRM, REASON_NONE, 2);
	free(m), free(msg), free(tok);
	tok = make_token(fx.key, "late@example.org", 2, -30, CAMPAIGN, NULL);
	m = reply("late@example.org", "Re: x", NULL, "Done.\r\n");
	msg = tu_asprintf(
	    "Date: Fri, 1 Jan 2100 00:00:00 +0000\r\n%s\r\n> %s\r\n", m, tok);
	r = decide_at(msg, 0);
	expect(&r, OUTCOME_REJECT, REASON_EXPIRED, 0);
	free(m), free(msg), free(tok);
	fx.policy.clock_skew = 300;
}

/*
 * A message whose reading passes the deadline is rejected as unparseable,
 * whatever it says, and never a pledge (the pipeline sets the deadline).
 */
static void
test_deadline(void **state)
{
	struct classify_policy pol = fx.policy;
	struct classify_lookup lk = {0};
	struct classify_result r;
	struct message *msg = NULL;
	const char *m = "From: slow@example.org\r\nSubject: I pledge\r\n"
			"Message-ID: <slow-1@x>\r\n\r\nyes\r\n";

	(void)state;
	assert_int_equal(
	    message_parse(m, strlen(m), NULL, &msg, NULL), MESSAGE_OK);
	classify_message(&pol, &lk, msg, time(NULL), &r);
	expect(&r, OUTCOME_PLEDGE, REASON_NONE, 0);
	pol.cpu_deadline_ms = 1; /* long past */
	classify_message(&pol, &lk, msg, time(NULL), &r);
	expect(&r, OUTCOME_REJECT, REASON_UNPARSEABLE, 0);
	assert_string_equal(r.artist, "");
	message_free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pledge_and_withdraw),
	    cmocka_unit_test(test_confirm_channels),
	    cmocka_unit_test(test_more_channels),
	    cmocka_unit_test(test_intent),
	    cmocka_unit_test(test_token_failures),
	    cmocka_unit_test(test_review),
	    cmocka_unit_test(test_sign_off),
	    cmocka_unit_test(test_automatic_mail),
	    cmocka_unit_test(test_bounce_marks_request),
	    cmocka_unit_test(test_withdraw_wins_over_token),
	    cmocka_unit_test(test_duplicate_and_unparseable),
	    cmocka_unit_test(test_forged_withdrawal),
	    cmocka_unit_test(test_reference_is_not_consent),
	    cmocka_unit_test(test_vouched_outcomes),
	    cmocka_unit_test(test_judged_at_receipt),
	    cmocka_unit_test(test_deadline),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
