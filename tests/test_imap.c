/*
 * imap against a private dovecot (contrib/testenv/dovecot.sh): one server
 * per group, started in the group setup and stopped in its teardown.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "testutil_dovecot.h"

static int
group_setup(void **state)
{
	*state = tu_dovecot_start();
	return 0;
}

static int
group_teardown(void **state)
{
	tu_dovecot_stop(*state);
	return 0;
}

/* The harness itself: delivered files and doveadm saves are seen. */
static void
test_harness(void **state)
{
	struct tu_dovecot *d = *state;
	static const char msg[] = "Subject: one\r\n\r\nbody\r\n";
	char *argv[] = {"doveadm", "-c", d->conf, "search", "-u", "campaign",
	    "mailbox", "INBOX", "ALL", NULL};
	char *out = NULL;

	tu_dovecot_deliver(d, "campaign", msg, strlen(msg));
	tu_dovecot_append(d, "campaign", "INBOX", msg);
	assert_int_equal(tu_run(argv, NULL, &out, NULL), 0);
	/* "<guid> <uid>" per message */
	assert_non_null(strstr(out, " 1\n"));
	assert_non_null(strstr(out, " 2\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest harness[] = {
	    cmocka_unit_test(test_harness),
	};

	return cmocka_run_group_tests(harness, group_setup, group_teardown);
}
