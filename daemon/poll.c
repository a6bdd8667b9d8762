/*
 * poll: one pass over the campaign mailbox, and the daemon's loop.
 *
 * The order of work is the promise of DESIGN.md: for each message, fetch
 * with BODY.PEEK[] (never \Seen), decide, COMMIT to the store, and only
 * then, once the batch is decided, flag or move the messages on the
 * server.  Deciding holds no lock: the pipeline decides each message
 * outside any transaction and records it in one short transaction of its
 * own, so a hostile message never keeps organizers' commands waiting.
 * The mailbox's UIDVALIDITY and highest UID done are written after the
 * whole batch is recorded, so a crash before that loses nothing (the next
 * run fetches the same UIDs again, and finds those already recorded: the
 * audit log is unique per mailbox, UIDVALIDITY and UID) and a crash after
 * it doubles nothing.  Each audit row is written with its server action
 * pending and cleared once the action is done, so a crash between the
 * COMMIT and the flag is finished by the next pass.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/config.h"
#include "pledged/engine.h"
#include "pledged/imap.h"
#include "pledged/log.h"
#include "pledged/poll.h"
#include "pledged/store.h"

#define KEYWORD "$Pledged"
/* Message bodies held in memory at once, beyond the one in hand. */
#define FETCH_BYTES (8 * 1024 * 1024)

/*
 * For the crash tests: PLEDGED_FAULT names a point of the batch where the
 * process kills itself, as a power cut would.  Read once; unset in
 * production.
 */
static void
fault_point(const char *name)
{
	const char *want = getenv("PLEDGED_FAULT");

	if (want != NULL && strcmp(want, name) == 0) {
		log_warnx("poll: fault injected at %s", name);
		raise(SIGKILL);
	}
}

/* UIDs waiting for their server action, split by destination. */
struct actions {
	uint32_t *done, *review;
	size_t n_done, n_review, cap;
};

static int
actions_add(struct actions *a, uint32_t uid, bool review)
{
	if (a->n_done + a->n_review == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		uint32_t *d = realloc(a->done, cap * sizeof *d);
		if (d == NULL)
			return -1;
		a->done = d;
		if ((d = realloc(a->review, cap * sizeof *d)) == NULL)
			return -1;
		a->review = d;
		a->cap = cap;
	}
	if (review)
		a->review[a->n_review++] = uid;
	else
		a->done[a->n_done++] = uid;
	return 0;
}

static void
actions_free(struct actions *a)
{
	free(a->done);
	free(a->review);
	memset(a, 0, sizeof *a);
}

/*
 * The server side, strictly after the COMMIT: flag or move, then clear
 * the pending marks.  Review mail goes to the review folder first.
 */
static int
actions_run(struct imap_conn *c, struct engine *e, const struct config *cfg,
    uint32_t uidvalidity, struct actions *a)
{
	const char *mailbox = cfg->imap.mailbox;
	enum imap_status st = IMAP_OK;

	if (a->n_done + a->n_review == 0)
		return EX_OK;
	fault_point("after-commit");
	switch (cfg->imap.after) {
	case CONFIG_AFTER_KEEP:
		break;
	case CONFIG_AFTER_FLAG:
		if (a->n_done > 0)
			st = imap_add_keyword(c, a->done, a->n_done, KEYWORD);
		if (st == IMAP_OK && a->n_review > 0)
			st = imap_add_keyword(
			    c, a->review, a->n_review, KEYWORD);
		break;
	case CONFIG_AFTER_MOVE:
		if (a->n_review > 0)
			st = imap_move(c, a->review, a->n_review,
			    cfg->imap.review_mailbox);
		fault_point("mid-move");
		if (st == IMAP_OK && a->n_done > 0)
			st = imap_move(
			    c, a->done, a->n_done, cfg->imap.processed_mailbox);
		break;
	}
	if (st != IMAP_OK)
		return imap_status_exit(st);
	if (store_pending_clear(e->store, mailbox, uidvalidity, a->done,
		a->n_done) != STORE_OK ||
	    store_pending_clear(e->store, mailbox, uidvalidity, a->review,
		a->n_review) != STORE_OK)
		return EX_IOERR;
	log_debug("poll: server actions done for %zu messages",
	    a->n_done + a->n_review);
	return EX_OK;
}

static int
pending_cb(uint32_t uid, bool review, void *arg)
{
	return actions_add(arg, uid, review);
}

/* What a crash left between a COMMIT and its server actions. */
static int
finish_pending(struct imap_conn *c, struct engine *e, const struct config *cfg,
    uint32_t uidvalidity)
{
	struct actions a = {0};
	int rc;

	if (store_pending_foreach(e->store, cfg->imap.mailbox, uidvalidity,
		pending_cb, &a) != STORE_OK) {
		actions_free(&a);
		return EX_IOERR;
	}
	if (a.n_done + a.n_review > 0)
		log_info("poll: %s: finishing the server actions of %zu "
			 "messages recorded earlier",
		    cfg->imap.mailbox, a.n_done + a.n_review);
	rc = actions_run(c, e, cfg, uidvalidity, &a);
	actions_free(&a);
	return rc;
}

/* One batch: its decisions, and the counts for the summary. */
struct batch {
	struct engine *e;
	const char *mailbox;
	uint32_t uidvalidity;
	struct actions act;
	size_t decided; /* messages given a decision in this batch */
	/* New pledges, for auto_confirm after the COMMIT. */
	char (*pledges)[CLASSIFY_ADDR_MAX + 1];
	size_t n_pledges, cap_pledges;
	int rc;
	size_t counts[OUTCOME_IGNORE + 1];
	size_t seen;
};

static int
batch_add_pledge(struct batch *b, const char *address)
{
	if (b->n_pledges == b->cap_pledges) {
		size_t cap = b->cap_pledges ? b->cap_pledges * 2 : 16;
		void *p = realloc(b->pledges, cap * sizeof *b->pledges);
		if (p == NULL)
			return -1;
		b->pledges = p;
		b->cap_pledges = cap;
	}
	snprintf(b->pledges[b->n_pledges++], sizeof *b->pledges, "%s", address);
	return 0;
}

static void
batch_note(struct batch *b, uint32_t uid, enum pipeline_status ps,
    const struct pipeline_decision *d)
{
	if (ps == PIPELINE_ERR || ps == PIPELINE_BUSY) {
		b->rc = ps == PIPELINE_BUSY ? EX_TEMPFAIL : EX_IOERR;
		return;
	}
	b->decided++;
	if (ps == PIPELINE_SEEN)
		b->seen++;
	else
		b->counts[d->result.outcome]++;
	if (b->e->dry_run) {
		char what[64];
		snprintf(what, sizeof what, "%s uid %u", b->mailbox, uid);
		if (ps == PIPELINE_SEEN)
			printf("%s: already recorded\n", what);
		else
			engine_print_decision(stdout, what, d);
		return;
	}
	if (ps == PIPELINE_RECORDED && d->result.outcome == OUTCOME_PLEDGE &&
	    b->e->requests != NULL &&
	    batch_add_pledge(b, d->result.artist) == -1)
		b->rc = EX_OSERR;
	/* A message decided earlier has its own pending mark (or none). */
	if (ps == PIPELINE_RECORDED &&
	    actions_add(&b->act, uid, d->result.outcome == OUTCOME_REVIEW) ==
		-1)
		b->rc = EX_OSERR;
}

static int
on_message(void *arg, uint32_t uid, const char *data, size_t len)
{
	struct batch *b = arg;
	struct pipeline_source src = {b->mailbox, b->uidvalidity, uid};
	struct pipeline_decision d;

	if (b->rc != EX_OK)
		return -1;
	batch_note(b, uid,
	    pipeline_process(&b->e->pp, &src, data, len, NULL, time(NULL), &d),
	    &d);
	return b->rc == EX_OK ? 0 : -1;
}

/*
 * Decide UIDs 'uids' (ascending) in one transaction.  Sizes first: a
 * message over the cap is recorded as too-large without downloading it.
 */
static int
batch_decide(
    struct imap_conn *c, struct batch *b, const uint32_t *uids, size_t n)
{
	struct engine *e = b->e;
	uint32_t *small = NULL, *sizes = NULL, *small_sizes = NULL;
	size_t n_small = 0, vanished = 0;
	enum imap_status st;

	small = calloc(n, sizeof *small);
	sizes = calloc(n, sizeof *sizes);
	small_sizes = calloc(n, sizeof *small_sizes);
	if (small == NULL || sizes == NULL || small_sizes == NULL) {
		b->rc = EX_OSERR;
		goto out;
	}
	if ((st = imap_fetch_sizes(c, uids, n, sizes)) != IMAP_OK) {
		b->rc = imap_status_exit(st);
		goto out;
	}
	for (size_t i = 0; i < n && b->rc == EX_OK; i++) {
		if (sizes[i] == IMAP_SIZE_GONE) {
			vanished++; /* expunged by someone since the search */
		} else if (sizes[i] > e->pp.max_message_bytes) {
			struct pipeline_source src = {
			    b->mailbox, b->uidvalidity, uids[i]};
			struct pipeline_decision d;
			batch_note(b, uids[i],
			    pipeline_process(&e->pp, &src, NULL, sizes[i], NULL,
				time(NULL), &d),
			    &d);
		} else {
			small_sizes[n_small] = sizes[i];
			small[n_small++] = uids[i];
		}
	}
	/* Fetch in groups of at most FETCH_BYTES (or one message): the
	 * bodies of a group are in memory together. */
	for (size_t i = 0, k; b->rc == EX_OK && i < n_small; i += k) {
		size_t before = b->decided, bytes = small_sizes[i];
		for (k = 1; i + k < n_small &&
		     bytes + small_sizes[i + k] <= FETCH_BYTES;
		     k++)
			bytes += small_sizes[i + k];
		st = imap_fetch(c, small + i, k, on_message, b);
		if (st != IMAP_OK && b->rc == EX_OK)
			b->rc = imap_status_exit(st);
		/* A message the server would not hand over must not be
		 * passed by: the batch is tried again next time. */
		if (b->rc == EX_OK && b->decided - before != k) {
			log_warnx("poll: %s: the server returned %zu of %zu "
				  "messages; will retry",
			    b->mailbox, b->decided - before, k);
			b->rc = EX_TEMPFAIL;
		}
	}
	if (vanished > 0)
		log_info("poll: %s: %zu messages vanished before the fetch",
		    b->mailbox, vanished);
out:
	free(small);
	free(sizes);
	free(small_sizes);
	return b->rc;
}

static int
run_batch(struct imap_conn *c, const struct config *cfg, struct batch *b,
    const uint32_t *uids, size_t n)
{
	struct engine *e = b->e;
	int rc;

	b->act.n_done = b->act.n_review = 0;
	b->n_pledges = 0;
	if (e->dry_run)
		return batch_decide(c, b, uids, n);
	/*
	 * Each message is committed as it is decided (pipeline.c).  When
	 * the batch stops half-way, what it recorded stays recorded: its
	 * server actions are pending for the next pass, and its pledges
	 * get their requests below all the same (the next pass finds them
	 * already recorded and would not).
	 */
	if ((rc = batch_decide(c, b, uids, n)) == EX_OK) {
		if (store_mailbox_set(e->store, b->mailbox, b->uidvalidity,
			uids[n - 1]) != STORE_OK)
			rc = EX_IOERR;
		else {
			log_debug(
			    "poll: %s: committed %zu messages", b->mailbox, n);
			rc = actions_run(c, e, cfg, b->uidvalidity, &b->act);
		}
	}
	/* Requests go out only for pledges now safely recorded. */
	for (size_t i = 0; i < b->n_pledges; i++)
		engine_auto_confirm(e, b->pledges[i]);
	return rc;
}

static void
log_summary(const struct batch *b, size_t total)
{
	if (total == 0) {
		log_debug("poll: %s: no new mail", b->mailbox);
		return;
	}
	log_info("poll: %s: %zu new: %zu pledge, %zu confirm, %zu decline, "
		 "%zu withdraw, %zu review, %zu reject, %zu ignore, %zu "
		 "already recorded",
	    b->mailbox, total, b->counts[OUTCOME_PLEDGE],
	    b->counts[OUTCOME_CONFIRM], b->counts[OUTCOME_DECLINE],
	    b->counts[OUTCOME_WITHDRAW], b->counts[OUTCOME_REVIEW],
	    b->counts[OUTCOME_REJECT], b->counts[OUTCOME_IGNORE], b->seen);
}

int
poll_pass(struct imap_conn *c, struct engine *e, const struct config *cfg,
    volatile sig_atomic_t *stop)
{
	const char *mailbox = cfg->imap.mailbox;
	uint32_t uidvalidity, uidnext, stored_uv = 0, last = 0, *uids = NULL;
	size_t n = 0, batch = (size_t)cfg->imap.batch;
	struct batch b;
	enum imap_status st;
	enum store_status ss;
	int rc = EX_OK;

	memset(&b, 0, sizeof b);
	if ((st = imap_select(c, mailbox, &uidvalidity, &uidnext)) != IMAP_OK)
		return imap_status_exit(st);
	ss = store_mailbox_get(e->store, mailbox, &stored_uv, &last);
	if (ss == STORE_ERR)
		return EX_IOERR;
	if (ss == STORE_OK && stored_uv != uidvalidity) {
		/* A new mailbox under the old name: read it all again and
		 * let Message-ID and content tell what was recorded. */
		log_info("poll: %s: UIDVALIDITY changed from %u to %u, "
			 "rescanning",
		    mailbox, stored_uv, uidvalidity);
		last = 0;
	}
	if (!e->dry_run &&
	    (rc = finish_pending(c, e, cfg, uidvalidity)) != EX_OK)
		return rc;
	if ((st = imap_search_above(c, last, &uids, &n)) != IMAP_OK)
		return imap_status_exit(st);
	b.e = e;
	b.mailbox = mailbox;
	b.uidvalidity = uidvalidity;
	for (size_t i = 0; i < n && rc == EX_OK; i += batch) {
		if (stop != NULL && *stop)
			break;
		rc = run_batch(
		    c, cfg, &b, uids + i, n - i < batch ? n - i : batch);
	}
	log_summary(&b, n);
	actions_free(&b.act);
	free(b.pledges);
	free(uids);
	return rc;
}

static void
imap_params_from(
    const struct config *cfg, const char *password, struct imap_params *p)
{
	memset(p, 0, sizeof *p);
	p->host = cfg->imap.host;
	p->port = cfg->imap.port;
	switch (cfg->imap.tls) {
	case CONFIG_TLS_IMPLICIT:
		p->tls = IMAP_TLS_IMPLICIT;
		break;
	case CONFIG_TLS_STARTTLS:
		p->tls = IMAP_TLS_STARTTLS;
		break;
	default:
		p->tls = IMAP_TLS_NONE;
		break;
	}
	p->ca_file = cfg->imap.ca_file;
	p->user = cfg->imap.user;
	p->password = password;
	p->timeout = cfg->imap.timeout;
}

static int
poll_connect(const struct config *cfg, struct imap_conn **c)
{
	struct imap_params p;
	enum config_status cs;
	char *password = NULL;
	enum imap_status st;

	cs = config_read_secret(cfg->imap.password_file, &password);
	if (cs != CONFIG_OK)
		return config_exit_code(cs);
	imap_params_from(cfg, password, &p);
	st = imap_connect(&p, c);
	config_secret_free(password);
	return imap_status_exit(st);
}

int
poll_once(
    struct engine *e, const struct config *cfg, volatile sig_atomic_t *stop)
{
	struct imap_conn *c = NULL;
	int rc;

	if ((rc = poll_connect(cfg, &c)) != EX_OK)
		return rc;
	rc = poll_pass(c, e, cfg, stop);
	imap_close(c);
	return rc;
}

/* Sleep up to 'secs', waking early when asked to stop or reload. */
static void
nap(int secs, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	for (int i = 0; i < secs * 10 && !*stop && !*reload; i++)
		poll(NULL, 0, 100);
}

/*
 * IDLE is re-issued well within the 29 minutes of RFC 2177.  A signal
 * (stop, reload) ends the wait early.
 */
#define IDLE_SECONDS (25 * 60)
#define BACKOFF_MAX 900

static enum imap_status
idle(struct imap_conn *c)
{
	bool activity = false;

	log_debug("poll: idling");
	return imap_idle_wait(c, IDLE_SECONDS, &activity);
}

int
poll_daemon(struct engine *e, const struct config *cfg,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	struct imap_conn *c = NULL;
	int rc = EX_OK, backoff = 0;

	while (!*stop && !*reload) {
		if (c == NULL && (rc = poll_connect(cfg, &c)) == EX_OK)
			rc = poll_pass(c, e, cfg, stop);
		else if (c != NULL)
			rc = poll_pass(c, e, cfg, stop);
		if (rc == EX_CONFIG || rc == EX_NOPERM || rc == EX_IOERR ||
		    rc == EX_OSERR)
			break; /* no retry fixes these: the supervisor acts */
		if (rc != EX_OK) {
			imap_close(c);
			c = NULL;
			backoff = backoff == 0 ? 5 : backoff * 2;
			if (backoff > BACKOFF_MAX)
				backoff = BACKOFF_MAX;
			log_warnx("poll: %s: trouble (exit code %d), next try "
				  "in %d s",
			    cfg->imap.host, rc, backoff);
			nap(backoff, stop, reload);
			continue;
		}
		backoff = 0;
		if (cfg->daemon.idle && imap_has_idle(c)) {
			/* Any IDLE trouble: reconnect, then search again. */
			if (idle(c) != IMAP_OK) {
				imap_close(c);
				c = NULL;
			}
			continue;
		}
		nap(cfg->daemon.poll_interval, stop, reload);
	}
	imap_close(c);
	return *stop || *reload ? EX_OK : rc;
}
