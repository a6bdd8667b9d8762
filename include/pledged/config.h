/*
 * config: the one INI-style configuration file (DESIGN.md, "Configuration").
 *
 * Syntax: '[section]' headers, 'key = value' lines, '#' comments (a whole
 * line, or trailing after whitespace: "a#b" keeps its '#').  Whitespace
 * around keys and values is trimmed.  Lines over 4096 bytes and NUL bytes
 * are errors, never truncated or skipped.
 *
 * Diagnostics go to standard error as "FILE:LINE: message" (or "FILE:
 * message" where no line applies), and parsing goes on after an error so
 * that one run shows every mistake in the file (up to 50, then it stops).
 * Errors that need the whole file (tls = none with a remote host) come
 * after the others, still with the line of the key at fault.
 *
 * Values: an empty value means "unset" for optional strings (ca_file,
 * authserv_id, secret_key_file, ...), which are then NULL, never "".
 * Numbers are plain decimal integers; max_message_bytes also takes a K, M
 * or G suffix (powers of 1024, either case).  Booleans are yes or no;
 * enums and booleans are matched case-insensitively.  Lists are comma-
 * separated, items trimmed and empty items dropped; keyword lists are
 * lower-cased (ASCII letters only, so UTF-8 words like "não" pass intact).
 *
 * Defaults are DESIGN.md's sample.  One addition: where 'port' is not set,
 * it follows 'tls' -- [imap] 993 for implicit, 143 otherwise; [smtp] 465
 * for implicit, 587 for starttls, 25 for none -- so the defaults of the
 * sample are unchanged and 'tls = starttls' alone does the expected thing.
 * Another: [smtp] takes 'ca_file' like [imap] (empty: system store), and
 * 'timeout' (seconds, default 60) and 'templates' (a directory of request
 * templates, request.h; empty: built-in text).  And [tokens]
 * 'intent_phrases': a file of phrases for reading replies (intent.h).  [report] html and
 * public_html name the campaign pages (report.h); [notify] to lists the
 * organizers' addresses for the digest (notify.h) and interval is a
 * duration: N seconds, or N with s, m, h or d (default 1d).
 *
 * Memory: all memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_CONFIG_H
#define PLEDGED_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pledged/log.h"

enum config_status {
	CONFIG_OK = 0,
	CONFIG_ERR, /* syntax, value, missing key or unreadable file: EX_CONFIG */
	CONFIG_PERM,	/* a secret file group/other can access, or that
			belongs to another user, or that we may not read:
			EX_NOPERM */
	CONFIG_NOINPUT, /* a file named (or the configuration itself) does
			   not exist: EX_NOINPUT */
};

enum config_tls {
	CONFIG_TLS_IMPLICIT, /* TLS from the first byte (993, 465) */
	CONFIG_TLS_STARTTLS, /* plain greeting, then STARTTLS (required) */
	CONFIG_TLS_NONE,     /* no TLS: accepted only for a loopback host */
};

enum config_after {
	CONFIG_AFTER_FLAG, /* add the keyword $Pledged */
	CONFIG_AFTER_MOVE, /* move to processed_mailbox / review_mailbox */
	CONFIG_AFTER_KEEP, /* leave the message as it is */
};

/* A list of non-empty strings; items NULL when n is 0. */
struct config_list {
	char **items;
	size_t n;
};

/*
 * The parsed file.  'present' says whether the [section] header appeared;
 * the fields hold the defaults either way.  Optional strings are NULL when
 * unset.  Everything is owned by the struct and freed by config_free().
 */
struct config {
	char *path; /* as given to config_load() */
	struct {
		bool present;
		char *host;
		int port;
		enum config_tls tls;
		char *ca_file; /* NULL: system CA store */
		char *user;
		char *password_file;
		char *mailbox;
		enum config_after after;
		char *processed_mailbox;
		char *review_mailbox;
		int batch;
		size_t max_message_bytes;
		int timeout;	   /* seconds */
		char *authserv_id; /* NULL: ignore Authentication-Results */
	} imap;
	struct {
		bool present;
		char *database;
	} store;
	struct {
		bool present;
		char *campaign;
		struct config_list public_keys; /* "k4.public." PASERKs */
		char *secret_key_file;
		int clock_skew; /* seconds */
		struct config_list pledge_keywords, withdraw_keywords,
		    yes_keywords, no_keywords; /* lower-cased */
		/* Extension: a file of intent phrases added to the built-in
		 * table (intent.h); NULL: none.  Read by engine_open and
		 * config_check_files. */
		char *intent_phrases;
		bool require_dmarc;
		bool
		    auto_confirm; /* load fails unless secret_key_file is set */
	} tokens;
	struct {
		bool present;
		int poll_interval; /* seconds */
		bool idle;
		char *lock_file;
		enum log_dest log;
		/* Extension: seconds of repeated temporary failures (exit
		 * 75) after which --once exits 69 instead; 0: never. */
		int fail_after;
	} daemon;
	struct {
		bool present;
		char *host;
		int port;
		enum config_tls tls;
		/* Extension to DESIGN.md: CA file for the SMTP server (NULL:
		 * system store), as [imap] ca_file. */
		char *ca_file;
		char *user;
		char *password_file;
		char *from; /* contains an addr-spec with '@' */
		int rate_per_minute;
		/* Extensions: seconds per SMTP operation (default 60), as
		 * [imap] timeout; the directory of the request templates
		 * (NULL: the built-in text; see request.h). */
		int timeout;
		char *templates;
	} smtp;
	/* The line each key was set on, 0 when not set: for messages. */
	struct {
		unsigned imap_password_file, imap_ca_file, public_keys,
		    secret_key_file, smtp_password_file, smtp_ca_file,
		    smtp_templates, imap_tls, imap_port;
	} line;
	struct {
		bool present;
		/* Pages rewritten after every pass that changed the ledger
		 * (or the feed's health); NULL: none.  public_html holds
		 * counts and the timeline only. */
		char *html, *public_html;
	} report;
	struct {
		bool present;
		struct config_list to; /* organizers' addresses (lower-cased);
					  none: no digest */
		int interval;	       /* seconds between digests, at least */
	} notify;
};

/*
 * Read and check the file at 'path'.  On CONFIG_OK, *out is a new config
 * (free with config_free()).  On error every problem found has been
 * printed to standard error, *out is NULL and the result is CONFIG_ERR
 * (also for a file that cannot be opened: "FILE: strerror").  Checks done
 * here are those of the file alone: syntax, known sections and keys, no
 * key twice, values and ranges, 'tls = none' only with a loopback host,
 * 'auto_confirm = yes' only with a secret_key_file.  What a command needs
 * is config_require()'s business; the secret files are not opened.
 */
enum config_status config_load(const char *path, struct config **out);

/*
 * Bits for config_require(): what a command is about to use.
 *   STORE      [store] database
 *   TOKENS     [tokens] campaign, and public_keys or secret_key_file
 *   IMAP       [imap] host, user, password_file
 *   SMTP       [smtp] host, from; user and password_file both or neither
 *   SMTP_FROM  [smtp] from alone (send --outbox)
 */
#define CONFIG_NEED_STORE 0x01u
#define CONFIG_NEED_TOKENS 0x02u
#define CONFIG_NEED_IMAP 0x04u
#define CONFIG_NEED_SMTP 0x08u
#define CONFIG_NEED_SMTP_FROM 0x10u

/*
 * Check that every key the 'need' bits name is set.  Prints each missing
 * one as "FILE: [section] key is required" and returns CONFIG_ERR, else
 * CONFIG_OK.
 */
enum config_status config_require(const struct config *cfg, unsigned need);

/*
 * Read a secret (a password, a k4.secret PASERK) from the file at 'path':
 * one line of at most 1024 bytes, trailing CR/LF removed, not empty;
 * anything after the first line is ignored.  The open descriptor must be
 * a regular file without any group or other permission bits.
 * Returns CONFIG_OK with *out a new string (free with
 * config_secret_free()), or, with *out NULL and a message on standard
 * error: CONFIG_PERM for a file group or others can access ("PATH:
 * readable by group or others (mode 0640); chmod 600 it"), CONFIG_ERR for
 * one that cannot be opened or read, is not a regular file, or whose line
 * is empty, too long or holds a NUL byte.
 */
enum config_status config_read_secret(const char *path, char **out);

/* Zero and free a secret from config_read_secret(); NULL is a no-op. */
void config_secret_free(char *secret);

/*
 * Read every file the configuration names and that is set -- both
 * password_files and secret_key_file through config_read_secret() (then
 * zeroed and freed; the key file must hold a "k4.secret." PASERK), the
 * ca_files for readability -- reporting each problem on standard error.
 * Each problem is "CONF:LINE: [section] key: PATH: why".  Returns the
 * worst status met: CONFIG_PERM over CONFIG_ERR over CONFIG_NOINPUT over
 * CONFIG_OK (exit 77 names the one fix that needs no editing).  For
 * --check-config.
 */
enum config_status config_check_files(const struct config *cfg);
/* The same, leaving out the [smtp] files unless 'smtp'. */
enum config_status config_check_files_for(const struct config *cfg, bool smtp);

/* Free a config and all it owns; NULL is a no-op. */
void config_free(struct config *cfg);

/*
 * The sysexits code for a status: 0, 78 (EX_CONFIG), 77 (EX_NOPERM),
 * 66 (EX_NOINPUT).
 */
int config_exit_code(enum config_status st);

/*
 * How old the last good pass may be before the feed counts as stale (the
 * report's warning): three poll intervals, at least an hour.
 */
int64_t config_stale_after(const struct config *cfg);

#endif
