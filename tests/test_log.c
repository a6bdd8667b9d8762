/* Unit tests for log: what reaches standard error, and verbosity. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pledged/log.h"
#include "testutil.h"

/* Run 'fn' with stderr redirected to a file; return what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	char *dir = tu_mkdtemp("log"), *path, *text;
	int saved = dup(2);
	FILE *fp;

	path = tu_asprintf("%s/err", dir);
	fflush(stderr);
	fp = fopen(path, "w");
	assert_non_null(fp);
	dup2(fileno(fp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(fp);
	text = tu_read_file(path, NULL);
	tu_rmtree(dir);
	free(path);
	free(dir);
	return text;
}

static void
emit_quiet(void)
{
	log_init("test", LOG_TO_STDERR, false);
	log_info("hello %d", 42);
	log_debug("hidden");
	errno = ENOENT;
	log_warn("open %s", "x");
	log_warnx("plain");
}

static void
emit_verbose(void)
{
	log_init("test", LOG_TO_STDERR, true);
	log_debug("shown");
}

static void
test_stderr_lines(void **state)
{
	char *text = capture_stderr(emit_quiet);

	(void)state;
	assert_string_equal(text,
	    "test: hello 42\n"
	    "test: open x: No such file or directory\n"
	    "test: plain\n");
	free(text);
}

static void
test_verbose(void **state)
{
	char *text = capture_stderr(emit_verbose);

	(void)state;
	assert_string_equal(text, "test: shown\n");
	free(text);
}

/* What a sender wrote reaches the log with its controls escaped. */
static void
emit_hostile(void)
{
	log_init("test", LOG_TO_STDERR, false);
	log_info("auto-confirm: %s: request sent",
	    "evil\x1b]0;owned\x07\xe2\x80\xae@example.org\r\nforged: line");
}

static void
test_hostile_text(void **state)
{
	char *text = capture_stderr(emit_hostile);

	(void)state;
	assert_string_equal(text,
	    "test: auto-confirm: evil\\x1b]0;owned\\x07\\u202e@example.org"
	    "\\x0d\\x0aforged: line: request sent\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stderr_lines),
	    cmocka_unit_test(test_verbose),
	    cmocka_unit_test(test_hostile_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
