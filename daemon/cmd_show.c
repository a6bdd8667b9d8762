/*
 * pledgectl show ADDR: everything recorded about one artist, oldest
 * first within each part: where they stand, the requests sent, their
 * answers, every message from or about them with its outcome and where
 * to find it (Message-ID, mailbox and UID), and the organizers'
 * corrections.  pledgectl show --message ID: one message in full, as
 * recorded: the headers that mattered, the decision, and the artist's
 * own text.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char show_usage[] =
    "usage: pledgectl show [--json] ADDRESS | --message ID\n";

/* --json: the parts gathered into one object. */
static int
json_artist(const struct store_artist_row *r, void *arg)
{
	return json_object_set_new(arg, "artist", cmd_json_artist(r)) != 0;
}

static int
json_request(const struct store_request_row *r, void *arg)
{
	return json_array_append_new(arg, cmd_json_request(r)) != 0;
}

static int
json_answer(const struct store_confirmation_row *r, void *arg)
{
	return json_array_append_new(arg, cmd_json_answer(r)) != 0;
}

static int
json_message(const struct store_audit_row *r, void *arg)
{
	return json_array_append_new(arg, cmd_json_message(r)) != 0;
}

/*
 * {"artist": {...}, "requests": [...], "answers": [...], "messages":
 * [...]}, with the members of list, export and review --json.
 */
static int
show_json(struct store *st, int64_t id)
{
	json_t *o = json_object(), *req = json_array(), *ans = json_array(),
	       *msg = json_array();
	int rc = EX_OSERR;

	if (o == NULL || req == NULL || ans == NULL || msg == NULL)
		goto out;
	if ((rc = cmd_store_exit(
		 store_artist_row_get(st, id, json_artist, o))) != EX_OK ||
	    (rc = cmd_store_exit(store_token_foreach_artist(
		 st, id, json_request, req))) != EX_OK ||
	    (rc = cmd_store_exit(store_confirmation_foreach(
		 st, id, json_answer, ans))) != EX_OK ||
	    (rc = cmd_store_exit(store_audit_foreach(
		 st, NULL, false, id, json_message, msg))) != EX_OK)
		goto out;
	rc = EX_OSERR;
	if (json_object_set(o, "requests", req) != 0 ||
	    json_object_set(o, "answers", ans) != 0 ||
	    json_object_set(o, "messages", msg) != 0)
		goto out;
	rc = cmd_json_print(o) == 0 ? EX_OK : EX_IOERR;
	o = NULL; /* released by cmd_json_print */
out:
	json_decref(o);
	json_decref(req);
	json_decref(ans);
	json_decref(msg);
	return rc;
}

static int
show_artist(const struct store_artist_row *r, void *arg)
{
	char when[CMD_TIME_MAX];

	(void)arg;
	printf("artist #%" PRId64 "\n", r->id);
	printf("  %-14s ", "address");
	cmd_put_text(stdout, r->address);
	printf("\n  %-14s ", "name");
	cmd_put_text(stdout, r->name);
	printf(
	    "\n  %-14s %s\n", "first seen", cmd_time_utc(r->created_at, when));
	printf("  %-14s %s\n", "pledge",
	    r->pledge_state != NULL ? r->pledge_state : "-");
	printf("  %-14s %s\n", "phase 1",
	    r->phase1_state != NULL ? r->phase1_state : "-");
	printf("  %-14s %s\n", "phase 2",
	    r->phase2_state != NULL ? r->phase2_state : "-");
	printf(
	    "  %-14s %s\n", "last change", cmd_time_utc(r->last_change, when));
	if (r->pledge_source != NULL)
		printf("  %-14s %s\n", "pledged by", r->pledge_source);
	if (r->excluded)
		printf("  %-14s %s\n", "counts",
		    "excluded (pledgectl include puts it back)");
	return 0;
}

static int
show_request(const struct store_request_row *r, void *arg)
{
	char issued[CMD_TIME_MAX], sent[CMD_TIME_MAX], exp[CMD_TIME_MAX];
	int *n = arg;

	if ((*n)++ == 0)
		printf("\nrequests\n  %-16s %-5s %-8s %-16s %-16s %s\n",
		    "ISSUED (UTC)", "PHASE", "STATE", "SENT", "EXPIRES",
		    "TOKEN ID");
	printf("  %-16s %-5d %-8s %-16s %-16s ",
	    cmd_time_utc(r->issued_at, issued), r->phase, r->state,
	    cmd_time_utc(r->sent_at, sent), cmd_time_utc(r->expires_at, exp));
	cmd_put_text(stdout, r->jti);
	fputc('\n', stdout);
	if (r->last_error != NULL) {
		printf("  %-16s error: ", "");
		cmd_put_text(stdout, r->last_error);
		fputc('\n', stdout);
	}
	return 0;
}

static int
show_answer(const struct store_confirmation_row *r, void *arg)
{
	char when[CMD_TIME_MAX];
	int *n = arg;

	if ((*n)++ == 0)
		printf("\nanswers\n  %-16s %-5s %-8s %-7s %s\n", "DATE (UTC)",
		    "PHASE", "ANSWER", "MESSAGE", "TOKEN ID");
	printf("  %-16s %-5d %-8s ", cmd_time_utc(r->created_at, when),
	    r->phase, r->kind);
	if (r->audit_id > 0)
		printf("%-7" PRId64 " ", r->audit_id);
	else
		printf("%-7s ", "-");
	cmd_put_text(stdout, r->jti);
	fputc('\n', stdout);
	return 0;
}

static int
show_message(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[CMD_TIME_MAX], outcome[48], rule[96];
	int *n = arg;

	if ((*n)++ == 0)
		printf("\nmessages\n  %-7s %-16s %-30s %s\n", "ID",
		    "DATE (UTC)", "OUTCOME", "SUBJECT");
	snprintf(outcome, sizeof(outcome), "%s%s%s", a->outcome,
	    a->reason != NULL ? "/" : "", a->reason != NULL ? a->reason : "");
	if (a->phase != 0 && a->reason == NULL)
		snprintf(outcome, sizeof(outcome), "%s phase %d", a->outcome,
		    a->phase);
	/* The intent rule that decided, where one did. */
	snprintf(rule, sizeof(rule), "%s", outcome);
	if (a->rule != NULL)
		snprintf(rule, sizeof(rule), "%s (%.30s)", outcome, a->rule);
	printf("  %-7" PRId64 " %-16s %-30s ", r->id,
	    cmd_time_utc(a->processed_at, when), rule);
	cmd_put_cell(stdout, a->subject, 0);
	fputc('\n', stdout);
	if (r->decision != NULL) {
		printf("  %-7s %-16s %s by ", "", "", r->decision);
		cmd_put_text(stdout, r->decided_by);
		printf(" on %s\n", cmd_time_utc(r->decided_at, when));
	}
	cmd_put_message_where(stdout, a, "          ");
	return 0;
}

static int
show_correction(const struct store_correction_row *r, void *arg)
{
	char when[CMD_TIME_MAX];
	int *n = arg;

	if ((*n)++ == 0)
		printf("\ncorrections\n  %-16s %-12s %-12s %s\n", "DATE (UTC)",
		    "ACTION", "BY", "DETAIL");
	printf("  %-16s %-12s ", cmd_time_utc(r->at, when), r->action);
	cmd_put_cell(stdout, r->by, 12);
	fputc(' ', stdout);
	cmd_put_text(stdout, r->detail);
	fputc('\n', stdout);
	return 0;
}

/* --message ID: one audit row in full. */
static int
show_full_message(const struct store_audit_row *r, void *arg)
{
	const struct store_audit *a = &r->audit;
	char when[CMD_TIME_MAX];

	(void)arg;
	printf("message #%" PRId64 "\n", r->id);
	cmd_put_message_where(stdout, a, "  ");
	printf("  %-10s ", "from");
	cmd_put_text(stdout, a->from_addr);
	if (a->from_name != NULL) {
		fputs(" (", stdout);
		cmd_put_text(stdout, a->from_name);
		fputc(')', stdout);
	}
	printf("\n  %-10s ", "subject");
	cmd_put_text(stdout, a->subject);
	printf("\n  %-10s %s\n", "dmarc", a->dmarc != NULL ? a->dmarc : "-");
	printf("  %-10s %zu bytes\n", "size", a->size);
	printf("  %-10s %s\n", "read", cmd_time_utc(a->processed_at, when));
	printf("  %-10s %s%s%s", "outcome", a->outcome,
	    a->reason != NULL ? "/" : "", a->reason != NULL ? a->reason : "");
	if (a->phase != 0)
		printf(" phase %d", a->phase);
	fputc('\n', stdout);
	if (r->artist != NULL) {
		printf("  %-10s ", "artist");
		cmd_put_text(stdout, r->artist);
		fputc('\n', stdout);
	}
	if (a->jti != NULL) {
		printf("  %-10s ", "token id");
		cmd_put_text(stdout, a->jti);
		fputc('\n', stdout);
	}
	if (r->decision != NULL) {
		printf("  %-10s %s by ", "decision", r->decision);
		cmd_put_text(stdout, r->decided_by);
		printf(" on %s\n", cmd_time_utc(r->decided_at, when));
	}
	printf("  the artist's own text (quotes, signature and disclaimers "
	       "left out):\n");
	if (a->own_text != NULL && a->own_text[0] != '\0')
		cmd_put_block(stdout, a->own_text, "    | ");
	else
		printf("    (none)\n");
	return 0;
}

int
cmd_show(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"message", required_argument, NULL, 'm'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	char addr[256], *end;
	int64_t id = 0, message = 0;
	int ch, rc, n;
	bool json = false;

	while ((ch = getopt_long(argc, argv, "jm:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			message = strtoll(
			    optarg[0] == '#' ? optarg + 1 : optarg, &end, 10);
			if (*end != '\0' || message <= 0) {
				fprintf(stderr,
				    "pledgectl: show: '%s' is not a message "
				    "id\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("%s\nShow everything recorded about one artist: "
			       "state, requests,\nanswers and messages; with "
			       "--json, as one JSON object.\n",
			    show_usage);
			return EX_OK;
		default:
			fputs(show_usage, stderr);
			return EX_USAGE;
		}
	}
	if (message > 0 && optind == argc) {
		if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
			goto out;
		rc = store_audit_get(st, message, show_full_message, NULL);
		if (rc == STORE_NOT_FOUND) {
			fprintf(stderr,
			    "pledgectl: show: no message #%" PRId64 "\n",
			    message);
			rc = EX_DATAERR;
		} else if ((rc = cmd_store_exit(rc)) == EX_OK)
			rc = cmd_flush(stdout);
		goto out;
	}
	if (optind + 1 != argc || message > 0) {
		fputs(show_usage, stderr);
		return EX_USAGE;
	}
	if (cmd_normalise_address(argv[optind], addr, sizeof(addr)) != 0)
		return EX_USAGE;
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	switch (store_artist_get(st, addr, &id, NULL)) {
	case STORE_OK:
		break;
	case STORE_NOT_FOUND:
		fprintf(stderr, "pledgectl: show: no artist %s\n", addr);
		rc = EX_DATAERR;
		goto out;
	default:
		rc = EX_IOERR;
		goto out;
	}
	if (json) {
		rc = show_json(st, id);
		if (rc == EX_OK)
			rc = cmd_flush(stdout);
		goto out;
	}
	/* Each part is its own read; between them the daemon may write,
	 * which at worst shows a message whose state change follows. */
	if ((rc = cmd_store_exit(
		 store_artist_row_get(st, id, show_artist, NULL))) != EX_OK)
		goto out;
	n = 0;
	if ((rc = cmd_store_exit(store_token_foreach_artist(
		 st, id, show_request, &n))) != EX_OK)
		goto out;
	if (n == 0)
		printf("\nrequests: none\n");
	n = 0;
	if ((rc = cmd_store_exit(
		 store_confirmation_foreach(st, id, show_answer, &n))) != EX_OK)
		goto out;
	if (n == 0)
		printf("\nanswers: none\n");
	n = 0;
	if ((rc = cmd_store_exit(store_audit_foreach(
		 st, NULL, false, id, show_message, &n))) != EX_OK)
		goto out;
	if (n == 0)
		printf("\nmessages: none\n");
	n = 0;
	if ((rc = cmd_store_exit(store_correction_foreach(
		 st, id, show_correction, &n))) != EX_OK)
		goto out;
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
