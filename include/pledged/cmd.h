/*
 * cmd: the pledgectl subcommands, one function each.
 *
 * Each takes the subcommand's own argument vector (argv[0] is the command
 * name), the path of the configuration file, and returns a sysexits.h exit
 * code for the main to pass to exit().  They print their own results and
 * errors; none of them calls exit().
 */
#ifndef PLEDGED_CMD_H
#define PLEDGED_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pledged/store.h"

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv, const char *config_path);
	const char *usage; /* one line, without the program name */
	const char *summary;
};

/* The table of subcommands, terminated by an entry with a NULL name. */
extern const struct cmd cmd_table[];

/* The subcommands. */
int cmd_keygen(int argc, char **argv, const char *config_path);
int cmd_issue(int argc, char **argv, const char *config_path);
int cmd_send(int argc, char **argv, const char *config_path);
int cmd_stats(int argc, char **argv, const char *config_path);
int cmd_list(int argc, char **argv, const char *config_path);
int cmd_show(int argc, char **argv, const char *config_path);
int cmd_export(int argc, char **argv, const char *config_path);
int cmd_review(int argc, char **argv, const char *config_path);
int cmd_report(int argc, char **argv, const char *config_path);
int cmd_forget(int argc, char **argv, const char *config_path);
int cmd_verify(int argc, char **argv, const char *config_path);
int cmd_import(int argc, char **argv, const char *config_path);
int cmd_add(int argc, char **argv, const char *config_path);
int cmd_link(int argc, char **argv, const char *config_path);
int cmd_unlink(int argc, char **argv, const char *config_path);
int cmd_exclude(int argc, char **argv, const char *config_path);
int cmd_include(int argc, char **argv, const char *config_path);
int cmd_fix_address(int argc, char **argv, const char *config_path);
int cmd_status(int argc, char **argv, const char *config_path);
int cmd_digest(int argc, char **argv, const char *config_path);

struct config;
struct store;
struct token_secret;

/* Shared argument parsing; each prints its own error. */
int cmd_parse_phase(const char *s);		      /* 1, 2, or 0: bad */
int cmd_parse_duration(const char *s, int64_t *secs); /* "30d" → 0 / -1 */
/*
 * Lower-cased address 'in' into out, for looking an artist up: an
 * addr-spec, or any address the ledger may have recorded from a broken
 * From (it has an '@' and no control character).  -1 (printed) when it
 * is none.  cmd_new_address: the same for an address a command records,
 * which must be an RFC 5322 addr-spec (addr_valid).
 */
int cmd_normalise_address(const char *in, char *out, size_t outlen);
int cmd_new_address(const char *in, char *out, size_t outlen);

/*
 * Load the configuration and check that it has what 'need' (CONFIG_NEED_*)
 * names; errors printed; returns a sysexits code.  *out freed by the
 * caller with config_free.
 */
int cmd_load_config(const char *path, unsigned need, struct config **out);
/* The same for [store] and [tokens], plus the signing key. */
int cmd_load_signer(
    const char *path, struct config **cfg, struct token_secret **key);
/* Open the store; a missing database is 66 unless 'create'. */
int cmd_open_store(const struct config *cfg, bool create, struct store **out);

/*
 * Output helpers (cmd_format.c).
 */

/* Room for a formatted time, with its NUL. */
#define CMD_TIME_MAX 32
/* "2024-03-01 12:00" (UTC), or "-" for 0; returns buf. */
const char *cmd_time_utc(int64_t t, char buf[CMD_TIME_MAX]);
/* "2024-03-01T12:00:00Z", or NULL for 0 (JSON null, empty CSV field). */
const char *cmd_time_rfc3339(int64_t t, char buf[CMD_TIME_MAX]);
/*
 * Text from mail, for a person: control characters and invalid UTF-8
 * shown as '?', NULL as "-".  cmd_put_cell pads or cuts to 'width'
 * characters (0: as is); cmd_put_block writes each line after 'indent'.
 */
void cmd_put_cell(FILE *fp, const char *s, size_t width);
void cmd_put_text(FILE *fp, const char *s);
void cmd_put_block(FILE *fp, const char *s, const char *indent);
/*
 * CSV per RFC 4180: a field (NULL: empty), quoted when it holds a comma,
 * quote, CR or LF, followed by ',' or, for the last one, CRLF.  Unless
 * 'raw', a field that starts with '=', '+', '-', '@', a tab or a CR (a
 * formula to a spreadsheet) is written with a leading apostrophe, as
 * OWASP recommends.  0, or -1 on a write error.  cmd_csv_row writes a
 * header line, raw.
 */
int cmd_csv_field(FILE *fp, const char *s, bool last, bool raw);
int cmd_csv_row(FILE *fp, const char *const *fields, size_t n);
/*
 * Where to find a message on the server: "message-id <ID>" and
 * "mailbox M uid U (uidvalidity V)" or "ingested (sha256 ...)", each on
 * its own line after 'indent'.  For show and review.
 */
void cmd_put_message_where(
    FILE *fp, const struct store_audit *a, const char *indent);
/* Who runs us: getlogin(), $SUDO_USER, $USER, the passwd entry. */
const char *cmd_login_name(char *buf, size_t len);
/*
 * Load the configuration ([store]) and open an existing database; a
 * missing one is 66 with a message.  Returns a sysexits code.
 */
int cmd_open_reader(
    const char *config_path, struct config **cfg, struct store **st);
/* The exit code for a failed store call (NOT_FOUND: 65). */
int cmd_store_exit(enum store_status rc);
/* Flush 'fp': EX_OK, or EX_IOERR (printed) when writing failed. */
int cmd_flush(FILE *fp);

/*
 * JSON forms (cmd_json.c), member names as the export's columns.  Each
 * returns a new reference, or NULL out of memory; cmd_json_print writes
 * one as a line to standard output and releases it (NULL: reported),
 * returning 0 or -1.  Declared with jansson's own type.
 */
struct json_t;
struct store_artist_row;
struct store_audit_row;
struct store_request_row;
struct store_confirmation_row;
struct json_t *cmd_json_str(const char *s); /* NULL: null */
struct json_t *cmd_json_time(int64_t t);    /* 0: null */
struct json_t *cmd_json_artist(const struct store_artist_row *);
struct json_t *cmd_json_message(const struct store_audit_row *);
struct json_t *cmd_json_request(const struct store_request_row *);
struct json_t *cmd_json_answer(const struct store_confirmation_row *);
int cmd_json_print(struct json_t *);

#endif
