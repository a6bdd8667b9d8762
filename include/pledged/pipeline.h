/*
 * pipeline: one message from bytes to a recorded decision.
 *
 * The same path serves `pledged ingest` and the IMAP loop: digest, the
 * "already decided" check, parsing in the isolated worker, the duplicate
 * check, classification (its look-ups read committed state), all outside
 * any transaction and under one deadline; then the writes that record the
 * decision, in one short BEGIN IMMEDIATE transaction per message.  The
 * caller holds no transaction across messages, and touches the server
 * only after pipeline_process has returned.  With dry_run, nothing is
 * written.
 */
#ifndef PLEDGED_PIPELINE_H
#define PLEDGED_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pledged/classify.h"
#include "pledged/digest.h"

struct store;
struct message_worker;

/*
 * CPU time one message may take, the parse in the worker and the
 * classification together (the worker's own limit is the same 10 s).
 * Past it the message is recorded reject/unparseable.
 */
#define PIPELINE_CPU_MS 10000

struct pipeline_params {
	struct store *store;		      /* borrowed */
	struct message_worker *worker;	      /* borrowed */
	const struct classify_policy *policy; /* borrowed */
	size_t max_message_bytes;
	bool dry_run;
	/* Mark each audit row "server action pending" (flag or move to do
	 * after the COMMIT); the IMAP pass clears it once done. */
	bool mark_pending;
};

/*
 * Where a message came from: an IMAP mailbox, or NULL for ingest; and
 * when it was received (Unix seconds: the server's INTERNALDATE, the
 * file's modification time, the time standard input was read), or 0 when
 * unknown: tokens are judged at that time (never later than 'now'), and
 * at the Date header only when it is unknown.
 */
struct pipeline_source {
	const char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	int64_t received_at;
};

enum pipeline_status {
	PIPELINE_RECORDED = 0, /* decided (and recorded unless dry-run) */
	PIPELINE_SEEN,	       /* decided before: nothing done (or, read
				  again under a new UIDVALIDITY, its row
				  moved there) */
	PIPELINE_BUSY,	       /* another writer held the store: retry */
	PIPELINE_ERR,	       /* the store failed: nothing recorded */
};

struct pipeline_decision {
	struct classify_result result;
	char sha256[DIGEST_HEX_LEN + 1];
	int64_t audit_id; /* 0 in dry-run or when seen */
};

/*
 * Decide and record 'len' bytes.  'raw' may be NULL when the message was
 * not kept because 'len' is over the size cap: it is then recorded as
 * reject/too-large.  'sha256' is the content's digest when the caller has
 * it (it must, for a message without a UID), else NULL.  'now' is Unix
 * seconds.
 */
enum pipeline_status pipeline_process(const struct pipeline_params *,
    const struct pipeline_source *, const char *raw, size_t len,
    const char *sha256, int64_t now, struct pipeline_decision *out);

#endif
