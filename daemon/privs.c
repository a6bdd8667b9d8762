/*
 * privs: becoming the store's owner, and the modes of created files
 * (contract in include/pledged/privs.h).
 *
 * Why the owner of the directory and not of the database file: on a first
 * run the file does not exist yet, and a database file that root created
 * by mistake must not make root the owner of the store from then on.  The
 * drop is the usual order -- groups first, then the gid, then the uid --
 * and is checked afterwards (setresuid(0) must fail), as OpenSMTPD's and
 * dovecot's do.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/log.h"
#include "pledged/privs.h"

/* The directory part of 'path' into buf; "." for a bare name. */
static int
dir_of(const char *path, char *buf, size_t len)
{
	char copy[4096];
	int n;

	n = snprintf(copy, sizeof copy, "%s", path);
	if (n < 0 || (size_t)n >= sizeof copy)
		return -1;
	n = snprintf(buf, len, "%s", dirname(copy));
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
refuse(const char *prog, const char *user, const char *dir)
{
	fprintf(stderr,
	    "%s: %s belongs to %s and %s could not become that user; "
	    "run it as %s: runuser -u %s -- %s ...\n",
	    prog, dir, user, prog, user, user, prog);
	return EX_NOPERM;
}

int
privs_become_store_owner(const char *database, const char *prog, bool tell)
{
	char dir[4096];
	struct passwd *pw;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || database == NULL)
		return EX_OK;
	if (dir_of(database, dir, sizeof dir) == -1 || stat(dir, &st) == -1)
		return EX_OK; /* opening the store will say what is wrong */
	if (st.st_uid == 0)
		return EX_OK;
	errno = 0;
	if ((pw = getpwuid(st.st_uid)) == NULL) {
		char name[32];
		snprintf(name, sizeof name, "uid %u", (unsigned)st.st_uid);
		fprintf(stderr,
		    "%s: %s belongs to %s, which has no passwd entry; chown "
		    "it to the user pledged runs as\n",
		    prog, dir, name);
		return EX_NOPERM;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (initgroups(pw->pw_name, gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1) {
		log_warn("%s: becoming %s", prog, pw->pw_name);
		return refuse(prog, pw->pw_name, dir);
	}
	if (setresuid(0, 0, 0) != -1 || geteuid() != uid || getuid() != uid ||
	    getegid() != gid || getgid() != gid)
		return refuse(prog, pw->pw_name, dir);
	if (tell)
		fprintf(stderr, "%s: running as %s, the owner of %s\n", prog,
		    pw->pw_name, dir);
	else
		log_debug("running as %s, the owner of %s", pw->pw_name, dir);
	return EX_OK;
}

mode_t
privs_file_mode(const char *path)
{
	char dir[4096];
	struct stat st;

	if (dir_of(path, dir, sizeof dir) == 0 && stat(dir, &st) == 0 &&
	    (st.st_mode & S_ISGID) != 0)
		return 0660;
	return 0600;
}

static void
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

bool
privs_foreign_owner(const char *path, char *buf, size_t len)
{
	char owner[64], me[64];
	struct stat st;

	if (lstat(path, &st) == -1 || st.st_uid == geteuid())
		return false;
	user_name(st.st_uid, owner, sizeof owner);
	user_name(geteuid(), me, sizeof me);
	snprintf(buf, len, "%s belongs to %s, not %s: chown %s: %s", path,
	    owner, me, me, path);
	return true;
}
