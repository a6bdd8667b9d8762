/*
 * lock: flock(2) on a lock file.  The file is never removed: removing it
 * while another process waits on the old inode would let two runs hold
 * "the" lock at once.
 *
 * flock needs only a descriptor, and any user who can open the file for
 * reading can hold the lock and so silence pledged.  The file is created
 * 0600 whatever the umask, an older one loses its group and other bits,
 * and one that belongs to another user is refused with the fix.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pledged/lock.h"
#include "pledged/log.h"
#include "pledged/privs.h"

enum lock_status
lock_acquire(const char *path, int *fd)
{
	char pid[32], hint[8300];
	struct stat st;
	int n;

	*fd = open(
	    path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (*fd == -1) {
		if (errno == EACCES &&
		    privs_foreign_owner(path, hint, sizeof hint))
			log_warnx("lock: %s", hint);
		else
			log_warn("lock: %s", path);
		return LOCK_ERR;
	}
	if (fstat(*fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		if (!S_ISREG(st.st_mode))
			log_warnx("lock: %s: not a regular file", path);
		else if (privs_foreign_owner(path, hint, sizeof hint))
			log_warnx("lock: %s (another user could hold the "
				  "lock)",
			    hint);
		else
			log_warn("lock: %s", path);
		close(*fd);
		*fd = -1;
		return LOCK_ERR;
	}
	if ((st.st_mode & 077) != 0 && fchmod(*fd, 0600) == -1)
		log_warn("lock: %s: chmod", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;
		close(*fd);
		*fd = -1;
		if (saved == EWOULDBLOCK)
			return LOCK_HELD;
		errno = saved;
		log_warn("lock: %s", path);
		return LOCK_ERR;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* The PID is a courtesy; failing to write it is no reason to stop. */
	if (ftruncate(*fd, 0) == 0 && pwrite(*fd, pid, n, 0) != n)
		log_debug("lock: %s: could not write the PID", path);
	return LOCK_OK;
}

void
lock_release(int fd)
{
	if (fd != -1)
		close(fd);
}
