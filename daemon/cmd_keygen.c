/*
 * pledgectl keygen [--out FILE]: a new Ed25519 key pair as PASERK strings.
 * The secret goes into a file created 0600 that must not exist yet (a key
 * is never overwritten: tokens signed with it would become unverifiable);
 * the public key and its id are printed, ready for `public_keys`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/cmd.h"
#include "pledged/config.h"
#include "pledged/token.h"

static int
write_secret(const char *path, const char *secret)
{
	size_t len = strlen(secret);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		fprintf(stderr, "pledgectl: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite a key)" : "");
		return EX_CANTCREAT;
	}
	if (write(fd, secret, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		fprintf(stderr, "pledgectl: %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return EX_IOERR;
	}
	if (close(fd) == -1) {
		fprintf(stderr, "pledgectl: %s: %s\n", path, strerror(errno));
		unlink(path);
		return EX_IOERR;
	}
	return EX_OK;
}

int
cmd_keygen(int argc, char **argv, const char *config_path)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	char *secret = NULL, *public = NULL, *pid = NULL;
	struct config *cfg = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf(
			    "usage: pledgectl keygen [--out FILE]\n\n"
			    "Write a new k4.secret PASERK to FILE (mode "
			    "0600, default pledged.key;\nnever overwritten) "
			    "and print the k4.public PASERK and its k4.pid.\n");
			return EX_OK;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: pledgectl keygen [--out FILE]\n");
		return EX_USAGE;
	}
	if (out == NULL) {
		rc = cmd_load_config(config_path, 0, &cfg);
		if (rc != EX_OK)
			return rc;
		out = cfg->tokens.secret_key_file;
		if (out == NULL) {
			fprintf(stderr,
			    "pledgectl: keygen: give --out FILE, "
			    "or set [tokens] secret_key_file in %s\n",
			    config_path);
			config_free(cfg);
			return EX_USAGE;
		}
	}
	if (token_keygen(&secret, &public, &pid) != 0) {
		fprintf(stderr, "pledgectl: keygen: cannot make a key pair\n");
		config_free(cfg);
		return EX_SOFTWARE;
	}
	rc = write_secret(out, secret);
	if (rc == EX_OK)
		printf("secret_key_file = %s\npublic_keys = %s\n# key id: %s\n",
		    out, public, pid);
	token_string_free(secret);
	free(public);
	free(pid);
	config_free(cfg);
	return rc;
}
