/*
 * classify: the outcome table of DESIGN.md.
 *
 * Order matters and is DESIGN's: a bounce first (many bounces also carry
 * Auto-Submitted), then auto-replies, then list mail, so that no token
 * quoted in automatic mail ever counts; then a withdrawal in the artist's
 * own words (it wins over any token quoted below it); then tokens, with
 * the reply's intent; then the pledge keyword; then "other".
 *
 * Tokens are looked for in every channel (Subject, every text part, HTML
 * turned to text), and only when none verifies does a [ref:<jti>] or a
 * reference to a recorded request load the issued token from the store.
 * A candidate that fails is only evidence: mail clients mangle long lines,
 * and the text scanner offers several joins of a wrapped token, most of
 * them wrong.  So a reply is rejected only when nothing verifies, and then
 * with the most telling failure seen.
 *
 * Every outcome that changes the ledger then meets the sender evidence
 * rule (sender_evidence): a From address is only a claim, so what the
 * message shows about its writer (the receiving server's DMARC verdict,
 * a token or the request's secret reference, which only mail sent to
 * the artist carried) decides whether the outcome stands or is held for
 * review, with the outcome kept in 'held' for the approval.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pledged/authres.h"
#include "pledged/classify.h"
#include "pledged/intent.h"
#include "pledged/message.h"
#include "pledged/text.h"
#include "pledged/token.h"

/* Keep in step with the CHECK constraints in sql/schema.sql. */
static const char *const outcome_names[] = {
    [OUTCOME_PLEDGE] = "pledge",
    [OUTCOME_CONFIRM] = "confirm",
    [OUTCOME_DECLINE] = "decline",
    [OUTCOME_WITHDRAW] = "withdraw",
    [OUTCOME_REVIEW] = "review",
    [OUTCOME_REJECT] = "reject",
    [OUTCOME_IGNORE] = "ignore",
};

static const char *const reason_names[] = {
    [REASON_NONE] = NULL,
    [REASON_SENDER_MISMATCH] = "sender-mismatch",
    [REASON_MULTIPLE_TOKENS] = "multiple-tokens",
    [REASON_UNCLEAR] = "unclear",
    [REASON_UNAUTHENTICATED] = "unauthenticated",
    [REASON_BAD_SIGNATURE] = "bad-signature",
    [REASON_UNKNOWN_KEY] = "unknown-key",
    [REASON_MALFORMED_TOKEN] = "malformed-token",
    [REASON_EXPIRED] = "expired",
    [REASON_NOT_YET_VALID] = "not-yet-valid",
    [REASON_WRONG_CAMPAIGN] = "wrong-campaign",
    [REASON_REPLAYED] = "replayed",
    [REASON_TOO_LARGE] = "too-large",
    [REASON_UNPARSEABLE] = "unparseable",
    [REASON_AUTO_REPLY] = "auto-reply",
    [REASON_BOUNCE] = "bounce",
    [REASON_LIST] = "list",
    [REASON_DUPLICATE] = "duplicate",
    [REASON_OTHER] = "other",
};

/* The outcome each reason goes with; REASON_NONE's are the four below. */
static const enum classify_outcome reason_outcomes[] = {
    [REASON_NONE] = OUTCOME_PLEDGE,
    [REASON_SENDER_MISMATCH] = OUTCOME_REVIEW,
    [REASON_MULTIPLE_TOKENS] = OUTCOME_REVIEW,
    [REASON_UNCLEAR] = OUTCOME_REVIEW,
    [REASON_UNAUTHENTICATED] = OUTCOME_REVIEW,
    [REASON_BAD_SIGNATURE] = OUTCOME_REJECT,
    [REASON_UNKNOWN_KEY] = OUTCOME_REJECT,
    [REASON_MALFORMED_TOKEN] = OUTCOME_REJECT,
    [REASON_EXPIRED] = OUTCOME_REJECT,
    [REASON_NOT_YET_VALID] = OUTCOME_REJECT,
    [REASON_WRONG_CAMPAIGN] = OUTCOME_REJECT,
    [REASON_REPLAYED] = OUTCOME_REJECT,
    [REASON_TOO_LARGE] = OUTCOME_REJECT,
    [REASON_UNPARSEABLE] = OUTCOME_REJECT,
    [REASON_AUTO_REPLY] = OUTCOME_IGNORE,
    [REASON_BOUNCE] = OUTCOME_IGNORE,
    [REASON_LIST] = OUTCOME_IGNORE,
    [REASON_DUPLICATE] = OUTCOME_IGNORE,
    [REASON_OTHER] = OUTCOME_IGNORE,
};

_Static_assert(
    sizeof outcome_names / sizeof outcome_names[0] == CLASSIFY_OUTCOMES,
    "an outcome without a name");
_Static_assert(sizeof reason_names / sizeof reason_names[0] == CLASSIFY_REASONS,
    "a reason without a name");
_Static_assert(
    sizeof reason_outcomes / sizeof reason_outcomes[0] == CLASSIFY_REASONS,
    "a reason without its outcome");

bool
classify_reason_fits(enum classify_outcome o, enum classify_reason r)
{
	if ((size_t)o >= CLASSIFY_OUTCOMES || (size_t)r >= CLASSIFY_REASONS)
		return false;
	if (r == REASON_NONE)
		return o == OUTCOME_PLEDGE || o == OUTCOME_CONFIRM ||
		    o == OUTCOME_DECLINE || o == OUTCOME_WITHDRAW;
	return reason_outcomes[r] == o;
}

/* How many lines of the own text may carry a pledge keyword. */
#define PLEDGE_LINES 5

const char *
classify_outcome_name(enum classify_outcome o)
{
	if ((size_t)o >= sizeof outcome_names / sizeof outcome_names[0])
		return "ignore";
	return outcome_names[o];
}

const char *
classify_reason_name(enum classify_reason r)
{
	if ((size_t)r >= sizeof reason_names / sizeof reason_names[0])
		return NULL;
	return reason_names[r];
}

/* The text of a message as classify reads it, built once per call. */
struct view {
	char *body; /* the first readable text part, as plain text */
	size_t len;
	struct text_split split; /* own and quoted */
	char *words; /* own text without "Sent from", disclaimers, footers */
	const char *subject; /* Re:, Fwd: and kin skipped */
	size_t subject_len;
	bool subject_has_ref;
	char ref[TOKEN_JTI_MAX + 1];
};

static char *
part_as_text(const struct message_part *p, size_t *len)
{
	char *s;

	if (p->kind == MESSAGE_PART_HTML) {
		s = text_from_html(p->text, p->len);
		*len = s != NULL ? strlen(s) : 0;
		return s;
	}
	s = malloc(p->len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p->text, p->len);
	s[p->len] = '\0';
	*len = p->len;
	return s;
}

/*
 * The reply's own text comes from its first text/plain part, or its first
 * HTML part when there is no plain one; never from an attachment or a
 * returned message.
 */
static void
view_init(struct view *v, const struct classify_policy *pol,
    const struct message *msg)
{
	const struct message_part *plain = NULL, *html = NULL;

	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < msg->n_parts; i++) {
		const struct message_part *p = &msg->parts[i];
		if (p->in_attachment_or_rfc822)
			continue;
		if (p->kind == MESSAGE_PART_PLAIN && plain == NULL)
			plain = p;
		if (p->kind == MESSAGE_PART_HTML && html == NULL)
			html = p;
	}
	if (plain != NULL || html != NULL)
		v->body = part_as_text(plain != NULL ? plain : html, &v->len);
	if (v->body == NULL) {
		v->body = strdup("");
		v->len = 0;
	}
	text_split_reply(v->body != NULL ? v->body : "", v->len, &v->split);
	if (v->split.own == NULL)
		v->split.own = strdup("");
	if (v->split.own != NULL)
		v->words = intent_own_words(
		    pol->intent, v->split.own, strlen(v->split.own));
	v->subject = "";
	if (msg->subject != NULL) {
		v->subject_len = strlen(msg->subject);
		v->subject = text_subject_strip(msg->subject, &v->subject_len);
	}
	v->subject_has_ref = msg->subject != NULL &&
	    text_find_ref(msg->subject, strlen(msg->subject), v->ref);
}

static void
view_free(struct view *v)
{
	free(v->body);
	free(v->words);
	text_split_free(&v->split);
}

static bool
starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool
equals_ci_trimmed(const char *s, const char *word)
{
	size_t n = strlen(word);

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, word, n) != 0)
		return false;
	s += n;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '\0';
}

static bool
from_mail_system(const struct message *msg)
{
	static const char *const locals[] = {"mailer-daemon@", "postmaster@",
	    "mail-daemon@", "mailerdaemon@", "bounce@", "bounces@"};
	static const char *const names[] = {"mail delivery system",
	    "mail delivery subsystem", "mailer-daemon", "postmaster",
	    "microsoft outlook", "mail administrator"};

	if (msg->from_addr != NULL)
		for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
			if (starts_with_ci(msg->from_addr, locals[i]))
				return true;
	if (msg->from_name != NULL)
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (equals_ci_trimmed(msg->from_name, names[i]))
				return true;
	return false;
}

/*
 * A bounce: a delivery-status report, or a message from a mail system
 * whose Subject says so.  A null Return-Path alone is not enough: RFC 3834
 * auto-replies carry one too; with a bounce Subject it is.
 */
static bool
is_bounce(const struct message *msg, const struct view *v)
{
	bool subj;

	if (msg->has_delivery_status)
		return true;
	if (msg->is_report && msg->report_type != NULL &&
	    strcmp(msg->report_type, "delivery-status") == 0)
		return true;
	subj = text_is_bounce_subject(v->subject, v->subject_len);
	if (from_mail_system(msg))
		return subj || msg->returned_message_id != NULL ||
		    msg->is_report;
	if (!subj)
		return false;
	return (msg->return_path != NULL && *msg->return_path == '\0') ||
	    msg->returned_message_id != NULL ||
	    (msg->auto_submitted != NULL &&
		!equals_ci_trimmed(msg->auto_submitted, "no"));
}

static bool
is_auto_reply(const struct message *msg, const struct view *v)
{
	if (msg->auto_submitted != NULL &&
	    !equals_ci_trimmed(msg->auto_submitted, "no"))
		return true;
	if (msg->has_autoreply_header)
		return true;
	/* A null envelope sender: only automatic mail uses one (RFC 3834),
	 * and the bounces among it were caught before. */
	if (msg->return_path != NULL && *msg->return_path == '\0')
		return true;
	if (msg->precedence != NULL &&
	    equals_ci_trimmed(msg->precedence, "auto_reply"))
		return true;
	/* Read receipts (RFC 8098) are automatic answers too. */
	if (msg->is_report && msg->report_type != NULL &&
	    strcmp(msg->report_type, "disposition-notification") == 0)
		return true;
	return text_is_autoreply_subject(v->subject, v->subject_len);
}

static bool
is_list(const struct message *msg)
{
	if (msg->list_id != NULL || msg->has_list_headers)
		return true;
	if (msg->precedence == NULL)
		return false;
	return equals_ci_trimmed(msg->precedence, "bulk") ||
	    equals_ci_trimmed(msg->precedence, "junk") ||
	    equals_ci_trimmed(msg->precedence, "list");
}

/* Which request a bounce returns: by Message-ID, then by [ref:]. */
static void
find_bounced_request(const struct classify_lookup *lk,
    const struct message *msg, const struct view *v,
    struct classify_result *out)
{
	char ref[TOKEN_JTI_MAX + 1], *token = NULL;
	bool found;

	if (msg->returned_message_id != NULL && lk->token_by_request != NULL &&
	    lk->token_by_request(
		lk->arg, msg->returned_message_id, &token, out->bounced_jti)) {
		free(token);
		return;
	}
	out->bounced_jti[0] = '\0';
	if (lk->token_by_jti == NULL)
		return;
	found = msg->returned_subject != NULL &&
	    text_find_ref(
		msg->returned_subject, strlen(msg->returned_subject), ref);
	if (!found && v->subject_has_ref) {
		memcpy(ref, v->ref, sizeof ref);
		found = true;
	}
	if (found && lk->token_by_ref != NULL &&
	    lk->token_by_ref(lk->arg, ref, &token, out->bounced_jti)) {
		free(token);
		return;
	}
	out->bounced_jti[0] = '\0';
	if (found && lk->token_by_jti(lk->arg, ref, &token)) {
		memcpy(out->bounced_jti, ref, sizeof ref);
		free(token);
	}
}

/*
 * DMARC from the topmost Authentication-Results header of our own
 * authserv-id (RFC 8601, parsed by authres): lower ones may have been
 * added by the sender.
 */
static enum classify_dmarc
dmarc_result(const struct classify_policy *pol, const struct message *msg)
{
	const char *at =
	    msg->from_addr != NULL ? strrchr(msg->from_addr, '@') : NULL;

	switch (authres_dmarc(msg->auth_results, msg->n_auth_results,
	    pol->authserv_id, at != NULL ? at + 1 : NULL)) {
	case AUTHRES_DMARC_PASS:
		return DMARC_PASS;
	case AUTHRES_DMARC_FAIL:
		return DMARC_FAIL;
	default:
		return DMARC_UNKNOWN;
	}
}

/*
 * Where a verified token came from, which is what it proves about the
 * writer: a full token or the request's secret reference was in mail
 * sent to the artist; a public reference (a jti, a request Message-ID)
 * is known to anyone who saw an export or a header.
 */
enum proof {
	PROOF_NONE = 0,
	PROOF_TOKEN,
	PROOF_SECRET_REF,
	PROOF_PUBLIC_REF,
};

/* The token search: what verified, and the most telling failure. */
struct found {
	struct token_claims valid;
	bool have_valid;
	bool several;
	enum token_status worst; /* TOKEN_OK when no candidate at all */
};

/*
 * How telling a failure is: a token whose signature verified but whose
 * claims fail says more than a mangled string.
 */
static int
failure_rank(enum token_status st)
{
	switch (st) {
	case TOKEN_OK:
		return 0;
	case TOKEN_MALFORMED:
		return 1;
	case TOKEN_BAD_SIGNATURE:
		return 2;
	case TOKEN_UNKNOWN_KEY:
		return 3;
	default:
		return 4; /* expired, not yet valid, wrong campaign */
	}
}

/* Has the policy's CPU deadline passed?  (Cheap enough between steps.) */
static bool
past_deadline(const struct classify_policy *pol)
{
	struct timespec ts;

	if (pol->cpu_deadline_ms == 0)
		return false;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >=
	    pol->cpu_deadline_ms;
}

static void
try_token(const struct classify_policy *pol, const struct token_policy *tp,
    const char *tok, size_t len, struct found *f)
{
	struct token_claims c;
	enum token_status st;

	st = token_verify(pol->keyring, tp, tok, len, &c);
	if (st == TOKEN_OK) {
		if (f->have_valid && strcmp(f->valid.jti, c.jti) != 0)
			f->several = true;
		if (!f->have_valid)
			f->valid = c;
		f->have_valid = true;
		return;
	}
	if (failure_rank(st) > failure_rank(f->worst))
		f->worst = st;
}

static void
scan_text(const struct classify_policy *pol, const struct token_policy *tp,
    const char *text, size_t len, struct found *f)
{
	struct text_tokens tt = {NULL, 0};

	text_find_tokens(text, len, &tt);
	for (size_t i = 0; i < tt.n && !past_deadline(pol); i++)
		try_token(pol, tp, tt.items[i], strlen(tt.items[i]), f);
	text_tokens_free(&tt);
}

static void
find_tokens(const struct classify_policy *pol, const struct token_policy *tp,
    const struct message *msg, struct found *f)
{
	if (msg->subject != NULL)
		scan_text(pol, tp, msg->subject, strlen(msg->subject), f);
	for (size_t i = 0; i < msg->n_parts; i++) {
		const struct message_part *p = &msg->parts[i];
		size_t len;
		char *s;

		if (past_deadline(pol))
			return;
		/* A forwarded or returned message is not the writer's. */
		if (p->in_attachment_or_rfc822)
			continue;
		if (p->kind == MESSAGE_PART_PLAIN) {
			scan_text(pol, tp, p->text, p->len, f);
			continue;
		}
		/* HTML twice: as markup, where attributes keep links whole,
		 * and as text, where entities are decoded. */
		scan_text(pol, tp, p->text, p->len, f);
		if ((s = part_as_text(p, &len)) != NULL)
			scan_text(pol, tp, s, len, f);
		free(s);
	}
}

/*
 * No full token verified: the reference, or a request we sent.  Only the
 * request's secret reference shows that the writer read the request; a
 * jti and a Message-ID are public (exports, file names, headers).
 */
static enum proof
find_by_reference(const struct classify_policy *pol,
    const struct token_policy *tp, const struct classify_lookup *lk,
    const struct message *msg, const struct view *v, struct found *f)
{
	char jti[TOKEN_JTI_MAX + 1], *token = NULL;
	enum proof kind = PROOF_PUBLIC_REF;

	if (v->subject_has_ref && lk->token_by_ref != NULL &&
	    lk->token_by_ref(lk->arg, v->ref, &token, jti)) {
		kind = PROOF_SECRET_REF;
		goto verify;
	}
	if (v->subject_has_ref && lk->token_by_jti != NULL &&
	    lk->token_by_jti(lk->arg, v->ref, &token))
		goto verify;
	if (lk->token_by_request == NULL)
		return PROOF_NONE;
	if (msg->in_reply_to != NULL &&
	    lk->token_by_request(lk->arg, msg->in_reply_to, &token, jti))
		goto verify;
	for (size_t i = msg->n_references; i-- > 0;)
		if (lk->token_by_request(
			lk->arg, msg->references[i], &token, jti))
			goto verify;
	return PROOF_NONE;
verify:
	try_token(pol, tp, token, strlen(token), f);
	free(token);
	return kind;
}

static enum classify_reason
token_reason(enum token_status st)
{
	switch (st) {
	case TOKEN_BAD_SIGNATURE:
		return REASON_BAD_SIGNATURE;
	case TOKEN_UNKNOWN_KEY:
		return REASON_UNKNOWN_KEY;
	case TOKEN_EXPIRED:
		return REASON_EXPIRED;
	case TOKEN_NOT_YET_VALID:
		return REASON_NOT_YET_VALID;
	case TOKEN_WRONG_CAMPAIGN:
		return REASON_WRONG_CAMPAIGN;
	default:
		return REASON_MALFORMED_TOKEN;
	}
}

static void
set_artist(struct classify_result *out, const char *addr)
{
	if (addr == NULL)
		return;
	/* Addresses longer than any real one are cut, never overflowed. */
	snprintf(out->artist, sizeof out->artist, "%s", addr);
}

static void
set_own_text(struct classify_result *out, const char *own)
{
	size_t n = strlen(own);

	while (n > 0 &&
	    (own[n - 1] == '\n' || own[n - 1] == '\r' || own[n - 1] == ' '))
		n--;
	while (n > 0 && (*own == '\n' || *own == '\r' || *own == ' '))
		own++, n--;
	if (n > CLASSIFY_OWN_TEXT_MAX) {
		n = CLASSIFY_OWN_TEXT_MAX;
		/* Cut on a UTF-8 character boundary. */
		while (n > 0 && ((unsigned char)own[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out->own_text, own, n);
	out->own_text[n] = '\0';
}

/* In the artist's own words: never a signature, disclaimer or footer. */
static bool
own_has(const struct view *v, char *const *words, size_t n)
{
	return n > 0 && v->words != NULL &&
	    text_has_keyword(v->words, strlen(v->words), words, n);
}

/* The Subject speaks for the writer unless it answers one of ours. */
static bool
subject_has(const struct view *v, char *const *words, size_t n)
{
	return n > 0 && !v->subject_has_ref &&
	    text_has_keyword(v->subject, v->subject_len, words, n);
}

/* The first PLEDGE_LINES non-empty lines of the own text. */
static bool
first_lines_have(const struct view *v, char *const *words, size_t n)
{
	const char *p = v->split.own, *nl;
	int lines = 0;

	while (*p != '\0' && lines < PLEDGE_LINES) {
		nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && text_has_keyword(p, len, words, n))
			return true;
		if (len > 0 && strspn(p, " \t\r") < len)
			lines++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

/*
 * The reply's intent (intent.h) as an outcome.  A withdrawal that reached
 * this point was not one of withdraw_keywords from a pledged artist
 * (classify_message acts on those first): a person decides.
 */
static void
decide_intent(const struct classify_policy *pol, const struct message *msg,
    const struct view *v, struct classify_result *out)
{
	char writer[512];
	const struct intent_keywords kw = {pol->withdraw_keywords,
	    pol->n_withdraw_keywords, pol->yes_keywords, pol->n_yes_keywords,
	    pol->no_keywords, pol->n_no_keywords, writer};
	const char *own = v->split.own != NULL ? v->split.own : "";
	const char *addr = msg->from_addr != NULL ? msg->from_addr : "";
	const char *at = strrchr(addr, '@');
	struct intent_result r;

	/*
	 * A sign-off's name is courtesy only when it is the writer's (the
	 * display name, or the address's local part: "anna.ruiz"), so that
	 * "Thanks,\nPassamos" is held, not read as a name.
	 */
	snprintf(writer, sizeof writer, "%s %.*s",
	    msg->from_name != NULL ? msg->from_name : "",
	    (int)(at != NULL ? (size_t)(at - addr) : strlen(addr)), addr);

	intent_decide(pol->intent, &kw, own, strlen(own), &r);
	out->rule = intent_rule_name(r.rule);
	switch (r.decision) {
	case INTENT_CONFIRM:
		out->outcome = OUTCOME_CONFIRM;
		break;
	case INTENT_DECLINE:
		out->outcome = OUTCOME_DECLINE;
		break;
	default:
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_UNCLEAR;
		break;
	}
}

/*
 * A valid token from another address: held, with what its words say in
 * 'held', so that approving a "no" records the artist's decline, never a
 * confirmation (cmd_review.c).  A withdrawal or doubt holds nothing: the
 * person who approves decides it is a yes; a withdrawal needs the
 * artist's own address.
 */
static void
hold_mismatch(const struct classify_policy *pol, const struct message *msg,
    const struct view *v, struct classify_result *out)
{
	decide_intent(pol, msg, v, out);
	if (out->outcome == OUTCOME_CONFIRM || out->outcome == OUTCOME_DECLINE)
		out->held = out->outcome;
	else
		out->held = OUTCOME_REVIEW;
	out->outcome = OUTCOME_REVIEW;
	out->reason = REASON_SENDER_MISMATCH;
}

static void
decide_token(const struct classify_policy *pol,
    const struct classify_lookup *lk, const struct message *msg,
    const struct view *v, const struct found *f, struct classify_result *out)
{
	const struct token_claims *c = &f->valid;

	out->phase = c->phase;
	snprintf(out->jti, sizeof out->jti, "%s", c->jti);
	set_artist(out, c->sub);
	if (f->several) {
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_MULTIPLE_TOKENS;
		return;
	}
	if (lk->jti_used != NULL && lk->jti_used(lk->arg, c->jti)) {
		out->outcome = OUTCOME_REJECT;
		out->reason = REASON_REPLAYED;
		return;
	}
	/* A linked second address of the artist answers for the artist. */
	if (msg->from_addr == NULL ||
	    (strcmp(msg->from_addr, c->sub) != 0 &&
		(lk->same_artist == NULL ||
		    !lk->same_artist(lk->arg, msg->from_addr, c->sub)))) {
		hold_mismatch(pol, msg, v, out);
		return;
	}
	if (pol->require_dmarc && out->dmarc != DMARC_PASS) {
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_UNAUTHENTICATED;
		return;
	}
	decide_intent(pol, msg, v, out);
}

/*
 * Sender evidence (DESIGN.md, "Outcomes"): may a decision that changes
 * the ledger stand on what this message shows about its writer?
 *
 * With authserv_id set, the receiving server vouches for the From domain
 * (dmarc=pass): pledges, withdrawals, declines and confirmations by
 * reference need it.  A confirmation carrying the full token needs it
 * only with require_dmarc, which extends the rule to everything.
 * A public reference (a jti, a request Message-ID) confirms or declines
 * only for an authenticated sender: anyone who saw an export knows it.
 * Without authserv_id, nothing vouches for the From: a withdrawal then
 * needs proof that the writer reads the artist's mail (see
 * withdraw_proof); pledges and the rest stand on the From and the token.
 */
static bool
sender_evidence(const struct classify_policy *pol,
    const struct classify_result *r, enum proof proof)
{
	bool vouched = pol->authserv_id != NULL && *pol->authserv_id != '\0';
	bool pass = r->dmarc == DMARC_PASS;

	if (pol->require_dmarc && !pass)
		return false;
	switch (r->outcome) {
	case OUTCOME_PLEDGE:
	case OUTCOME_WITHDRAW:
		return !vouched || pass;
	case OUTCOME_CONFIRM:
	case OUTCOME_DECLINE:
		if (proof == PROOF_PUBLIC_REF)
			return pass;
		if (proof == PROOF_TOKEN && r->outcome == OUTCOME_CONFIRM)
			return true;
		return !vouched || pass;
	default:
		return true;
	}
}

/* Hold a decision for review: approving it records what it would have. */
static void
hold(struct classify_result *out)
{
	out->held = out->outcome;
	out->outcome = OUTCOME_REVIEW;
	out->reason = REASON_UNAUTHENTICATED;
}

/*
 * Without a server that vouches for the From, "previously written to the
 * campaign" must mean more than an address: anyone can type one.  A
 * withdrawal stands when the message carries what only mail sent to that
 * address had: a valid token of ours for it, or the secret reference of a
 * request to it (a reply to the request).  A References entry naming the
 * artist's earlier mail is no proof: Message-IDs are in exports too.
 */
static bool
withdraw_proof(const struct classify_policy *pol, const struct token_policy *tp,
    const struct classify_lookup *lk, const struct message *msg,
    const struct view *v)
{
	char jti[TOKEN_JTI_MAX + 1], *token = NULL;
	struct found f;

	memset(&f, 0, sizeof f);
	find_tokens(pol, tp, msg, &f);
	if (!f.have_valid && v->subject_has_ref && lk->token_by_ref != NULL &&
	    lk->token_by_ref(lk->arg, v->ref, &token, jti)) {
		try_token(pol, tp, token, strlen(token), &f);
		free(token);
	}
	return f.have_valid && !f.several &&
	    strcmp(f.valid.sub, msg->from_addr) == 0;
}

void
classify_message(const struct classify_policy *pol,
    const struct classify_lookup *lk, const struct message *msg, int64_t now,
    struct classify_result *out)
{
	struct token_policy tp = {pol->campaign, now, pol->clock_skew};
	enum proof proof;
	struct found f;
	struct view v;

	memset(out, 0, sizeof *out);
	out->held = OUTCOME_REVIEW; /* nothing held */
	memset(&f, 0, sizeof f);
	view_init(&v, pol, msg);
	if (past_deadline(pol))
		goto late;
	set_own_text(out, v.split.own);
	out->dmarc = dmarc_result(pol, msg);
	out->outcome = OUTCOME_IGNORE;

	if (is_bounce(msg, &v)) {
		out->reason = REASON_BOUNCE;
		find_bounced_request(lk, msg, &v, out);
		goto out;
	}
	if (is_auto_reply(msg, &v)) {
		out->reason = REASON_AUTO_REPLY;
		goto out;
	}
	if (is_list(msg)) {
		out->reason = REASON_LIST;
		goto out;
	}
	/* A withdrawal in the artist's own words wins over any token. */
	if (msg->from_addr != NULL &&
	    (own_has(&v, pol->withdraw_keywords, pol->n_withdraw_keywords) ||
		subject_has(
		    &v, pol->withdraw_keywords, pol->n_withdraw_keywords)) &&
	    lk->has_pledged != NULL &&
	    lk->has_pledged(lk->arg, msg->from_addr)) {
		out->outcome = OUTCOME_WITHDRAW;
		out->rule = intent_rule_name(RULE_WITHDRAW_KEYWORD);
		set_artist(out, msg->from_addr);
		if (!sender_evidence(pol, out, PROOF_NONE) ||
		    ((pol->authserv_id == NULL || *pol->authserv_id == '\0') &&
			!withdraw_proof(pol, &tp, lk, msg, &v)))
			hold(out);
		goto out;
	}
	find_tokens(pol, &tp, msg, &f);
	proof = f.have_valid ? PROOF_TOKEN : PROOF_NONE;
	if (past_deadline(pol))
		goto late;
	if (!f.have_valid)
		proof = find_by_reference(pol, &tp, lk, msg, &v, &f);
	if (f.have_valid) {
		decide_token(pol, lk, msg, &v, &f, out);
		if ((out->outcome == OUTCOME_CONFIRM ||
			out->outcome == OUTCOME_DECLINE) &&
		    !sender_evidence(pol, out, proof))
			hold(out);
		goto out;
	}
	if (f.worst != TOKEN_OK) {
		out->outcome = OUTCOME_REJECT;
		out->reason = token_reason(f.worst);
		goto out;
	}
	if (msg->from_addr != NULL &&
	    (subject_has(&v, pol->pledge_keywords, pol->n_pledge_keywords) ||
		first_lines_have(
		    &v, pol->pledge_keywords, pol->n_pledge_keywords))) {
		set_artist(out, msg->from_addr);
		out->outcome = OUTCOME_PLEDGE;
		if (!sender_evidence(pol, out, PROOF_NONE))
			hold(out);
		goto out;
	}
	out->reason = REASON_OTHER;
	goto out;
late:
	/* Too long to read: like a message the parser cannot take. */
	out->outcome = OUTCOME_REJECT;
	out->reason = REASON_UNPARSEABLE;
	out->phase = 0;
	out->artist[0] = out->jti[0] = '\0';
out:
	view_free(&v);
}
