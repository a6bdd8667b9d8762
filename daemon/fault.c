/*
 * fault: the crash tests' fault points (fault.h).  The whole body exists
 * only with PLEDGED_TEST_HOOKS, so a production binary carries neither the
 * variable's name nor a way to kill itself.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/fault.h"
#include "pledged/log.h"

void
fault_point(const char *module, const char *name)
{
#ifdef PLEDGED_TEST_HOOKS
	const char *want = getenv("PLEDGED_FAULT");

	if (want != NULL && strcmp(want, name) == 0) {
		log_warnx("%s: fault injected at %s", module, name);
		raise(SIGKILL);
	}
#else
	(void)module;
	(void)name;
#endif
}
