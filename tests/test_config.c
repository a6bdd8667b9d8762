/*
 * Unit tests for config: every malformed line shape with its exact
 * diagnostic, all errors of a file in one run, defaults, lists, the
 * loopback rule for tls = none, secret files and their modes, what each
 * command requires, and the sample configuration shipped in contrib/.
 * Diagnostics are compared with the file's path replaced by "F".
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pledged/config.h"
#include "testutil.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = tu_mkdtemp("config");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

/* Standard error is redirected to a file between these two calls. */
static int saved_fd = -1;
static char *capture_path;

static void
capture_begin(void)
{
	int fd;

	capture_path = tu_asprintf("%s/stderr", tmpdir);
	fflush(stderr);
	saved_fd = dup(2);
	fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved_fd != -1 && fd != -1);
	dup2(fd, 2);
	close(fd);
}

/* What was written to standard error, with 'path' replaced by "F". */
static char *
capture_end(const char *path)
{
	char *text, *out, *o;
	const char *t;
	size_t plen = path != NULL ? strlen(path) : 0;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	text = tu_read_file(capture_path, NULL);
	unlink(capture_path);
	free(capture_path);
	out = o = malloc(strlen(text) + 1);
	assert_non_null(out);
	for (t = text; *t != '\0';) {
		if (plen > 0 && strncmp(t, path, plen) == 0) {
			*o++ = 'F';
			t += plen;
		} else {
			*o++ = *t++;
		}
	}
	*o = '\0';
	free(text);
	return out;
}

/* Write 'len' bytes of 'text' to a config file; returns its path. */
static char *
write_conf(const char *text, size_t len)
{
	char *path = tu_asprintf("%s/pledged.conf", tmpdir);

	tu_write_file(path, text, len, 0644);
	return path;
}

/* Load 'text'; *err gets standard error (path as "F"); *cfg the result. */
static enum config_status
load_len(const char *text, size_t len, char **err, struct config **cfg)
{
	char *path = write_conf(text, len);
	enum config_status rc;

	capture_begin();
	rc = config_load(path, cfg);
	*err = capture_end(path);
	free(path);
	return rc;
}

static enum config_status
load(const char *text, char **err, struct config **cfg)
{
	return load_len(text, strlen(text), err, cfg);
}

/* A file that must load without a word on standard error. */
static struct config *
load_ok(const char *text)
{
	struct config *cfg = NULL;
	char *err;

	assert_int_equal(load(text, &err, &cfg), CONFIG_OK);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	free(err);
	return cfg;
}

static const struct {
	const char *text;
	const char *err;
} bad_cases[] = {
    /* Line shapes. */
    {"port = 1\n", "F:1: key 'port' outside any [section]\n"},
    {"# c\n\n[imap]\nfoo = 1\n", "F:4: unknown key 'foo' in [imap]\n"},
    {"[nope]\nfoo = 1\nbar\n",
	"F:1: unknown section [nope]\n"
	"F:3: expected 'key = value', '[section]' or a comment\n"},
    {"[]\n", "F:1: unknown section []\n"},
    {"[IMAP]\n", "F:1: unknown section [IMAP]\n"},
    {"[imap]\nhost\n",
	"F:2: expected 'key = value', '[section]' or a comment\n"},
    {"[imap\nport = x\n",
	"F:1: unclosed '[' in section header\n"
	"F:2: port: 'x' is not a number\n"},
    {"[imap] x\n", "F:1: unexpected text after ']': 'x'\n"},
    {"[imap]\n = x\n", "F:2: missing key before '='\n"},
    {"[imap]\nport = 1\nport = 2\n",
	"F:3: duplicate key 'port' (first set on line 2)\n"},
    {"[imap]\nport=1\n[store]\n[imap]\nport = 2\n",
	"F:4: duplicate section [imap] (first on line 1)\n"
	"F:5: duplicate key 'port' (first set on line 2)\n"},
    {"[imap]\nHost = x\n", "F:2: unknown key 'Host' in [imap]\n"},
    {"[store]\nhost = x\n", "F:2: unknown key 'host' in [store]\n"},
    /* Numbers and ranges. */
    {"[imap]\nport = abc\n", "F:2: port: 'abc' is not a number\n"},
    {"[imap]\nport = 0x10\n", "F:2: port: '0x10' is not a number\n"},
    {"[imap]\nport = 9 9\n", "F:2: port: '9 9' is not a number\n"},
    {"[imap]\nport =\n", "F:2: port: a value is required\n"},
    {"[imap]\nport = 0\n", "F:2: port: 0 is out of range (1 to 65535)\n"},
    {"[imap]\nport = 65536\n",
	"F:2: port: 65536 is out of range (1 to 65535)\n"},
    {"[smtp]\nport = -1\n", "F:2: port: -1 is out of range (1 to 65535)\n"},
    {"[imap]\nport = 99999999999999999999999\n",
	"F:2: port: 99999999999999999999999 is out of range (1 to "
	"65535)\n"},
    {"[imap]\nbatch = 10001\n",
	"F:2: batch: 10001 is out of range (1 to 10000)\n"},
    {"[imap]\ntimeout = 0\n", "F:2: timeout: 0 is out of range (1 to 3600)\n"},
    {"[imap]\ntimeout = 3601\n",
	"F:2: timeout: 3601 is out of range (1 to 3600)\n"},
    {"[tokens]\nclock_skew = 86401\n",
	"F:2: clock_skew: 86401 is out of range (0 to 86400)\n"},
    {"[daemon]\npoll_interval = 0\n",
	"F:2: poll_interval: 0 is out of range (1 to 86400)\n"},
    {"[smtp]\nrate_per_minute = 10001\n",
	"F:2: rate_per_minute: 10001 is out of range (1 to 10000)\n"},
    {"[imap]\nmax_message_bytes = 1023\n",
	"F:2: max_message_bytes: 1023 is out of range (1024 to "
	"1073741824)\n"},
    {"[imap]\nmax_message_bytes = 2G\n",
	"F:2: max_message_bytes: 2G is out of range (1024 to "
	"1073741824)\n"},
    {"[imap]\nmax_message_bytes = 99999999999G\n",
	"F:2: max_message_bytes: 99999999999G is out of range (1024 to "
	"1073741824)\n"},
    {"[imap]\nmax_message_bytes = 10X\n",
	"F:2: max_message_bytes: '10X' is not a number (with an optional "
	"K, M or G)\n"},
    {"[imap]\nmax_message_bytes = M\n",
	"F:2: max_message_bytes: 'M' is not a number (with an optional "
	"K, M or G)\n"},
    /* Enumerations and booleans. */
    {"[imap]\ntls = maybe\n",
	"F:2: tls: 'maybe' is not implicit, starttls or none\n"},
    {"[smtp]\ntls = ssl\n",
	"F:2: tls: 'ssl' is not implicit, starttls or none\n"},
    {"[imap]\nafter = delete\n",
	"F:2: after: 'delete' is not flag, move or keep\n"},
    {"[daemon]\nidle = true\n", "F:2: idle: 'true' is not yes or no\n"},
    {"[daemon]\nidle =\n", "F:2: idle: '' is not yes or no\n"},
    {"[tokens]\nrequire_dmarc = 1\n",
	"F:2: require_dmarc: '1' is not yes or no\n"},
    {"[daemon]\nlog = file\n", "F:2: log: 'file' is not syslog or stderr\n"},
    /* Strings. */
    {"[imap]\nmailbox =\n", "F:2: mailbox: must not be empty\n"},
    {"[store]\ndatabase = # none\n", "F:2: database: must not be empty\n"},
    {"[daemon]\nlock_file =\n", "F:2: lock_file: must not be empty\n"},
    {"[smtp]\nfrom = bob\n",
	"F:2: from: 'bob' has no address (expected user@domain or Name "
	"<user@domain>)\n"},
    {"[smtp]\nfrom = Bob <bob>\n",
	"F:2: from: 'Bob <bob>' has no address (expected user@domain or "
	"Name <user@domain>)\n"},
    {"[smtp]\nfrom = @example.org\n",
	"F:2: from: '@example.org' has no address (expected user@domain "
	"or Name <user@domain>)\n"},
    {"[smtp]\nfrom = Bob <bob@example.org\n",
	"F:2: from: 'Bob <bob@example.org' has no address (expected "
	"user@domain or Name <user@domain>)\n"},
    {"[tokens]\npublic_keys = k4.public.A, k3.public.B\n",
	"F:2: public_keys: 'k3.public.B' is not a k4.public key\n"},
    /* Rules that need the whole file. */
    {"[imap]\ntls = none\nhost = imap.example.org\n",
	"F:2: tls = none needs a loopback host (127.0.0.0/8, ::1, "
	"localhost), not 'imap.example.org'\n"},
    {"[smtp]\nhost = 128.0.0.1\ntls = none\n",
	"F:3: tls = none needs a loopback host (127.0.0.0/8, ::1, "
	"localhost), not '128.0.0.1'\n"},
    {"[imap]\nhost = 127.0.0.1.example.org\ntls = none\n",
	"F:3: tls = none needs a loopback host (127.0.0.0/8, ::1, "
	"localhost), not '127.0.0.1.example.org'\n"},
    {"[imap]\nhost = ::2\ntls = none\n",
	"F:3: tls = none needs a loopback host (127.0.0.0/8, ::1, "
	"localhost), not '::2'\n"},
    {"[tokens]\nauto_confirm = yes\n",
	"F:2: auto_confirm = yes needs secret_key_file\n"},
    /* [report] and [notify]. */
    {"[report]\nhtml = /a\npublic_html = /a\n",
	"F:3: public_html must not be the same file as html\n"},
    {"[notify]\nto = org@example.org, Bob <bob@example.org>\n",
	"F:2: to: 'bob <bob@example.org>' is not an address "
	"(user@domain)\n"},
    {"[notify]\nto = nobody\n",
	"F:2: to: 'nobody' is not an address (user@domain)\n"},
    {"[notify]\ninterval = 1w\n",
	"F:2: interval: '1w' is not a duration (N, Ns, Nm, Nh or Nd)\n"},
    {"[notify]\ninterval = d\n",
	"F:2: interval: 'd' is not a duration (N, Ns, Nm, Nh or Nd)\n"},
    {"[notify]\ninterval = 0\n",
	"F:2: interval: 0 is out of range (1s to 31622400s)\n"},
    {"[notify]\ninterval = 367d\n",
	"F:2: interval: 367d is out of range (1s to 31622400s)\n"},
    {"[notify]\ninterval = 99999999999999999999d\n",
	"F:2: interval: 99999999999999999999d is out of range (1s to "
	"31622400s)\n"},
};

static void
test_bad_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		struct config *cfg = (struct config *)1;
		char *err;

		if (load(bad_cases[i].text, &err, &cfg) != CONFIG_ERR ||
		    cfg != NULL || strcmp(err, bad_cases[i].err) != 0)
			fail_msg("case %zu: %sgot:\n%swant:\n%s", i,
			    bad_cases[i].text, err, bad_cases[i].err);
		free(err);
	}
}

/* Bytes that a string table cannot hold: NUL, over-long lines. */
static void
test_bad_bytes(void **state)
{
	static const char nul[] = "[imap]\nho\0st = x\nport = x\n";
	size_t n = 5000;
	char *big = malloc(n + 64), *err;
	struct config *cfg;

	(void)state;
	assert_int_equal(load_len(nul, sizeof nul - 1, &err, &cfg), CONFIG_ERR);
	assert_string_equal(err,
	    "F:2: NUL byte in line\n"
	    "F:3: port: 'x' is not a number\n");
	free(err);

	/* 4097 bytes: rejected, and the parse goes on after it. */
	memcpy(big, "[imap]\n", 7);
	memset(big + 7, 'a', 4097);
	memcpy(big + 7 + 4097, "\nport = x\n", 10);
	assert_int_equal(load_len(big, 7 + 4097 + 10, &err, &cfg), CONFIG_ERR);
	assert_string_equal(err,
	    "F:2: line longer than 4096 bytes\n"
	    "F:3: port: 'x' is not a number\n");
	free(err);

	/* Much longer, without a final newline. */
	memset(big + 7, 'a', n);
	assert_int_equal(load_len(big, 7 + n, &err, &cfg), CONFIG_ERR);
	assert_string_equal(err, "F:2: line longer than 4096 bytes\n");
	free(err);

	/* Exactly 4096 bytes, then CR LF: accepted. */
	memset(big + 7, ' ', 4096);
	memcpy(big + 7, "host = h", 8);
	memcpy(big + 7 + 4096, "\r\n", 2);
	assert_int_equal(load_len(big, 7 + 4096 + 2, &err, &cfg), CONFIG_OK);
	assert_string_equal(err, "");
	assert_string_equal(cfg->imap.host, "h");
	config_free(cfg);
	free(err);
	free(big);
}

/* One run shows every error of the file, in line order. */
static void
test_all_errors(void **state)
{
	static const char text[] = "stray = 1\n"
				   "[imap]\n"
				   "port = 70000\n"
				   "foo = bar\n"
				   "tls = maybe\n"
				   "[x]\n"
				   "ignored = because the section is unknown\n"
				   "[daemon]\n"
				   "idle = sure\n"
				   "idle = no\n"
				   "noequals\n"
				   "[smtp\n"
				   "from = nobody\n";
	struct config *cfg;
	char *err;

	(void)state;
	assert_int_equal(load(text, &err, &cfg), CONFIG_ERR);
	assert_null(cfg);
	assert_string_equal(err,
	    "F:1: key 'stray' outside any [section]\n"
	    "F:3: port: 70000 is out of range (1 to 65535)\n"
	    "F:4: unknown key 'foo' in [imap]\n"
	    "F:5: tls: 'maybe' is not implicit, starttls or none\n"
	    "F:6: unknown section [x]\n"
	    "F:9: idle: 'sure' is not yes or no\n"
	    "F:10: duplicate key 'idle' (first set on line 9)\n"
	    "F:11: expected 'key = value', '[section]' or a comment\n"
	    "F:12: unclosed '[' in section header\n"
	    "F:13: from: 'nobody' has no address (expected user@domain or "
	    "Name <user@domain>)\n");
	free(err);
}

/* A garbage file stops after 50 errors instead of flooding. */
static void
test_too_many_errors(void **state)
{
	char *text = malloc(200 * 4 + 1), *err, *last;
	struct config *cfg;
	size_t lines = 0;

	(void)state;
	for (int i = 0; i < 200; i++)
		memcpy(text + i * 4, "xyz\n", 5);
	assert_int_equal(load(text, &err, &cfg), CONFIG_ERR);
	for (const char *c = err; *c != '\0'; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 51);
	last = strstr(err, "F:50: ");
	assert_non_null(last);
	assert_non_null(strstr(last, "\nF: too many errors, giving up\n"));
	free(err);
	free(text);
}

static void
assert_list(const struct config_list *l, const char *const *want, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

#define ASSERT_LIST(l, ...)                                                    \
	do {                                                                   \
		static const char *const want_[] = {__VA_ARGS__};              \
		assert_list((l), want_, sizeof want_ / sizeof want_[0]);       \
	} while (0)

static void
assert_defaults(const struct config *cfg)
{
	assert_null(cfg->imap.host);
	assert_int_equal(cfg->imap.port, 993);
	assert_int_equal(cfg->imap.tls, CONFIG_TLS_IMPLICIT);
	assert_null(cfg->imap.ca_file);
	assert_null(cfg->imap.user);
	assert_null(cfg->imap.password_file);
	assert_string_equal(cfg->imap.mailbox, "INBOX");
	assert_int_equal(cfg->imap.after, CONFIG_AFTER_FLAG);
	assert_string_equal(cfg->imap.processed_mailbox, "Pledged/Done");
	assert_string_equal(cfg->imap.review_mailbox, "Pledged/Review");
	assert_int_equal(cfg->imap.batch, 200);
	assert_int_equal(cfg->imap.max_message_bytes, 10485760);
	assert_int_equal(cfg->imap.timeout, 60);
	assert_null(cfg->imap.authserv_id);
	assert_string_equal(cfg->store.database, "/var/lib/pledged/pledges.db");
	assert_null(cfg->tokens.campaign);
	assert_int_equal(cfg->tokens.public_keys.n, 0);
	assert_null(cfg->tokens.public_keys.items);
	assert_null(cfg->tokens.secret_key_file);
	assert_int_equal(cfg->tokens.clock_skew, 300);
	ASSERT_LIST(&cfg->tokens.pledge_keywords, "pledge");
	ASSERT_LIST(&cfg->tokens.withdraw_keywords, "withdraw", "unsubscribe");
	ASSERT_LIST(&cfg->tokens.yes_keywords, "yes", "confirm", "confirmed",
	    "agree", "oui", "s\xc3\xad", "si", "ja", "sim");
	ASSERT_LIST(&cfg->tokens.no_keywords, "no", "decline", "non", "nein",
	    "n\xc3\xa3o");
	assert_false(cfg->tokens.require_dmarc);
	assert_false(cfg->tokens.auto_confirm);
	assert_int_equal(cfg->daemon.poll_interval, 60);
	assert_true(cfg->daemon.idle);
	assert_string_equal(cfg->daemon.lock_file, "/run/pledged/pledged.lock");
	assert_int_equal(cfg->daemon.log, LOG_TO_SYSLOG);
	assert_null(cfg->smtp.host);
	assert_int_equal(cfg->smtp.port, 587);
	assert_int_equal(cfg->smtp.tls, CONFIG_TLS_STARTTLS);
	assert_null(cfg->smtp.ca_file);
	assert_null(cfg->smtp.user);
	assert_null(cfg->smtp.password_file);
	assert_null(cfg->smtp.from);
	assert_int_equal(cfg->smtp.rate_per_minute, 30);
}

static void
test_defaults(void **state)
{
	struct config *cfg = load_ok("");

	(void)state;
	assert_defaults(cfg);
	assert_false(cfg->imap.present || cfg->store.present ||
	    cfg->tokens.present || cfg->daemon.present || cfg->smtp.present);
	config_free(cfg);

	/* Empty sections and "unset" values change nothing but 'present'. */
	cfg = load_ok("[imap]\nhost =\nca_file =   # system store\n"
		      "authserv_id=\n[store]\n[tokens]\nsecret_key_file =\n"
		      "[daemon]\n[smtp]\n");
	assert_defaults(cfg);
	assert_true(cfg->imap.present && cfg->store.present &&
	    cfg->tokens.present && cfg->daemon.present && cfg->smtp.present);
	config_free(cfg);
}

static void
test_values(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("\xef\xbb\xbf# a BOM, then a comment\r\n"
		      "   [ imap ]   # trailing comment\r\n"
		      "\thost\t=\timap.example.org\t\r\n"
		      "user = a#b@example.org # '#' inside a word stays\n"
		      "password_file=/etc/x y/pw\n"
		      "mailbox = a = b\n"
		      "tls = STARTTLS\n"
		      "after = move\n"
		      "max_message_bytes = 1m\n"
		      "batch = +7\n"
		      "[daemon]\n"
		      "idle = No\n"
		      "log = stderr\n"
		      "[smtp]\n"
		      "tls = implicit\n"
		      "from = pledges@example.org\n");
	assert_string_equal(cfg->imap.host, "imap.example.org");
	assert_string_equal(cfg->imap.user, "a#b@example.org");
	assert_string_equal(cfg->imap.password_file, "/etc/x y/pw");
	assert_string_equal(cfg->imap.mailbox, "a = b");
	assert_int_equal(cfg->imap.tls, CONFIG_TLS_STARTTLS);
	assert_int_equal(cfg->imap.port, 143); /* follows tls */
	assert_int_equal(cfg->imap.after, CONFIG_AFTER_MOVE);
	assert_int_equal(cfg->imap.max_message_bytes, 1048576);
	assert_int_equal(cfg->imap.batch, 7);
	assert_false(cfg->daemon.idle);
	assert_int_equal(cfg->daemon.log, LOG_TO_STDERR);
	assert_int_equal(cfg->smtp.tls, CONFIG_TLS_IMPLICIT);
	assert_int_equal(cfg->smtp.port, 465);
	assert_string_equal(cfg->smtp.from, "pledges@example.org");
	config_free(cfg);

	/* An explicit port wins over the tls default, in either order. */
	cfg = load_ok("[imap]\nport = 1993\ntls = starttls\n"
		      "[smtp]\ntls = none\nhost = localhost\n"
		      "from = \"Pledges, Inc.\" <p@example.org>\n");
	assert_int_equal(cfg->imap.port, 1993);
	assert_int_equal(cfg->smtp.port, 25);
	config_free(cfg);

	cfg = load_ok("[imap]\nmax_message_bytes = 1G\n"
		      "[tokens]\nclock_skew = 0\nauto_confirm = yes\n"
		      "secret_key_file = /k\n");
	assert_int_equal(cfg->imap.max_message_bytes, 1073741824);
	assert_int_equal(cfg->tokens.clock_skew, 0);
	assert_true(cfg->tokens.auto_confirm);
	config_free(cfg);
}

static void
test_lists(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("[tokens]\n"
		      "public_keys = k4.public.A ,, k4.public.B,\n"
		      "pledge_keywords = Pledge , PLEDGED\n"
		      "withdraw_keywords =\n"
		      "yes_keywords = YES, S\xc3\x8d , ,OUI\n"
		      "no_keywords = ,\n");
	ASSERT_LIST(&cfg->tokens.public_keys, "k4.public.A", "k4.public.B");
	ASSERT_LIST(&cfg->tokens.pledge_keywords, "pledge", "pledged");
	/* Only ASCII is lower-cased: UTF-8 bytes pass untouched. */
	ASSERT_LIST(&cfg->tokens.yes_keywords, "yes", "s\xc3\x8d", "oui");
	assert_int_equal(cfg->tokens.withdraw_keywords.n, 0);
	assert_null(cfg->tokens.withdraw_keywords.items);
	assert_int_equal(cfg->tokens.no_keywords.n, 0);
	config_free(cfg);
}

/* The campaign pages and the digest. */
static void
test_report_notify(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("[report]\n");
	assert_null(cfg->report.html);
	assert_null(cfg->report.public_html);
	assert_int_equal(cfg->notify.to.n, 0);
	assert_int_equal(cfg->notify.interval, 86400);
	assert_int_equal(config_stale_after(cfg), 3600);
	config_free(cfg);

	cfg = load_ok("[report]\nhtml = /srv/org.html\n"
		      "public_html = /srv/www/index.html\n"
		      "[notify]\nto = Org@Example.org, b@example.net\n"
		      "interval = 12h\n"
		      "[daemon]\npoll_interval = 3600\n");
	assert_string_equal(cfg->report.html, "/srv/org.html");
	assert_string_equal(cfg->report.public_html, "/srv/www/index.html");
	ASSERT_LIST(&cfg->notify.to, "org@example.org", "b@example.net");
	assert_int_equal(cfg->notify.interval, 43200);
	assert_int_equal(config_stale_after(cfg), 10800);
	config_free(cfg);

	static const struct {
		const char *v;
		int secs;
	} durations[] = {{"90", 90}, {"90s", 90}, {"15m", 900}, {"2h", 7200},
	    {"1d", 86400}, {"366d", 31622400}};
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		char text[64];

		snprintf(text, sizeof text, "[notify]\ninterval = %s\n",
		    durations[i].v);
		cfg = load_ok(text);
		assert_int_equal(cfg->notify.interval, durations[i].secs);
		config_free(cfg);
	}
}

static void
test_loopback(void **state)
{
	static const char *const hosts[] = {"127.0.0.1", "127.1.2.3",
	    "localhost", "LocalHost", "::1", "::ffff:127.0.0.1"};

	(void)state;
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		char *text = tu_asprintf("[imap]\ntls = none\nhost = %s\n"
					 "[smtp]\nhost = %s\ntls = none\n",
		    hosts[i], hosts[i]);
		struct config *cfg = load_ok(text);

		assert_int_equal(cfg->imap.tls, CONFIG_TLS_NONE);
		assert_int_equal(cfg->imap.port, 143);
		assert_int_equal(cfg->smtp.tls, CONFIG_TLS_NONE);
		config_free(cfg);
		free(text);
	}
}

static void
test_missing_file(void **state)
{
	struct config *cfg = (struct config *)1;
	char *path = tu_asprintf("%s/absent.conf", tmpdir), *err;

	(void)state;
	enum config_status rc;

	capture_begin();
	rc = config_load(path, &cfg);
	err = capture_end(path);
	assert_int_equal(rc, CONFIG_NOINPUT);
	assert_null(cfg);
	assert_string_equal(err, "F: No such file or directory\n");
	assert_int_equal(config_exit_code(CONFIG_NOINPUT), 66);
	assert_int_equal(config_exit_code(CONFIG_ERR), 78);
	assert_int_equal(config_exit_code(CONFIG_PERM), 77);
	assert_int_equal(config_exit_code(CONFIG_OK), 0);
	free(err);
	free(path);
}

/* Read the secret at 'path' with standard error captured. */
static enum config_status
read_secret(const char *path, char **out, char **err)
{
	enum config_status rc;

	capture_begin();
	rc = config_read_secret(path, out);
	*err = capture_end(path);
	return rc;
}

/* Secret files: content, mode, and what is refused. */
static const struct {
	const char *content; /* NULL: no file */
	size_t len;	     /* 0: strlen(content) */
	int mode;
	enum config_status rc;
	const char *secret; /* on CONFIG_OK */
	const char *err;    /* with the path as "F" */
} secret_cases[] = {
    {"hunter2\n", 0, 0600, CONFIG_OK, "hunter2", ""},
    {"hunter2", 0, 0400, CONFIG_OK, "hunter2", ""},
    {"  pass word \r\n", 0, 0600, CONFIG_OK, "  pass word ", ""},
    {"first\nsecond\n", 0, 0600, CONFIG_OK, "first", ""},
    {"hunter2\n", 0, 0640, CONFIG_PERM, NULL,
	"F: readable by group or others (mode 0640); chmod 600 it\n"},
    {"hunter2\n", 0, 0604, CONFIG_PERM, NULL,
	"F: readable by group or others (mode 0604); chmod 600 it\n"},
    {"hunter2\n", 0, 0610, CONFIG_PERM, NULL,
	"F: readable by group or others (mode 0610); chmod 600 it\n"},
    {NULL, 0, 0, CONFIG_NOINPUT, NULL, "F: No such file or directory\n"},
    {"", 0, 0600, CONFIG_ERR, NULL, "F: empty\n"},
    {"\r\n", 0, 0600, CONFIG_ERR, NULL, "F: empty\n"},
    {"\nsecret\n", 0, 0600, CONFIG_ERR, NULL, "F: empty\n"},
    {"ab\0cd\n", 6, 0600, CONFIG_ERR, NULL, "F: NUL byte in the secret\n"},
};

static void
test_secret(void **state)
{
	char *path = tu_asprintf("%s/secret", tmpdir);

	(void)state;
	for (size_t i = 0; i < sizeof secret_cases / sizeof secret_cases[0];
	     i++) {
		char *out = (char *)1, *err;
		enum config_status rc;

		unlink(path);
		if (secret_cases[i].content != NULL)
			tu_write_file(path, secret_cases[i].content,
			    secret_cases[i].len
				? secret_cases[i].len
				: strlen(secret_cases[i].content),
			    secret_cases[i].mode);
		rc = read_secret(path, &out, &err);
		if (rc != secret_cases[i].rc ||
		    strcmp(err, secret_cases[i].err) != 0)
			fail_msg("secret case %zu: status %d, stderr '%s'", i,
			    rc, err);
		if (rc == CONFIG_OK)
			assert_string_equal(out, secret_cases[i].secret);
		else
			assert_null(out);
		config_secret_free(out);
		free(err);
	}
	unlink(path);
	free(path);
}

/* Length limit at 1024 bytes, and a directory in place of a file. */
static void
test_secret_limits(void **state)
{
	char *path = tu_asprintf("%s/secret", tmpdir), *buf = malloc(1100);
	char *out, *err;

	(void)state;
	memset(buf, 'x', 1100);
	memcpy(buf + 1024, "\r\n", 2);
	tu_write_file(path, buf, 1026, 0600);
	assert_int_equal(read_secret(path, &out, &err), CONFIG_OK);
	assert_string_equal(err, "");
	assert_int_equal(strlen(out), 1024);
	config_secret_free(out);
	free(err);

	memset(buf, 'x', 1100);
	tu_write_file(path, buf, 1100, 0600);
	assert_int_equal(read_secret(path, &out, &err), CONFIG_ERR);
	assert_string_equal(err, "F: first line longer than 1024 bytes\n");
	assert_null(out);
	free(err);

	memcpy(buf + 1025, "\n", 1);
	tu_write_file(path, buf, 1026, 0600);
	assert_int_equal(read_secret(path, &out, &err), CONFIG_ERR);
	assert_string_equal(err, "F: first line longer than 1024 bytes\n");
	free(err);

	assert_int_equal(read_secret(tmpdir, &out, &err), CONFIG_ERR);
	assert_string_equal(err, "F: not a regular file\n");
	free(err);
	unlink(path);
	free(path);
	free(buf);
}

/* config_check_files() with standard error captured (tmpdir as "F"). */
static enum config_status
check_files(const struct config *cfg, char **err)
{
	enum config_status rc;

	capture_begin();
	rc = config_check_files(cfg);
	*err = capture_end(tmpdir);
	return rc;
}

static void
test_check_files(void **state)
{
	char *pw = tu_asprintf("%s/pw", tmpdir);
	char *key = tu_asprintf("%s/key", tmpdir);
	char *absent = tu_asprintf("%s/absent", tmpdir);
	char *text, *err;
	struct config *cfg;

	(void)state;
	tu_write_file(pw, "pw\n", 3, 0600);
	tu_write_file(key, "k4.secret.xyz\n", 14, 0600);
	text = tu_asprintf("[imap]\npassword_file = %s\n"
			   "[tokens]\nsecret_key_file = %s\n"
			   "[smtp]\npassword_file = %s\nca_file = %s\n",
	    pw, key, pw, pw);
	cfg = load_ok(text);
	assert_int_equal(check_files(cfg, &err), CONFIG_OK);
	assert_string_equal(err, "");
	free(err);
	config_free(cfg);
	free(text);

	/* A key file holding something else; a missing CA file. */
	text = tu_asprintf("[imap]\nca_file = %s\n[tokens]\nsecret_key_file = "
			   "%s\n",
	    absent, pw);
	cfg = load_ok(text);
	assert_int_equal(check_files(cfg, &err), CONFIG_ERR);
	assert_string_equal(err,
	    "F/pledged.conf:4: [tokens] secret_key_file: F/pw: not a "
	    "k4.secret PASERK\n"
	    "F/pledged.conf:2: [imap] ca_file: F/absent: No such file or "
	    "directory\n");
	free(err);
	config_free(cfg);
	free(text);

	/* Permission wins over the other errors: exit 77 says what to do. */
	tu_write_file(key, "k4.secret.xyz\n", 14, 0640);
	text = tu_asprintf("[imap]\npassword_file = %s\n"
			   "[tokens]\nsecret_key_file = %s\n",
	    absent, key);
	cfg = load_ok(text);
	assert_int_equal(check_files(cfg, &err), CONFIG_PERM);
	assert_string_equal(err,
	    "F/pledged.conf:2: [imap] password_file: F/absent: No such file "
	    "or directory\n"
	    "F/pledged.conf:4: [tokens] secret_key_file: F/key: readable by "
	    "group or others (mode 0640); chmod 600 it\n");
	free(err);
	config_free(cfg);
	free(text);

	/* The intent phrase file: every bad line as FILE:LINE. */
	tu_write_file(pw, "refusal en fine\nnope en x\nyes\n", 30, 0644);
	text = tu_asprintf("[tokens]\nintent_phrases = %s\n", pw);
	cfg = load_ok(text);
	assert_string_equal(cfg->tokens.intent_phrases, pw);
	assert_int_equal(check_files(cfg, &err), CONFIG_ERR);
	assert_non_null(strstr(err, "F/pw:2: unknown class"));
	assert_non_null(strstr(err, "F/pw:3: expected CLASS LANG PHRASE"));
	free(err);
	config_free(cfg);
	free(text);
	free(pw);
	free(key);
	free(absent);
}

static const struct {
	const char *text;
	unsigned need;
	enum config_status rc;
	const char *err;
} require_cases[] = {
    {"", CONFIG_NEED_STORE, CONFIG_OK, ""},
    {"", CONFIG_NEED_TOKENS, CONFIG_ERR,
	"F: [tokens] campaign is required\n"
	"F: [tokens] public_keys (or secret_key_file) is required\n"},
    {"[tokens]\ncampaign = c\nsecret_key_file = /k\n",
	CONFIG_NEED_STORE | CONFIG_NEED_TOKENS, CONFIG_OK, ""},
    {"[tokens]\ncampaign = c\npublic_keys = k4.public.A\n", CONFIG_NEED_TOKENS,
	CONFIG_OK, ""},
    {"", CONFIG_NEED_IMAP, CONFIG_ERR,
	"F: [imap] host is required\n"
	"F: [imap] user is required\n"
	"F: [imap] password_file is required\n"},
    {"[imap]\nhost = h\nuser = u\npassword_file = /p\n", CONFIG_NEED_IMAP,
	CONFIG_OK, ""},
    {"", CONFIG_NEED_SMTP, CONFIG_ERR,
	"F: [smtp] host is required\n"
	"F: [smtp] from is required\n"},
    {"[smtp]\nhost = h\nfrom = a@b\n", CONFIG_NEED_SMTP, CONFIG_OK, ""},
    {"[smtp]\nhost = h\nfrom = a@b\nuser = u\n", CONFIG_NEED_SMTP, CONFIG_ERR,
	"F: [smtp] password_file (with user) is required\n"},
    {"[smtp]\nhost = h\nfrom = a@b\npassword_file = /p\n", CONFIG_NEED_SMTP,
	CONFIG_ERR, "F: [smtp] user (with password_file) is required\n"},
    {"", CONFIG_NEED_SMTP_FROM, CONFIG_ERR, "F: [smtp] from is required\n"},
    {"[smtp]\nfrom = a@b\n", CONFIG_NEED_SMTP_FROM, CONFIG_OK, ""},
};

static void
test_require(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof require_cases / sizeof require_cases[0];
	     i++) {
		struct config *cfg = load_ok(require_cases[i].text);
		char *path = strdup(cfg->path), *err;
		enum config_status rc;

		capture_begin();
		rc = config_require(cfg, require_cases[i].need);
		err = capture_end(path);
		if (rc != require_cases[i].rc ||
		    strcmp(err, require_cases[i].err) != 0)
			fail_msg("require case %zu: status %d, stderr '%s'", i,
			    rc, err);
		free(err);
		free(path);
		config_free(cfg);
	}
}

/* The shipped sample parses, names every key, and repeats the defaults. */
static void
test_sample(void **state)
{
	const char *path = PLEDGED_SOURCE_DIR "/contrib/pledged.conf.sample";
	struct config *cfg = NULL;
	char *err;

	(void)state;
	enum config_status rc;

	capture_begin();
	rc = config_load(path, &cfg);
	err = capture_end(path);
	assert_string_equal(err, "");
	assert_int_equal(rc, CONFIG_OK);
	free(err);
	assert_true(cfg->imap.present && cfg->store.present &&
	    cfg->tokens.present && cfg->daemon.present && cfg->smtp.present);
	assert_string_equal(cfg->imap.host, "imap.example.org");
	assert_string_equal(
	    cfg->smtp.from, "NoMusicForICE <pledges@example.org>");
	assert_string_equal(cfg->tokens.campaign, "nomusicforice");
	assert_int_equal(cfg->tokens.public_keys.n, 2);
	assert_int_equal(config_require(cfg,
			     CONFIG_NEED_STORE | CONFIG_NEED_TOKENS |
				 CONFIG_NEED_IMAP | CONFIG_NEED_SMTP),
	    CONFIG_OK);
	/* Apart from what the defaults leave unset, it is the defaults. */
	free(cfg->imap.host);
	free(cfg->imap.user);
	free(cfg->imap.password_file);
	free(cfg->smtp.host);
	free(cfg->smtp.user);
	free(cfg->smtp.password_file);
	free(cfg->smtp.from);
	free(cfg->tokens.campaign);
	for (size_t i = 0; i < cfg->tokens.public_keys.n; i++)
		free(cfg->tokens.public_keys.items[i]);
	free(cfg->tokens.public_keys.items);
	cfg->imap.host = cfg->imap.user = cfg->imap.password_file = NULL;
	cfg->smtp.host = cfg->smtp.user = cfg->smtp.password_file = NULL;
	cfg->smtp.from = cfg->tokens.campaign = NULL;
	cfg->tokens.public_keys.items = NULL;
	cfg->tokens.public_keys.n = 0;
	assert_defaults(cfg);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_bad_bytes),
	    cmocka_unit_test(test_all_errors),
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_report_notify),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_secret),
	    cmocka_unit_test(test_secret_limits),
	    cmocka_unit_test(test_check_files),
	    cmocka_unit_test(test_require),
	    cmocka_unit_test(test_sample),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
