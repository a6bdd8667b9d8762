/*
 * imap against a private dovecot (contrib/testenv/dovecot.sh): one server
 * per group, started in the group setup and stopped in its teardown, so
 * a failing test still stops it.  Tests that change a mailbox use their
 * own user (campaign, artist1..artist3) to stay independent.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pledged/imap.h"
#include "imap_p.h"
#include "testutil.h"
#include "testutil_dovecot.h"
#include "testutil_peer.h"

static struct tu_dovecot *d;

static int
group_setup(void **state)
{
	(void)state;
	d = tu_dovecot_start();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_dovecot_stop(d);
	d = NULL;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Parameters for 'user' over implicit TLS to 127.0.0.1, verified. */
static struct imap_params
params_for(const char *user)
{
	struct imap_params p = {
	    .host = d->host,
	    .port = d->imaps_port,
	    .tls = IMAP_TLS_IMPLICIT,
	    .ca_file = d->ca_file,
	    .user = user,
	    .password = strcmp(user, "campaign") == 0 ? d->password
						      : d->artist_password,
	    .timeout = 5,
	};
	return p;
}

static struct imap_conn *
connect_as(const char *user)
{
	struct imap_params p = params_for(user);
	struct imap_conn *c = NULL;

	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	assert_non_null(c);
	return c;
}

/* doveadm fetch: the flags of every message in 'mailbox', one a line. */
static char *
flags_of(const char *user, const char *mailbox)
{
	char *argv[] = {"doveadm", "-c", d->conf, "fetch", "-u",
	    (char *)(uintptr_t)user, "flags", "mailbox",
	    (char *)(uintptr_t)mailbox, "all", NULL};
	char *out = NULL;

	assert_int_equal(tu_run(argv, NULL, &out, NULL), 0);
	return out;
}

/* The harness itself: delivered files and doveadm saves are seen. */
static void
test_harness(void **state)
{
	static const char msg[] = "Subject: one\r\n\r\nbody\r\n";
	char *argv[] = {"doveadm", "-c", d->conf, "search", "-u", "artist3",
	    "mailbox", "INBOX", "ALL", NULL};
	char *out = NULL;

	(void)state;
	tu_dovecot_deliver(d, "artist3", msg, strlen(msg));
	tu_dovecot_append(d, "artist3", "INBOX", msg);
	assert_int_equal(tu_run(argv, NULL, &out, NULL), 0);
	/* "<guid> <uid>" per message */
	assert_non_null(strstr(out, " 1\n"));
	assert_non_null(strstr(out, " 2\n"));
	free(out);
}

/* Implicit TLS verified against the test CA; APPEND; UID SEARCH sees it. */
static void
test_implicit_tls_append_search(void **state)
{
	static const char msg[] = "From: a@example.org\r\nSubject: proof\r\n"
				  "\r\nhello\r\n";
	struct imap_conn *c = connect_as("campaign");
	uint32_t uidvalidity, uidnext, *uids = NULL;
	size_t n;

	(void)state;
	assert_int_equal(imap_append(c, "INBOX", msg, strlen(msg)), IMAP_OK);
	assert_int_equal(
	    imap_select(c, "INBOX", &uidvalidity, &uidnext), IMAP_OK);
	assert_true(uidvalidity != 0);
	assert_true(uidnext >= 2);
	assert_int_equal(imap_search_above(c, 0, 0, &uids, &n), IMAP_OK);
	assert_true(n >= 1);
	assert_int_equal(uids[n - 1], uidnext - 1);
	free(uids);
	imap_close(c);
}

static void
test_starttls_and_loopback_plaintext(void **state)
{
	struct imap_params p = params_for("campaign");
	struct imap_conn *c = NULL;
	uint32_t v, next;

	(void)state;
	p.port = d->imap_port;
	p.tls = IMAP_TLS_STARTTLS;
	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	imap_close(c);

	/* Plaintext to loopback, when asked for explicitly, works... */
	p.tls = IMAP_TLS_NONE;
	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	imap_close(c);
	/* ...and is refused, without connecting, to anything else. */
	p.host = "192.0.2.1";
	assert_int_equal(imap_connect(&p, &c), IMAP_TLS_FAILED);
	assert_null(c);
}

/* Each bad certificate is refused before LOGIN, over both TLS modes. */
static void
test_bad_certificates(void **state)
{
	const struct {
		const char *host, *ca;
	} cases[] = {
	    {d->wrong_ca_host, d->ca_file},   /* unknown issuer */
	    {d->wrong_name_host, d->ca_file}, /* wrong name */
	    {d->expired_host, d->ca_file},    /* expired */
	    {d->host, d->other_ca_file},      /* wrong trust anchor */
	    {d->host, NULL},		      /* system store */
	};
	size_t i;
	int mode;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (mode = 0; mode < 2; mode++) {
			struct imap_params p = params_for("artist2");
			struct imap_conn *c = NULL;
			char *line;

			p.host = cases[i].host;
			p.ca_file = cases[i].ca;
			p.tls =
			    mode == 0 ? IMAP_TLS_IMPLICIT : IMAP_TLS_STARTTLS;
			p.port = mode == 0 ? d->imaps_port : d->imap_port;
			assert_int_equal(imap_connect(&p, &c), IMAP_TLS_FAILED);
			assert_null(c);
			line = tu_asprintf("Login: user=<artist2>");
			assert_false(tu_dovecot_log_has(d, line));
			free(line);
		}
	}
}

static void
test_connect_failures(void **state)
{
	struct imap_params p = params_for("campaign");
	struct imap_conn *c = NULL;

	(void)state;
	/* Nothing listens on port 1. */
	p.port = 1;
	assert_int_equal(imap_connect(&p, &c), IMAP_UNAVAILABLE);
	p.host = "host.invalid";
	assert_int_equal(imap_connect(&p, &c), IMAP_UNAVAILABLE);
	p = params_for("campaign");
	p.timeout = 0;
	assert_int_equal(imap_connect(&p, &c), IMAP_UNAVAILABLE);
	assert_null(c);
	assert_int_equal(imap_status_exit(IMAP_TEMPFAIL), 75);
	assert_int_equal(imap_status_exit(IMAP_AUTH_FAILED), 77);
	assert_int_equal(imap_status_exit(IMAP_TLS_FAILED), 69);
	assert_string_equal(imap_status_str(IMAP_TEMPFAIL), "tempfail");
}

/*
 * Refused logins, in a group of their own: dovecot delays every later
 * login from the same address after a failure (anvil's auth penalty).
 */
static void
test_bad_login(void **state)
{
	struct imap_params p = params_for("campaign");
	struct imap_conn *c = NULL;

	(void)state;
	p.password = "not the password";
	assert_int_equal(imap_connect(&p, &c), IMAP_AUTH_FAILED);
	assert_null(c);
	p = params_for("nobody");
	p.timeout = 15; /* the penalty: a few seconds */
	assert_int_equal(imap_connect(&p, &c), IMAP_AUTH_FAILED);
	assert_null(c);
	assert_false(tu_dovecot_log_has(d, "not the password"));
}

struct collected {
	size_t n;
	uint32_t uid[8];
	char *body[8];
	size_t len[8];
	int stop_after;
};

static int
collect(
    void *arg, uint32_t uid, const char *data, size_t len, int64_t internaldate)
{
	struct collected *col = arg;

	(void)internaldate;
	assert_true(col->n < 8);
	col->uid[col->n] = uid;
	col->body[col->n] = malloc(len + 1);
	assert_non_null(col->body[col->n]);
	memcpy(col->body[col->n], data, len);
	col->len[col->n] = len;
	col->n++;
	return col->stop_after != 0 && (int)col->n >= col->stop_after;
}

static void
collected_free(struct collected *col)
{
	for (size_t i = 0; i < col->n; i++)
		free(col->body[i]);
	memset(col, 0, sizeof(*col));
}

/* Select, search, sizes, bodies byte for byte, \Seen untouched, keyword,
 * move to a folder that does not exist yet. */
static void
test_mailbox_operations(void **state)
{
	const char *msgs[3] = {
	    "From: a@example.org\r\nSubject: 1\r\n\r\nfirst\r\n",
	    "From: b@example.org\r\nSubject: 2\r\n\r\nsecond, "
	    "longer\r\n\r\n-- \r\nsig\r\n",
	    "From: c@example.org\r\nSubject: 3\r\n\r\n\r\n",
	};
	struct collected col = {0};
	uint32_t v, next, *uids = NULL, sizes[4], ask[4];
	size_t n, i;
	struct imap_conn *c;
	char *flags;

	(void)state;
	for (i = 0; i < 3; i++)
		tu_dovecot_deliver(d, "artist1", msgs[i], strlen(msgs[i]));
	c = connect_as("artist1");
	assert_int_equal(imap_select(c, "Nope", &v, &next), IMAP_NO_MAILBOX);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	assert_int_equal(next, 4);

	assert_int_equal(imap_search_above(c, 0, 0, &uids, &n), IMAP_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(uids[i], i + 1);
	free(uids);
	assert_int_equal(imap_search_above(c, 2, 0, &uids, &n), IMAP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 3);
	free(uids);
	/* 5:* matches UID 3 on the wire; it must be filtered out. */
	assert_int_equal(imap_search_above(c, 5, 0, &uids, &n), IMAP_OK);
	assert_int_equal(n, 0);
	assert_null(uids);

	/* Sizes, with a UID that does not exist. */
	ask[0] = 1, ask[1] = 2, ask[2] = 3, ask[3] = 99;
	assert_int_equal(imap_fetch_sizes(c, ask, 4, sizes), IMAP_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(sizes[i], strlen(msgs[i]));
	assert_int_equal(sizes[3], IMAP_SIZE_GONE);

	assert_int_equal(imap_fetch(c, ask, NULL, 4, collect, &col), IMAP_OK);
	assert_int_equal(col.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(col.uid[i], i + 1);
		assert_int_equal(col.len[i], strlen(msgs[i]));
		assert_memory_equal(col.body[i], msgs[i], col.len[i]);
	}
	collected_free(&col);
	col.stop_after = 1;
	assert_int_equal(
	    imap_fetch(c, ask, NULL, 3, collect, &col), IMAP_ABORTED);
	assert_int_equal(col.n, 1);
	collected_free(&col);

	flags = flags_of("artist1", "INBOX");
	assert_null(strstr(flags, "\\Seen"));
	free(flags);

	assert_int_equal(imap_add_keyword(c, ask, 2, "$Pledged"), IMAP_OK);
	flags = flags_of("artist1", "INBOX");
	/* "flags: $Pledged" twice, then one without */
	assert_non_null(strstr(flags, "$Pledged"));
	assert_non_null(strstr(strstr(flags, "$Pledged") + 1, "$Pledged"));
	assert_null(strstr(flags, "\\Seen"));
	free(flags);

	/* Move to a folder that does not exist, then to one that does. */
	ask[0] = 1;
	assert_int_equal(imap_move(c, ask, 1, "Processed"), IMAP_OK);
	ask[0] = 2;
	assert_int_equal(imap_move(c, ask, 1, "Processed"), IMAP_OK);
	assert_int_equal(imap_search_above(c, 0, 0, &uids, &n), IMAP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 3);
	free(uids);
	flags = flags_of("artist1", "Processed");
	assert_non_null(strstr(flags, "$Pledged"));
	free(flags);

	/* The COPY fallback, as for servers without MOVE: UID 3 with UID
	 * EXPUNGE, then UID 4 (delivered now) with a plain EXPUNGE. */
	tu_dovecot_deliver(d, "artist1", msgs[0], strlen(msgs[0]));
	for (uint32_t u = 3; u <= 4; u++) {
		struct mailimap_set *set = imap_uid_set(&u, 1);

		assert_true(imap_op_begin(c, "test", 10));
		assert_int_equal(imap_ensure_mailbox(c, "Old"), IMAP_OK);
		assert_int_equal(
		    imap_move_by_copy(c, set, "Old", u == 3), IMAP_OK);
		mailimap_set_free(set);
	}
	assert_int_equal(imap_search_above(c, 0, 0, &uids, &n), IMAP_OK);
	assert_int_equal(n, 0);
	flags = flags_of("artist1", "Old");
	assert_int_equal(strlen(flags) > 0, 1);
	free(flags);
	imap_close(c);
}

/* Every status ends in an exit code that pledged(8) and DESIGN list. */
static void
test_status_exit(void **state)
{
	static const struct {
		enum imap_status st;
		int code;
	} cases[] = {
	    {IMAP_OK, 0},
	    {IMAP_UNAVAILABLE, 69},
	    {IMAP_TEMPFAIL, 75},
	    {IMAP_TLS_FAILED, 69},
	    {IMAP_AUTH_FAILED, 77},
	    {IMAP_PROTOCOL, 69},
	    {IMAP_NO_MAILBOX, 69},
	    {IMAP_ABORTED, 75},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (imap_status_exit(cases[i].st) != cases[i].code)
			fail_msg("%s: exit %d, want %d",
			    imap_status_str(cases[i].st),
			    imap_status_exit(cases[i].st), cases[i].code);
}

static void
test_uid_set(void **state)
{
	static const uint32_t uids[] = {
	    1, 2, 3, 7, 9, 10, UINT32_MAX - 1, UINT32_MAX};
	struct mailimap_set *set = imap_uid_set(uids, 8);
	clistiter *it;
	uint32_t want[][2] = {
	    {1, 3}, {7, 7}, {9, 10}, {UINT32_MAX - 1, UINT32_MAX}};
	size_t i = 0;

	(void)state;
	assert_non_null(set);
	assert_int_equal(clist_count(set->set_list), 4);
	for (it = clist_begin(set->set_list); it != NULL;
	     it = clist_next(it), i++) {
		struct mailimap_set_item *item = clist_content(it);

		assert_int_equal(item->set_first, want[i][0]);
		assert_int_equal(item->set_last, want[i][1]);
	}
	mailimap_set_free(set);
}

/* IDLE returns within seconds when another connection appends. */
static void
test_idle_wakes(void **state)
{
	static const char msg[] = "Subject: wake\r\n\r\nup\r\n";
	struct imap_conn *c = connect_as("artist3");
	uint32_t v, next;
	bool activity = true;
	double t0;
	pid_t pid;
	int status;

	(void)state;
	assert_true(imap_has_idle(c));
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	/* Quiet mailbox: the full wait, no activity. */
	t0 = now_s();
	assert_int_equal(imap_idle_wait(c, 1, &activity), IMAP_OK);
	assert_false(activity);
	assert_true(now_s() - t0 >= 0.9);

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct imap_params p = params_for("artist3");
		struct imap_conn *other = NULL;
		int rc = 1;

		sleep(1);
		if (imap_connect(&p, &other) == IMAP_OK &&
		    imap_append(other, "INBOX", msg, strlen(msg)) == IMAP_OK)
			rc = 0;
		imap_close(other);
		_exit(rc);
	}
	t0 = now_s();
	assert_int_equal(imap_idle_wait(c, 20, &activity), IMAP_OK);
	assert_true(activity);
	assert_true(now_s() - t0 < 5);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	imap_close(c);
}

/* A frozen server costs about one timeout and IMAP_TEMPFAIL. */
static void
test_stalled_server(void **state)
{
	struct imap_params p = params_for("campaign");
	struct imap_conn *c = NULL;
	uint32_t v, next, *uids = NULL;
	size_t n;
	double t0;
	bool activity;

	(void)state;
	p.timeout = 2;
	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	tu_dovecot_freeze(d, 1);

	t0 = now_s();
	assert_int_equal(imap_search_above(c, 0, 0, &uids, &n), IMAP_TEMPFAIL);
	assert_true(now_s() - t0 < 4);
	/* The connection is known dead: no further wait. */
	t0 = now_s();
	assert_int_equal(imap_idle_wait(c, 5, &activity), IMAP_TEMPFAIL);
	imap_close(c);
	assert_true(now_s() - t0 < 0.5);

	/* A new connection to the frozen server fails in time too. */
	c = NULL;
	t0 = now_s();
	assert_int_equal(imap_connect(&p, &c), IMAP_TEMPFAIL);
	assert_null(c);
	assert_true(now_s() - t0 < 2 * p.timeout + 2);

	tu_dovecot_freeze(d, 0);
	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	imap_close(c);
}

/*
 * A peer that answers like an IMAP server and then closes in the middle
 * of a literal, on a plaintext connection.  Not a stand-in for dovecot
 * (which never does this): the hostile case that makes libetpan 1.9.4
 * spin forever without our stream guard.  Serves one connection.
 */
static void
serve_truncated_literal(int lfd)
{
	char line[512], tag[32];
	size_t len = 0;
	int fd;
	FILE *in;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	(void)!write(fd, "* OK ready\r\n", 12);
	if ((in = fdopen(dup(fd), "r")) == NULL)
		_exit(1);
	while (fgets(line, sizeof(line), in) != NULL) {
		char reply[512];

		len = strcspn(line, " ");
		if (len == 0 || len >= sizeof(tag))
			_exit(1);
		memcpy(tag, line, len);
		tag[len] = '\0';
		if (strstr(line, " LOGIN ") != NULL)
			snprintf(reply, sizeof(reply), "%s OK in\r\n", tag);
		else if (strstr(line, " CAPABILITY") != NULL)
			snprintf(reply, sizeof(reply),
			    "* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag);
		else if (strstr(line, " SELECT ") != NULL)
			snprintf(reply, sizeof(reply),
			    "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n"
			    "* OK [UIDNEXT 2] n\r\n%s OK [READ-WRITE] s\r\n",
			    tag);
		else if (strstr(line, " FETCH ") != NULL) {
			snprintf(reply, sizeof(reply),
			    "* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] {100}\r\n"
			    "Subject: cut");
			(void)!write(fd, reply, strlen(reply));
			break; /* and close mid-literal */
		} else
			snprintf(reply, sizeof(reply), "%s BAD what\r\n", tag);
		(void)!write(fd, reply, strlen(reply));
	}
	_exit(0);
}

static void
test_plaintext_close_mid_literal(void **state)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct imap_params p = params_for("campaign");
	struct imap_conn *c = NULL;
	struct collected col = {0};
	uint32_t v, next, uid = 1;
	double t0;
	pid_t pid;
	int lfd, status;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		serve_truncated_literal(lfd);
	close(lfd);

	p.tls = IMAP_TLS_NONE;
	p.port = ntohs(sin.sin_port);
	p.timeout = 30; /* the guard, not a timeout, must end the fetch */
	assert_int_equal(imap_connect(&p, &c), IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	assert_int_equal(v, 7);
	t0 = now_s();
	assert_int_equal(
	    imap_fetch(c, &uid, NULL, 1, collect, &col), IMAP_TEMPFAIL);
	assert_true(now_s() - t0 < 2);
	assert_int_equal(col.n, 0);
	imap_close(c);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- hostile servers (issue: bytes, skipped mail, refusals) ---- */

static struct tu_peer peer = {.events = -1};
static enum tu_hostile peer_mode;

static struct imap_conn *
hostile_connect(enum tu_hostile h, enum imap_status *st)
{
	struct imap_params p = {
	    .host = "127.0.0.1",
	    .tls = IMAP_TLS_NONE,
	    .user = "campaign",
	    .password = "secret",
	    .timeout = 10,
	};
	struct imap_conn *c = NULL;

	peer_mode = h;
	tu_peer_start(&peer, tu_hostile_imap, &peer_mode);
	p.port = peer.port;
	*st = imap_connect(&p, &c);
	return c;
}

/*
 * The client side of a flood, in a child: connect, select, sizes, then
 * the body fetch.  Exits with the status of the step that failed.
 */
static int
flood_client(void *arg)
{
	enum tu_hostile h = *(enum tu_hostile *)arg;
	enum imap_status st;
	struct imap_conn *c = hostile_connect(h, &st);
	struct collected col = {0};
	uint32_t v, next, uids[2] = {1, 2}, sizes[2];

	if (c == NULL)
		goto out;
	if ((st = imap_select(c, "INBOX", &v, &next)) != IMAP_OK)
		goto out;
	if ((st = imap_fetch_sizes(c, uids, 2, sizes)) != IMAP_OK)
		goto out;
	st = imap_fetch(c, uids, sizes, 1, collect, &col);
out:
	imap_close(c);
	tu_peer_stop(&peer);
	return st;
}

/*
 * Issue failure 5: each flood ends with a clear error (the server broke
 * a cap: IMAP_PROTOCOL) after about a MiB, not gigabytes.  Peak memory
 * of the client process stays within 40 MiB of an idle child's, where
 * without the caps it grew with the flood (up to FLOOD_MAX here).
 */
static void
test_hostile_floods(void **state)
{
	static const enum tu_hostile cases[] = {TU_H_ENDLESS_GREETING,
	    TU_H_ENDLESS_LINE, TU_H_ENDLESS_UNTAGGED, TU_H_HUGE_LITERAL};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum tu_hostile h = cases[i];
		long rss;
		double secs;
		int rc = tu_measure(flood_client, &h, &rss, &secs);

		print_message("flood %zu: status %d, peak RSS %ld KiB, "
			      "%.2f s\n",
		    i, rc, rss, secs);
		assert_int_equal(rc, IMAP_PROTOCOL);
		assert_true(rss < tu_baseline_rss() + 40 * 1024);
		assert_true(secs < 10);
	}
}

/* Failure 7: UID 1 twice for 1:2 hands UID 1 over once, never UID 2. */
static void
test_hostile_duplicate_uid(void **state)
{
	enum imap_status st;
	struct imap_conn *c = hostile_connect(TU_H_DUPLICATE_UID, &st);
	struct collected col = {0};
	uint32_t v, next, uids[2] = {1, 2}, sizes[2];

	(void)state;
	assert_int_equal(st, IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	assert_int_equal(imap_fetch_sizes(c, uids, 2, sizes), IMAP_OK);
	assert_int_equal(imap_fetch(c, uids, sizes, 2, collect, &col), IMAP_OK);
	assert_int_equal(col.n, 1);
	assert_int_equal(col.uid[0], 1);
	collected_free(&col);
	imap_close(c);
	tu_peer_stop(&peer);
}

/* Failure 7: a UID at or above UIDNEXT never becomes the high mark. */
static void
test_hostile_bogus_uid(void **state)
{
	enum imap_status st;
	struct imap_conn *c = hostile_connect(TU_H_BOGUS_UID, &st);
	uint32_t v, next, *uids = NULL;
	size_t n;

	(void)state;
	assert_int_equal(st, IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	assert_int_equal(next, 3);
	assert_int_equal(imap_search_above(c, 0, next, &uids, &n), IMAP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 2);
	free(uids);
	imap_close(c);
	tu_peer_stop(&peer);
}

/* Failure 7: a FETCH without RFC822.SIZE is not "vanished". */
static void
test_hostile_no_size(void **state)
{
	enum imap_status st;
	struct imap_conn *c = hostile_connect(TU_H_NO_SIZE, &st);
	uint32_t v, next, uids[3] = {1, 2, 3}, sizes[3];

	(void)state;
	assert_int_equal(st, IMAP_OK);
	assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
	assert_int_equal(imap_fetch_sizes(c, uids, 3, sizes), IMAP_OK);
	assert_int_equal(sizes[0], IMAP_SIZE_UNKNOWN);
	assert_int_equal(sizes[1], tu_hostile_msg(2, (char[128]){0}, 128));
	assert_int_equal(sizes[2], IMAP_SIZE_GONE);
	imap_close(c);
	tu_peer_stop(&peer);
}

/*
 * Failures 8 and 9: a refused STORE or IDLE is IMAP_REFUSED and the
 * session goes on (the next command works on the same connection).
 */
static void
test_hostile_refusals(void **state)
{
	static const enum tu_hostile cases[] = {TU_H_STORE_NO, TU_H_IDLE_NO};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		enum imap_status st;
		struct imap_conn *c = hostile_connect(cases[i], &st);
		uint32_t v, next, uid = 1, *uids = NULL;
		bool activity;
		size_t n;

		assert_int_equal(st, IMAP_OK);
		assert_int_equal(imap_select(c, "INBOX", &v, &next), IMAP_OK);
		if (cases[i] == TU_H_STORE_NO)
			assert_int_equal(
			    imap_add_keyword(c, &uid, 1, "$P"), IMAP_REFUSED);
		else
			assert_int_equal(
			    imap_idle_wait(c, 1, &activity), IMAP_REFUSED);
		assert_int_equal(imap_status_exit(IMAP_REFUSED),
		    69); /* DESIGN has no EX_PROTOCOL */
		assert_int_equal(
		    imap_search_above(c, 0, next, &uids, &n), IMAP_OK);
		assert_int_equal(n, 2);
		free(uids);
		imap_close(c);
		tu_peer_stop(&peer);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_exit),
	    cmocka_unit_test(test_uid_set),
	    cmocka_unit_test(test_harness),
	    cmocka_unit_test(test_implicit_tls_append_search),
	    cmocka_unit_test(test_starttls_and_loopback_plaintext),
	    cmocka_unit_test(test_bad_certificates),
	    cmocka_unit_test(test_connect_failures),
	    cmocka_unit_test(test_mailbox_operations),
	    cmocka_unit_test(test_idle_wakes),
	    cmocka_unit_test(test_plaintext_close_mid_literal),
	    /* Last: it freezes the server. */
	    cmocka_unit_test(test_stalled_server),
	};
	const struct CMUnitTest auth[] = {
	    cmocka_unit_test(test_bad_login),
	};
	const struct CMUnitTest hostile[] = {
	    cmocka_unit_test(test_hostile_floods),
	    cmocka_unit_test(test_hostile_duplicate_uid),
	    cmocka_unit_test(test_hostile_bogus_uid),
	    cmocka_unit_test(test_hostile_no_size),
	    cmocka_unit_test(test_hostile_refusals),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests_name(
	    "imap", tests, group_setup, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "imap_auth", auth, group_setup, group_teardown);
	failed +=
	    cmocka_run_group_tests_name("imap_hostile", hostile, NULL, NULL);
	return failed;
}
