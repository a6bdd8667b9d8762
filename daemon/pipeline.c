/*
 * pipeline: decide one message and record the decision.
 *
 * Every message read gets exactly one audit row, written together with
 * whatever the decision changes (artist, pledge, confirmation, bounced
 * request) in one short BEGIN IMMEDIATE transaction of its own, so a
 * crash leaves either all of it or none, and the next run sees the
 * message again.  A message already decided under the same mailbox,
 * UIDVALIDITY and UID (or, for ingest, the same content) is left alone:
 * that is what makes a second pass a no-op.  So is one read again after
 * its mailbox's UIDVALIDITY changed (same mailbox, Message-ID and
 * content): its row moves to the new UIDVALIDITY and UID instead of a
 * second row being written, however often the server changes
 * UIDVALIDITY.
 *
 * Deciding comes first and holds no lock: the parse in the worker, the
 * text extraction, the token search and the classification run outside
 * any transaction, under one CPU budget per message (PIPELINE_CPU_MS):
 * what the worker's child spent on the parse is taken off what the
 * classifier may spend, measured on this thread's CPU clock (CPU, not
 * wall-clock time, so that a busy machine does not reject mail).  The
 * store's look-ups read committed state; only the few writes that record
 * the decision take the write lock, so no message, however hostile, can
 * keep organizers' commands (pledgectl issue, review) waiting.  A message
 * over its budget is recorded reject/unparseable, like one that crashes
 * the parser, and is never read again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pledged/fault.h"
#include "pledged/log.h"
#include "pledged/message.h"
#include "pledged/pipeline.h"
#include "pledged/store.h"

/* The classify look-ups, answered by the store. */
static bool
lk_jti_used(void *arg, const char *jti)
{
	return store_jti_used(arg, jti);
}

static bool
lk_token_by_jti(void *arg, const char *jti, char **token)
{
	return store_token_by_jti(arg, jti, token) == STORE_OK;
}

static bool
lk_token_by_request(void *arg, const char *message_id, char **token,
    char jti[TOKEN_JTI_MAX + 1])
{
	return store_token_by_request(arg, message_id, token, jti) == STORE_OK;
}

static bool
lk_token_by_ref(
    void *arg, const char *ref, char **token, char jti[TOKEN_JTI_MAX + 1])
{
	return store_token_by_ref(arg, ref, token, jti) == STORE_OK;
}

static bool
lk_has_pledged(void *arg, const char *address)
{
	char state[16];
	int64_t id;

	if (store_artist_get(arg, address, &id, state) != STORE_OK)
		return false;
	return strcmp(state, "received") == 0 ||
	    strcmp(state, "confirmed") == 0;
}

/*
 * When a message is judged (token expiry, not-before): when it was
 * received, never later than now, so that a backlog or an outage does not
 * expire a reply that came in time.  The Date header is the sender's word:
 * only when nothing else says when the message came, and never later than
 * now.
 */
static int64_t
judged_at(
    const struct pipeline_source *src, const struct message *msg, int64_t now)
{
	int64_t t;

	if (src->received_at > 0)
		return src->received_at < now ? src->received_at : now;
	if (message_date_parse(msg->date, &t) == 0 && t > 0)
		return t < now ? t : now;
	return now;
}

static bool
lk_same_artist(void *arg, const char *a, const char *b)
{
	int64_t ia, ib;

	return store_artist_get(arg, a, &ia, NULL) == STORE_OK &&
	    store_artist_get(arg, b, &ib, NULL) == STORE_OK && ia == ib;
}

static int64_t
thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
dmarc_name(enum classify_dmarc d)
{
	switch (d) {
	case DMARC_PASS:
		return "pass";
	case DMARC_FAIL:
		return "fail";
	default:
		return NULL;
	}
}

static void
decide_unread(struct classify_result *r, enum classify_reason reason)
{
	memset(r, 0, sizeof *r);
	r->outcome = OUTCOME_REJECT;
	r->reason = reason;
}

/*
 * The artist a decision concerns.  Pledges create the artist; a
 * confirmation creates one too (a token is proof enough that organizers
 * meant this address); anything else only looks the address up.
 */
static enum store_status
resolve_artist(struct store *st, const struct classify_result *r,
    const struct message *msg, int64_t *artist_id)
{
	const char *name = NULL;
	char state[16];

	*artist_id = 0;
	if (r->artist[0] == '\0')
		return STORE_OK;
	if (msg != NULL && msg->from_addr != NULL &&
	    strcmp(msg->from_addr, r->artist) == 0)
		name = msg->from_name;
	switch (r->outcome) {
	case OUTCOME_PLEDGE:
	case OUTCOME_CONFIRM:
	case OUTCOME_DECLINE:
		return store_artist_upsert(st, r->artist, name, artist_id);
	default:
		if (store_artist_get(st, r->artist, artist_id, state) ==
		    STORE_ERR)
			return STORE_ERR;
		return STORE_OK;
	}
}

static enum store_status
record(const struct pipeline_params *pp, const struct pipeline_source *src,
    const struct message *msg, size_t len, int64_t now,
    struct pipeline_decision *d)
{
	struct store *st = pp->store;
	struct classify_result *r = &d->result;
	struct store_audit a;
	int64_t artist_id;
	enum store_status rc;

	if ((rc = resolve_artist(st, r, msg, &artist_id)) != STORE_OK)
		return rc;
	memset(&a, 0, sizeof a);
	a.mailbox = src->mailbox;
	a.uidvalidity = src->uidvalidity;
	a.uid = src->uid;
	a.message_id = msg != NULL ? msg->message_id : NULL;
	a.sha256_hex = d->sha256[0] != '\0' ? d->sha256 : NULL;
	a.size = len;
	a.from_addr = msg != NULL ? msg->from_addr : NULL;
	a.from_name = msg != NULL ? msg->from_name : NULL;
	a.subject = msg != NULL ? msg->subject : NULL;
	a.outcome = classify_outcome_name(r->outcome);
	a.reason = classify_reason_name(r->reason);
	a.phase = r->phase;
	a.artist_id = artist_id;
	a.jti = r->jti[0] != '\0' ? r->jti : NULL;
	a.dmarc = dmarc_name(r->dmarc);
	a.own_text = r->own_text[0] != '\0' ? r->own_text : NULL;
	a.held = r->outcome == OUTCOME_REVIEW && r->held != OUTCOME_REVIEW
	    ? classify_outcome_name(r->held)
	    : NULL;
	a.rule = r->rule;
	a.processed_at = now;
	a.written_at = message_written_at(msg != NULL ? msg->date : NULL, now);
	a.server_pending = pp->mark_pending && src->mailbox != NULL;
	if ((rc = store_audit_insert(st, &a, &d->audit_id)) != STORE_OK)
		return rc;

	switch (r->outcome) {
	case OUTCOME_PLEDGE:
		rc = store_pledge_record(st, artist_id, d->audit_id);
		break;
	case OUTCOME_WITHDRAW:
		rc = store_pledge_withdraw(st, artist_id, d->audit_id);
		break;
	case OUTCOME_CONFIRM:
	case OUTCOME_DECLINE:
		rc = store_confirmation_record(st, artist_id, r->phase, r->jti,
		    r->outcome == OUTCOME_DECLINE, d->audit_id);
		if (rc == STORE_OK && r->outcome == OUTCOME_CONFIRM &&
		    r->phase == 1)
			rc = store_pledge_confirm(st, artist_id);
		break;
	case OUTCOME_IGNORE:
		if (r->reason == REASON_BOUNCE && r->bounced_jti[0] != '\0')
			rc = store_token_mark_bounced(st, r->bounced_jti);
		break;
	default:
		break;
	}
	/* A state that was already so (a second pledge) is no error. */
	return rc == STORE_DUPLICATE || rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

/* The decision's writes, in one short transaction of their own. */
static enum pipeline_status
commit_decision(const struct pipeline_params *pp,
    const struct pipeline_source *src, const struct message *msg, size_t len,
    int64_t now, struct pipeline_decision *d)
{
	switch (store_begin(pp->store)) {
	case STORE_OK:
		break;
	case STORE_BUSY:
		return PIPELINE_BUSY;
	default:
		return PIPELINE_ERR;
	}
	if (record(pp, src, msg, len, now, d) != STORE_OK) {
		store_rollback(pp->store);
		d->audit_id = 0;
		return PIPELINE_ERR;
	}
	fault_point("pipeline", "before-commit");
	if (store_commit(pp->store) != STORE_OK) {
		store_rollback(pp->store);
		d->audit_id = 0;
		return PIPELINE_ERR;
	}
	return PIPELINE_RECORDED;
}

enum pipeline_status
pipeline_process(const struct pipeline_params *pp,
    const struct pipeline_source *src, const char *raw, size_t len,
    const char *sha256, int64_t now, struct pipeline_decision *out)
{
	struct classify_lookup lk = {pp->store, lk_jti_used, lk_token_by_jti,
	    lk_token_by_request, lk_has_pledged, lk_token_by_ref,
	    lk_same_artist};
	struct classify_policy pol = *pp->policy;
	struct message *msg = NULL;
	const char *why = NULL;
	enum pipeline_status ps = PIPELINE_RECORDED;

	memset(out, 0, sizeof *out);
	if (sha256 != NULL)
		snprintf(out->sha256, sizeof out->sha256, "%s", sha256);
	else if (raw != NULL)
		digest_sha256_hex(raw, len, out->sha256);
	if (store_audit_seen(pp->store, src->mailbox, src->uidvalidity,
		src->uid, out->sha256[0] != '\0' ? out->sha256 : NULL))
		return PIPELINE_SEEN;

	if (raw == NULL || len > pp->max_message_bytes)
		decide_unread(&out->result, REASON_TOO_LARGE);
	else {
		switch (
		    message_worker_parse(pp->worker, raw, len, &msg, &why)) {
		case MESSAGE_OK:
			break;
		case MESSAGE_TOO_LARGE:
			decide_unread(&out->result, REASON_TOO_LARGE);
			break;
		default:
			log_info("pipeline: unparseable message (%s)",
			    why != NULL ? why : "parser failed");
			decide_unread(&out->result, REASON_UNPARSEABLE);
			break;
		}
	}
	/* The same message under a new UIDVALIDITY keeps its one row. */
	if (src->mailbox != NULL && out->sha256[0] != '\0') {
		enum store_status ms =
		    store_audit_moved(pp->store, src->mailbox, src->uidvalidity,
			src->uid, msg != NULL ? msg->message_id : NULL,
			out->sha256, !pp->dry_run);
		if (ms == STORE_OK) {
			message_free(msg);
			return PIPELINE_SEEN;
		}
		if (ms == STORE_ERR) {
			message_free(msg);
			return PIPELINE_ERR;
		}
	}
	if (msg != NULL) {
		if (msg->message_id != NULL &&
		    store_audit_is_duplicate(
			pp->store, msg->message_id, out->sha256)) {
			memset(&out->result, 0, sizeof out->result);
			out->result.outcome = OUTCOME_IGNORE;
			out->result.reason = REASON_DUPLICATE;
		} else {
			/* One budget for the whole decision: the parse's
			   share is spent (at least 1 ms, so 0 stays "none"). */
			long left =
			    PIPELINE_CPU_MS - message_worker_cpu_ms(pp->worker);
			pol.cpu_deadline_ms =
			    thread_cpu_ms() + (left > 0 ? left : 0);
			if (pol.cpu_deadline_ms <= 0)
				pol.cpu_deadline_ms = 1;
			classify_message(&pol, &lk, msg,
			    judged_at(src, msg, now), &out->result);
			if (out->result.reason == REASON_UNPARSEABLE)
				log_info("pipeline: unparseable message "
					 "(over its %d ms of CPU)",
				    PIPELINE_CPU_MS);
		}
	}
	if (!pp->dry_run)
		ps = commit_decision(pp, src, msg, len, now, out);
	message_free(msg);
	return ps;
}
