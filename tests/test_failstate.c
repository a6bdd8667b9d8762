/*
 * Unit tests for failstate: 75 starts the clock, 75 past fail_after
 * becomes 69, 0 clears it, anything else leaves it alone.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "pledged/failstate.h"
#include "testutil.h"

static void
test_failstate(void **state)
{
	char *dir = tu_mkdtemp("failstate");
	char *db = tu_asprintf("%s/p.db", dir);
	char *file = tu_asprintf("%s/p.db-tempfail", dir), *text;
	const time_t t0 = 1700000000;
	struct stat st;

	(void)state;
	assert_int_equal(failstate_note(db, EX_OK, 3600, t0, false), EX_OK);
	assert_int_equal(access(file, F_OK), -1);
	/* The first 75: recorded, still 75. */
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 3600, t0, false), EX_TEMPFAIL);
	text = tu_read_file(file, NULL);
	assert_string_equal(text, "1700000000\n");
	free(text);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Within fail_after: 75; other errors change nothing. */
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 3600, t0 + 3600, false),
	    EX_TEMPFAIL);
	assert_int_equal(
	    failstate_note(db, EX_CONFIG, 3600, t0 + 7200, false), EX_CONFIG);
	/* Past it: 69, and the start is kept. */
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 3600, t0 + 3601, false),
	    EX_UNAVAILABLE);
	text = tu_read_file(file, NULL);
	assert_string_equal(text, "1700000000\n");
	free(text);
	/* fail_after 0: never. */
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 0, t0 + 99999, false), EX_TEMPFAIL);
	/* A success clears it; the next 75 starts again. */
	assert_int_equal(
	    failstate_note(db, EX_OK, 3600, t0 + 7200, false), EX_OK);
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 3600, t0 + 7300, false),
	    EX_TEMPFAIL);
	/* A garbled file counts as a new start. */
	tu_write_file(file, "soon\n", 5, 0600);
	assert_int_equal(
	    failstate_note(db, EX_TEMPFAIL, 60, t0 + 9999, false), EX_TEMPFAIL);
	tu_rmtree(dir);
	free(file);
	free(db);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failstate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
