/*
 * fault: the crash tests' fault points.
 *
 * PLEDGED_FAULT names a point where the process kills itself, as a power
 * cut would (SIGKILL: no cleanup, no flush).  Compiled only into test
 * builds (CMake option PLEDGED_TEST_HOOKS): in a production binary
 * fault_point does nothing and no variable can make it kill itself.
 */
#ifndef PLEDGED_FAULT_H
#define PLEDGED_FAULT_H

/* Die here when PLEDGED_FAULT is 'name'; 'module' names the caller in the
 * log line. */
void fault_point(const char *module, const char *name);

#endif
