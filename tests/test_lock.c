/* Unit tests for lock: exclusive between processes, released on exit. */
#include <sys/wait.h>

#include <stdlib.h>
#include <unistd.h>

#include "pledged/lock.h"
#include "testutil.h"

/* Try the lock from a child process: flock is per open file, per process. */
static enum lock_status
try_in_child(const char *path)
{
	int status, fd;
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0)
		_exit(lock_acquire(path, &fd));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WEXITSTATUS(status);
}

static void
test_exclusive(void **state)
{
	char *dir = tu_mkdtemp("lock"), *path = tu_asprintf("%s/l", dir);
	int fd;

	(void)state;
	assert_int_equal(lock_acquire(path, &fd), LOCK_OK);
	assert_int_equal(try_in_child(path), LOCK_HELD);
	lock_release(fd);
	assert_int_equal(try_in_child(path), LOCK_OK);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_unopenable(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(lock_acquire("/nonexistent/dir/lock", &fd), LOCK_ERR);
	assert_int_equal(fd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exclusive),
	    cmocka_unit_test(test_unopenable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
