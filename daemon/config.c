/*
 * config: read pledged.conf (contract in include/pledged/config.h).
 *
 * Design: one table (keys[]) names every key with its section, kind, the
 * offset of its field and its range, so that the parser, the duplicate
 * check and the defaults cannot drift apart; adding a key is one row and
 * one field.  Like mbsync, an error does not stop the parse: it is printed
 * as "FILE:LINE: message" and counted, and the file is rejected at the end,
 * so a user fixes every mistake in one round.  Like msmtp, an over-long
 * line is an error rather than silently cut, since a cut value (a path, a
 * key) would be wrong in a way nobody sees.  Like OpenSMTPD, secret files
 * are checked with fstat() on the descriptor that is then read, so there
 * is no window between the check and the use.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/config.h"
#include "pledged/intent.h"

#define CONFIG_LINE_MAX 4096   /* bytes of a line, without CR/LF */
#define CONFIG_SECRET_MAX 1024 /* bytes of a secret, without CR/LF */
#define CONFIG_MAX_ERRORS 50   /* then the file is surely not a config */

enum section {
	SEC_NONE = 0, /* before the first [section] */
	SEC_IMAP,
	SEC_STORE,
	SEC_TOKENS,
	SEC_DAEMON,
	SEC_SMTP,
	SEC_REPORT,
	SEC_NOTIFY,
	SEC_UNKNOWN, /* after an unknown [section]: its keys are skipped */
	SEC_COUNT,
};

/* clang-format off */
static const char *const section_names[SEC_COUNT] = {
	[SEC_IMAP] = "imap",
	[SEC_STORE] = "store",
	[SEC_TOKENS] = "tokens",
	[SEC_DAEMON] = "daemon",
	[SEC_SMTP] = "smtp",
	[SEC_REPORT] = "report",
	[SEC_NOTIFY] = "notify",
};
/* clang-format on */

enum kind {
	K_STR,	    /* char *; empty: NULL */
	K_STR_REQ,  /* char *; must not be empty (it has a default) */
	K_FROM,	    /* char *; must hold an addr-spec */
	K_INT,	    /* int in [min, max] */
	K_DURATION, /* int seconds in [min, max]; s, m, h or d suffix */
	K_SIZE,	    /* size_t in [min, max], optional K/M/G suffix */
	K_BOOL,	    /* bool: yes | no */
	K_TLS,	    /* enum config_tls */
	K_AFTER,    /* enum config_after */
	K_LOG,	    /* enum log_dest */
	K_KEYS,	    /* struct config_list of k4.public PASERKs */
	K_KEYWORDS, /* struct config_list, lower-cased */
	K_ADDRS,    /* struct config_list of addresses (user@domain) */
};

struct key {
	enum section sec;
	const char *name;
	enum kind kind;
	size_t off; /* of the field in struct config */
	long long min, max;
};

#define F(field) offsetof(struct config, field)

/*
 * Every key of DESIGN.md "Configuration", plus [smtp] ca_file, timeout and
 * templates, [report] and [notify].
 */
/* clang-format off */
static const struct key keys[] = {
	{ SEC_IMAP, "host", K_STR, F(imap.host), 0, 0 },
	{ SEC_IMAP, "port", K_INT, F(imap.port), 1, 65535 },
	{ SEC_IMAP, "tls", K_TLS, F(imap.tls), 0, 0 },
	{ SEC_IMAP, "ca_file", K_STR, F(imap.ca_file), 0, 0 },
	{ SEC_IMAP, "user", K_STR, F(imap.user), 0, 0 },
	{ SEC_IMAP, "password_file", K_STR, F(imap.password_file), 0, 0 },
	{ SEC_IMAP, "mailbox", K_STR_REQ, F(imap.mailbox), 0, 0 },
	{ SEC_IMAP, "after", K_AFTER, F(imap.after), 0, 0 },
	{ SEC_IMAP, "processed_mailbox", K_STR_REQ,
	    F(imap.processed_mailbox), 0, 0 },
	{ SEC_IMAP, "review_mailbox", K_STR_REQ, F(imap.review_mailbox), 0, 0 },
	{ SEC_IMAP, "batch", K_INT, F(imap.batch), 1, 10000 },
	{ SEC_IMAP, "max_message_bytes", K_SIZE, F(imap.max_message_bytes),
	    1024, 1024LL * 1024 * 1024 },
	{ SEC_IMAP, "timeout", K_INT, F(imap.timeout), 1, 3600 },
	{ SEC_IMAP, "authserv_id", K_STR, F(imap.authserv_id), 0, 0 },

	{ SEC_STORE, "database", K_STR_REQ, F(store.database), 0, 0 },

	{ SEC_TOKENS, "campaign", K_STR, F(tokens.campaign), 0, 0 },
	{ SEC_TOKENS, "public_keys", K_KEYS, F(tokens.public_keys), 0, 0 },
	{ SEC_TOKENS, "secret_key_file", K_STR, F(tokens.secret_key_file),
	    0, 0 },
	{ SEC_TOKENS, "clock_skew", K_INT, F(tokens.clock_skew), 0, 86400 },
	{ SEC_TOKENS, "pledge_keywords", K_KEYWORDS,
	    F(tokens.pledge_keywords), 0, 0 },
	{ SEC_TOKENS, "withdraw_keywords", K_KEYWORDS,
	    F(tokens.withdraw_keywords), 0, 0 },
	{ SEC_TOKENS, "yes_keywords", K_KEYWORDS, F(tokens.yes_keywords),
	    0, 0 },
	{ SEC_TOKENS, "no_keywords", K_KEYWORDS, F(tokens.no_keywords), 0, 0 },
	{ SEC_TOKENS, "intent_phrases", K_STR, F(tokens.intent_phrases),
	    0, 0 },
	{ SEC_TOKENS, "require_dmarc", K_BOOL, F(tokens.require_dmarc), 0, 0 },
	{ SEC_TOKENS, "auto_confirm", K_BOOL, F(tokens.auto_confirm), 0, 0 },

	{ SEC_DAEMON, "poll_interval", K_INT, F(daemon.poll_interval),
	    1, 86400 },
	{ SEC_DAEMON, "idle", K_BOOL, F(daemon.idle), 0, 0 },
	{ SEC_DAEMON, "lock_file", K_STR_REQ, F(daemon.lock_file), 0, 0 },
	{ SEC_DAEMON, "log", K_LOG, F(daemon.log), 0, 0 },
	{ SEC_DAEMON, "fail_after", K_DURATION, F(daemon.fail_after),
	    0, 30 * 86400 },

	{ SEC_SMTP, "host", K_STR, F(smtp.host), 0, 0 },
	{ SEC_SMTP, "port", K_INT, F(smtp.port), 1, 65535 },
	{ SEC_SMTP, "tls", K_TLS, F(smtp.tls), 0, 0 },
	{ SEC_SMTP, "ca_file", K_STR, F(smtp.ca_file), 0, 0 },
	{ SEC_SMTP, "user", K_STR, F(smtp.user), 0, 0 },
	{ SEC_SMTP, "password_file", K_STR, F(smtp.password_file), 0, 0 },
	{ SEC_SMTP, "from", K_FROM, F(smtp.from), 0, 0 },
	{ SEC_SMTP, "rate_per_minute", K_INT, F(smtp.rate_per_minute),
	    1, 10000 },
	{ SEC_SMTP, "timeout", K_INT, F(smtp.timeout), 1, 3600 },
	{ SEC_SMTP, "templates", K_STR, F(smtp.templates), 0, 0 },

	{ SEC_REPORT, "html", K_STR, F(report.html), 0, 0 },
	{ SEC_REPORT, "public_html", K_STR, F(report.public_html), 0, 0 },

	{ SEC_NOTIFY, "to", K_ADDRS, F(notify.to), 0, 0 },
	{ SEC_NOTIFY, "interval", K_DURATION, F(notify.interval),
	    1, 366LL * 86400 },
};
/* clang-format on */

#define NKEYS (sizeof keys / sizeof keys[0])

/* Defaults (DESIGN.md's sample) for the keys that have one. */
/* clang-format off */
static const struct {
	const char *section, *name, *value;
} defaults[] = {
	{ "imap", "mailbox", "INBOX" },
	{ "imap", "processed_mailbox", "Pledged/Done" },
	{ "imap", "review_mailbox", "Pledged/Review" },
	/* FHS paths for a daemon's state, whatever the install prefix. */
	{ "store", "database", "/var/lib/pledged/pledges.db" },
	{ "tokens", "pledge_keywords", "pledge" },
	{ "tokens", "withdraw_keywords", "withdraw, unsubscribe" },
	{ "tokens", "yes_keywords",
	    "yes, confirm, confirmed, agree, oui, s\xc3\xad, si, ja, sim" },
	{ "tokens", "no_keywords", "no, decline, non, nein, n\xc3\xa3o" },
	{ "daemon", "lock_file", "/run/pledged/pledged.lock" },
};
/* clang-format on */

/* The state of one parse. */
struct parser {
	const char *path;
	struct config *cfg;
	unsigned line;
	unsigned nerr;
	unsigned key_line[NKEYS];     /* where each key was set; 0: not */
	unsigned sec_line[SEC_COUNT]; /* where each section began */
};

static void perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (p->nerr > CONFIG_MAX_ERRORS)
		return;
	fprintf(stderr, "%s:%u: ", p->path, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim in place: returns the first non-blank byte, cuts trailing ones. */
static char *
trim(char *s)
{
	size_t n;

	while (is_ws((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_ws((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void *
field(struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->off;
}

static void
list_free(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/*
 * Split 'value' (modified) at commas into *l, trimming items and dropping
 * empty ones; 'lower' lower-cases ASCII letters and nothing else, so that
 * UTF-8 sequences pass untouched.  Returns -1 on memory exhaustion.
 */
static int
list_parse(char *value, bool lower, struct config_list *l)
{
	size_t cap = 1;
	char *item, *next;

	list_free(l);
	for (const char *c = value; *c != '\0'; c++)
		cap += *c == ',';
	if ((l->items = calloc(cap, sizeof *l->items)) == NULL)
		return -1;
	for (item = value; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			continue;
		if (lower)
			for (char *c = item; *c != '\0'; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		if ((l->items[l->n] = strdup(item)) == NULL)
			return -1;
		l->n++;
	}
	if (l->n == 0) {
		free(l->items);
		l->items = NULL;
	}
	return 0;
}

/* A decimal integer, nothing else; -1 when not a number. */
static int
parse_ll(const char *s, long long *v)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') ||
		((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE)
		*v = *s == '-' ? LLONG_MIN : LLONG_MAX; /* out of any range */
	return 0;
}

/* A unit suffix and what it multiplies by. */
struct unit {
	char suffix;
	long long mult;
};

static const struct unit size_units[] = {{'k', 1024}, {'K', 1024},
    {'m', 1024 * 1024}, {'M', 1024 * 1024}, {'g', 1024 * 1024 * 1024},
    {'G', 1024 * 1024 * 1024}, {0, 0}};
static const struct unit duration_units[] = {
    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {0, 0}};

/*
 * A decimal integer with an optional unit suffix from 'units' (sizes:
 * K, M or G, x1024^n; durations: s, m, h or d); out of any range when the
 * product overflows.
 */
static int
parse_scaled(const char *s, const struct unit *units, long long *v)
{
	char buf[32];
	size_t n = strlen(s);
	long long mult = 1;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	for (; units->suffix != 0; units++)
		if (buf[n - 1] == units->suffix) {
			mult = units->mult;
			buf[n - 1] = '\0';
			break;
		}
	if (parse_ll(buf, v) == -1)
		return -1;
	if (*v > LLONG_MAX / mult)
		*v = LLONG_MAX;
	else if (*v < LLONG_MIN / mult)
		*v = LLONG_MIN;
	else
		*v *= mult;
	return 0;
}

/*
 * A light check that 'from' carries an address: "Name <l@d>" or "l@d",
 * with something on both sides of the '@' and no blank inside.  The SMTP
 * server has the last word; this catches a missing or mistyped address.
 */
static bool
from_has_address(const char *from)
{
	const char *lt = strrchr(from, '<'), *at, *start, *end;

	if (lt != NULL) {
		start = lt + 1;
		if ((end = strchr(start, '>')) == NULL || end[1] != '\0')
			return false;
	} else {
		start = from;
		end = from + strlen(from);
	}
	if (end == start)
		return false;
	for (const char *c = start; c < end; c++)
		if (is_ws((unsigned char)*c) || *c == '<' || *c == '>')
			return false;
	at = memchr(start, '@', (size_t)(end - start));
	return at != NULL && at > start && at + 1 < end &&
	    memchr(at + 1, '@', (size_t)(end - at - 1)) == NULL;
}

/* 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or "localhost". */
static bool
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

/* Set string field *dst to a copy of 'value', or NULL for "". */
static int
set_string(char **dst, const char *value)
{
	char *copy = NULL;

	if (*value != '\0' && (copy = strdup(value)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/*
 * Store 'value' (trimmed, may be modified) for key 'k', or print why it is
 * wrong.  Returns -1 only on memory exhaustion.
 */
static int
set_value(struct parser *p, const struct key *k, char *value)
{
	static const char *const tls_names[] = {"implicit", "starttls", "none"};
	static const char *const after_names[] = {"flag", "move", "keep"};
	void *f = field(p->cfg, k);
	long long v;

	switch (k->kind) {
	case K_STR:
		return set_string(f, value);
	case K_STR_REQ:
		if (*value == '\0') {
			perr(p, "%s: must not be empty", k->name);
			return 0;
		}
		return set_string(f, value);
	case K_FROM:
		if (*value != '\0' && !from_has_address(value)) {
			perr(p,
			    "%s: '%s' has no address (expected user@domain "
			    "or Name <user@domain>)",
			    k->name, value);
			return 0;
		}
		return set_string(f, value);
	case K_INT:
	case K_SIZE:
	case K_DURATION:
		if (*value == '\0') {
			perr(p, "%s: a value is required", k->name);
			return 0;
		}
		if ((k->kind == K_INT ? parse_ll(value, &v)
			    : k->kind == K_SIZE
			    ? parse_scaled(value, size_units, &v)
			    : parse_scaled(value, duration_units, &v)) == -1) {
			if (k->kind == K_DURATION)
				perr(p,
				    "%s: '%s' is not a duration (N, Ns, Nm, "
				    "Nh or Nd)",
				    k->name, value);
			else
				perr(p, "%s: '%s' is not a number%s", k->name,
				    value,
				    k->kind == K_SIZE
					? " (with an optional K, M or G)"
					: "");
			return 0;
		}
		if (v < k->min || v > k->max) {
			perr(p, "%s: %s is out of range (%lld%s to %lld%s)",
			    k->name, value, k->min,
			    k->kind == K_DURATION ? "s" : "", k->max,
			    k->kind == K_DURATION ? "s" : "");
			return 0;
		}
		if (k->kind == K_INT || k->kind == K_DURATION)
			*(int *)f = (int)v;
		else
			*(size_t *)f = (size_t)v;
		return 0;
	case K_BOOL:
		if (strcasecmp(value, "yes") == 0)
			*(bool *)f = true;
		else if (strcasecmp(value, "no") == 0)
			*(bool *)f = false;
		else
			perr(p, "%s: '%s' is not yes or no", k->name, value);
		return 0;
	case K_TLS:
		for (size_t i = 0; i < 3; i++)
			if (strcasecmp(value, tls_names[i]) == 0) {
				*(enum config_tls *)f = (enum config_tls)i;
				return 0;
			}
		perr(p, "%s: '%s' is not implicit, starttls or none", k->name,
		    value);
		return 0;
	case K_AFTER:
		for (size_t i = 0; i < 3; i++)
			if (strcasecmp(value, after_names[i]) == 0) {
				*(enum config_after *)f = (enum config_after)i;
				return 0;
			}
		perr(p, "%s: '%s' is not flag, move or keep", k->name, value);
		return 0;
	case K_LOG:
		if (strcasecmp(value, "syslog") == 0)
			*(enum log_dest *)f = LOG_TO_SYSLOG;
		else if (strcasecmp(value, "stderr") == 0)
			*(enum log_dest *)f = LOG_TO_STDERR;
		else
			perr(p, "%s: '%s' is not syslog or stderr", k->name,
			    value);
		return 0;
	case K_KEYS:
	case K_KEYWORDS:
	case K_ADDRS: {
		struct config_list *l = f;

		if (list_parse(value, k->kind != K_KEYS, l) == -1)
			return -1;
		if (k->kind == K_ADDRS)
			for (size_t i = 0; i < l->n; i++)
				if (strchr(l->items[i], '<') != NULL ||
				    !from_has_address(l->items[i]))
					perr(p,
					    "%s: '%s' is not an address "
					    "(user@domain)",
					    k->name, l->items[i]);
		if (k->kind == K_KEYS)
			for (size_t i = 0; i < l->n; i++)
				if (strncmp(l->items[i], "k4.public.", 10) != 0)
					perr(p,
					    "%s: '%s' is not a k4.public "
					    "key",
					    k->name, l->items[i]);
		return 0;
	}
	}
	return 0;
}

static const struct key *
key_find(enum section sec, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * A "[section]" line, comments already cut and blanks trimmed.  A header
 * that is malformed but names a known section still opens it, so that
 * the errors in its keys show in this run too.
 */
static void
parse_section(struct parser *p, char *s, enum section *cur)
{
	char *close = strchr(s, ']'), *name;
	enum section sec;

	*cur = SEC_UNKNOWN;
	if (close == NULL)
		perr(p, "unclosed '[' in section header");
	else if (close[1] != '\0')
		perr(p, "unexpected text after ']': '%s'", trim(close + 1));
	if (close != NULL)
		*close = '\0';
	name = trim(s + 1);
	for (sec = SEC_IMAP; sec < SEC_UNKNOWN; sec++)
		if (strcmp(name, section_names[sec]) == 0)
			break;
	if (sec == SEC_UNKNOWN) {
		if (close != NULL)
			perr(p, "unknown section [%s]", name);
		return;
	}
	*cur = sec;
	if (p->sec_line[sec] != 0) {
		/* Its keys still get checked, duplicates included. */
		perr(p, "duplicate section [%s] (first on line %u)", name,
		    p->sec_line[sec]);
		return;
	}
	p->sec_line[sec] = p->line;
	switch (sec) {
	case SEC_IMAP:
		p->cfg->imap.present = true;
		break;
	case SEC_STORE:
		p->cfg->store.present = true;
		break;
	case SEC_TOKENS:
		p->cfg->tokens.present = true;
		break;
	case SEC_DAEMON:
		p->cfg->daemon.present = true;
		break;
	case SEC_SMTP:
		p->cfg->smtp.present = true;
		break;
	case SEC_REPORT:
		p->cfg->report.present = true;
		break;
	case SEC_NOTIFY:
		p->cfg->notify.present = true;
		break;
	default:
		break;
	}
}

/*
 * One line (NUL-terminated, without its newline).  Returns -1 only on
 * memory exhaustion.
 */
static int
parse_line(struct parser *p, char *s, enum section *cur)
{
	char *eq, *name, *value;
	const struct key *k;

	/* A '#' starts a comment at the start or after a blank only. */
	for (char *c = s; *c != '\0'; c++)
		if (*c == '#' && (c == s || is_ws((unsigned char)c[-1]))) {
			*c = '\0';
			break;
		}
	s = trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[') {
		parse_section(p, s, cur);
		return 0;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		perr(p, "expected 'key = value', '[section]' or a comment");
		return 0;
	}
	*eq = '\0';
	name = trim(s);
	value = trim(eq + 1);
	if (*name == '\0') {
		perr(p, "missing key before '='");
		return 0;
	}
	if (*cur == SEC_UNKNOWN)
		return 0; /* its section was reported already */
	if (*cur == SEC_NONE) {
		perr(p, "key '%s' outside any [section]", name);
		return 0;
	}
	if ((k = key_find(*cur, name)) == NULL) {
		perr(p, "unknown key '%s' in [%s]", name, section_names[*cur]);
		return 0;
	}
	if (p->key_line[k - keys] != 0) {
		perr(p, "duplicate key '%s' (first set on line %u)", name,
		    p->key_line[k - keys]);
		return 0;
	}
	p->key_line[k - keys] = p->line;
	return set_value(p, k, value);
}

/*
 * Read one line into buf (size CONFIG_LINE_MAX + 2) without its LF or a
 * CR before it.  Returns false at end of file.  A line too long for buf
 * is read to its end and flagged; so is a NUL byte.
 */
static bool
read_line(FILE *fp, char *buf, bool *toolong, bool *nul)
{
	const size_t keep = CONFIG_LINE_MAX + 1;
	size_t len = 0;
	int c;

	*toolong = *nul = false;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			*nul = true;
		if (len < keep)
			buf[len] = (char)c;
		if (len < SIZE_MAX)
			len++;
	}
	if (c == EOF && len == 0)
		return false;
	if (len <= keep && len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > CONFIG_LINE_MAX) {
		*toolong = true;
		len = 0;
	}
	buf[len] = '\0';
	return true;
}

/* Submission (587) speaks STARTTLS, submissions (465) implicit TLS. */
static int
smtp_default_port(enum config_tls tls)
{
	switch (tls) {
	case CONFIG_TLS_IMPLICIT:
		return 465;
	case CONFIG_TLS_STARTTLS:
		return 587;
	case CONFIG_TLS_NONE:
		break;
	}
	return 25; /* a local relay */
}

/* The checks that need the whole file. */
static void
check_cross(struct parser *p)
{
	struct config *cfg = p->cfg;
	const struct key *k;

	k = key_find(SEC_IMAP, "tls");
	if (cfg->imap.tls == CONFIG_TLS_NONE && cfg->imap.host != NULL &&
	    !host_is_loopback(cfg->imap.host)) {
		p->line = p->key_line[k - keys];
		perr(p,
		    "tls = none needs a loopback host (127.0.0.0/8, ::1, "
		    "localhost), not '%s'",
		    cfg->imap.host);
	}
	if (p->key_line[key_find(SEC_IMAP, "port") - keys] == 0)
		cfg->imap.port =
		    cfg->imap.tls == CONFIG_TLS_IMPLICIT ? 993 : 143;

	k = key_find(SEC_SMTP, "tls");
	if (cfg->smtp.tls == CONFIG_TLS_NONE && cfg->smtp.host != NULL &&
	    !host_is_loopback(cfg->smtp.host)) {
		p->line = p->key_line[k - keys];
		perr(p,
		    "tls = none needs a loopback host (127.0.0.0/8, ::1, "
		    "localhost), not '%s'",
		    cfg->smtp.host);
	}
	if (p->key_line[key_find(SEC_SMTP, "port") - keys] == 0)
		cfg->smtp.port = smtp_default_port(cfg->smtp.tls);

	/*
	 * Without authserv_id no Authentication-Results header is trusted,
	 * so require_dmarc would hold every pledge for review, silently.
	 */
	k = key_find(SEC_TOKENS, "require_dmarc");
	if (cfg->tokens.require_dmarc && cfg->imap.authserv_id == NULL) {
		p->line = p->key_line[k - keys];
		perr(p,
		    "require_dmarc = yes needs [imap] authserv_id (the id "
		    "your mail server writes in Authentication-Results); "
		    "without it every pledge would be held for review");
	}

	k = key_find(SEC_REPORT, "public_html");
	if (cfg->report.html != NULL && cfg->report.public_html != NULL &&
	    strcmp(cfg->report.html, cfg->report.public_html) == 0) {
		p->line = p->key_line[k - keys];
		perr(p, "public_html must not be the same file as html");
	}

	k = key_find(SEC_TOKENS, "auto_confirm");
	if (cfg->tokens.auto_confirm && cfg->tokens.secret_key_file == NULL) {
		p->line = p->key_line[k - keys];
		perr(p, "auto_confirm = yes needs secret_key_file");
	}
}

/* A config holding the defaults, or NULL on memory exhaustion. */
static struct config *
config_new(const char *path)
{
	struct config *cfg;
	struct parser p = {.path = path};
	char buf[128];

	if ((cfg = calloc(1, sizeof *cfg)) == NULL)
		return NULL;
	p.cfg = cfg;
	cfg->imap.port = 993;
	cfg->imap.tls = CONFIG_TLS_IMPLICIT;
	cfg->imap.after = CONFIG_AFTER_FLAG;
	cfg->imap.batch = 200;
	cfg->imap.max_message_bytes = 10485760;
	cfg->imap.timeout = 60;
	cfg->tokens.clock_skew = 300;
	cfg->tokens.require_dmarc = false;
	cfg->tokens.auto_confirm = false;
	cfg->daemon.poll_interval = 60;
	cfg->daemon.idle = true;
	cfg->daemon.log = LOG_TO_SYSLOG;
	cfg->daemon.fail_after = 3600;
	cfg->smtp.port = 587;
	cfg->smtp.tls = CONFIG_TLS_STARTTLS;
	cfg->smtp.rate_per_minute = 30;
	cfg->smtp.timeout = 60;
	cfg->notify.interval = 86400;
	if ((cfg->path = strdup(path)) == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		enum section sec;
		const struct key *k;
		int n;

		for (sec = SEC_IMAP; sec < SEC_UNKNOWN; sec++)
			if (strcmp(section_names[sec], defaults[i].section) ==
			    0)
				break;
		k = key_find(sec, defaults[i].name);
		n = snprintf(buf, sizeof buf, "%s", defaults[i].value);
		if (k == NULL || n < 0 || (size_t)n >= sizeof buf)
			goto fail; /* a bug in the tables above */
		if (set_value(&p, k, buf) == -1 || p.nerr != 0)
			goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

/*
 * The configuration is a regular file: /dev/zero would be read for ever
 * and a FIFO would block.  O_NONBLOCK makes the open itself return on a
 * FIFO; the type is then checked on the descriptor that is read.
 */
static FILE *
open_regular(const char *path, enum config_status *why)
{
	struct stat st;
	FILE *fp;
	int fd;

	*why = CONFIG_ERR;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			*why = CONFIG_NOINPUT;
		else if (errno == EACCES)
			*why = CONFIG_PERM;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file\n", path);
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		close(fd);
	}
	return fp;
}

static unsigned
line_of(const struct parser *p, enum section sec, const char *name)
{
	return p->key_line[key_find(sec, name) - keys];
}

static void
config_remember_lines(struct parser *p)
{
	struct config *c = p->cfg;

	c->line.imap_password_file = line_of(p, SEC_IMAP, "password_file");
	c->line.imap_ca_file = line_of(p, SEC_IMAP, "ca_file");
	c->line.imap_tls = line_of(p, SEC_IMAP, "tls");
	c->line.imap_port = line_of(p, SEC_IMAP, "port");
	c->line.public_keys = line_of(p, SEC_TOKENS, "public_keys");
	c->line.secret_key_file = line_of(p, SEC_TOKENS, "secret_key_file");
	c->line.smtp_password_file = line_of(p, SEC_SMTP, "password_file");
	c->line.smtp_ca_file = line_of(p, SEC_SMTP, "ca_file");
	c->line.smtp_templates = line_of(p, SEC_SMTP, "templates");
}

enum config_status
config_load(const char *path, struct config **out)
{
	struct parser p = {.path = path};
	enum section cur = SEC_NONE;
	char *buf = NULL;
	bool toolong, nul;
	FILE *fp = NULL;
	enum config_status rc = CONFIG_ERR;

	*out = NULL;
	if ((fp = open_regular(path, &rc)) == NULL)
		goto out;
	rc = CONFIG_ERR;
	if ((buf = malloc(CONFIG_LINE_MAX + 2)) == NULL ||
	    (p.cfg = config_new(path)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	while (
	    p.nerr <= CONFIG_MAX_ERRORS && read_line(fp, buf, &toolong, &nul)) {
		char *s = buf;

		p.line++;
		if (toolong) {
			perr(&p, "line longer than %d bytes", CONFIG_LINE_MAX);
			continue;
		}
		if (nul) {
			perr(&p, "NUL byte in line");
			continue;
		}
		/* Editors on some systems start UTF-8 files with a BOM. */
		if (p.line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		if (parse_line(&p, s, &cur) == -1) {
			fprintf(stderr, "%s: out of memory\n", path);
			goto out;
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (p.nerr > CONFIG_MAX_ERRORS) {
		fprintf(stderr, "%s: too many errors, giving up\n", path);
		goto out;
	}
	check_cross(&p);
	config_remember_lines(&p);
	if (p.nerr == 0) {
		*out = p.cfg;
		p.cfg = NULL;
		rc = CONFIG_OK;
	}
out:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	config_free(p.cfg);
	return rc;
}

static void
require(const struct config *cfg, const char *sec, const char *key,
    const void *value, enum config_status *rc)
{
	if (value != NULL)
		return;
	fprintf(stderr, "%s: [%s] %s is required\n", cfg->path, sec, key);
	*rc = CONFIG_ERR;
}

enum config_status
config_require(const struct config *cfg, unsigned need)
{
	enum config_status rc = CONFIG_OK;

	if (need & CONFIG_NEED_STORE)
		require(cfg, "store", "database", cfg->store.database, &rc);
	if (need & CONFIG_NEED_TOKENS) {
		require(cfg, "tokens", "campaign", cfg->tokens.campaign, &rc);
		if (cfg->tokens.public_keys.n == 0 &&
		    cfg->tokens.secret_key_file == NULL)
			require(cfg, "tokens",
			    "public_keys (or secret_key_file)", NULL, &rc);
	}
	if (need & CONFIG_NEED_IMAP) {
		require(cfg, "imap", "host", cfg->imap.host, &rc);
		require(cfg, "imap", "user", cfg->imap.user, &rc);
		require(
		    cfg, "imap", "password_file", cfg->imap.password_file, &rc);
	}
	if (need & CONFIG_NEED_SMTP) {
		require(cfg, "smtp", "host", cfg->smtp.host, &rc);
		/* AUTH is optional, but half of it is a mistake. */
		if (cfg->smtp.user != NULL)
			require(cfg, "smtp", "password_file (with user)",
			    cfg->smtp.password_file, &rc);
		if (cfg->smtp.password_file != NULL)
			require(cfg, "smtp", "user (with password_file)",
			    cfg->smtp.user, &rc);
	}
	if (need & (CONFIG_NEED_SMTP | CONFIG_NEED_SMTP_FROM))
		require(cfg, "smtp", "from", cfg->smtp.from, &rc);
	return rc;
}

/*
 * config_read_secret, with 'ctx' ("CONF:LINE: [imap] password_file: ",
 * or "") before each message.
 */
static enum config_status
read_secret(const char *ctx, const char *path, char **out)
{
	const size_t cap = CONFIG_SECRET_MAX + 2; /* the line and its CR LF */
	char *buf = NULL, *nl;
	size_t len = 0;
	struct stat st;
	ssize_t r;
	int fd = -1;
	enum config_status rc = CONFIG_ERR;

	*out = NULL;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		int e = errno;

		fprintf(stderr, "%s%s: %s\n", ctx, path, strerror(e));
		if (e == ENOENT)
			rc = CONFIG_NOINPUT;
		else if (e == EACCES)
			rc = CONFIG_PERM;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		fprintf(stderr, "%s%s: %s\n", ctx, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s%s: not a regular file\n", ctx, path);
		goto out;
	}
	/*
	 * As OpenSMTPD's secure_file: the file belongs to the user reading
	 * it (or to root), or another user could have written it.
	 */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		struct passwd *pw = getpwuid(geteuid());
		char me[64];

		if (pw != NULL)
			snprintf(me, sizeof me, "%s", pw->pw_name);
		else
			snprintf(me, sizeof me, "%u", (unsigned)geteuid());
		fprintf(stderr,
		    "%s%s: belongs to uid %u, not to %s who reads it; chown %s "
		    "%s\n",
		    ctx, path, (unsigned)st.st_uid, me, me, path);
		rc = CONFIG_PERM;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		fprintf(stderr,
		    "%s%s: readable by group or others (mode %04o); chmod 600 "
		    "it\n",
		    ctx, path, (unsigned)(st.st_mode & 07777));
		rc = CONFIG_PERM;
		goto out;
	}
	if ((buf = calloc(1, cap + 1)) == NULL) {
		fprintf(stderr, "%s%s: out of memory\n", ctx, path);
		goto out;
	}
	while (len < cap && memchr(buf, '\n', len) == NULL) {
		if ((r = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(
			    stderr, "%s%s: %s\n", ctx, path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if ((nl = memchr(buf, '\n', len)) != NULL) {
		/* Only the first line counts: wipe the rest now. */
		explicit_bzero(nl, len - (size_t)(nl - buf));
		len = (size_t)(nl - buf);
	}
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		buf[--len] = '\0';
	if (len > CONFIG_SECRET_MAX) {
		fprintf(stderr, "%s%s: first line longer than %d bytes\n", ctx,
		    path, CONFIG_SECRET_MAX);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(stderr, "%s%s: NUL byte in the secret\n", ctx, path);
		goto out;
	}
	if (len == 0) {
		fprintf(stderr, "%s%s: empty\n", ctx, path);
		goto out;
	}
	*out = buf;
	buf = NULL;
	rc = CONFIG_OK;
out:
	if (buf != NULL) {
		explicit_bzero(buf, cap + 1);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

enum config_status
config_read_secret(const char *path, char **out)
{
	return read_secret("", path, out);
}

void
config_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

static enum config_status
worst(enum config_status a, enum config_status b)
{
	static const enum config_status order[] = {
	    CONFIG_PERM, CONFIG_ERR, CONFIG_NOINPUT};

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return CONFIG_OK;
}

/* "CONF:LINE: [section] key: " into buf, for a file's messages. */
static const char *
ctx_of(const struct config *cfg, unsigned line, const char *what, char *buf,
    size_t len)
{
	int n = snprintf(buf, len, "%s:%u: %s: ", cfg->path, line, what);

	return n < 0 || (size_t)n >= len ? "" : buf;
}

static enum config_status
check_secret(const struct config *cfg, unsigned line, const char *what,
    const char *path, const char *prefix)
{
	enum config_status rc;
	char *secret = NULL, ctx[512];

	if (path == NULL)
		return CONFIG_OK;
	ctx_of(cfg, line, what, ctx, sizeof ctx);
	rc = read_secret(ctx, path, &secret);
	/* 'prefix' is a PASERK type: "k4.secret" matches "k4.secret.…". */
	if (rc == CONFIG_OK && prefix != NULL &&
	    (strncmp(secret, prefix, strlen(prefix)) != 0 ||
		secret[strlen(prefix)] != '.')) {
		fprintf(stderr, "%s%s: not a %s PASERK\n", ctx, path, prefix);
		rc = CONFIG_ERR;
	}
	config_secret_free(secret);
	return rc;
}

static enum config_status
check_readable(
    const struct config *cfg, unsigned line, const char *what, const char *path)
{
	struct stat st;
	char ctx[512];
	int fd, e;

	if (path == NULL)
		return CONFIG_OK;
	ctx_of(cfg, line, what, ctx, sizeof ctx);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		e = errno;
		fprintf(stderr, "%s%s: %s\n", ctx, path, strerror(e));
		return e == ENOENT ? CONFIG_NOINPUT
		    : e == EACCES  ? CONFIG_PERM
				   : CONFIG_ERR;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s%s: not a regular file\n", ctx, path);
		close(fd);
		return CONFIG_ERR;
	}
	close(fd);
	return CONFIG_OK;
}

enum config_status
config_check_files(const struct config *cfg)
{
	return config_check_files_for(cfg, true);
}

enum config_status
config_check_files_for(const struct config *cfg, bool smtp)
{
	enum config_status rc = CONFIG_OK;
	rc = worst(rc,
	    check_secret(cfg, cfg->line.imap_password_file,
		"[imap] password_file", cfg->imap.password_file, NULL));
	if (smtp)
		rc = worst(rc,
		    check_secret(cfg, cfg->line.smtp_password_file,
			"[smtp] password_file", cfg->smtp.password_file, NULL));
	rc = worst(rc,
	    check_secret(cfg, cfg->line.secret_key_file,
		"[tokens] secret_key_file", cfg->tokens.secret_key_file,
		"k4.secret"));
	rc = worst(rc,
	    check_readable(cfg, cfg->line.imap_ca_file, "[imap] ca_file",
		cfg->imap.ca_file));
	if (smtp)
		rc = worst(rc,
		    check_readable(cfg, cfg->line.smtp_ca_file,
			"[smtp] ca_file", cfg->smtp.ca_file));
	if (cfg->tokens.intent_phrases != NULL) {
		/* Every bad line, as FILE:LINE, in one run. */
		struct intent_phrases *ph = intent_phrases_new();
		if (ph == NULL ||
		    intent_phrases_load(
			ph, cfg->tokens.intent_phrases, stderr) != 0)
			rc = worst(rc, CONFIG_ERR);
		intent_phrases_free(ph);
	}
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		void *f = field(cfg, &keys[i]);

		switch (keys[i].kind) {
		case K_STR:
		case K_STR_REQ:
		case K_FROM:
			free(*(char **)f);
			break;
		case K_KEYS:
		case K_KEYWORDS:
		case K_ADDRS:
			list_free(f);
			break;
		default:
			break;
		}
	}
	free(cfg->path);
	free(cfg);
}

int
config_exit_code(enum config_status st)
{
	switch (st) {
	case CONFIG_OK:
		return EX_OK;
	case CONFIG_PERM:
		return EX_NOPERM;
	case CONFIG_NOINPUT:
		return EX_NOINPUT;
	case CONFIG_ERR:
		break;
	}
	return EX_CONFIG;
}

int64_t
config_stale_after(const struct config *cfg)
{
	int64_t t = 3 * (int64_t)cfg->daemon.poll_interval;

	return t > 3600 ? t : 3600;
}
