/*
 * pledgectl status [--json]: is the feed alive?  When mail was last read,
 * how many passes failed since, the last error, what waits on the
 * server, the last pass, the database's size and schema version -- all
 * from the pass record in the store (store_health_get), so it answers
 * without the log and without root.  The JSON member names are an
 * interface (pledgectl(1)): add, never rename.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char status_usage[] = "usage: pledgectl status [--json]\n";

static bool
is_stale(const struct store_health *h, const struct config *cfg, int64_t now)
{
	return h->failed_since > 0 ||
	    (h->passes > 0 &&
		(h->last_ok_at == 0 ||
		    now - h->last_ok_at > config_stale_after(cfg)));
}

static json_t *
jtime(int64_t t)
{
	char buf[CMD_TIME_MAX];
	const char *s = cmd_time_rfc3339(t, buf);

	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jint_or_null(int64_t v, bool null)
{
	return null ? json_null() : json_integer(v);
}

static int
print_json(const struct store_health *h, const struct config *cfg, int64_t now)
{
	json_t *o, *last;
	int rc = EX_SOFTWARE;

	last = json_pack("{s:s?,s:o,s:o,s:o,s:b}", "kind",
	    h->passes > 0 ? h->last_kind : NULL, "started_at",
	    jtime(h->last_started_at), "ended_at", jtime(h->last_ended_at),
	    "exit_code",
	    jint_or_null(h->last_exit, h->passes == 0 || h->last_running),
	    "running", h->last_running);
	o = json_pack("{s:o,s:I,s:s?,s:o,s:o,s:o,s:o,s:I,s:b,s:s,s:I,s:I,s:I}",
	    "last_read", jtime(h->last_ok_at), "failed_since", h->failed_since,
	    "last_error", h->last_error, "last_error_at",
	    jtime(h->last_error_at), "last_error_exit",
	    jint_or_null(h->last_error_exit, h->last_error_at == 0), "waiting",
	    jint_or_null(h->waiting, h->waiting < 0), "last_pass",
	    last != NULL ? last : json_null(), "passes", h->passes, "stale",
	    is_stale(h, cfg, now), "database", cfg->store.database,
	    "database_bytes", h->db_bytes, "wal_bytes", h->wal_bytes,
	    "schema_version", h->schema_version);
	if (o == NULL) {
		fprintf(stderr, "pledgectl: status: out of memory\n");
		return rc;
	}
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', stdout) != EOF)
		rc = EX_OK;
	json_decref(o);
	return rc;
}

/* "12 minutes ago", for a person. */
static void
ago(int64_t t, int64_t now)
{
	int64_t d = now - t;

	if (t <= 0)
		return;
	if (d < 120)
		printf(" (%" PRId64 " seconds ago)", d < 0 ? 0 : d);
	else if (d < 7200)
		printf(" (%" PRId64 " minutes ago)", d / 60);
	else if (d < 2 * 86400)
		printf(" (%" PRId64 " hours ago)", d / 3600);
	else
		printf(" (%" PRId64 " days ago)", d / 86400);
}

static void
print_text(const struct store_health *h, const struct config *cfg, int64_t now)
{
	char a[CMD_TIME_MAX];

	printf("feed                 %s\n",
	    h->passes == 0		? "no pass recorded yet"
		: is_stale(h, cfg, now) ? "STALE"
					: "ok");
	printf("mail last read       %s%s", cmd_time_utc(h->last_ok_at, a),
	    h->last_ok_at > 0 ? " UTC" : "");
	ago(h->last_ok_at, now);
	printf("\npasses failed since  %" PRId64 "\n", h->failed_since);
	if (h->last_error_at > 0) {
		printf("last error           %s UTC, exit %d: ",
		    cmd_time_utc(h->last_error_at, a), h->last_error_exit);
		cmd_put_text(stdout,
		    h->last_error != NULL ? h->last_error : "(no message)");
		putchar('\n');
	} else
		printf("last error           -\n");
	if (h->waiting >= 0)
		printf("waiting on server    %" PRId64
		       " messages (after the last pass that searched)\n",
		    h->waiting);
	else
		printf("waiting on server    unknown\n");
	if (h->passes > 0) {
		printf("last pass            %s, started %s UTC, ",
		    h->last_kind, cmd_time_utc(h->last_started_at, a));
		if (h->last_running)
			printf("running (or stopped without an end)\n");
		else
			printf("exit %d\n", h->last_exit);
	}
	printf("database             %s\n", cfg->store.database);
	printf("database size        %" PRId64 " bytes (+ %" PRId64
	       " bytes write-ahead log)\n",
	    h->db_bytes, h->wal_bytes);
	printf("schema version       %" PRId64 "\n", h->schema_version);
}

int
cmd_status(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct store_health h = {0};
	int64_t now = (int64_t)time(NULL);
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf(
			    "%s\nIs the feed alive: when mail was last read, "
			    "passes failed since, the last\nerror, messages "
			    "waiting on the server, the database's size and "
			    "schema.\n",
			    status_usage);
			return EX_OK;
		default:
			fputs(status_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(status_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	if ((rc = cmd_store_exit(store_health_get(st, &h))) != EX_OK)
		goto out;
	if (json)
		rc = print_json(&h, cfg, now);
	else
		print_text(&h, cfg, now);
	if (rc == EX_OK)
		rc = cmd_flush(stdout);
out:
	store_health_free(&h);
	store_close(st);
	config_free(cfg);
	return rc;
}
