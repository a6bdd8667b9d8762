/*
 * Helpers shared by the unit and integration tests.  Not a module of
 * pledged: test code only.  Every function aborts the test (cmocka
 * fail_msg) on error, so callers need no error paths.
 */
#ifndef PLEDGED_TESTUTIL_H
#define PLEDGED_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/*
 * The test inputs kept in the repository (tests/data/): the mail corpus
 * under corpus/, the PASETO/PASERK vectors under vectors/ (origin and
 * licence of each file in tests/data/SOURCES).  Tests read nothing
 * outside the source tree.
 */
#define TU_DATA PLEDGED_SOURCE_DIR "/tests/data"

/* A new empty directory under $TMPDIR (or /tmp); caller frees the string. */
char *tu_mkdtemp(const char *tag);
/* Remove a directory tree (rm -rf); NULL is a no-op. */
void tu_rmtree(const char *dir);
/* Read a whole file; *len gets its size; NUL-terminated; caller frees. */
char *tu_read_file(const char *path, size_t *len);
/* Write 'len' bytes to 'path' with 'mode'. */
void tu_write_file(const char *path, const void *data, size_t len, int mode);
/* printf into a new string; caller frees. */
char *tu_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Run argv (argv[0] searched in PATH) with stdin from 'in' (may be NULL:
 * /dev/null) and capture stdout and stderr (each may be NULL: discarded;
 * else *out is a new NUL-terminated string).  Returns the exit status, or
 * 128 + signal.
 */
int tu_run(char *const argv[], const char *in, char **out, char **err);

#endif
