/*
 * Helpers shared by the pledgectl subcommands: loading the configuration
 * and the signing key, opening the store, and parsing the arguments that
 * several commands take.  Errors are printed here, once; callers return
 * the code.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pledged/addr.h"
#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/privs.h"
#include "pledged/store.h"
#include "pledged/token.h"

int
cmd_parse_phase(const char *s)
{
	if (strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "2") == 0)
		return 2;
	fprintf(stderr, "pledgectl: --phase takes 1 or 2, not '%s'\n", s);
	return 0;
}

int
cmd_parse_duration(const char *s, int64_t *secs)
{
	char *end;
	long long n;
	int64_t unit = 1;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || errno != 0 || n <= 0)
		goto bad;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	/* Ten years is more than any campaign; it also keeps exp in range. */
	if (n > 10LL * 366 * 86400 / unit)
		goto bad;
	*secs = n * unit;
	return 0;
bad:
	fprintf(
	    stderr, "pledgectl: bad duration '%s' (e.g. 30d, 12h, 90m)\n", s);
	return -1;
}

int
cmd_normalise_address(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	/*
	 * Any address the ledger may hold: an RFC 5322 addr-spec (a quoted
	 * local part included), or one recorded from a broken From, so
	 * that such an artist can still be shown, fixed and forgotten.
	 * What a command creates is checked with cmd_new_address.
	 */
	if (n == 0 || n >= outlen || n > ADDR_MAX || strchr(in, '@') == NULL)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = in[i];
		if (ch < ' ' || ch == 0x7f)
			goto bad;
		out[i] = (char)tolower(ch);
	}
	out[n] = '\0';
	return 0;
bad:
	fprintf(stderr, "pledgectl: '%s' is not an email address\n", in);
	return -1;
}

int
cmd_new_address(const char *in, char *out, size_t outlen)
{
	const char *why = addr_invalid_reason(in);

	if (why != NULL) {
		fprintf(stderr, "pledgectl: '%s' is not an email address: %s\n",
		    in, why);
		return -1;
	}
	return cmd_normalise_address(in, out, outlen);
}

int
cmd_load_config(const char *path, unsigned need, struct config **out)
{
	enum config_status st;

	*out = NULL;
	if ((st = config_load(path, out)) != CONFIG_OK)
		return config_exit_code(st);
	if ((st = config_require(*out, need)) != CONFIG_OK) {
		config_free(*out);
		*out = NULL;
		return config_exit_code(st);
	}
	/*
	 * Root becomes the store's owner before opening anything, so that
	 * no database, WAL or SHM file of the store ever belongs to root.
	 */
	if ((need & CONFIG_NEED_STORE) != 0) {
		int rc = privs_become_store_owner(
		    (*out)->store.database, "pledgectl", false);
		if (rc != EX_OK) {
			config_free(*out);
			*out = NULL;
			return rc;
		}
	}
	return EX_OK;
}

int
cmd_load_signer(
    const char *path, struct config **cfg, struct token_secret **key)
{
	enum config_status st;
	char *secret = NULL;
	int rc;

	*key = NULL;
	rc = cmd_load_config(path, CONFIG_NEED_STORE | CONFIG_NEED_TOKENS, cfg);
	if (rc != EX_OK)
		return rc;
	if ((*cfg)->tokens.secret_key_file == NULL) {
		fprintf(stderr,
		    "%s: [tokens] secret_key_file is required to "
		    "issue tokens\n",
		    (*cfg)->path);
		return EX_CONFIG;
	}
	st = config_read_secret((*cfg)->tokens.secret_key_file, &secret);
	if (st != CONFIG_OK)
		return config_exit_code(st);
	if (token_secret_from_paserk(secret, key) != 0) {
		fprintf(stderr, "%s: not a k4.secret PASERK\n",
		    (*cfg)->tokens.secret_key_file);
		rc = EX_CONFIG;
	}
	config_secret_free(secret);
	return rc;
}

int
cmd_open_store(const struct config *cfg, bool create, struct store **out)
{
	switch (store_open(cfg->store.database, create, out)) {
	case STORE_OK:
		return EX_OK;
	case STORE_NOT_FOUND:
		return EX_NOINPUT;
	case STORE_BUSY:
		return EX_TEMPFAIL;
	default:
		return create ? EX_CANTCREAT : EX_NOINPUT;
	}
}
