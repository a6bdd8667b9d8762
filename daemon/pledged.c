/*
 * pledged: reads the campaign mailbox and keeps the ledger.  This main owns
 * the options, the lock, signals and the loop; the work is in the modules.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/config.h"
#include "pledged/engine.h"
#include "pledged/failstate.h"
#include "pledged/ingest.h"
#include "pledged/lock.h"
#include "pledged/poll.h"
#include "pledged/privs.h"
#include "pledged/log.h"
#include "pledged/net.h"
#include "pledged/request.h"
#include "pledged/tls.h"
#include "pledged/token.h"

#define DEFAULT_CONFIG PLEDGED_SYSCONFDIR "/pledged/pledged.conf"

/*
 * The public keys must be real k4.public PASERKs: the sample's
 * placeholders parse as a list, and would make every token "unknown-key".
 */
static enum config_status
check_public_keys(const struct config *cfg)
{
	const struct config_list *pk = &cfg->tokens.public_keys;
	struct token_keyring *kr = token_keyring_new();
	enum config_status rc = CONFIG_OK;

	if (kr == NULL)
		return CONFIG_ERR;
	for (size_t i = 0; i < pk->n; i++) {
		if (token_keyring_add(kr, pk->items[i]) == 0)
			continue;
		if (strstr(pk->items[i], "REPLACE") != NULL ||
		    strstr(pk->items[i], "AN-OLDER-KEY") != NULL)
			fprintf(stderr,
			    "%s:%u: [tokens] public_keys: '%s' is the "
			    "sample's placeholder: paste the public_keys line "
			    "that pledgectl keygen printed\n",
			    cfg->path, cfg->line.public_keys, pk->items[i]);
		else
			fprintf(stderr,
			    "%s:%u: [tokens] public_keys: '%s' is not a "
			    "valid k4.public PASERK\n",
			    cfg->path, cfg->line.public_keys, pk->items[i]);
		rc = CONFIG_ERR;
	}
	token_keyring_free(kr);
	return rc;
}

/* The request templates, every placeholder checked (request.h). */
static enum config_status
check_templates(const struct config *cfg)
{
	struct request_templates *t = NULL;
	struct stat st;

	if (cfg->smtp.templates == NULL)
		return CONFIG_OK;
	if (stat(cfg->smtp.templates, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s:%u: [smtp] templates: %s: %s\n", cfg->path,
		    cfg->line.smtp_templates, cfg->smtp.templates,
		    errno == ENOENT ? strerror(errno) : "not a directory");
		return errno == ENOENT ? CONFIG_NOINPUT : CONFIG_ERR;
	}
	if (request_templates_load(cfg->smtp.templates, &t) != 0)
		return CONFIG_ERR;
	request_templates_free(t);
	return CONFIG_OK;
}

/*
 * A TLS mode that does not match the port's usual protocol: not an error
 * (servers listen where they like), but the likely cause when the
 * connection then fails, so say it now.
 */
static void
check_tls_port(const struct config *cfg)
{
	const char *hint = tls_port_hint("imap",
	    cfg->imap.tls == CONFIG_TLS_IMPLICIT, cfg->imap.port, false);

	if (cfg->imap.present && hint != NULL)
		fprintf(stderr, "%s:%u: warning: %s\n", cfg->path,
		    cfg->line.imap_tls ? cfg->line.imap_tls
				       : cfg->line.imap_port,
		    hint);
}

/*
 * --check-config: what pledged itself will use, as the user it will run
 * as.  Every pledged command needs [store] and [tokens]; [imap] only the
 * polling ones (not ingest), so it is checked only where present -- and
 * then whole, since a half-written section is a mistake whoever runs it.
 * [smtp] is pledged's only with auto_confirm = yes; otherwise it is
 * pledgectl send's, which checks it when it runs.  Every problem is
 * printed; the exit code is the worst: 77, then 78, then 66.  [notify] to
 * needs [smtp] too: the digest goes out through it.
 */
static int
check_config(const char *path)
{
	struct config *cfg = NULL;
	enum config_status rc, r;
	unsigned need = CONFIG_NEED_STORE | CONFIG_NEED_TOKENS;
	bool smtp;

	if ((rc = config_load(path, &cfg)) != CONFIG_OK)
		goto out;
	/* The files are checked as the user who will read them. */
	if (privs_become_store_owner(cfg->store.database, "pledged", true) !=
	    EX_OK) {
		config_free(cfg);
		return EX_NOPERM;
	}
	smtp = cfg->tokens.auto_confirm || cfg->notify.to.n > 0;
	if (cfg->imap.present)
		need |= CONFIG_NEED_IMAP;
	if (smtp)
		need |= CONFIG_NEED_SMTP;
	rc = config_require(cfg, need);
	if ((r = check_public_keys(cfg)) != CONFIG_OK && rc == CONFIG_OK)
		rc = r;
	r = config_check_files_for(cfg, smtp);
	if (r == CONFIG_PERM || rc == CONFIG_OK)
		rc = r != CONFIG_OK ? r : rc;
	if (smtp && (r = check_templates(cfg)) != CONFIG_OK && rc == CONFIG_OK)
		rc = r;
	check_tls_port(cfg);
	if (rc == CONFIG_OK)
		printf("%s: ok\n", path);
out:
	config_free(cfg);
	return config_exit_code(rc);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pledged [--config FILE] [--once] [--dry-run] [-d] "
	    "[--verbose]\n"
	    "       pledged [--config FILE] [--dry-run] ingest [FILE...]\n"
	    "       pledged [--config FILE] --check-config\n"
	    "       pledged --help | --version\n\n"
	    "Options:\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -1, --once         one pass over new mail, then exit\n"
	    "  -n, --dry-run      decide and print; change neither store nor "
	    "server\n"
	    "  -C, --check-config validate the configuration and its files\n"
	    "  -d, --foreground   log to standard error, whatever [daemon] "
	    "log says\n"
	    "  -v, --verbose      log debugging detail\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n",
	    DEFAULT_CONFIG);
}

static volatile sig_atomic_t stop_requested, reload_requested;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/*
 * SIGTERM and SIGINT finish the batch at hand, commit, and exit 0; SIGHUP
 * re-reads the configuration.  No SA_RESTART: a wait on the network must
 * wake up to notice.
 */
static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A stopping process does not wait on an SMTP server. */
	net_set_stop(&stop_requested);
}

static int
load(const char *path, unsigned need, struct config **cfg)
{
	enum config_status rc;

	int ex;

	if ((rc = config_load(path, cfg)) != CONFIG_OK)
		return config_exit_code(rc);
	if ((rc = config_require(*cfg, need)) != CONFIG_OK) {
		config_free(*cfg);
		*cfg = NULL;
		return config_exit_code(rc);
	}
	/* Root becomes the store's owner before opening anything. */
	if ((ex = privs_become_store_owner(
		 (*cfg)->store.database, "pledged", false)) != EX_OK) {
		config_free(*cfg);
		*cfg = NULL;
		return ex;
	}
	return EX_OK;
}

/* One run at a time; a run that finds the lock held exits 75, quietly. */
static int
take_lock(const struct config *cfg, int *fd)
{
	switch (lock_acquire(cfg->daemon.lock_file, fd)) {
	case LOCK_OK:
		return EX_OK;
	case LOCK_HELD:
		log_debug("another pledged holds %s", cfg->daemon.lock_file);
		return EX_TEMPFAIL;
	default:
		return EX_CANTCREAT;
	}
}

struct opts {
	const char *config_path;
	bool once, dry_run, verbose, foreground;
};

/* -d: standard error whatever [daemon] log says, as smtpd -d does. */
static enum log_dest
log_dest(const struct opts *o, const struct config *cfg)
{
	return o->foreground ? LOG_TO_STDERR : cfg->daemon.log;
}

static int
run_ingest(const struct opts *o, char **files, int n)
{
	struct config *cfg = NULL;
	struct engine *e = NULL;
	int rc, lockfd = -1;

	if ((rc = load(o->config_path, CONFIG_NEED_STORE | CONFIG_NEED_TOKENS,
		 &cfg)) != EX_OK)
		return rc;
	/* A command run by hand or by the MTA: errors go where it sees them. */
	log_init("pledged", LOG_TO_STDERR, o->verbose);
	if (!o->dry_run && (rc = take_lock(cfg, &lockfd)) != EX_OK)
		goto out;
	if ((rc = engine_open(cfg, o->dry_run, &e)) != EX_OK)
		goto out;
	rc = ingest_run(e, files, n);
out:
	engine_close(e);
	lock_release(lockfd);
	config_free(cfg);
	return rc;
}

static int
run_imap(const struct opts *o)
{
	const unsigned need =
	    CONFIG_NEED_STORE | CONFIG_NEED_TOKENS | CONFIG_NEED_IMAP;
	struct config *cfg = NULL, *fresh = NULL;
	struct engine *e = NULL;
	int rc, lockfd = -1;

	if ((rc = load(o->config_path, need, &cfg)) != EX_OK)
		return rc;
	log_init("pledged", log_dest(o, cfg), o->verbose);
	if (!o->dry_run && (rc = take_lock(cfg, &lockfd)) != EX_OK)
		goto out;
	for (;;) {
		if ((rc = engine_open(cfg, o->dry_run, &e)) != EX_OK)
			break;
		e->pp.mark_pending = cfg->imap.after != CONFIG_AFTER_KEEP;
		if (o->once || o->dry_run) {
			rc = poll_once(e, cfg, &stop_requested);
			break;
		}
		log_info("started: %s as %s on %s", cfg->imap.mailbox,
		    cfg->imap.user, cfg->imap.host);
		rc = poll_daemon(e, cfg, &stop_requested, &reload_requested);
		if (stop_requested || !reload_requested)
			break;
		reload_requested = 0;
		engine_close(e);
		e = NULL;
		if (load(o->config_path, need, &fresh) != EX_OK) {
			log_warnx("%s: not reloaded, keeping the running "
				  "configuration",
			    o->config_path);
			continue;
		}
		config_free(cfg);
		cfg = fresh;
		fresh = NULL;
		log_init("pledged", log_dest(o, cfg), o->verbose);
		log_info("configuration reloaded");
	}
	if (!o->once && !o->dry_run && rc == EX_OK)
		log_info("stopped");
out:
	/* cron and the timer: a 75 that lasts is an error (failstate.h). */
	if (o->once && !o->dry_run && cfg != NULL)
		rc = failstate_note(cfg->store.database, rc,
		    cfg->daemon.fail_after, time(NULL),
		    log_dest(o, cfg) == LOG_TO_SYSLOG);
	engine_close(e);
	lock_release(lockfd);
	config_free(cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"foreground", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {DEFAULT_CONFIG, false, false, false, false};
	bool check = false;
	int ch;

	log_init("pledged", LOG_TO_STDERR, false);
	while ((ch = getopt_long(argc, argv, "+c:1nCvdhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case '1':
			o.once = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'd':
			o.foreground = true;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V':
			printf("pledged %s\n", PLEDGED_VERSION);
			exit(EX_OK);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	log_init("pledged", LOG_TO_STDERR, o.verbose);
	if (check) {
		if (argc != 0) {
			usage(stderr);
			exit(EX_USAGE);
		}
		exit(check_config(o.config_path));
	}
	install_signals();
	if (argc > 0 && strcmp(argv[0], "ingest") == 0)
		exit(run_ingest(&o, argv + 1, argc - 1));
	if (argc > 0) {
		fprintf(stderr, "pledged: unknown command '%s'\n", argv[0]);
		usage(stderr);
		exit(EX_USAGE);
	}
	exit(run_imap(&o));
}
