/*
 * poll against scripted hostile IMAP servers (testutil_peer.h): the
 * passes and the daemon's loop, with a real store, so that what reaches
 * the database and how often the server is logged into are asserted.
 * The well-behaved server is dovecot, in tests/integration/imap_*.sh.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "pledged/config.h"
#include "pledged/engine.h"
#include "pledged/poll.h"
#include "testutil.h"
#include "testutil_peer.h"

struct fixture {
	char *dir, *conf, *db;
	struct tu_peer peer, smtp;
	enum tu_hostile mode;
	int smtp_port; /* non-zero: auto_confirm through this server */
};

static struct fixture fx;

/* A configuration for the scripted server on 'port', in fx.dir. */
static void
setup_for(enum tu_hostile mode, const char *extra)
{
	char *argv[5], *out = NULL, *pub, *text, *path, *smtp;

	fx.dir = tu_mkdtemp("poll");
	fx.mode = mode;
	tu_peer_start(&fx.peer, tu_hostile_imap, &fx.mode);
	path = tu_asprintf("%s/k.key", fx.dir);
	argv[0] = getenv("PLEDGECTL");
	argv[1] = "keygen";
	argv[2] = "--out";
	argv[3] = path;
	argv[4] = NULL;
	assert_non_null(argv[0]);
	assert_int_equal(tu_run(argv, NULL, &out, NULL), 0);
	assert_non_null(pub = strstr(out, "public_keys = "));
	pub += strlen("public_keys = ");
	pub[strcspn(pub, "\n")] = '\0';
	free(path);
	path = tu_asprintf("%s/pw", fx.dir);
	tu_write_file(path, "secret\n", 7, 0600);
	fx.db = tu_asprintf("%s/p.db", fx.dir);
	smtp = fx.smtp_port == 0
	    ? tu_asprintf("%s", "")
	    : tu_asprintf("secret_key_file = %s/k.key\nauto_confirm = yes\n"
			  "[smtp]\nhost = 127.0.0.1\nport = %d\ntls = none\n"
			  "from = Campaign <c@example.org>\ntimeout = 1\n",
		  fx.dir, fx.smtp_port);
	text = tu_asprintf("[imap]\nhost = 127.0.0.1\nport = %d\ntls = none\n"
			   "user = campaign\npassword_file = %s\ntimeout = 5\n"
			   "%s\n[store]\ndatabase = %s\n"
			   "[daemon]\nlock_file = %s/lock\nlog = stderr\n"
			   "poll_interval = 1\n[tokens]\n"
			   "campaign = c\npublic_keys = %s\n%s",
	    fx.peer.port, path, extra, fx.db, fx.dir, pub, smtp);
	free(smtp);
	free(path);
	fx.conf = tu_asprintf("%s/p.conf", fx.dir);
	tu_write_file(fx.conf, text, strlen(text), 0600);
	free(text);
	free(out);
}

static int
teardown(void **state)
{
	(void)state;
	tu_peer_stop(&fx.peer);
	if (fx.smtp_port != 0)
		tu_peer_stop(&fx.smtp);
	tu_rmtree(fx.dir);
	free(fx.dir);
	free(fx.conf);
	free(fx.db);
	memset(&fx, 0, sizeof fx);
	fx.peer.events = fx.smtp.events = -1;
	return 0;
}

/* pledged --once, in process. */
static int
once(void)
{
	struct config *cfg = NULL;
	struct engine *e = NULL;
	int rc;

	assert_int_equal(config_load(fx.conf, &cfg), CONFIG_OK);
	assert_int_equal(engine_open(cfg, false, &e), 0);
	e->pp.mark_pending = cfg->imap.after != CONFIG_AFTER_KEEP; /* as main */
	rc = poll_once(e, cfg, NULL);
	engine_close(e);
	config_free(cfg);
	return rc;
}

/* One value from the database, as text; caller frees. */
static char *
sql(const char *query)
{
	char *argv[] = {"sqlite3", fx.db, (char *)(uintptr_t)query, NULL};
	char *out = NULL;

	assert_int_equal(tu_run(argv, NULL, &out, NULL), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void
assert_sql(const char *query, const char *want)
{
	char *got = sql(query);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", query, got, want);
	free(got);
}

/* Failure 7: a bogus UID 4000000000 in SEARCH is not the high mark. */
static void
test_bogus_uid(void **state)
{
	(void)state;
	setup_for(TU_H_BOGUS_UID, "");
	assert_int_equal(once(), EX_OK);
	assert_sql("SELECT last_uid FROM mailbox_state", "2");
	assert_sql("SELECT group_concat(uid) FROM audit", "1,2");
}

/* Failure 7: a FETCH without RFC822.SIZE is read, not "vanished". */
static void
test_no_size(void **state)
{
	(void)state;
	setup_for(TU_H_NO_SIZE, "");
	assert_int_equal(once(), EX_OK);
	assert_sql("SELECT group_concat(uid) FROM audit", "1,2");
}

/*
 * Failure 7: UID 1 twice for 1:2 never makes UID 2 done; UID 2 is asked
 * for again, then recorded as failed after three passes and passed by.
 */
static void
test_duplicate_uid(void **state)
{
	(void)state;
	setup_for(TU_H_DUPLICATE_UID, "");
	/* Each message is committed as it is decided: UID 1 is recorded
	 * once, the mark stays below UID 2 until it is given up. */
	for (int pass = 1; pass <= 3; pass++) {
		assert_int_equal(once(), EX_TEMPFAIL);
		assert_sql("SELECT group_concat(uid) FROM audit", "1");
		assert_sql("SELECT count(*) FROM mailbox_state", "0");
	}
	assert_sql("SELECT uid, attempts, failed FROM fetch_failure", "2|3|1");
	assert_int_equal(once(), EX_OK);
	assert_sql("SELECT group_concat(uid) FROM audit", "1");
	assert_sql("SELECT last_uid FROM mailbox_state", "2");
}

/*
 * Failure 8: a refused STORE (read-only, after = flag) leaves the rows
 * marked pending, and every run still reads new mail (exit 0, not 76).
 */
static void
test_store_refused(void **state)
{
	int c, stores = 0;

	(void)state;
	setup_for(TU_H_STORE_NO, "after = flag");
	assert_int_equal(once(), EX_OK);
	assert_sql("SELECT group_concat(uid || ':' || server_pending) FROM "
		   "audit",
	    "1:1,2:1");
	while ((c = tu_peer_wait_event(&fx.peer, 0)) != -1)
		stores += c == 'S';
	assert_int_equal(stores, 1); /* refused, logged, not retried */
	/*
	 * The next pass gets past the pending rows to the search (it used to
	 * exit 76 before it); in the same process the refused flag waits an
	 * hour before it is tried again.
	 */
	assert_int_equal(once(), EX_OK);
	while ((c = tu_peer_wait_event(&fx.peer, 0)) != -1)
		stores += c == 'S';
	assert_int_equal(stores, 1);
	assert_sql("SELECT count(*) FROM audit WHERE server_pending = 1", "2");
}

/* An SMTP server that accepts and never says a word. */
static void
silent_smtp(int fd, void *arg)
{
	char line[512];

	(void)arg;
	while (tu_peer_line(fd, line, sizeof line) > 0)
		;
}

/*
 * Failure 6: with auto_confirm, a dead SMTP server costs the pass one
 * timeout (1 s here), not one per pledge, and never libetpan's 300 s.
 */
static void
test_auto_confirm_dead_smtp(void **state)
{
	struct timespec t0, t1;
	double secs;

	(void)state;
	tu_peer_start(&fx.smtp, silent_smtp, NULL);
	fx.smtp_port = fx.smtp.port;
	setup_for(TU_H_NORMAL, "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(once(), EX_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("pass with a dead SMTP server: %.2f s\n", secs);
	assert_sql("SELECT count(*) FROM audit WHERE outcome = 'pledge'", "2");
	assert_true(secs < 4);
}

static volatile sig_atomic_t stop, reload;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The daemon in a child, until SIGTERM. */
static pid_t
daemon_start(void)
{
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		struct sigaction sa;
		struct config *cfg = NULL;
		struct engine *e = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		if (config_load(fx.conf, &cfg) != CONFIG_OK ||
		    engine_open(cfg, false, &e) != 0)
			_exit(1);
		e->pp.mark_pending = cfg->imap.after != CONFIG_AFTER_KEEP;
		_exit(poll_daemon(e, cfg, &stop, &reload));
	}
	return pid;
}

static void
daemon_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The next event 'want' (others skipped); its time. */
static double
wait_for(int want, int secs)
{
	struct timespec ts;
	int c;

	while ((c = tu_peer_wait_event(&fx.peer, secs)) != want)
		if (c == -1)
			fail_msg("no event '%c' within %d s", want, secs);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Failure 9: a server that refuses IDLE is polled on the same session:
 * three passes (SELECT), one login (it used to log in again at once, dozens of
 * times in seconds).
 */
static void
test_idle_refused(void **state)
{
	pid_t pid;
	int c, logins = 0, selects = 0;

	(void)state;
	setup_for(TU_H_IDLE_NO, "");
	pid = daemon_start();
	while (selects < 3 && (c = tu_peer_wait_event(&fx.peer, 20)) != -1) {
		logins += c == 'l';
		selects += c == 'e';
	}
	daemon_stop(pid);
	assert_int_equal(selects, 3);
	assert_int_equal(logins, 1);
}

/*
 * Failure 9: a server that says BYE to IDLE is reconnected to after a
 * back-off (at least 2 s: 5 s with jitter), never at once.
 */
static void
test_idle_bye_backoff(void **state)
{
	double first, second;
	pid_t pid;

	(void)state;
	setup_for(TU_H_IDLE_BYE, "");
	pid = daemon_start();
	first = wait_for('l', 20);
	(void)wait_for('i', 20);
	second = wait_for('l', 20);
	daemon_stop(pid);
	print_message("second login %.2f s after the first\n", second - first);
	assert_true(second - first >= 2.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_bogus_uid, teardown),
	    cmocka_unit_test_teardown(test_no_size, teardown),
	    cmocka_unit_test_teardown(test_duplicate_uid, teardown),
	    cmocka_unit_test_teardown(test_store_refused, teardown),
	    cmocka_unit_test_teardown(test_auto_confirm_dead_smtp, teardown),
	    cmocka_unit_test_teardown(test_idle_refused, teardown),
	    cmocka_unit_test_teardown(test_idle_bye_backoff, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	fx.peer.events = fx.smtp.events = -1;
	return cmocka_run_group_tests_name("poll", tests, NULL, NULL);
}
