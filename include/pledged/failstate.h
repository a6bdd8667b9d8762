/*
 * failstate: a temporary failure that does not go away becomes an error.
 *
 * `pledged --once` exits 75 when the lock is held or the server timed
 * out, and cron and the timer take 75 as "try again later", quietly.
 * When every run says it for longer than [daemon] fail_after, something
 * needs a person: the run then exits 69 and says since when.  The start
 * of the current run of failures is kept in a small file beside the
 * database, DATABASE-tempfail (one decimal Unix time), created with the
 * store's file mode (privs.h) and removed by the next successful run.
 */
#ifndef PLEDGED_FAILSTATE_H
#define PLEDGED_FAILSTATE_H

#include <stdbool.h>
#include <time.h>

/*
 * Note the exit code 'rc' of a --once run against the store at
 * 'database', at time 'now'.  0 removes the state file; 75 records the
 * start of the failures when none is recorded, and returns 69
 * (EX_UNAVAILABLE) after logging why (and printing it on standard error
 * when 'tell', for cron's mail) once they have lasted more than
 * 'fail_after' seconds (0: never); any other code is returned unchanged
 * and changes nothing.  Problems with the state file itself are logged
 * at debug level and never change the result.
 */
int failstate_note(
    const char *database, int rc, int fail_after, time_t now, bool tell);

#endif
