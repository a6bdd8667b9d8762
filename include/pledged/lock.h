/*
 * lock: one run at a time.  An exclusive flock on the configured lock file
 * (created when missing); the kernel drops it when the process ends, so a
 * crash never leaves a stale lock behind.
 */
#ifndef PLEDGED_LOCK_H
#define PLEDGED_LOCK_H

enum lock_status {
	LOCK_OK = 0,
	LOCK_HELD, /* another run holds it: exit 75, quietly */
	LOCK_ERR,  /* could not open or lock the file; logged */
};

/*
 * Take the lock on 'path' without waiting.  On LOCK_OK, *fd is the open
 * descriptor that holds it (close-on-exec; closing it releases the lock).
 * The PID of the holder is written into the file for humans.
 */
enum lock_status lock_acquire(const char *path, int *fd);
void lock_release(int fd);

#endif
