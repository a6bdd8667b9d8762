/*
 * pledgectl review [--approve ID | --decline ID | --reject ID] [--by WHO]:
 * the messages pledged held for a person, and that person's decision.
 *
 * --decline settles a held reply as the artist's refusal: the decline of
 * its token's phase is recorded (single use, like a confirmation).  With
 * [imap] after = move, a settled message that came from the server is
 * marked server_pending in its decision, and the next pass of pledged
 * moves it out of the review folder (poll.c: found there by Message-ID).
 *
 * An approval does what the daemon would have done had it not held the
 * message, in the same transaction as the decision: a sender-mismatch or
 * unclear reply counts as the confirmation of its token (unless that
 * token was used meanwhile: tokens are single use); a message held for
 * want of sender evidence (unauthenticated) records what it was held
 * from, as the audit row's "held" says: the pledge, the withdrawal, the
 * confirmation or the decline.  A reply carrying several tokens is ambiguous, so
 * approving it records the decision only.  A rejection records the
 * decision and changes nothing else.  Decisions are never re-taken:
 * the effects of an approval cannot be undone by a later rejection, so a
 * decided message is refused (65).
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char review_usage[] =
    "usage: pledgectl review [--approve ID | --decline ID | --reject ID]"
    " [--by WHO] [--json]\n";

/* --json: one object a line, the export's message members. */
static int
json_row(const struct store_audit_row *r, void *arg)
{
	int *n = arg;

	(*n)++;
	return cmd_json_print(cmd_json_message(r)) != 0 ? 1 : 0;
}

static int
list_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[CMD_TIME_MAX];
	int *n = arg;

	if ((*n)++ > 0)
		fputc('\n', stdout);
	printf("#%-7" PRId64 " %s  %s", r->id,
	    cmd_time_utc(a->processed_at, when), a->reason);
	if (a->phase != 0)
		printf(" (phase %d)", a->phase);
	if (a->held != NULL)
		printf(", approving records the %s", a->held);
	printf("\n  %-9s ", "from");
	cmd_put_text(stdout, a->from_addr);
	if (a->from_name != NULL) {
		fputs(" (", stdout);
		cmd_put_text(stdout, a->from_name);
		fputc(')', stdout);
	}
	if (r->artist != NULL &&
	    (a->from_addr == NULL ||
		strcasecmp(r->artist, a->from_addr) != 0)) {
		printf("\n  %-9s ", "artist");
		cmd_put_text(stdout, r->artist);
	}
	printf("\n  %-9s ", "subject");
	cmd_put_text(stdout, a->subject);
	fputc('\n', stdout);
	cmd_put_message_where(stdout, a, "  ");
	/* Why intent held it: "deferral", "question", ... */
	if (a->rule != NULL) {
		printf("  %-9s ", "rule");
		cmd_put_text(stdout, a->rule);
		fputc('\n', stdout);
	}
	if (a->own_text != NULL) {
		printf("  text\n");
		cmd_put_block(stdout, a->own_text, "    | ");
	}
	return 0;
}

/* A copy of the audit row's fields the decision needs. */
struct held {
	bool found;
	char outcome[16], reason[24], jti[STORE_JTI_MAX + 1], held[16];
	char from[256], name[256], decision[16];
	int phase;
	int64_t artist_id;
	bool imap; /* read from a mailbox (not ingested) */
};

static int
get_row(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	struct held *h = arg;

	h->found = true;
	snprintf(h->outcome, sizeof(h->outcome), "%s", a->outcome);
	snprintf(h->reason, sizeof(h->reason), "%s",
	    a->reason != NULL ? a->reason : "");
	snprintf(h->jti, sizeof(h->jti), "%s", a->jti != NULL ? a->jti : "");
	snprintf(
	    h->held, sizeof(h->held), "%s", a->held != NULL ? a->held : "");
	/* Longer than an address can be: treated as none below. */
	if (a->from_addr == NULL ||
	    (size_t)snprintf(h->from, sizeof(h->from), "%s", a->from_addr) >=
		sizeof(h->from))
		h->from[0] = '\0';
	if (a->from_name == NULL ||
	    (size_t)snprintf(h->name, sizeof(h->name), "%s", a->from_name) >=
		sizeof(h->name))
		h->name[0] = '\0';
	snprintf(h->decision, sizeof(h->decision), "%s",
	    r->decision != NULL ? r->decision : "");
	h->phase = a->phase;
	h->artist_id = a->artist_id;
	h->imap = a->mailbox != NULL;
	return 1;
}

/*
 * Count a held reply as its token's confirmation, or with 'decline' as
 * its refusal.  Inside a transaction.
 */
static enum store_status
approve_confirmation(struct store *st, int64_t audit_id, const struct held *h,
    bool decline, const char **note)
{
	struct store_token tok;
	enum store_status rc;
	int64_t artist = h->artist_id;
	int phase = h->phase;

	if (h->jti[0] == '\0') {
		*note = "no token recorded with the message; nothing counted";
		return STORE_OK;
	}
	/* The token says whom and which phase it is for, when it is ours. */
	rc = store_token_get(st, h->jti, &tok);
	if (rc == STORE_OK) {
		artist = tok.artist_id;
		phase = tok.phase;
		free(tok.token);
	} else if (rc != STORE_NOT_FOUND)
		return rc;
	if (artist == 0 || phase == 0) {
		*note = "the token's artist is unknown here; nothing counted";
		return STORE_OK;
	}
	if (store_jti_used(st, h->jti)) {
		*note = "its token was used meanwhile; not counted twice";
		return STORE_OK;
	}
	rc = store_confirmation_record(
	    st, artist, phase, h->jti, decline, audit_id);
	if (rc == STORE_DUPLICATE) {
		*note = "its token was used meanwhile; not counted twice";
		return STORE_OK;
	}
	if (rc != STORE_OK)
		return rc;
	if (decline) {
		*note = phase == 1 ? "recorded as a phase-one decline"
				   : "recorded as a phase-two decline";
		return STORE_OK;
	}
	*note = phase == 1 ? "counted as a phase-one confirmation"
			   : "counted as a phase-two confirmation";
	if (phase == 1) {
		rc = store_pledge_confirm(st, artist);
		if (rc == STORE_NOT_FOUND)
			*note = "recorded; the artist's withdrawal stands";
		else if (rc != STORE_OK && rc != STORE_DUPLICATE)
			return rc;
	}
	return STORE_OK;
}

static enum store_status
approve_pledge(
    struct store *st, int64_t audit_id, const struct held *h, const char **note)
{
	enum store_status rc;
	int64_t artist = h->artist_id;

	if (artist == 0) {
		if (h->from[0] == '\0') {
			*note = "the sender is unknown; nothing recorded";
			return STORE_OK;
		}
		rc = store_artist_upsert(
		    st, h->from, h->name[0] ? h->name : NULL, &artist);
		if (rc != STORE_OK)
			return rc;
	}
	rc = store_pledge_record(st, artist, audit_id);
	if (rc == STORE_DUPLICATE) {
		*note = "the artist had pledged already";
		return STORE_OK;
	}
	*note = "pledge recorded";
	return rc;
}

static enum store_status
approve_withdrawal(
    struct store *st, int64_t audit_id, const struct held *h, const char **note)
{
	enum store_status rc;

	if (h->artist_id == 0) {
		*note = "the sender has no pledge here; nothing recorded";
		return STORE_OK;
	}
	rc = store_pledge_withdraw(st, h->artist_id, audit_id);
	if (rc == STORE_DUPLICATE || rc == STORE_NOT_FOUND) {
		*note = "the artist had no pledge standing; nothing recorded";
		return STORE_OK;
	}
	*note = "withdrawal recorded";
	return rc;
}

/* What approving a message held for want of sender evidence records. */
static enum store_status
approve_unauthenticated(
    struct store *st, int64_t audit_id, const struct held *h, const char **note)
{
	if (strcmp(h->held, "withdraw") == 0)
		return approve_withdrawal(st, audit_id, h, note);
	if (strcmp(h->held, "decline") == 0)
		return approve_confirmation(st, audit_id, h, true, note);
	if (strcmp(h->held, "confirm") == 0 ||
	    (h->held[0] == '\0' && h->jti[0] != '\0'))
		return approve_confirmation(st, audit_id, h, false, note);
	return approve_pledge(st, audit_id, h, note);
}

/* The decision's name for the action ('a', 'd' or 'r'). */
static const char *
decision_name(int action)
{
	return action == 'a' ? "approved"
			     : (action == 'd' ? "declined" : "rejected");
}

static int
decide(struct store *st, int64_t id, int action, const char *who, bool move,
    bool json)
{
	struct held h;
	const char *note = "nothing else recorded";
	enum store_status rc;
	bool pending;

	memset(&h, 0, sizeof(h));
	if ((rc = store_begin(st)) != STORE_OK)
		return cmd_store_exit(rc);
	rc = store_audit_get(st, id, get_row, &h);
	if (rc == STORE_NOT_FOUND ||
	    (rc == STORE_OK && strcmp(h.outcome, "review") != 0)) {
		fprintf(stderr,
		    "pledgectl: review: no message #%" PRId64
		    " held for review\n",
		    id);
		store_rollback(st);
		return EX_DATAERR;
	}
	if (rc != STORE_OK)
		goto fail;
	if (h.decision[0] != '\0') {
		fprintf(stderr,
		    "pledgectl: review: message #%" PRId64 " was %s already\n",
		    id, h.decision);
		store_rollback(st);
		return EX_DATAERR;
	}
	pending = move && h.imap;
	if ((rc = store_review_settle(
		 st, id, decision_name(action), who, pending)) != STORE_OK)
		goto fail;
	if (action != 'r' &&
	    (strcmp(h.reason, "sender-mismatch") == 0 ||
		strcmp(h.reason, "unclear") == 0))
		rc = approve_confirmation(st, id, &h,
		    action == 'd' || strcmp(h.held, "decline") == 0, &note);
	else if (action == 'a' && strcmp(h.reason, "unauthenticated") == 0)
		rc = approve_unauthenticated(st, id, &h, &note);
	else if (action == 'd' && strcmp(h.reason, "unauthenticated") == 0 &&
	    h.jti[0] != '\0')
		rc = approve_confirmation(st, id, &h, true, &note);
	else if (action == 'a')
		note = "the message carries several tokens: nothing counted;"
		       " send the artist a new request";
	if (rc != STORE_OK)
		goto fail;
	if ((rc = store_correction_add(st, "review", h.artist_id, id,
		 decision_name(action), who)) != STORE_OK)
		goto fail;
	if ((rc = store_commit(st)) != STORE_OK)
		return cmd_store_exit(rc);
	if (json) {
		if (cmd_json_print(json_pack("{s:I,s:s,s:o,s:s,s:b}", "id",
			(json_int_t)id, "decision", decision_name(action),
			"decided_by", cmd_json_str(who), "effect", note,
			"move_pending", pending)) != 0)
			return EX_IOERR;
	} else {
		printf("message #%" PRId64 " %s by %s: %s\n", id,
		    decision_name(action), who, note);
		if (pending)
			printf("the next pass of pledged moves it out of the "
			       "review folder ([imap] after = move)\n");
	}
	return cmd_flush(stdout);
fail:
	store_rollback(st);
	return cmd_store_exit(rc == STORE_NOT_FOUND ? STORE_ERR : rc);
}

static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s[0] == '#' ? s + 1 : s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v <= 0) {
		fprintf(
		    stderr, "pledgectl: review: '%s' is not a message id\n", s);
		return -1;
	}
	*id = v;
	return 0;
}

int
cmd_review(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"approve", required_argument, NULL, 'a'},
	    {"decline", required_argument, NULL, 'd'},
	    {"reject", required_argument, NULL, 'r'},
	    {"by", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *by;
	char who[64];
	int64_t id = 0;
	int ch, rc, n = 0, action = 0;
	bool json = false;

	by = cmd_login_name(who, sizeof(who));
	while ((ch = getopt_long(argc, argv, "a:d:r:b:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			by = optarg;
			break;
		case 'a':
		case 'd':
		case 'r':
			if (action != 0) {
				fputs(review_usage, stderr);
				return EX_USAGE;
			}
			action = ch;
			if (parse_id(optarg, &id) != 0)
				return EX_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("%s\nList the messages held for review, or "
			       "settle one: --approve records\nwhat it would "
			       "have recorded (the pledge or the "
			       "confirmation),\n--decline records the "
			       "artist's refusal of the phase, --reject "
			       "closes it\nwithout effect.  --json: one JSON "
			       "object a line.\n",
			    review_usage);
			return EX_OK;
		default:
			fputs(review_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(review_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if (action != 0) {
		rc = decide(st, id, action, by,
		    cfg->imap.after == CONFIG_AFTER_MOVE, json);
		goto out;
	}
	rc = cmd_store_exit(store_audit_foreach(
	    st, "review", true, 0, json ? json_row : list_row, &n));
	if (rc != EX_OK)
		goto out;
	if (json)
		;
	else if (n == 0)
		printf("nothing held for review\n");
	else
		printf("\n%d message%s held for review; settle each with "
		       "--approve ID, --decline ID or --reject ID\n",
		    n, n == 1 ? "" : "s");
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
