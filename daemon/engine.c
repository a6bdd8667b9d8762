/*
 * engine: assemble store, parser worker, key ring and policy from the
 * configuration.  The worker is started before the store is opened so
 * that the forked child holds as few descriptors and as little memory as
 * possible.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/config.h"
#include "pledged/engine.h"
#include "pledged/escape.h"
#include "pledged/intent.h"
#include "pledged/log.h"
#include "pledged/message.h"
#include "pledged/request.h"
#include "pledged/requests.h"
#include "pledged/store.h"
#include "pledged/token.h"

static int
engine_keyring(struct engine *e, const struct config *cfg)
{
	const struct config_list *pk = &cfg->tokens.public_keys;

	if ((e->keyring = token_keyring_new()) == NULL) {
		log_warnx("engine: out of memory");
		return EX_OSERR;
	}
	for (size_t i = 0; i < pk->n; i++) {
		if (token_keyring_add(e->keyring, pk->items[i]) != 0) {
			log_warnx("%s: [tokens] public_keys: item %zu is not "
				  "a k4.public PASERK",
			    cfg->path, i + 1);
			return EX_CONFIG;
		}
	}
	return EX_OK;
}

static void
engine_policy(struct engine *e, const struct config *cfg)
{
	struct classify_policy *p = &e->policy;

	p->keyring = e->keyring;
	p->campaign = cfg->tokens.campaign;
	p->clock_skew = cfg->tokens.clock_skew;
	p->pledge_keywords = cfg->tokens.pledge_keywords.items;
	p->n_pledge_keywords = cfg->tokens.pledge_keywords.n;
	p->withdraw_keywords = cfg->tokens.withdraw_keywords.items;
	p->n_withdraw_keywords = cfg->tokens.withdraw_keywords.n;
	p->yes_keywords = cfg->tokens.yes_keywords.items;
	p->n_yes_keywords = cfg->tokens.yes_keywords.n;
	p->no_keywords = cfg->tokens.no_keywords.items;
	p->n_no_keywords = cfg->tokens.no_keywords.n;
	p->authserv_id = cfg->imap.authserv_id;
	p->require_dmarc = cfg->tokens.require_dmarc;
	p->intent = e->intent;
}

/*
 * The sentences of the organizers' own request templates: a reply that
 * repeats them unquoted must not answer with the request's words.  A
 * directory that does not load is left to the commands that send.
 */
static int
engine_intent_templates(struct engine *e, const char *dir)
{
	struct request_templates *rt = NULL;
	const char *subject, *body;
	int rc = EX_OK;

	if (request_templates_load(dir, &rt) != 0) {
		log_warnx("engine: [smtp] templates: not read for intent");
		return EX_OK;
	}
	for (int phase = 1; phase <= 2 && rc == EX_OK; phase++)
		if (request_template_text(rt, phase, &subject, &body) == 0 &&
		    (intent_phrases_add_request(
			 e->intent, subject, strlen(subject)) != 0 ||
			intent_phrases_add_request(
			    e->intent, body, strlen(body)) != 0))
			rc = EX_OSERR;
	request_templates_free(rt);
	return rc;
}

/* The organizers' phrases and templates on top of the built-in ones. */
static int
engine_intent(struct engine *e, const struct config *cfg)
{
	const char *path = cfg->tokens.intent_phrases;

	if (path == NULL && cfg->smtp.templates == NULL)
		return EX_OK;
	if ((e->intent = intent_phrases_new()) == NULL)
		return EX_OSERR;
	if (path != NULL && intent_phrases_load(e->intent, path, stderr) != 0) {
		log_warnx("%s: [tokens] intent_phrases: %s has errors",
		    cfg->path, path);
		return EX_CONFIG;
	}
	if (cfg->smtp.templates != NULL)
		return engine_intent_templates(e, cfg->smtp.templates);
	return EX_OK;
}

int
engine_open(const struct config *cfg, bool dry_run, struct engine **out)
{
	struct message_limits lim;
	struct engine *e;
	int rc;

	*out = NULL;
	if ((e = calloc(1, sizeof *e)) == NULL) {
		log_warnx("engine: out of memory");
		return EX_OSERR;
	}
	e->cfg = cfg;
	e->dry_run = dry_run;
	if ((rc = engine_keyring(e, cfg)) != EX_OK ||
	    (rc = engine_intent(e, cfg)) != EX_OK)
		goto fail;
	engine_policy(e, cfg);
	message_limits_default(&lim);
	if (cfg->imap.max_message_bytes > 0)
		lim.max_bytes = cfg->imap.max_message_bytes;
	if (message_worker_start(&lim, &e->worker) != 0) {
		rc = EX_OSERR;
		goto fail;
	}
	/*
	 * A dry run works on a private copy in memory (or an empty store
	 * when there is no database yet) and records into it as a real run
	 * would, so it decides exactly alike, and creates nothing on disk.
	 */
	switch (dry_run ? store_open_preview(cfg->store.database, &e->store)
			: store_open(cfg->store.database, true, &e->store)) {
	case STORE_OK:
		break;
	default:
		rc = EX_CANTCREAT;
		goto fail;
	}
	e->pp.store = e->store;
	e->pp.worker = e->worker;
	e->pp.policy = &e->policy;
	e->pp.max_message_bytes = lim.max_bytes;
	e->pp.dry_run = false; /* a dry run records into its copy */
	if (!dry_run) {
		bool perm;
		if (requests_open_auto(cfg, e->store, &e->requests, &perm) !=
		    REQUESTS_OK) {
			rc = perm ? EX_NOPERM : EX_CONFIG;
			goto fail;
		}
	}
	*out = e;
	return EX_OK;
fail:
	engine_close(e);
	return rc;
}

void
engine_close(struct engine *e)
{
	if (e == NULL)
		return;
	requests_close(e->requests);
	store_close(e->store);
	message_worker_stop(e->worker);
	token_keyring_free(e->keyring);
	intent_phrases_free(e->intent);
	free(e);
}

void
engine_auto_confirm(struct engine *e, const char *address)
{
	char detail[600];

	if (e->requests == NULL)
		return;
	switch (
	    requests_send_one(e->requests, address, 1, detail, sizeof detail)) {
	case REQUESTS_OK:
		log_info("auto-confirm: %s: request %s sent", address, detail);
		break;
	case REQUESTS_SKIPPED:
		log_info("auto-confirm: %s: no request: %s", address, detail);
		break;
	case REQUESTS_DEFERRED:
		log_warnx("auto-confirm: %s: deferred: %s", address, detail);
		break;
	case REQUESTS_FAILED:
		log_warnx("auto-confirm: %s: refused: %s", address, detail);
		break;
	default:
		log_warnx("auto-confirm: %s: not sent%s%s", address,
		    detail[0] ? ": " : "", detail);
		break;
	}
}

void
engine_print_decision(
    FILE *fp, const char *what, const struct pipeline_decision *d)
{
	const struct classify_result *r = &d->result;
	const char *reason = classify_reason_name(r->reason);
	char buf[4 * CLASSIFY_ADDR_MAX + 64], name[1024];

	/* The file name and the address come from outside: escaped. */
	fprintf(fp, "%s: %s", escape_text(what, name, sizeof name),
	    classify_outcome_name(r->outcome));
	if (reason != NULL)
		fprintf(fp, "/%s", reason);
	if (r->phase != 0)
		fprintf(fp, " phase %d", r->phase);
	if (r->artist[0] != '\0')
		fprintf(fp, " %s", escape_text(r->artist, buf, sizeof buf));
	if (r->rule != NULL)
		fprintf(fp, " rule %s", r->rule);
	fputc('\n', fp);
}
