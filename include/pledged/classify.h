/*
 * classify: one message in, one decision out.
 *
 * The outcome table of DESIGN.md, applied in its order: bounce, auto-reply,
 * list mail, tokens (with the reply's intent), keywords, everything else.
 * Pure: it reads the parsed message and asks the caller's look-ups (the
 * store, inside the batch's transaction) whether a token was used, which
 * token a reference names, and whether an artist pledged.  It writes
 * nothing; the pipeline records the decision.
 *
 * Outcomes that change the ledger (pledge, withdraw, confirm, decline)
 * stand only on sender evidence (DESIGN.md, "Outcomes"); otherwise the
 * message is held as review/unauthenticated and 'held' says what approving
 * it records.  A valid token from another address is held as
 * review/sender-mismatch with what its words say in 'held' (a confirm
 * or a decline), so that approving a refusal never counts it.
 *
 * The outcome and reason names are an interface (exports, views, tests):
 * they must change together with the CHECK constraints in sql/schema.sql
 * (and audit.held in sql/migrations/003_request_ref.sql).
 */
#ifndef PLEDGED_CLASSIFY_H
#define PLEDGED_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pledged/token.h"

struct intent_phrases;
struct message;

enum classify_outcome {
	OUTCOME_PLEDGE = 0,
	OUTCOME_CONFIRM,
	OUTCOME_DECLINE,
	OUTCOME_WITHDRAW,
	OUTCOME_REVIEW,
	OUTCOME_REJECT,
	OUTCOME_IGNORE,
};

enum classify_reason {
	REASON_NONE = 0,
	/* review */
	REASON_SENDER_MISMATCH,
	REASON_MULTIPLE_TOKENS,
	REASON_UNCLEAR,
	REASON_UNAUTHENTICATED,
	/* reject */
	REASON_BAD_SIGNATURE,
	REASON_UNKNOWN_KEY,
	REASON_MALFORMED_TOKEN,
	REASON_EXPIRED,
	REASON_NOT_YET_VALID,
	REASON_WRONG_CAMPAIGN,
	REASON_REPLAYED,
	REASON_TOO_LARGE,
	REASON_UNPARSEABLE,
	/* ignore */
	REASON_AUTO_REPLY,
	REASON_BOUNCE,
	REASON_LIST,
	REASON_DUPLICATE,
	REASON_OTHER,
};

/* The vocabulary strings ("confirm", "bad-signature"); NULL for REASON_NONE. */
const char *classify_outcome_name(enum classify_outcome);
const char *classify_reason_name(enum classify_reason);

/*
 * The whole vocabulary, read-only, for what must agree with it (the
 * schema's CHECK and its test): outcomes 0 .. CLASSIFY_OUTCOMES - 1,
 * reasons 0 .. CLASSIFY_REASONS - 1 (REASON_NONE included), and whether a
 * decision may pair outcome 'o' with reason 'r' (REASON_NONE goes with the
 * outcomes that take no reason, every other reason with one outcome).
 */
#define CLASSIFY_OUTCOMES (OUTCOME_IGNORE + 1)
#define CLASSIFY_REASONS (REASON_OTHER + 1)
bool classify_reason_fits(enum classify_outcome o, enum classify_reason r);

/* Keyword lists and policy; all pointers borrowed for the call. */
struct classify_policy {
	const struct token_keyring *keyring;
	const char *campaign;
	int64_t clock_skew;
	char *const *pledge_keywords;
	size_t n_pledge_keywords;
	char *const *withdraw_keywords;
	size_t n_withdraw_keywords;
	char *const *yes_keywords;
	size_t n_yes_keywords;
	char *const *no_keywords;
	size_t n_no_keywords;
	const char *authserv_id; /* NULL: Authentication-Results ignored */
	/* Phrase data for the reply's intent (intent.h); NULL: built-in. */
	const struct intent_phrases *intent;
	bool require_dmarc;
	/*
	 * The calling thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), in ms,
	 * past which classify_message stops reading and decides
	 * reject/unparseable; 0: no deadline.  Checked between steps, each
	 * linear in the message's bounded text.
	 */
	int64_t cpu_deadline_ms;
};

/*
 * What classify asks of the store.  Each returns true when found; strings
 * returned through 'token' are new and freed by classify.
 */
struct classify_lookup {
	void *arg;
	/* Was this jti already used for a confirmation or a decline? */
	bool (*jti_used)(void *arg, const char *jti);
	/* The issued token with this jti ([ref:<jti>] in a Subject of a
	 * request sent before requests had a secret reference). */
	bool (*token_by_jti)(void *arg, const char *jti, char **token);
	/* The issued token whose request had this Message-ID, and its jti. */
	bool (*token_by_request)(void *arg, const char *message_id,
	    char **token, char jti[TOKEN_JTI_MAX + 1]);
	/* Has this address a pledge that is not withdrawn? */
	bool (*has_pledged)(void *arg, const char *address);
	/* The issued token whose request carried this secret reference
	 * ([ref:<ref>] in a Subject), and its jti. */
	bool (*token_by_ref)(void *arg, const char *ref, char **token,
	    char jti[TOKEN_JTI_MAX + 1]);
	/*
	 * Are these two addresses the same artist (one linked to the
	 * other, "pledgectl link")?  May be NULL: only equal addresses are.
	 */
	bool (*same_artist)(void *arg, const char *a, const char *b);
};

enum classify_dmarc {
	DMARC_UNKNOWN = 0, /* no authserv_id configured, or no header */
	DMARC_PASS,
	DMARC_FAIL,
};

#define CLASSIFY_ADDR_MAX 254
#define CLASSIFY_OWN_TEXT_MAX 2048

struct classify_result {
	enum classify_outcome outcome;
	enum classify_reason reason;
	int phase; /* confirm, decline, and token outcomes; else 0 */
	/* The artist the decision is about: the From address for pledges
	 * and withdrawals, the token's sub for confirmations; "" if none. */
	char artist[CLASSIFY_ADDR_MAX + 1];
	char jti[TOKEN_JTI_MAX + 1]; /* the token's, or "" */
	/* A bounce that returns one of our requests: that request's jti. */
	char bounced_jti[TOKEN_JTI_MAX + 1];
	enum classify_dmarc dmarc;
	/* For OUTCOME_REVIEW: the outcome that approving the message
	 * records (a pledge, withdrawal, confirmation or decline held for
	 * want of sender evidence; for sender-mismatch, the confirmation or
	 * decline its words say), or OUTCOME_REVIEW when nothing. */
	enum classify_outcome held;
	/* The intent rule that decided (intent_rule_name: "negated-ask",
	 * "empty", ...) for replies to a request and withdrawals; NULL when
	 * intent did not decide.  Static storage. */
	const char *rule;
	/* The artist's own words, cut at CLASSIFY_OWN_TEXT_MAX bytes on a
	 * character boundary, for review; "" when none. */
	char own_text[CLASSIFY_OWN_TEXT_MAX + 1];
};

/*
 * Decide 'msg' as of 'now' (Unix seconds).  Never fails: a message that
 * fits nothing is ignore/other; one whose reading passes the policy's
 * deadline is reject/unparseable.
 */
void classify_message(const struct classify_policy *,
    const struct classify_lookup *, const struct message *msg, int64_t now,
    struct classify_result *out);

#endif
