/*
 * Unit tests for privs: the mode of created files (0600, 0660 in a
 * setgid directory), the hint for a file of another user, and becoming
 * the store's owner (as root only; in a child, since it cannot be
 * undone).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/privs.h"
#include "testutil.h"

static void
test_file_mode(void **state)
{
	char *dir = tu_mkdtemp("privs"), *db = tu_asprintf("%s/p.db", dir);

	(void)state;
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(privs_file_mode(db), 0600);
	assert_int_equal(chmod(dir, 02770), 0);
	assert_int_equal(privs_file_mode(db), 0660);
	/* A bare name is in the current directory. */
	assert_true(
	    privs_file_mode("p.db") == 0600 || privs_file_mode("p.db") == 0660);
	tu_rmtree(dir);
	free(db);
	free(dir);
}

static void
test_foreign_owner(void **state)
{
	char *dir = tu_mkdtemp("privs"), *f = tu_asprintf("%s/f", dir);
	struct passwd *nobody = getpwnam("nobody");
	char hint[8300];

	(void)state;
	tu_write_file(f, "x", 1, 0600);
	assert_false(privs_foreign_owner(f, hint, sizeof hint));
	assert_false(privs_foreign_owner("/nonexistent/f", hint, sizeof hint));
	if (geteuid() == 0 && nobody != NULL) {
		char *want = tu_asprintf(
		    "%s belongs to nobody, not root: chown root: %s", f, f);

		assert_int_equal(chown(f, nobody->pw_uid, (gid_t)-1), 0);
		assert_true(privs_foreign_owner(f, hint, sizeof hint));
		assert_string_equal(hint, want);
		free(want);
	}
	tu_rmtree(dir);
	free(f);
	free(dir);
}

/*
 * In a child: become the owner of the store; exit 0 if now 'uid' (and,
 * when 'dropped', unable to become root again).
 */
static int
become_in_child(const char *db, uid_t uid, bool dropped)
{
	int status;
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		if (privs_become_store_owner(db, "test", false) != EX_OK)
			_exit(2);
		if (geteuid() != uid || getuid() != uid)
			_exit(1);
		_exit(dropped && setuid(0) != -1 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WEXITSTATUS(status);
}

static void
test_become_owner(void **state)
{
	char *dir = tu_mkdtemp("privs"), *db = tu_asprintf("%s/p.db", dir);
	struct passwd *nobody = getpwnam("nobody");

	(void)state;
	/* A directory of the running user's: nothing changes. */
	assert_int_equal(become_in_child(db, geteuid(), false), 0);
	if (geteuid() != 0 || nobody == NULL) {
		tu_rmtree(dir);
		free(db);
		free(dir);
		skip();
	}
	assert_int_equal(chown(dir, nobody->pw_uid, nobody->pw_gid), 0);
	assert_int_equal(become_in_child(db, nobody->pw_uid, true), 0);
	/* A directory of a uid without a passwd entry is refused. */
	assert_int_equal(chown(dir, 54321, 54321), 0);
	if (getpwuid(54321) == NULL)
		assert_int_equal(become_in_child(db, 54321, true), 2);
	tu_rmtree(dir);
	free(db);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_mode),
	    cmocka_unit_test(test_foreign_owner),
	    cmocka_unit_test(test_become_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
