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
int cmd_verify(int argc, char **argv, const char *config_path);

struct config;
struct store;
struct token_secret;

/* Shared argument parsing; each prints its own error. */
int cmd_parse_phase(const char *s);		      /* 1, 2, or 0: bad */
int cmd_parse_duration(const char *s, int64_t *secs); /* "30d" → 0 / -1 */
/* Lower-cased addr-spec of 'in' into out; -1 (printed) when it is none. */
int cmd_normalise_address(const char *in, char *out, size_t outlen);

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

#endif
