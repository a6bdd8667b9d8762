/*
 * pledgectl send --phase N [--to ADDR | --all-pledged] [--outbox DIR]
 * [--resend]: email confirmation requests, or write them to an outbox.
 *
 * The work per artist is the requests module's; this file picks the
 * artists, reports progress and maps the outcome to an exit code.  The
 * list of artists is read before the first request goes out, so requests
 * recorded during the run do not change who is visited.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/escape.h"
#include "pledged/requests.h"
#include "pledged/store.h"
#include "pledged/token.h"

static const char send_usage[] =
    "usage: pledgectl send --phase 1|2 (--to ADDRESS | --all-pledged)\n"
    "                      [--outbox DIR] [--resend] [--expires DURATION]\n";

struct targets {
	char **addr;
	size_t n, cap;
	int phase;
	bool failed;
};

static int
target_add(struct targets *t, const char *addr)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **na = realloc(t->addr, cap * sizeof(*na));
		if (na == NULL)
			return -1;
		t->addr = na;
		t->cap = cap;
	}
	if ((t->addr[t->n] = strdup(addr)) == NULL)
		return -1;
	t->n++;
	return 0;
}

/*
 * --all-pledged: phase 1, every artist whose pledge is received (a
 * confirmed pledge has answered; a withdrawn one is out); phase 2, every
 * artist who confirmed phase 1 and has not withdrawn (confirmed is the
 * pledge state).  Who already answered is the requests module's check.
 */
static int
collect(const struct store_artist_row *row, void *arg)
{
	struct targets *t = arg;

	if (row->forgotten || row->address == NULL || row->pledge_state == NULL)
		return 0;
	if (t->phase == 1 && strcmp(row->pledge_state, "received") != 0)
		return 0;
	if (t->phase == 2 &&
	    (!row->phase1_confirmed ||
		strcmp(row->pledge_state, "confirmed") != 0))
		return 0;
	if (target_add(t, row->address) != 0) {
		t->failed = true;
		return 1;
	}
	return 0;
}

static void
targets_free(struct targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->addr[i]);
	free(t->addr);
}

static int
exit_code(enum requests_status s)
{
	switch (s) {
	case REQUESTS_UNAVAILABLE:
		return EX_UNAVAILABLE;
	case REQUESTS_AUTH:
		return EX_NOPERM;
	case REQUESTS_CANTCREAT:
		return EX_CANTCREAT;
	case REQUESTS_BUSY:
	case REQUESTS_DEFERRED:
		return EX_TEMPFAIL;
	case REQUESTS_NO_ARTIST:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

#define E(s, buf) escape_text((s), (buf), sizeof(buf))

int
cmd_send(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"phase", required_argument, NULL, 'p'},
	    {"to", required_argument, NULL, 't'},
	    {"all-pledged", no_argument, NULL, 'a'},
	    {"outbox", required_argument, NULL, 'o'},
	    {"resend", no_argument, NULL, 'r'},
	    {"expires", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct token_secret *key = NULL;
	struct store *st = NULL;
	struct requests *rq = NULL;
	struct requests_opts ro;
	struct targets t = {0};
	char *password = NULL, to[TOKEN_SUB_MAX + 1], detail[600];
	/* Addresses and server replies, escaped for the terminal. */
	char ea[4 * (TOKEN_SUB_MAX + 1)], ed[4 * sizeof detail];
	const char *to_arg = NULL, *outbox = NULL;
	bool all = false, resend = false, tty = isatty(STDOUT_FILENO);
	int64_t ttl = 30 * 86400;
	size_t sent = 0, skipped = 0, deferred = 0, failed = 0;
	int ch, phase = 0, rc;
	struct stat sb;
	enum config_status cs;

	while (
	    (ch = getopt_long(argc, argv, "p:t:ao:re:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if ((phase = cmd_parse_phase(optarg)) == 0)
				return EX_USAGE;
			break;
		case 't':
			to_arg = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'o':
			outbox = optarg;
			break;
		case 'r':
			resend = true;
			break;
		case 'e':
			if (cmd_parse_duration(optarg, &ttl) != 0)
				return EX_USAGE;
			break;
		case 'h':
			printf("%s\nEmail confirmation requests for phase 1 or "
			       "2 (or, with --outbox, write each\nas DIR/"
			       "JTI.eml), recorded so that a second run sends "
			       "nothing twice.\n",
			    send_usage);
			return EX_OK;
		default:
			fputs(send_usage, stderr);
			return EX_USAGE;
		}
	}
	if (phase == 0 || (to_arg == NULL) == !all || optind != argc) {
		fputs(send_usage, stderr);
		return EX_USAGE;
	}
	if (to_arg != NULL && cmd_normalise_address(to_arg, to, sizeof to) != 0)
		return EX_USAGE;
	if (outbox != NULL &&
	    (stat(outbox, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		fprintf(
		    stderr, "pledgectl: send: %s: not a directory\n", outbox);
		return EX_CANTCREAT;
	}

	if ((rc = cmd_load_signer(config_path, &cfg, &key)) != EX_OK)
		goto out;
	if (config_require(cfg,
		outbox != NULL ? CONFIG_NEED_SMTP_FROM : CONFIG_NEED_SMTP) !=
	    CONFIG_OK) {
		rc = EX_CONFIG;
		goto out;
	}
	if (outbox == NULL && cfg->smtp.password_file != NULL) {
		cs = config_read_secret(cfg->smtp.password_file, &password);
		if (cs != CONFIG_OK) {
			rc = config_exit_code(cs);
			goto out;
		}
	}
	if ((rc = cmd_open_store(cfg, false, &st)) != EX_OK)
		goto out;

	t.phase = phase;
	if (to_arg != NULL) {
		if (target_add(&t, to) != 0) {
			rc = EX_OSERR;
			goto out;
		}
	} else if (store_artist_foreach(st, 0, NULL, collect, &t) != STORE_OK ||
	    t.failed) {
		rc = EX_IOERR;
		goto out;
	}

	ro = (struct requests_opts){
	    .cfg = cfg,
	    .st = st,
	    .key = key,
	    .outbox = outbox,
	    .smtp_password = password,
	    .ttl = ttl,
	    .resend = resend,
	};
	if (requests_open(&ro, &rq) != REQUESTS_OK) {
		rc = EX_CONFIG; /* a template error, printed */
		goto out;
	}
	/* A server we cannot use is found before any token is issued. */
	if (t.n > 0) {
		enum requests_status s =
		    requests_connect(rq, detail, sizeof detail);
		if (s != REQUESTS_OK) { /* the reason is logged */
			rc = exit_code(s);
			goto out;
		}
	}

	rc = EX_OK;
	for (size_t i = 0; i < t.n; i++) {
		enum requests_status s = requests_send_one(
		    rq, t.addr[i], phase, detail, sizeof detail);
		bool stop = false;

		switch (s) {
		case REQUESTS_OK:
			sent++;
			break;
		case REQUESTS_SKIPPED:
			skipped++;
			if (to_arg != NULL)
				printf("%s: skipped: %s\n", E(t.addr[i], ea),
				    E(detail, ed));
			break;
		case REQUESTS_DEFERRED:
			deferred++;
			fprintf(stderr, "pledgectl: send: %s: deferred: %s\n",
			    E(t.addr[i], ea), E(detail, ed));
			break;
		case REQUESTS_FAILED:
			failed++;
			fprintf(stderr, "pledgectl: send: %s: failed: %s\n",
			    E(t.addr[i], ea), E(detail, ed));
			break;
		case REQUESTS_NO_ARTIST:
			fprintf(stderr, "pledgectl: send: %s: no such artist\n",
			    E(t.addr[i], ea));
			rc = EX_DATAERR;
			break;
		default:
			if (detail[0] != '\0')
				fprintf(stderr, "pledgectl: send: %s\n",
				    E(detail, ed));
			rc = exit_code(s);
			stop = true;
			break;
		}
		if (tty) {
			printf(
			    "\r%zu/%zu: sent %zu, skipped %zu, deferred %zu, "
			    "failed %zu ",
			    i + 1, t.n, sent, skipped, deferred, failed);
			fflush(stdout);
		}
		if (stop)
			break;
	}
	if (tty && t.n > 0)
		putchar('\n');
	printf("requests: sent %zu, skipped %zu, deferred %zu, failed %zu\n",
	    sent, skipped, deferred, failed);
	if (rc == EX_OK && deferred > 0)
		rc = EX_TEMPFAIL;
	else if (rc == EX_OK && failed > 0)
		rc = EX_DATAERR;
out:
	requests_close(rq);
	targets_free(&t);
	config_secret_free(password);
	store_close(st);
	token_secret_free(key);
	config_free(cfg);
	return rc;
}
