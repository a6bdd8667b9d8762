/*
 * pledgectl issue --phase N --to ADDR [--expires 30d]: sign one token for
 * one artist, record it as issued, print it.  The token is recorded before
 * it is printed, so a token that exists anywhere is in the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/requests.h"
#include "pledged/store.h"
#include "pledged/token.h"

static const char issue_usage[] =
    "usage: pledgectl issue --phase 1|2 --to ADDRESS [--expires DURATION]\n";

int
cmd_issue(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"phase", required_argument, NULL, 'p'},
	    {"to", required_argument, NULL, 't'},
	    {"expires", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct token_secret *key = NULL;
	struct store *st = NULL;
	struct token_claims c;
	struct store_token issued;
	char *token = NULL;
	const char *to = NULL;
	int64_t ttl = 30 * 86400;
	int ch, phase = 0, rc;

	while ((ch = getopt_long(argc, argv, "p:t:e:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			phase = cmd_parse_phase(optarg);
			if (phase == 0)
				return EX_USAGE;
			break;
		case 't':
			to = optarg;
			break;
		case 'e':
			if (cmd_parse_duration(optarg, &ttl) != 0)
				return EX_USAGE;
			break;
		case 'h':
			printf("%s\nSign a confirmation token for ADDRESS, "
			       "record it as issued, and print it.\n"
			       "DURATION is a number with s, m, h, d or w "
			       "(default 30d).\n",
			    issue_usage);
			return EX_OK;
		default:
			fputs(issue_usage, stderr);
			return EX_USAGE;
		}
	}
	if (phase == 0 || to == NULL || optind != argc) {
		fputs(issue_usage, stderr);
		return EX_USAGE;
	}
	memset(&c, 0, sizeof c);
	if (cmd_new_address(to, c.sub, sizeof c.sub) != 0)
		return EX_USAGE;
	if ((rc = cmd_load_signer(config_path, &cfg, &key)) != EX_OK)
		goto out;
	if ((rc = cmd_open_store(cfg, true, &st)) != EX_OK)
		goto out;
	switch (requests_issue(st, key, cfg->tokens.campaign, c.sub, phase, ttl,
	    time(NULL), &issued)) {
	case REQUESTS_OK:
		break;
	case REQUESTS_BUSY:
		rc = EX_TEMPFAIL;
		goto out;
	default:
		rc = EX_IOERR;
		goto out;
	}
	token = issued.token;
	printf("%s\n", token);
	rc = EX_OK;
out:
	free(token);
	store_close(st);
	token_secret_free(key);
	config_free(cfg);
	return rc;
}
