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
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pledged/classify.h"
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
	const char *subject;	 /* Re:, Fwd: and kin skipped */
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
view_init(struct view *v, const struct message *msg)
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
	if (found && lk->token_by_jti(lk->arg, ref, &token)) {
		memcpy(out->bounced_jti, ref, sizeof ref);
		free(token);
	}
}

/*
 * DMARC from the topmost Authentication-Results header of our own
 * authserv-id (RFC 8601): lower ones may have been added by the sender.
 */
static enum classify_dmarc
dmarc_result(const struct classify_policy *pol, const struct message *msg)
{
	const char *ar = NULL, *p, *at;
	size_t idlen;

	if (pol->authserv_id == NULL || *pol->authserv_id == '\0')
		return DMARC_UNKNOWN;
	idlen = strlen(pol->authserv_id);
	for (size_t i = 0; i < msg->n_auth_results; i++) {
		p = msg->auth_results[i];
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, pol->authserv_id, idlen) == 0 &&
		    (p[idlen] == ';' || p[idlen] == ' ' || p[idlen] == '\t')) {
			ar = p + idlen;
			break;
		}
	}
	if (ar == NULL)
		return DMARC_UNKNOWN;
	at = msg->from_addr != NULL ? strrchr(msg->from_addr, '@') : NULL;
	for (p = ar; (p = strchr(p, ';')) != NULL;) {
		const char *end, *hf;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncasecmp(p, "dmarc=", 6) != 0)
			continue;
		if (strncasecmp(p + 6, "pass", 4) != 0 ||
		    isalnum((unsigned char)p[10]))
			return DMARC_FAIL;
		/* The pass must be for the From domain. */
		end = strchr(p, ';');
		hf = strcasestr(p, "header.from=");
		if (hf == NULL || (end != NULL && hf > end) || at == NULL)
			return DMARC_PASS;
		hf += strlen("header.from=");
		if (strncasecmp(hf, at + 1, strlen(at + 1)) == 0 &&
		    !isalnum((unsigned char)hf[strlen(at + 1)]) &&
		    hf[strlen(at + 1)] != '.' && hf[strlen(at + 1)] != '-')
			return DMARC_PASS;
		return DMARC_FAIL;
	}
	return DMARC_UNKNOWN;
}

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

/* No full token verified: the reference, or a request we sent. */
static void
find_by_reference(const struct classify_policy *pol,
    const struct token_policy *tp, const struct classify_lookup *lk,
    const struct message *msg, const struct view *v, struct found *f)
{
	char jti[TOKEN_JTI_MAX + 1], *token = NULL;

	if (v->subject_has_ref && lk->token_by_jti != NULL &&
	    lk->token_by_jti(lk->arg, v->ref, &token))
		goto verify;
	if (lk->token_by_request == NULL)
		return;
	if (msg->in_reply_to != NULL &&
	    lk->token_by_request(lk->arg, msg->in_reply_to, &token, jti))
		goto verify;
	for (size_t i = msg->n_references; i-- > 0;)
		if (lk->token_by_request(
			lk->arg, msg->references[i], &token, jti))
			goto verify;
	return;
verify:
	try_token(pol, tp, token, strlen(token), f);
	free(token);
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

static bool
own_has(const struct view *v, char *const *words, size_t n)
{
	return n > 0 &&
	    text_has_keyword(v->split.own, strlen(v->split.own), words, n);
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

static void
decide_token(const struct classify_policy *pol,
    const struct classify_lookup *lk, const struct message *msg,
    const struct view *v, const struct found *f, struct classify_result *out)
{
	const struct token_claims *c = &f->valid;
	bool yes;

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
	if (msg->from_addr == NULL || strcmp(msg->from_addr, c->sub) != 0) {
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_SENDER_MISMATCH;
		return;
	}
	if (pol->require_dmarc && out->dmarc != DMARC_PASS) {
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_UNAUTHENTICATED;
		return;
	}
	yes = own_has(v, pol->yes_keywords, pol->n_yes_keywords);
	if (!yes && own_has(v, pol->no_keywords, pol->n_no_keywords)) {
		out->outcome = OUTCOME_DECLINE;
		return;
	}
	if (!yes && text_is_question(v->split.own, strlen(v->split.own))) {
		out->outcome = OUTCOME_REVIEW;
		out->reason = REASON_UNCLEAR;
		return;
	}
	out->outcome = OUTCOME_CONFIRM;
}

void
classify_message(const struct classify_policy *pol,
    const struct classify_lookup *lk, const struct message *msg, int64_t now,
    struct classify_result *out)
{
	struct token_policy tp = {pol->campaign, now, pol->clock_skew};
	struct found f;
	struct view v;

	memset(out, 0, sizeof *out);
	memset(&f, 0, sizeof f);
	view_init(&v, msg);
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
		set_artist(out, msg->from_addr);
		goto out;
	}
	find_tokens(pol, &tp, msg, &f);
	if (past_deadline(pol))
		goto late;
	if (!f.have_valid)
		find_by_reference(pol, &tp, lk, msg, &v, &f);
	if (f.have_valid) {
		decide_token(pol, lk, msg, &v, &f, out);
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
		if (pol->require_dmarc && out->dmarc != DMARC_PASS) {
			out->outcome = OUTCOME_REVIEW;
			out->reason = REASON_UNAUTHENTICATED;
		} else
			out->outcome = OUTCOME_PLEDGE;
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
