/*
 * The C side of contrib/testenv/dovecot.sh: run it, read DIR/env.  See
 * testutil_dovecot.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "testutil_dovecot.h"

#define SCRIPT PLEDGED_SOURCE_DIR "/contrib/testenv/dovecot.sh"

/* Lines KEY='value' as the script writes them (values never hold '). */
static char *
env_get(const char *env, const char *key)
{
	size_t klen = strlen(key);
	const char *p = env;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=' &&
		    p[klen + 1] == '\'') {
			const char *v = p + klen + 2, *end = strchr(v, '\'');
			char *s;

			if (end == NULL)
				break;
			if ((s = strndup(v, end - v)) == NULL)
				fail_msg("out of memory");
			return s;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	fail_msg("dovecot env: %s missing", key);
	return NULL;
}

static int
env_int(const char *env, const char *key)
{
	char *s = env_get(env, key), *end;
	long v = strtol(s, &end, 10);

	if (*end != '\0' || v < 0 || v > 0x7fffffff)
		fail_msg("dovecot env: %s=%s", key, s);
	free(s);
	return (int)v;
}

struct tu_dovecot *
tu_dovecot_start(void)
{
	struct tu_dovecot *d;
	char *argv[] = {"sh", SCRIPT, "start", NULL, NULL};
	char *err = NULL, *env, *path, owner[32];
	int rc;

	/* 77: ctest's SKIP_RETURN_CODE; CI fails on a skip. */
	if (geteuid() != 0 || access("/usr/sbin/dovecot", X_OK) != 0) {
		fprintf(stderr,
		    "skipped: the private dovecot needs root and "
		    "dovecot-imapd\n");
		exit(77);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fail_msg("out of memory");
	d->dir = tu_mkdtemp("dovecot");
	argv[3] = d->dir;
	snprintf(owner, sizeof(owner), "%ld", (long)getpid());
	setenv("PLEDGED_TEST_OWNER_PID", owner, 1);
	rc = tu_run(argv, NULL, NULL, &err);
	if (rc != 0) {
		fprintf(stderr, "%s", err);
		tu_rmtree(d->dir);
		fail_msg("dovecot.sh start failed (%d)", rc);
	}
	free(err);
	path = tu_asprintf("%s/env", d->dir);
	env = tu_read_file(path, NULL);
	free(path);
	d->host = env_get(env, "HOST");
	d->imap_port = env_int(env, "IMAP_PORT");
	d->imaps_port = env_int(env, "IMAPS_PORT");
	d->ca_file = env_get(env, "CA_FILE");
	d->other_ca_file = env_get(env, "OTHER_CA_FILE");
	d->wrong_ca_host = env_get(env, "WRONG_CA_HOST");
	d->wrong_name_host = env_get(env, "WRONG_NAME_HOST");
	d->expired_host = env_get(env, "EXPIRED_HOST");
	d->user = env_get(env, "USER");
	d->password = env_get(env, "PASSWORD");
	d->password_file = env_get(env, "PASSWORD_FILE");
	d->artist_password = env_get(env, "ARTIST_PASSWORD");
	d->maildir = env_get(env, "MAILDIR");
	d->mail_root = env_get(env, "MAIL_ROOT");
	d->conf = env_get(env, "CONF");
	d->log = env_get(env, "LOG");
	d->lmtp_socket = env_get(env, "LMTP_SOCKET");
	d->mail_uid = (uid_t)env_int(env, "MAIL_UID");
	d->mail_gid = (gid_t)env_int(env, "MAIL_GID");
	d->pid = (pid_t)env_int(env, "DOVECOT_PID");
	free(env);
	return d;
}

void
tu_dovecot_stop(struct tu_dovecot *d)
{
	char *argv[] = {"sh", SCRIPT, "stop", NULL, NULL};

	if (d == NULL)
		return;
	argv[3] = d->dir;
	if (tu_run(argv, NULL, NULL, NULL) != 0)
		fprintf(stderr, "dovecot.sh stop %s failed\n", d->dir);
	/* PLEDGED_TEST_KEEP=1 keeps the directory (config, log) to look at. */
	if (getenv("PLEDGED_TEST_KEEP") == NULL)
		tu_rmtree(d->dir);
	else
		fprintf(stderr, "dovecot: kept %s\n", d->dir);
	free(d->dir);
	free(d->host);
	free(d->ca_file);
	free(d->other_ca_file);
	free(d->wrong_ca_host);
	free(d->wrong_name_host);
	free(d->expired_host);
	free(d->user);
	free(d->password);
	free(d->password_file);
	free(d->artist_password);
	free(d->maildir);
	free(d->mail_root);
	free(d->conf);
	free(d->log);
	free(d->lmtp_socket);
	free(d);
}

void
tu_dovecot_deliver(
    struct tu_dovecot *d, const char *user, const void *raw, size_t len)
{
	static unsigned seq;
	char *tmp, *new;
	int fd;

	/* Fixed-width fields: file-name order is delivery order. */
	long long now = (long long)time(NULL);

	seq++;
	tmp = tu_asprintf("%s/%s/tmp/%010lld.M%08uP%ld.pledged-test",
	    d->mail_root, user, now, seq, (long)getpid());
	new = tu_asprintf("%s/%s/new/%010lld.M%08uP%ld.pledged-test",
	    d->mail_root, user, now, seq, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1)
		fail_msg("create %s: %s", tmp, strerror(errno));
	if (write(fd, raw, len) != (ssize_t)len ||
	    fchown(fd, d->mail_uid, d->mail_gid) == -1 || fsync(fd) == -1)
		fail_msg("write %s: %s", tmp, strerror(errno));
	close(fd);
	if (rename(tmp, new) == -1)
		fail_msg("rename %s: %s", new, strerror(errno));
	free(tmp);
	free(new);
}

void
tu_dovecot_append(struct tu_dovecot *d, const char *user, const char *mailbox,
    const char *raw)
{
	char *argv[] = {"doveadm", "-c", d->conf, "save", "-u",
	    (char *)(uintptr_t)user, "-m", (char *)(uintptr_t)mailbox, NULL};
	char *err = NULL;

	if (tu_run(argv, raw, NULL, &err) != 0)
		fail_msg("doveadm save: %s", err);
	free(err);
}

void
tu_dovecot_freeze(struct tu_dovecot *d, int frozen)
{
	/* The master is a session leader: its group holds every child. */
	if (kill(-d->pid, frozen ? SIGSTOP : SIGCONT) == -1)
		fail_msg("kill -%d: %s", (int)d->pid, strerror(errno));
}

int
tu_dovecot_log_has(struct tu_dovecot *d, const char *needle)
{
	char *log = tu_read_file(d->log, NULL);
	int found = strstr(log, needle) != NULL;

	free(log);
	return found;
}
