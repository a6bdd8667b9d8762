/*
 * smtp against scripted hostile servers (testutil_peer.h): SMTP gets
 * the guarantees IMAP has, a byte cap on every reply and an overall
 * deadline on every operation whatever the TLS mode, and a stop signal
 * ends a wait at once.  The well-behaved server is opensmtpd, in
 * tests/integration/send_smtp.sh.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pledged/net.h"
#include "pledged/smtp.h"
#include "testutil.h"
#include "testutil_peer.h"

enum hostile {
	H_ENDLESS_EHLO, /* 250- lines for ever */
	H_ENDLESS_LINE, /* a greeting line without end */
	H_TRICKLE,	/* a byte of EHLO answer every 200 ms */
	H_SILENT,	/* accepts and never says a word */
	H_AUTH_TAB,	/* "250-AUTH PLAIN<TAB>": libetpan spins */
};

#define FLOOD_MAX ((uint64_t)512 * 1024 * 1024)

static void
hostile_smtp(int fd, void *arg)
{
	enum hostile h = *(enum hostile *)arg;
	char line[1024];

	switch (h) {
	case H_SILENT:
		while (tu_peer_line(fd, line, sizeof(line)) > 0)
			;
		return;
	case H_ENDLESS_LINE:
		(void)tu_peer_send(fd, "220 ");
		(void)tu_peer_flood(fd, "xxxxxxxx", FLOOD_MAX);
		return;
	default:
		break;
	}
	(void)tu_peer_send(fd, "220 hostile ESMTP\r\n");
	if (tu_peer_line(fd, line, sizeof(line)) < 0)
		return;
	if (h == H_AUTH_TAB) {
		(void)tu_peer_send(fd,
		    "250-mx\r\n250-AUTH PLAIN LOGIN\t\r\n"
		    "250 8BITMIME\r\n");
		while (tu_peer_line(fd, line, sizeof(line)) > 0)
			if (tu_peer_send(fd, "250 ok\r\n") == -1)
				return;
		return;
	}
	if (h == H_ENDLESS_EHLO) {
		(void)tu_peer_flood(fd, "250-PIPELINING\r\n", FLOOD_MAX);
		return;
	}
	for (;;) { /* H_TRICKLE */
		if (tu_peer_send(fd, "2") == -1)
			return;
		usleep(200 * 1000);
	}
}

static struct tu_peer peer = {.events = -1};
static enum hostile mode;
static volatile sig_atomic_t stop;

static void
on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

/* smtp_open to the scripted server; its status is the exit code. */
static int
open_client(void *arg)
{
	int timeout = *(int *)arg;
	struct smtp_opts o = {
	    .host = "127.0.0.1",
	    .port = peer.port,
	    .tls = CONFIG_TLS_NONE,
	    .timeout = timeout,
	};
	struct smtp *sm = NULL;
	char why[256];
	enum smtp_status st;

	st = smtp_open(&o, &sm, why, sizeof(why));
	smtp_close(sm);
	return st;
}

static void
run_case(enum hostile h, int timeout, double max_secs)
{
	long rss;
	double secs;
	int rc;

	mode = h;
	tu_peer_start(&peer, hostile_smtp, &mode);
	rc = tu_measure(open_client, &timeout, &rss, &secs);
	tu_peer_stop(&peer);
	print_message(
	    "case %d: status %d, peak RSS %ld KiB, %.2f s\n", h, rc, rss, secs);
	assert_int_equal(rc, SMTP_TEMPFAIL);
	assert_true(rss < tu_baseline_rss() + 40 * 1024);
	assert_true(secs < max_secs);
}

/* Issue failure 6: an endless EHLO answer or line ends at the cap. */
static void
test_floods(void **state)
{
	(void)state;
	run_case(H_ENDLESS_EHLO, 30, 10);
	run_case(H_ENDLESS_LINE, 30, 10);
}

/*
 * Failure 6: the [smtp] timeout holds with tls = none (the greeting never
 * comes: one timeout, not libetpan's 300 s), and a server trickling a
 * byte at a time is cut at the overall deadline of the operation.
 */
static void
test_deadlines(void **state)
{
	(void)state;
	run_case(H_SILENT, 1, 3);
	run_case(H_TRICKLE, 1, 4 + 2);
}

/* A spinning client dies of SIGALRM: the test fails, never hangs. */
static int
alarmed_client(void *arg)
{
	alarm(10);
	return open_client(arg);
}

/*
 * Found by fuzz_smtp_reply: a tab after the AUTH mechanisms made
 * libetpan's EHLO parser loop for ever (100% CPU, no I/O, so no deadline
 * could end it).  Now the session opens, with the mechanisms seen.
 */
static void
test_auth_tab(void **state)
{
	int timeout = 5;
	long rss;
	double secs;
	int rc;

	(void)state;
	mode = H_AUTH_TAB;
	tu_peer_start(&peer, hostile_smtp, &mode);
	rc = tu_measure(alarmed_client, &timeout, &rss, &secs);
	tu_peer_stop(&peer);
	assert_int_equal(rc, SMTP_OK);
	assert_true(secs < 3);
}

/* Failure 6: a stop signal ends the wait at once (SIGTERM's path). */
static int
stop_client(void *arg)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART, as in pledged */
	sigaction(SIGALRM, &sa, NULL);
	net_set_stop(&stop);
	alarm(1);
	return open_client(arg);
}

static void
test_stop(void **state)
{
	int timeout = 60;
	long rss;
	double secs;
	int rc;

	(void)state;
	mode = H_TRICKLE;
	tu_peer_start(&peer, hostile_smtp, &mode);
	rc = tu_measure(stop_client, &timeout, &rss, &secs);
	tu_peer_stop(&peer);
	print_message("stop: status %d, %.2f s\n", rc, secs);
	assert_int_equal(rc, SMTP_TEMPFAIL);
	assert_true(secs < 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_floods),
	    cmocka_unit_test(test_deadlines),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_auth_tab),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
