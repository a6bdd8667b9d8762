/*
 * pledgectl send --phase N [--to ADDR | --all-pledged [--confirmed-only]]
 * [--outbox DIR] [--resend] [--dry-run [--preview-dir DIR]]: email
 * confirmation requests, write them to an outbox, or preview them.
 *
 * The work per artist is the requests module's; this file picks the
 * artists, counts who is skipped and why, reports progress and maps the
 * outcome to an exit code.  The list of artists is read before the first
 * request goes out, so requests recorded during the run do not change
 * who is visited.
 *
 * --all-pledged (DESIGN.md, "Command line"): every artist who pledged
 * and has neither withdrawn nor answered the phase, whether or not a
 * phase-one round ran; phase two also leaves out whoever declined phase
 * one.  --confirmed-only narrows phase two to the phase-one confirmed.
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
    "usage: pledgectl send --phase 1|2 (--to ADDRESS | --all-pledged "
    "[--confirmed-only])\n"
    "                      [--outbox DIR] [--resend] [--expires DURATION]\n"
    "                      [--dry-run [--preview-dir DIR]]\n";

/* Why artists were not asked, counted per reason (fixed phrases). */
#define SKIP_REASONS 16
struct skips {
	const char *reason[SKIP_REASONS];
	size_t n[SKIP_REASONS], total;
};

static void
skip_count(struct skips *sk, const char *reason)
{
	size_t i;

	sk->total++;
	for (i = 0; i < SKIP_REASONS && sk->reason[i] != NULL; i++)
		if (strcmp(sk->reason[i], reason) == 0)
			break;
	if (i == SKIP_REASONS)
		i = SKIP_REASONS - 1; /* cannot happen: the phrases are few */
	sk->reason[i] = reason;
	sk->n[i]++;
}

/* "label: 2 withdrawn, 1 request pending" (nothing when none). */
static void
skip_print(FILE *fp, const char *label, const struct skips *sk)
{
	if (sk->total == 0)
		return;
	fprintf(fp, "%s:", label);
	for (size_t i = 0; i < SKIP_REASONS && sk->reason[i] != NULL; i++)
		fprintf(
		    fp, "%s %zu %s", i > 0 ? "," : "", sk->n[i], sk->reason[i]);
	fputc('\n', fp);
}

struct targets {
	char **addr;
	size_t n, cap;
	int phase;
	bool confirmed_only;
	bool failed;
	struct skips skipped; /* left out before any request is tried */
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
 * --all-pledged: every artist with a pledge not withdrawn who has not
 * answered the phase (confirmed or declined); for phase two, not one who
 * declined phase one, and with --confirmed-only only the phase-one
 * confirmed.  Artists excluded from the counts or linked to another are
 * left out.  The requests module checks again, and adds its own reasons
 * (a request pending, failed, bounced).
 */
static const char *
leave_out(const struct targets *t, const struct store_artist_row *row)
{
	const char *answer =
	    t->phase == 1 ? row->phase1_state : row->phase2_state;

	if (row->forgotten || row->address == NULL)
		return "forgotten";
	if (row->pledge_state == NULL)
		return "never pledged";
	if (row->excluded)
		return "excluded";
	if (row->linked)
		return "linked address";
	if (strcmp(row->pledge_state, "withdrawn") == 0)
		return "withdrawn";
	if (answer != NULL && strcmp(answer, "confirmed") == 0)
		return "confirmed already";
	if (answer != NULL && strcmp(answer, "declined") == 0)
		return "declined already";
	if (t->phase == 2 && row->phase1_state != NULL &&
	    strcmp(row->phase1_state, "declined") == 0)
		return "declined phase one";
	if (t->phase == 2 && t->confirmed_only && !row->phase1_confirmed)
		return "not confirmed in phase one";
	return NULL;
}

static int
collect(const struct store_artist_row *row, void *arg)
{
	struct targets *t = arg;
	const char *why = leave_out(t, row);

	if (why != NULL) {
		skip_count(&t->skipped, why);
		return 0;
	}
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

/* Print the dry run's preview, when there is one. */
static void
print_preview(const struct requests *rq)
{
	const char *to, *msg = requests_preview(rq, &to);

	if (msg == NULL)
		return;
	printf("\n--- the request to %s, as it would be sent (placeholder "
	       "token) ---\n",
	    to);
	for (const char *p = msg; *p != '\0'; p++)
		if (*p != '\r')
			putchar(*p);
	printf("--- end of the request ---\n");
}

int
cmd_send(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"phase", required_argument, NULL, 'p'},
	    {"to", required_argument, NULL, 't'},
	    {"all-pledged", no_argument, NULL, 'a'},
	    {"confirmed-only", no_argument, NULL, 'C'},
	    {"outbox", required_argument, NULL, 'o'},
	    {"resend", no_argument, NULL, 'r'},
	    {"expires", required_argument, NULL, 'e'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"preview-dir", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cfg = NULL;
	struct token_secret *key = NULL;
	struct store *st = NULL;
	struct requests *rq = NULL;
	struct requests_opts ro;
	struct targets t = {0};
	struct skips skipped = {0}, failures = {0};
	char *password = NULL, to[TOKEN_SUB_MAX + 1], detail[600];
	/* Addresses and server replies, escaped for the terminal. */
	char ea[4 * (TOKEN_SUB_MAX + 1)], ed[4 * sizeof detail];
	const char *to_arg = NULL, *outbox = NULL, *preview_dir = NULL;
	bool all = false, resend = false, dry = false, confirmed_only = false;
	bool tty = isatty(STDOUT_FILENO);
	int64_t ttl = 30 * 86400;
	size_t sent = 0, deferred = 0, failed = 0;
	int ch, phase = 0, rc;
	struct stat sb;
	enum config_status cs;

	while ((ch = getopt_long(argc, argv, "p:t:aCo:re:nP:h", opts, NULL)) !=
	    -1) {
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
		case 'C':
			confirmed_only = true;
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
		case 'n':
			dry = true;
			break;
		case 'P':
			preview_dir = optarg;
			break;
		case 'h':
			printf("%s\nEmail confirmation requests for phase 1 or "
			       "2 (or, with --outbox, write each\nas DIR/"
			       "JTI.eml), recorded so that a second run sends "
			       "nothing twice.\n--all-pledged: every artist "
			       "who pledged and has neither withdrawn nor\n"
			       "answered the phase (phase 2 also leaves out "
			       "who declined phase 1);\n--confirmed-only: "
			       "phase 2 to the phase-1 confirmed only.\n"
			       "--dry-run: say who would be asked and show one "
			       "request (or write all\nto --preview-dir); "
			       "issues no token and records nothing.\n",
			    send_usage);
			return EX_OK;
		default:
			fputs(send_usage, stderr);
			return EX_USAGE;
		}
	}
	if (phase == 0 || (to_arg == NULL) == !all || optind != argc ||
	    (confirmed_only && (!all || phase != 2)) ||
	    (preview_dir != NULL && !dry) || (dry && outbox != NULL)) {
		fputs(send_usage, stderr);
		return EX_USAGE;
	}
	if (to_arg != NULL && cmd_normalise_address(to_arg, to, sizeof to) != 0)
		return EX_USAGE;
	if (outbox != NULL || preview_dir != NULL) {
		const char *dir = outbox != NULL ? outbox : preview_dir;
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr,
			    "pledgectl: send: %s: not a directory\n", dir);
			return EX_CANTCREAT;
		}
	}

	if (dry) {
		/* A preview signs nothing: no key, no password needed. */
		rc = cmd_load_config(config_path,
		    CONFIG_NEED_STORE | CONFIG_NEED_TOKENS |
			CONFIG_NEED_SMTP_FROM,
		    &cfg);
		if (rc != EX_OK)
			goto out;
	} else {
		if ((rc = cmd_load_signer(config_path, &cfg, &key)) != EX_OK)
			goto out;
		if (config_require(cfg,
			outbox != NULL ? CONFIG_NEED_SMTP_FROM
				       : CONFIG_NEED_SMTP) != CONFIG_OK) {
			rc = EX_CONFIG;
			goto out;
		}
	}
	if (!dry && outbox == NULL && cfg->smtp.password_file != NULL) {
		cs = config_read_secret(cfg->smtp.password_file, &password);
		if (cs != CONFIG_OK) {
			rc = config_exit_code(cs);
			goto out;
		}
	}
	if ((rc = cmd_open_store(cfg, false, &st)) != EX_OK)
		goto out;

	t.phase = phase;
	t.confirmed_only = confirmed_only;
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
	skipped = t.skipped;

	ro = (struct requests_opts){
	    .cfg = cfg,
	    .st = st,
	    .key = key,
	    .outbox = outbox,
	    .smtp_password = password,
	    .ttl = ttl,
	    .resend = resend,
	    .dry_run = dry,
	    .preview_dir = preview_dir,
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
			skip_count(&skipped, requests_last_reason(rq));
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
			/* One address costs one artist, not the round. */
			failed++;
			skip_count(&failures, requests_last_reason(rq));
			fprintf(stderr, "pledgectl: send: %s: %sfailed: %s\n",
			    E(t.addr[i], ea), dry ? "would have " : "",
			    E(detail, ed));
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
		if (tty && !dry) {
			printf(
			    "\r%zu/%zu: sent %zu, skipped %zu, deferred %zu, "
			    "failed %zu ",
			    i + 1, t.n, sent, skipped.total, deferred, failed);
			fflush(stdout);
		}
		if (stop)
			break;
	}
	if (tty && !dry && t.n > 0)
		putchar('\n');
	if (dry)
		printf("dry run, nothing recorded: would send %zu, skip %zu, "
		       "fail %zu\n",
		    sent, skipped.total, failed);
	else
		printf("requests: sent %zu, skipped %zu, deferred %zu, failed "
		       "%zu\n",
		    sent, skipped.total, deferred, failed);
	/* Why: a send that selects nobody must say so. */
	if (all && t.n == 0 && skipped.total == 0)
		printf("nobody to ask: no artist is recorded yet (pledges come "
		       "by mail, pledgectl import or pledgectl add)\n");
	skip_print(stdout, "skipped", &skipped);
	skip_print(stdout, dry ? "would fail" : "failed", &failures);
	if (dry && preview_dir != NULL && sent > 0)
		printf("previews: %zu in %s\n", sent, preview_dir);
	else if (dry)
		print_preview(rq);
	if (rc == EX_OK && deferred > 0)
		rc = EX_TEMPFAIL;
	else if (rc == EX_OK && failed > 0 && !dry)
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
