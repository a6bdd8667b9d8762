/*
 * pledgectl verify [--at TIME] TOKEN|-: check a token as the daemon would,
 * for an organizer handed one by an artist, or issued by another PASETO
 * implementation.  The same keys (public_keys), campaign and clock_skew
 * as pledged; the store is not read, so a token already used still says
 * "ok" here: this answers "is it genuine and in date", not "will it count".
 *
 * The outcome goes first on standard output, "ok" or DESIGN's reason,
 * then the claims as "key: value" lines whenever they were read (an
 * expired token still shows whose it is).  Times are RFC 3339 UTC.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/token.h"

static const char verify_usage[] =
    "usage: pledgectl verify [--at TIME] [--json] TOKEN|-\n";

/*
 * TIME is Unix seconds or YYYY-MM-DDThh:mm:ssZ; the point is to ask "was
 * it valid then", so UTC is enough and no offsets are taken.
 */
static int
parse_time(const char *s, int64_t *t)
{
	struct tm tm;
	const char *end;
	char *nend;
	long long n;
	time_t tt;

	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		errno = 0;
		n = strtoll(s, &nend, 10);
		if (errno != 0 || *nend != '\0' || n > 253402300799LL)
			goto bad;
		*t = n;
		return 0;
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0' || (tt = timegm(&tm)) == (time_t)-1)
		goto bad;
	*t = tt;
	return 0;
bad:
	fprintf(stderr,
	    "pledgectl: bad time '%s' (Unix seconds or "
	    "YYYY-MM-DDThh:mm:ssZ)\n",
	    s);
	return -1;
}

/*
 * The token from standard input: one line, surrounding white space (a
 * pasted newline) removed.  The token itself is taken as given, like the
 * daemon does; more than TOKEN_MAX_LEN bytes is left for token_verify to
 * call malformed, so only a bounded prefix is kept.
 */
static int
read_stdin(char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int c;

	/* Leading blanks are skipped, not stored, so they cost no room. */
	while ((c = getchar()) == ' ' || c == '\t')
		;
	for (; c != EOF && c != '\n'; c = getchar()) {
		if (n < size)
			buf[n] = (char)c;
		n++;
	}
	if (ferror(stdin)) {
		fprintf(
		    stderr, "pledgectl: standard input: %s\n", strerror(errno));
		return EX_IOERR;
	}
	if (n > size)
		n = size;
	while (n > 0 &&
	    (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		n--;
	*len = n;
	return EX_OK;
}

static void
print_time(const char *key, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		printf("%s: %lld\n", key, (long long)t);
	else
		printf("%s: %s\n", key, buf);
}

/*
 * {"result": "ok" or the reason, "valid": bool, "at": TIME, "claims":
 * {"sub", "phase", "jti", "exp", "iat", "nbf", "kid"} or null when they
 * could not be read}.
 */
static int
print_json(enum token_status st, const char *reason, int64_t at,
    const struct token_claims *c)
{
	json_t *claims = json_null();

	if (c->sub[0] != '\0')
		claims = json_pack("{s:o,s:i,s:o,s:o,s:o,s:o,s:o}", "sub",
		    cmd_json_str(c->sub), "phase", c->phase, "jti",
		    cmd_json_str(c->jti), "exp", cmd_json_time(c->exp), "iat",
		    cmd_json_time(c->iat), "nbf", cmd_json_time(c->nbf), "kid",
		    cmd_json_str(c->kid[0] != '\0' ? c->kid : NULL));
	return cmd_json_print(json_pack("{s:s,s:b,s:o,s:o}", "result",
	    st == TOKEN_OK ? "ok"
		: reason   ? reason
			   : "unknown",
	    "valid", st == TOKEN_OK, "at", cmd_json_time(at), "claims",
	    claims != NULL ? claims : json_null()));
}

static int
load_keyring(const struct config *cfg, struct token_keyring **out)
{
	const struct config_list *pk = &cfg->tokens.public_keys;

	*out = NULL;
	/* Without public keys every token would be unknown-key: say why. */
	if (pk->n == 0) {
		fprintf(stderr,
		    "%s: [tokens] public_keys is required to verify "
		    "tokens\n",
		    cfg->path);
		return EX_CONFIG;
	}
	if ((*out = token_keyring_new()) == NULL)
		return EX_OSERR;
	for (size_t i = 0; i < pk->n; i++) {
		if (token_keyring_add(*out, pk->items[i]) != 0) {
			fprintf(stderr,
			    "%s: [tokens] public_keys: item %zu is not a "
			    "k4.public PASERK\n",
			    cfg->path, i + 1);
			return EX_CONFIG;
		}
	}
	return EX_OK;
}

int
cmd_verify(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"at", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* One byte over the limit, so that an over-long token stays one. */
	static char buf[TOKEN_MAX_LEN + 1];
	struct config *cfg = NULL;
	struct token_keyring *kr = NULL;
	struct token_policy pol;
	struct token_claims c;
	enum token_status st;
	const char *tok;
	const char *reason;
	size_t len;
	int64_t now = time(NULL);
	int ch, rc;
	bool json = false;

	while ((ch = getopt_long(argc, argv, "a:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'a':
			if (parse_time(optarg, &now) != 0)
				return EX_USAGE;
			break;
		case 'h':
			printf("%s\nCheck a token with the configured public "
			       "keys, campaign and clock_skew,\n"
			       "as pledged would, and print the outcome and "
			       "the claims.\n"
			       "TOKEN '-' reads it from standard input.  TIME "
			       "(default now) is Unix\n"
			       "seconds or YYYY-MM-DDThh:mm:ssZ.  Exit 0: ok; "
			       "65: the token fails.\n"
			       "--json: one JSON object (pledgectl(1)).\n",
			    verify_usage);
			return EX_OK;
		default:
			fputs(verify_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(verify_usage, stderr);
		return EX_USAGE;
	}
	if ((rc = cmd_load_config(config_path, CONFIG_NEED_TOKENS, &cfg)) !=
	    EX_OK)
		goto out;
	if ((rc = load_keyring(cfg, &kr)) != EX_OK)
		goto out;
	if (strcmp(argv[optind], "-") == 0) {
		if ((rc = read_stdin(buf, sizeof buf, &len)) != EX_OK)
			goto out;
		tok = buf;
	} else {
		tok = argv[optind];
		len = strlen(tok);
	}

	pol.campaign = cfg->tokens.campaign;
	pol.now = now;
	pol.clock_skew = cfg->tokens.clock_skew;
	st = token_verify(kr, &pol, tok, len, &c);
	reason = token_status_reason(st);
	rc = st == TOKEN_OK ? EX_OK : EX_DATAERR;
	if (json) {
		if (print_json(st, reason, now, &c) != 0)
			rc = EX_IOERR;
		goto out;
	}
	printf("%s\n", st == TOKEN_OK ? "ok" : reason ? reason : "unknown");
	/* The claims were read exactly when 'sub' is set (see token.h). */
	if (c.sub[0] != '\0') {
		printf("sub: %s\nphase: %d\njti: %s\n", c.sub, c.phase, c.jti);
		print_time("exp", c.exp);
		if (c.iat != 0)
			print_time("iat", c.iat);
		if (c.nbf != 0)
			print_time("nbf", c.nbf);
		if (c.kid[0] != '\0')
			printf("kid: %s\n", c.kid);
	}
out:
	token_keyring_free(kr);
	config_free(cfg);
	return rc;
}
