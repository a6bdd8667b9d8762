/*
 * pledgectl list [--phase N] [--state S]: who is where, one artist a
 * line.  The states are the store's per-phase states (store_artist_list),
 * so list, show and export agree.  Forgotten artists stay in the list
 * under a pseudonym: the counts must add up.
 */
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/store.h"

static const char list_usage[] =
    "usage: pledgectl list [--phase 1|2] [--state STATE] [--json]\n";

static const char *const list_states[] = {
    "received",
    "requested",
    "confirmed",
    "declined",
    "bounced",
    "withdrawn",
    NULL,
};

struct list_ctx {
	int phase;
	int64_t n;
	bool json, failed;
};

/* --json: one object a line, the export's artist members. */
static int
list_json(const struct store_artist_row *r, struct list_ctx *c)
{
	c->n++;
	if (cmd_json_print(cmd_json_artist(r)) != 0) {
		c->failed = true;
		return 1;
	}
	return 0;
}

static int
list_row(const struct store_artist_row *r, void *arg)
{
	struct list_ctx *c = arg;
	char when[CMD_TIME_MAX], pseudo[40];

	if (c->json)
		return list_json(r, c);
	if (c->n++ == 0) {
		printf("%-6s %-34s %-22s ", "ID", "ADDRESS", "NAME");
		if (c->phase == 0)
			printf("%-10s %-10s ", "PHASE 1", "PHASE 2");
		else
			printf("%-10s ", c->phase == 1 ? "PHASE 1" : "PHASE 2");
		printf("LAST CHANGE (UTC)\n");
	}
	printf("%-6" PRId64 " ", r->id);
	snprintf(pseudo, sizeof(pseudo), "(forgotten #%" PRId64 ")", r->id);
	cmd_put_cell(stdout, r->forgotten ? pseudo : r->address, 34);
	fputc(' ', stdout);
	cmd_put_cell(stdout, r->name != NULL ? r->name : "", 22);
	fputc(' ', stdout);
	if (c->phase != 2) {
		cmd_put_cell(stdout, r->phase1_state, 10);
		fputc(' ', stdout);
	}
	if (c->phase != 1) {
		cmd_put_cell(stdout, r->phase2_state, 10);
		fputc(' ', stdout);
	}
	printf("%s%s\n", cmd_time_utc(r->last_change, when),
	    r->excluded ? "  (excluded from the counts)"
			: (r->linked ? "  (a linked second address)" : ""));
	return 0;
}

int
cmd_list(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"phase", required_argument, NULL, 'p'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct list_ctx c = {0, 0, false, false};
	const char *state = NULL;
	int ch, rc;
	size_t i;

	while ((ch = getopt_long(argc, argv, "p:s:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if ((c.phase = cmd_parse_phase(optarg)) == 0)
				return EX_USAGE;
			break;
		case 's':
			state = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'h':
			printf(
			    "%s\nList artists and where they stand in each "
			    "phase.\nSTATE is received, requested, "
			    "confirmed, declined, bounced or withdrawn;\n"
			    "with --phase only that phase counts.\n"
			    "--json: one JSON object a line (pledgectl(1)).\n",
			    list_usage);
			return EX_OK;
		default:
			fputs(list_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(list_usage, stderr);
		return EX_USAGE;
	}
	for (i = 0; state != NULL && list_states[i] != NULL; i++)
		if (strcmp(state, list_states[i]) == 0)
			break;
	if (state != NULL && list_states[i] == NULL) {
		fprintf(stderr,
		    "pledgectl: list: no state '%s' (received, requested, "
		    "confirmed, declined, bounced, withdrawn)\n",
		    state);
		return EX_USAGE;
	}
	if ((rc = cmd_open_reader(config_path, &cfg, &st)) != EX_OK)
		goto out;
	rc =
	    cmd_store_exit(store_artist_list(st, c.phase, state, list_row, &c));
	if (rc != EX_OK)
		goto out;
	if (c.failed) {
		rc = EX_IOERR;
		goto out;
	}
	if (c.json)
		;
	else if (c.n == 0)
		printf("no artists%s\n",
		    c.phase != 0 || state != NULL ? " match" : " yet");
	else
		printf("\n%" PRId64 " artist%s\n", c.n, c.n == 1 ? "" : "s");
	rc = cmd_flush(stdout);
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
