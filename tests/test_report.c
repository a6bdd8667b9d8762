/*
 * report: the words of a share, the atomic write (a planted link is
 * replaced, never followed; a failed fill leaves the old file and no
 * temporary one; the mode does not depend on the umask), and the two
 * pages over a small store (the public one names nobody).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pledged/report.h"
#include "pledged/store.h"
#include "testutil.h"

static void
test_share(void **state)
{
	static const struct {
		int64_t part, base;
		const char *words, *want;
	} cases[] = {
	    {3, 10, "confirmed in phase one",
		"3 of the 10 confirmed in phase one (30%)"},
	    {6, 10, "confirmed in phase one",
		"6 of the 10 confirmed in phase one (60%)"},
	    {1, 6, "who pledged", "1 of the 6 who pledged (17%)"},
	    {0, 0, "who pledged", "0 of 0 who pledged"},
	    {2, 2, "who pledged", "2 of the 2 who pledged (100%)"},
	};
	struct store_stats s;
	char buf[128], two[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(report_share(buf, sizeof buf, cases[i].part,
					cases[i].base, cases[i].words),
		    cases[i].want);
	memset(&s, 0, sizeof s);
	s.pledged = 20;
	s.confirmed_phase1 = 10;
	s.phase2_of_pledged = 6;
	s.phase2_of_phase1 = 3;
	assert_string_equal(report_phase2_shares(two, sizeof two, &s),
	    "6 of the 20 who pledged (30%); 3 of the 10 confirmed in phase "
	    "one (30%)");
}

static int
fill_text(FILE *fp, void *arg)
{
	fputs(arg, fp);
	return 0;
}

static int
fill_fail(FILE *fp, void *arg)
{
	(void)arg;
	fputs("half a page", fp);
	return -1;
}

static size_t
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_atomic_write(void **state)
{
	char *dir = tu_mkdtemp("report");
	char *page = tu_asprintf("%s/page.html", dir);
	char *victim = tu_asprintf("%s/victim", dir);
	char *got;
	struct stat sb;
	size_t len;
	mode_t old;

	(void)state;
	/* A link planted at the page's name: replaced, not followed. */
	tu_write_file(victim, "keep", 4, 0600);
	assert_int_equal(symlink(victim, page), 0);
	old = umask(077);
	assert_int_equal(
	    atomic_write_file(page, 0644, fill_text, (void *)"new"), 0);
	umask(old);
	got = tu_read_file(victim, &len);
	assert_string_equal(got, "keep");
	free(got);
	assert_int_equal(lstat(page, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644); /* whatever the umask */
	got = tu_read_file(page, &len);
	assert_string_equal(got, "new");
	free(got);
	assert_int_equal(entries(dir), 2);

	/* A fill that fails: the old page stays, nothing else is left. */
	assert_int_equal(atomic_write_file(page, 0644, fill_fail, NULL), -1);
	got = tu_read_file(page, &len);
	assert_string_equal(got, "new");
	free(got);
	assert_int_equal(entries(dir), 2);

	/* A directory that does not exist: -1, nothing created. */
	free(page);
	page = tu_asprintf("%s/no/such/page.html", dir);
	assert_int_equal(
	    atomic_write_file(page, 0644, fill_text, (void *)"x"), -1);
	assert_int_equal(entries(dir), 2);

	tu_rmtree(dir);
	free(dir);
	free(page);
	free(victim);
}

/* A store with one pledge and one reply held for review. */
static struct store *
small_store(const char *dir)
{
	char *path = tu_asprintf("%s/p.db", dir);
	struct store *st = NULL;
	struct store_audit a = {
	    .sha256_hex =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaa",
	    .from_addr = "ana@example.org",
	    .from_name = "Ana Secretname",
	    .subject = "I pledge",
	    .outcome = "pledge",
	    .processed_at = 1709294400,
	    .written_at = 1709294400 - 86400,
	};
	int64_t artist, id;

	assert_int_equal(store_open(path, true, &st), STORE_OK);
	assert_int_equal(store_artist_upsert(
			     st, "ana@example.org", "Ana Secretname", &artist),
	    STORE_OK);
	a.artist_id = artist;
	assert_int_equal(store_audit_insert(st, &a, &id), STORE_OK);
	assert_int_equal(store_pledge_record(st, artist, id), STORE_OK);
	a.sha256_hex =
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbb";
	a.outcome = "review";
	a.reason = "unclear";
	a.phase = 1;
	a.own_text = "Which <label> is this about?";
	assert_int_equal(store_audit_insert(st, &a, &id), STORE_OK);
	free(path);
	return st;
}

static char *
page_text(struct store *st, bool public_page)
{
	struct report_opts o = {"camp", public_page, 1709294400, 3600, false};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(report_write(fp, st, &o), 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
test_pages(void **state)
{
	char *dir = tu_mkdtemp("report");
	struct store *st = small_store(dir);
	char *pub = page_text(st, true), *org = page_text(st, false);

	(void)state;
	/* Both: the card and the chart say one pledge, by the day written. */
	assert_non_null(strstr(pub,
	    "<div class=\"num\">1</div><div class=\"label\">pledged</div>"));
	assert_non_null(strstr(pub, "<title>2024-02-29: 1 Pledged</title>"));
	assert_non_null(strstr(org, "<title>2024-02-29: 1 Pledged</title>"));
	assert_null(strstr(pub, "<script"));
	/* The public page names nobody and quotes nothing. */
	assert_null(strstr(pub, "ana@"));
	assert_null(strstr(pub, "Secretname"));
	assert_null(strstr(pub, "Which"));
	assert_null(strstr(pub, "example.org"));
	/* The organizers' page: the held words, escaped. */
	assert_non_null(strstr(org, "Which &lt;label&gt; is this about?"));
	assert_non_null(strstr(org, "ana@example.org"));
	free(pub);
	free(org);
	store_close(st);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_share),
	    cmocka_unit_test(test_atomic_write),
	    cmocka_unit_test(test_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
