/*
 * pass: one pass over the mail (pledged --once, each pass of the daemon,
 * pledged ingest), recorded in the store, and what follows it.
 *
 * pass_begin writes the pass as started; the caller counts each decision
 * it records (pass_count) and, for IMAP, how many messages it left on the
 * server; pass_end writes the end, the exit code, the counts and the last
 * warning logged (the error in words), then rewrites the [report] pages
 * when the pass changed the ledger or the feed's health (or a page does
 * not exist yet), and sends the organizers' digest when one is due
 * ([notify]).  Nothing is recorded in a dry run.  Failures to record are
 * logged and do not change the pass's exit code: the ledger matters
 * more than its bookkeeping.
 */
#ifndef PLEDGED_PASS_H
#define PLEDGED_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pledged/classify.h"

struct engine;

struct pass {
	struct engine *e; /* borrowed; NULL: not recording */
	const char *kind; /* static */
	int64_t id, started_at;
	int64_t counts[OUTCOME_IGNORE + 1]; /* decisions recorded */
	int64_t waiting; /* left on the server; -1: unknown */
};

/* Start recording a pass of 'kind' ("once", "daemon", "ingest"). */
void pass_begin(struct pass *, struct engine *, const char *kind);
/* One decision recorded in this pass. */
void pass_count(struct pass *, enum classify_outcome);
/* The pass ended with sysexits code 'exit_code': record it, then the
 * pages and the digest. */
void pass_end(struct pass *, int exit_code);

#endif
