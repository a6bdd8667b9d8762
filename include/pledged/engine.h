/*
 * engine: what every message-processing command needs, built once from the
 * configuration: the store, the isolated parser worker, the key ring and
 * the classification policy.  Shared by `pledged ingest` and the IMAP loop
 * so that both decide exactly alike.
 */
#ifndef PLEDGED_ENGINE_H
#define PLEDGED_ENGINE_H

#include <stdbool.h>
#include <stdio.h>

#include "pledged/classify.h"
#include "pledged/pipeline.h"

struct config;

struct engine {
	const struct config *cfg; /* borrowed */
	struct store *store;
	struct message_worker *worker;
	struct token_keyring *keyring;
	struct classify_policy policy;
	/* The built-in intent phrases plus [tokens] intent_phrases and the
	 * sentences of the [smtp] templates; NULL when neither is set
	 * (classify then uses the built-in set). */
	struct intent_phrases *intent;
	struct pipeline_params pp;
	/* auto_confirm: the phase-one requests the daemon sends; NULL when
	 * off or in a dry run. */
	struct requests *requests;
	bool dry_run;
	/* The pass being recorded (pass.h), or NULL: decisions are counted
	 * there. */
	struct pass *pass;
};

/*
 * Build an engine from 'cfg' (which must outlive it).  Returns 0, or a
 * sysexits code after saying why on the log: 78 for a bad key in the
 * configuration or a bad line in the intent_phrases file (FILE:LINE on
 * standard error), 66/74 when the database cannot be opened, 71 when the
 * parser worker cannot start.  The database is created when missing,
 * except in a dry run.
 */
int engine_open(const struct config *cfg, bool dry_run, struct engine **out);
void engine_close(struct engine *);

/*
 * With auto_confirm, send the phase-one request to the artist at
 * 'address', who has just pledged.  Call only after the COMMIT that
 * recorded the pledge (a request never goes out for a decision that could
 * still be rolled back), and only for outcome "pledge".  The result is
 * logged; nothing is returned because the decision stands either way.
 * A no-op without auto_confirm.
 */
void engine_auto_confirm(struct engine *, const char *address);

/* One line describing a decision, for --dry-run and ingest's report. */
void engine_print_decision(
    FILE *fp, const char *what, const struct pipeline_decision *d);

#endif
