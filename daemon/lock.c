/*
 * lock: flock(2) on a lock file.  The file is never removed: removing it
 * while another process waits on the old inode would let two runs hold
 * "the" lock at once.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pledged/lock.h"
#include "pledged/log.h"

enum lock_status
lock_acquire(const char *path, int *fd)
{
	char pid[32];
	int n;

	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd == -1) {
		log_warn("lock: %s", path);
		return LOCK_ERR;
	}
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
