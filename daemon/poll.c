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
#include <inttypes.h>
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
#include "pledged/fault.h"
#include "pledged/log.h"
#include "pledged/pass.h"
#include "pledged/poll.h"
#include "pledged/store.h"

#define KEYWORD "$Pledged"
/* Message bodies held in memory at once, beyond the one in hand. */
#define FETCH_BYTES (8 * 1024 * 1024)
/* Messages fetched in one group, however small. */
#define FETCH_GROUP_MAX 256
/*
 * Passes in which a message the server lists is not handed over before
 * it is recorded as failed (table fetch_failure) and passed by; and how
 * many such messages one batch notes.
 */
#define FETCH_ATTEMPTS 3
#define MISSING_MAX 16

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
 * When the server last refused a flag or a move (read-only access, no
 * custom keywords, no such folder): the marks stay, and the refused
 * action is tried again only after REFUSED_RETRY seconds, so a server
 * that will never allow it costs one refusal an hour, not one a pass.
 */
#define REFUSED_RETRY 3600
static time_t refused_at;

static void
note_refusal(const struct config *cfg, size_t n)
{
	static bool said;
	const char *what =
	    cfg->imap.after == CONFIG_AFTER_MOVE ? "move" : "flag";

	/* Once per process at warning level: the cause is lasting. */
	if (!said)
		log_warnx("poll: %s: the server refused to %s %zu messages; "
			  "they stay marked pending in the audit log, new "
			  "mail is read all the same (check the account's "
			  "rights, or set after = keep)",
		    cfg->imap.mailbox, what, n);
	else
		log_debug("poll: %s: %s refused again for %zu messages",
		    cfg->imap.mailbox, what, n);
	said = true;
	refused_at = time(NULL);
}

/*
 * The server side, strictly after the COMMIT: flag or move, then clear
 * the pending marks.  Review mail goes to the review folder first.  A
 * refusal leaves the marks and is not an error: the decisions are
 * recorded, and the UID mark keeps the messages from being read again.
 */
static int
actions_run(struct imap_conn *c, struct engine *e, const struct config *cfg,
    uint32_t uidvalidity, struct actions *a)
{
	const char *mailbox = cfg->imap.mailbox;
	enum imap_status st = IMAP_OK;

	if (a->n_done + a->n_review == 0)
		return EX_OK;
	fault_point("poll", "after-commit");
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
		fault_point("poll", "mid-move");
		if (st == IMAP_OK && a->n_done > 0)
			st = imap_move(
			    c, a->done, a->n_done, cfg->imap.processed_mailbox);
		break;
	}
	if (st == IMAP_REFUSED) {
		note_refusal(cfg, a->n_done + a->n_review);
		return EX_OK;
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

	if (refused_at != 0 && time(NULL) - refused_at < REFUSED_RETRY)
		return EX_OK;
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
	/* The group being fetched, and which of it arrived. */
	const uint32_t *want;
	size_t n_want;
	bool got[FETCH_GROUP_MAX];
	/* UIDs not handed over, noted after the batch's rollback. */
	uint32_t missing[MISSING_MAX];
	const char *missing_why[MISSING_MAX];
	size_t n_missing;
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
	if (ps == PIPELINE_RECORDED && b->e->pass != NULL)
		pass_count(b->e->pass, d->result.outcome);
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
on_message(
    void *arg, uint32_t uid, const char *data, size_t len, int64_t internaldate)
{
	struct batch *b = arg;
	struct pipeline_source src = {
	    b->mailbox, b->uidvalidity, uid, internaldate};
	struct pipeline_decision d;

	if (b->rc != EX_OK)
		return -1;
	for (size_t i = 0; i < b->n_want; i++)
		if (b->want[i] == uid) {
			if (b->got[i])
				return 0; /* said twice: decided once */
			b->got[i] = true;
		}
	batch_note(b, uid,
	    pipeline_process(&b->e->pp, &src, data, len, NULL, time(NULL), &d),
	    &d);
	return b->rc == EX_OK ? 0 : -1;
}

/* The bytes a message may take in memory: its size, else the cap. */
static size_t
fetch_size(const struct engine *e, uint32_t size)
{
	return size == IMAP_SIZE_UNKNOWN ? e->pp.max_message_bytes : size;
}

static void
batch_missing(struct batch *b, uint32_t uid, const char *why)
{
	if (b->n_missing < MISSING_MAX) {
		b->missing[b->n_missing] = uid;
		b->missing_why[b->n_missing++] = why;
	}
}

/*
 * After a batch was rolled back: count a failed pass for each message
 * the server did not hand over, and after FETCH_ATTEMPTS passes mark it
 * failed, so that the next pass goes on past it (named in the log and in
 * fetch_failure, never silently).
 */
static int
note_missing(struct batch *b)
{
	struct engine *e = b->e;
	int n = 0;

	for (size_t i = 0; i < b->n_missing; i++) {
		uint32_t uid = b->missing[i];
		bool failed = false;

		if (store_fetch_attempts(e->store, b->mailbox, b->uidvalidity,
			uid, &n, &failed) != STORE_OK ||
		    store_fetch_failure(e->store, b->mailbox, b->uidvalidity,
			uid, b->missing_why[i], n + 1 >= FETCH_ATTEMPTS,
			&n) != STORE_OK)
			return EX_IOERR;
		if (n >= FETCH_ATTEMPTS)
			log_warnx("poll: %s: UID %u %s in %d passes: recorded "
				  "as failed (table fetch_failure); the next "
				  "pass goes on past it",
			    b->mailbox, uid, b->missing_why[i], n);
		else
			log_info("poll: %s: UID %u: pass %d of %d without it",
			    b->mailbox, uid, n, FETCH_ATTEMPTS);
	}
	b->n_missing = 0;
	return EX_OK;
}

/*
 * Fetch and decide one group.  Every UID must be handed over exactly
 * once: one the server leaves out (or sends twice instead of another) is
 * asked for again on its own; a UID that still does not come stops the
 * batch (rolled back, tried again next pass), named in the log, so that
 * no message is ever passed by.
 */
static void
fetch_group(struct imap_conn *c, struct batch *b, const uint32_t *uids,
    const uint32_t *sizes, size_t k)
{
	enum imap_status st;
	size_t before = b->decided, got;

	b->want = uids;
	b->n_want = k;
	memset(b->got, 0, sizeof b->got);
	st = imap_fetch(c, uids, sizes, k, on_message, b);
	/*
	 * The protocol or a cap broken: a message alone is to blame; in a
	 * group, each is a suspect, fetched alone next time.
	 */
	if (st == IMAP_PROTOCOL && b->rc == EX_OK)
		for (size_t j = 0; j < k; j++)
			batch_missing(b, uids[j],
			    k == 1 ? "broke the protocol or a size cap"
				   : "came in a group that broke the protocol");
	if (st != IMAP_OK && b->rc == EX_OK)
		b->rc = imap_status_exit(st);
	for (size_t j = 0; j < k && b->rc == EX_OK; j++) {
		if (b->got[j])
			continue;
		log_warnx("poll: %s: UID %u missing from the server's answer; "
			  "asking again",
		    b->mailbox, uids[j]);
		b->want = uids + j;
		b->n_want = 1;
		b->got[0] = false;
		st = imap_fetch(c, uids + j, sizes + j, 1, on_message, b);
		if (st != IMAP_OK && b->rc == EX_OK)
			b->rc = imap_status_exit(st);
		if (b->rc == EX_OK && !b->got[0]) {
			log_warnx("poll: %s: UID %u: the server does not hand "
				  "it over; the batch will be tried again",
			    b->mailbox, uids[j]);
			batch_missing(b, uids[j], "not handed over");
			b->rc = EX_TEMPFAIL;
		}
		b->want = uids;
		b->n_want = k;
		b->got[j] = true;
	}
	got = b->decided - before;
	if (b->rc == EX_OK && got != k) {
		/* Cannot happen: each UID is decided once. */
		log_warnx("poll: %s: %zu decisions for %zu messages",
		    b->mailbox, got, k);
		b->rc = EX_SOFTWARE;
	}
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
	size_t n_small = 0, vanished = 0, gave_up = 0;
	bool *alone = NULL;
	enum imap_status st;

	small = calloc(n, sizeof *small);
	sizes = calloc(n, sizeof *sizes);
	small_sizes = calloc(n, sizeof *small_sizes);
	alone = calloc(n, sizeof *alone);
	if (small == NULL || sizes == NULL || small_sizes == NULL ||
	    alone == NULL) {
		b->rc = EX_OSERR;
		goto out;
	}
	if ((st = imap_fetch_sizes(c, uids, n, sizes)) != IMAP_OK) {
		b->rc = imap_status_exit(st);
		goto out;
	}
	for (size_t i = 0; i < n && b->rc == EX_OK; i++) {
		bool failed = false;
		int attempts = 0;

		if (!e->dry_run &&
		    store_fetch_attempts(e->store, b->mailbox, b->uidvalidity,
			uids[i], &attempts, &failed) != STORE_OK) {
			b->rc = EX_IOERR;
			break;
		}
		if (failed) {
			gave_up++; /* recorded in fetch_failure */
		} else if (sizes[i] == IMAP_SIZE_GONE) {
			vanished++; /* expunged by someone since the search */
		} else if (sizes[i] != IMAP_SIZE_UNKNOWN &&
		    sizes[i] > e->pp.max_message_bytes) {
			struct pipeline_source src = {
			    b->mailbox, b->uidvalidity, uids[i], 0};
			struct pipeline_decision d;
			batch_note(b, uids[i],
			    pipeline_process(&e->pp, &src, NULL, sizes[i], NULL,
				time(NULL), &d),
			    &d);
		} else {
			/* A suspect from an earlier pass comes alone. */
			alone[n_small] = attempts > 0;
			small_sizes[n_small] = sizes[i];
			small[n_small++] = uids[i];
		}
	}
	/* Fetch in groups of at most FETCH_BYTES (or one message): the
	 * bodies of a group are in memory together. */
	for (size_t i = 0, k; b->rc == EX_OK && i < n_small; i += k) {
		size_t bytes = fetch_size(e, small_sizes[i]);
		for (k = 1; !alone[i] && i + k < n_small && !alone[i + k] &&
		     k < FETCH_GROUP_MAX &&
		     bytes + fetch_size(e, small_sizes[i + k]) <= FETCH_BYTES;
		     k++)
			bytes += fetch_size(e, small_sizes[i + k]);
		fetch_group(c, b, small + i, small_sizes + i, k);
	}
	if (vanished > 0)
		log_info("poll: %s: %zu messages vanished before the fetch",
		    b->mailbox, vanished);
	if (gave_up > 0)
		log_warnx("poll: %s: %zu messages passed by: the server never "
			  "handed them over (see table fetch_failure)",
		    b->mailbox, gave_up);
out:
	free(small);
	free(sizes);
	free(small_sizes);
	free(alone);
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
	b->n_missing = 0;
	/* A dry run records into its private copy in memory, and does
	 * nothing on the server. */
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
	} else if (note_missing(b) != EX_OK)
		rc = EX_IOERR;
	/* Requests go out only for pledges now safely recorded. */
	for (size_t i = 0; i < b->n_pledges; i++)
		engine_auto_confirm(e, b->pledges[i]);
	return rc;
}

/*
 * One line per pass.  A dry run is read by a person at a terminal, so it
 * also prints the line on standard output, whatever [daemon] log says.
 */
static void
log_summary(const struct batch *b, size_t total)
{
	char line[512];

	if (total == 0) {
		log_debug("poll: %s: no new mail", b->mailbox);
		if (b->e != NULL && b->e->dry_run)
			printf("%s: no new mail\n", b->mailbox);
		return;
	}
	snprintf(line, sizeof line,
	    "%s: %zu new: %zu pledge, %zu confirm, %zu decline, "
	    "%zu withdraw, %zu review, %zu reject, %zu ignore, %zu "
	    "already recorded",
	    b->mailbox, total, b->counts[OUTCOME_PLEDGE],
	    b->counts[OUTCOME_CONFIRM], b->counts[OUTCOME_DECLINE],
	    b->counts[OUTCOME_WITHDRAW], b->counts[OUTCOME_REVIEW],
	    b->counts[OUTCOME_REJECT], b->counts[OUTCOME_IGNORE], b->seen);
	log_info("poll: %s", line);
	if (b->e->dry_run)
		printf("dry run: %s (nothing recorded, nothing changed on "
		       "the server)\n",
		    line);
}

/* The decisions to carry out, read before any IMAP command. */
struct review_move {
	int64_t id;
	char *message_id; /* NULL: none */
};
struct review_moves {
	struct review_move *v;
	size_t n, cap;
	bool failed;
};

static int
review_move_cb(int64_t id, const char *message_id, void *arg)
{
	struct review_moves *m = arg;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct review_move *nv = realloc(m->v, cap * sizeof(*nv));
		if (nv == NULL) {
			m->failed = true;
			return 1;
		}
		m->v = nv;
		m->cap = cap;
	}
	m->v[m->n].id = id;
	m->v[m->n].message_id = NULL;
	if (message_id != NULL &&
	    (m->v[m->n].message_id = strdup(message_id)) == NULL) {
		m->failed = true;
		return 1;
	}
	m->n++;
	return 0;
}

/*
 * With after = move, messages that organizers settled with "pledgectl
 * review" leave the review folder for the processed one.  The review
 * folder holds them under new UIDs, so they are found by Message-ID;
 * one without a Message-ID (or no longer there) is left where it is and
 * its mark cleared, with a log line.  Each mark is cleared only after
 * the move, so a crash repeats a move at worst (finding nothing).
 */
static int
settle_review_moves(
    struct imap_conn *c, struct engine *e, const struct config *cfg)
{
	struct review_moves m = {0};
	uint32_t uv, next, *uids = NULL;
	size_t n = 0, moved = 0;
	enum imap_status st = IMAP_OK;
	int rc = EX_OK;

	if (cfg->imap.after != CONFIG_AFTER_MOVE || e->dry_run)
		return EX_OK;
	if (store_review_moves_foreach(e->store, review_move_cb, &m) !=
		STORE_OK ||
	    m.failed) {
		rc = EX_IOERR;
		goto out;
	}
	if (m.n == 0)
		goto out;
	st = imap_select_folder(c, cfg->imap.review_mailbox, &uv, &next);
	if (st != IMAP_OK && st != IMAP_NO_MAILBOX) {
		rc = imap_status_exit(st);
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		n = 0;
		if (st == IMAP_OK && m.v[i].message_id != NULL) {
			enum imap_status s2 = imap_search_message_id(
			    c, m.v[i].message_id, &uids, &n);
			if (s2 == IMAP_OK && n > 0)
				s2 = imap_move(
				    c, uids, n, cfg->imap.processed_mailbox);
			free(uids);
			uids = NULL;
			if (s2 != IMAP_OK) {
				rc = imap_status_exit(s2);
				goto out;
			}
			moved += n;
		}
		if (n == 0)
			log_info("poll: review decision %" PRId64
				 ": its message is not in %s; left as is",
			    m.v[i].id, cfg->imap.review_mailbox);
		if (store_review_move_done(e->store, m.v[i].id) != STORE_OK) {
			rc = EX_IOERR;
			goto out;
		}
	}
	log_info("poll: %zu settled message%s moved from %s to %s", moved,
	    moved == 1 ? "" : "s", cfg->imap.review_mailbox,
	    cfg->imap.processed_mailbox);
out:
	for (size_t i = 0; i < m.n; i++)
		free(m.v[i].message_id);
	free(m.v);
	return rc;
}

int
poll_pass(struct imap_conn *c, struct engine *e, const struct config *cfg,
    volatile sig_atomic_t *stop)
{
	const char *mailbox = cfg->imap.mailbox;
	uint32_t uidvalidity, uidnext, stored_uv = 0, last = 0, *uids = NULL;
	size_t n = 0, total = 0, done = 0, batch = (size_t)cfg->imap.batch;
	struct batch b;
	enum imap_status st;
	enum store_status ss;
	int rc = EX_OK;

	memset(&b, 0, sizeof b);
	if ((rc = settle_review_moves(c, e, cfg)) != EX_OK)
		return rc;
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
	b.e = e;
	b.mailbox = mailbox;
	b.uidvalidity = uidvalidity;
	/*
	 * The search may answer one window of UIDs below UIDNEXT at a
	 * time: search again above the last UID until nothing is new.
	 */
	while (rc == EX_OK && (stop == NULL || !*stop)) {
		free(uids);
		uids = NULL;
		if ((st = imap_search_above(c, last, uidnext, &uids, &n)) !=
		    IMAP_OK) {
			rc = imap_status_exit(st);
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < n && rc == EX_OK; i += batch) {
			if (stop != NULL && *stop)
				break;
			rc = run_batch(c, cfg, &b, uids + i,
			    n - i < batch ? n - i : batch);
			if (rc == EX_OK)
				done += n - i < batch ? n - i : batch;
		}
		total += n;
		last = uids[n - 1];
	}
	/* What this pass found on the server and did not get through. */
	if (e->pass != NULL)
		e->pass->waiting = (int64_t)(total - done);
	log_summary(&b, total);
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
	p->max_message_bytes = cfg->imap.max_message_bytes;
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
	struct pass p;
	int rc;

	pass_begin(&p, e, "once");
	e->pass = &p;
	if ((rc = poll_connect(cfg, &c)) == EX_OK)
		rc = poll_pass(c, e, cfg, stop);
	imap_close(c);
	e->pass = NULL;
	pass_end(&p, rc);
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
#define BACKOFF_MIN 5
#define BACKOFF_MAX 900

/*
 * The wait before the next connection: doubled on every trouble in a row
 * (a failed login or pass, a BYE, IDLE failing), from BACKOFF_MIN up to
 * BACKOFF_MAX, and drawn at random from its upper half, so that many
 * daemons dropped together do not come back together.  Providers lock
 * accounts that log in dozens of times a minute.
 */
static int
backoff_next(int *backoff)
{
	*backoff = *backoff == 0 ? BACKOFF_MIN : *backoff * 2;
	if (*backoff > BACKOFF_MAX)
		*backoff = BACKOFF_MAX;
	return *backoff / 2 + (int)arc4random_uniform(*backoff / 2 + 1);
}

int
poll_daemon(struct engine *e, const struct config *cfg,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	struct imap_conn *c = NULL;
	struct pass p;
	int rc = EX_OK, backoff = 0, wait;
	bool idle_ok = true; /* false after the server refused IDLE */
	enum imap_status st;

	while (!*stop && !*reload) {
		pass_begin(&p, e, "daemon");
		e->pass = &p;
		if (c == NULL) {
			idle_ok = true;
			rc = poll_connect(cfg, &c);
		}
		if (c != NULL && rc == EX_OK)
			rc = poll_pass(c, e, cfg, stop);
		e->pass = NULL;
		pass_end(&p, rc);
		if (rc == EX_CONFIG || rc == EX_NOPERM || rc == EX_IOERR ||
		    rc == EX_OSERR)
			break; /* no retry fixes these: the supervisor acts */
		if (rc != EX_OK) {
			imap_close(c);
			c = NULL;
			wait = backoff_next(&backoff);
			log_warnx("poll: %s: trouble (exit code %d), next try "
				  "in %d s",
			    cfg->imap.host, rc, wait);
			nap(wait, stop, reload);
			continue;
		}
		/* A signal that came during the pass: IDLE would not see it. */
		if (*stop || *reload)
			break;
		if (cfg->daemon.idle && idle_ok && imap_has_idle(c)) {
			log_debug("poll: idling");
			st = imap_idle_wait(c, IDLE_SECONDS, &(bool){false});
			if (st == IMAP_OK) {
				backoff = 0; /* a session that worked */
				continue;
			}
			if (st == IMAP_REFUSED) {
				/* Offered but refused: poll on this session. */
				log_warnx("poll: %s: IDLE refused; polling "
					  "every %d s instead",
				    cfg->imap.host, cfg->daemon.poll_interval);
				idle_ok = false;
			} else {
				/* BYE, a dead connection: reconnect, later. */
				imap_close(c);
				c = NULL;
				wait = backoff_next(&backoff);
				log_warnx("poll: %s: IDLE failed, reconnecting "
					  "in %d s",
				    cfg->imap.host, wait);
				nap(wait, stop, reload);
				continue;
			}
		}
		nap(cfg->daemon.poll_interval, stop, reload);
		if (idle_ok)
			backoff = 0;
	}
	imap_close(c);
	return *stop || *reload ? EX_OK : rc;
}
