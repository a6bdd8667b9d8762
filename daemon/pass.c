/*
 * pass: record a pass over the mail, then keep the pages and the digest
 * current (include/pledged/pass.h).
 *
 * The pages are rewritten only when they would say something new: the
 * ledger changed since they were last written (this pass recorded
 * decisions, or an organizer approved, sent or forgot meanwhile: the
 * store's ledger mark moved), or the feed turned bad or good again (the
 * warning appears or goes), or a page is half a stale period old (see
 * due()).  A quiet pass every minute
 * leaves the files alone, so a web server's caches and a file share's
 * sync have nothing to do.
 */
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pledged/config.h"
#include "pledged/engine.h"
#include "pledged/log.h"
#include "pledged/notify.h"
#include "pledged/pass.h"
#include "pledged/report.h"
#include "pledged/store.h"

void
pass_begin(struct pass *p, struct engine *e, const char *kind)
{
	memset(p, 0, sizeof *p);
	p->waiting = -1;
	if (e == NULL || e->dry_run)
		return;
	p->e = e;
	p->kind = kind;
	p->started_at = (int64_t)time(NULL);
	log_clear_warning();
	if (store_pass_begin(e->store, kind, p->started_at, &p->id) != STORE_OK)
		p->id = 0;
}

void
pass_count(struct pass *p, enum classify_outcome o)
{
	if (o >= OUTCOME_PLEDGE && o <= OUTCOME_IGNORE)
		p->counts[o]++;
}

/*
 * A page that does not exist, or that was last written 'heartbeat'
 * seconds ago or more.  A quiet campaign changes nothing for days, but
 * its page must still show that mail is being read: the page's "last
 * updated" time is then at most a heartbeat old while pledged runs, and
 * an older one tells the reader that the feed has stopped, with no
 * script in the page.
 */
static bool
due(const char *path, int64_t now, int64_t heartbeat)
{
	struct stat sb;

	if (path == NULL)
		return false;
	return stat(path, &sb) == -1 || now - (int64_t)sb.st_mtime >= heartbeat;
}

/* The store_meta key of the ledger mark the pages were last made from. */
#define PAGES_MARK "report_mark"

/*
 * Has the ledger changed since the pages were last written, by this
 * pass or by anyone else (an approval, a forget, a send)?
 */
static bool
ledger_changed(struct engine *e, char mark[STORE_MARK_MAX])
{
	char old[STORE_MARK_MAX];

	if (store_ledger_mark(e->store, mark) != STORE_OK)
		return true;
	return store_meta_get(e->store, PAGES_MARK, old, sizeof old) !=
	    STORE_OK ||
	    strcmp(old, mark) != 0;
}

/* Rewrite the configured pages. */
static void
pages(struct engine *e)
{
	const struct config *cfg = e->cfg;
	struct report_opts o = {0};

	o.campaign =
	    cfg->tokens.campaign != NULL ? cfg->tokens.campaign : "pledged";
	o.now = (int64_t)time(NULL);
	o.stale_after = config_stale_after(cfg);
	o.live = true;
	if (cfg->report.html != NULL &&
	    report_write_file(cfg->report.html, 0640, e->store, &o) == 0)
		log_debug("report: %s rewritten", cfg->report.html);
	o.public_page = true;
	if (cfg->report.public_html != NULL &&
	    report_write_file(cfg->report.public_html, 0644, e->store, &o) == 0)
		log_debug("report: %s rewritten", cfg->report.public_html);
}

void
pass_end(struct pass *p, int exit_code)
{
	struct engine *e = p->e;
	struct store_pass sp;
	struct store_health h;
	char mark[STORE_MARK_MAX] = "";
	bool was_failing = false, changed = false;
	bool failed = store_pass_failed(p->kind, exit_code);

	if (e == NULL)
		return;
	memset(&sp, 0, sizeof sp);
	for (size_t i = 0; i <= OUTCOME_IGNORE; i++) {
		sp.counts[i] = p->counts[i];
		changed = changed || p->counts[i] > 0;
	}
	if (store_health_get(e->store, &h) == STORE_OK) {
		was_failing = h.failed_since > 0 || h.last_ok_at == 0;
		store_health_free(&h);
	}
	sp.ended_at = (int64_t)time(NULL);
	sp.exit_code = exit_code;
	sp.error = log_last_warning();
	sp.waiting = p->waiting;
	if (p->id != 0)
		(void)store_pass_end(e->store, p->id, &sp);
	if (e->cfg->report.html != NULL || e->cfg->report.public_html != NULL) {
		changed = ledger_changed(e, mark) || changed;
		int64_t beat = config_stale_after(e->cfg) / 2;

		if (changed || was_failing != failed ||
		    due(e->cfg->report.html, sp.ended_at, beat) ||
		    due(e->cfg->report.public_html, sp.ended_at, beat)) {
			pages(e);
			if (mark[0] != '\0')
				(void)store_meta_set(
				    e->store, PAGES_MARK, mark);
		}
	}
	/* Also after a failure: a feed down for long is news too. */
	notify_after_pass(e->cfg, e->store);
	p->e = NULL;
}
