/*
 * libFuzzer target: libetpan's IMAP response parser fed through the net
 * module's stream guard, as pledged's connection is: the input is what a
 * server says to the greeting, SELECT, UID SEARCH, UID FETCH of sizes and
 * bodies, UID STORE and IDLE.  Small caps, so the fuzzer reaches them;
 * any crash, leak or allocation beyond the caps is a finding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mailimap_set *
uids(void)
{
	return mailimap_set_new_interval(1, 2);
}

static void
commands(mailimap *imap)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;

	if (mailimap_select(imap, "INBOX") != MAILIMAP_NO_ERROR)
		return;
	if ((set = mailimap_set_new_interval(1, 0)) != NULL) {
		struct mailimap_search_key *key =
		    mailimap_search_key_new_uid(set);
		if (key != NULL) {
			if (mailimap_uid_search(imap, NULL, key, &result) ==
			    MAILIMAP_NO_ERROR)
				mailimap_search_result_free(result);
			mailimap_search_key_free(key);
		} else
			mailimap_set_free(set);
	}
	result = NULL;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (ft != NULL) {
		mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
			mailimap_section_new(NULL)));
		if ((set = uids()) != NULL) {
			if (mailimap_uid_fetch(imap, set, ft, &result) ==
			    MAILIMAP_NO_ERROR)
				mailimap_fetch_list_free(result);
			mailimap_set_free(set);
		}
		mailimap_fetch_type_free(ft);
	}
	if (mailimap_idle(imap) == MAILIMAP_NO_ERROR)
		(void)mailimap_idle_done(imap);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_budget b = {
	    .timeout = 60, .line_max = 4096, .literals = true};
	mailimap *imap;
	mailstream *s;
	int r;

	net_begin(&b, 60, 256 * 1024, 16 * 1024);
	if ((imap = mailimap_new(0, NULL)) == NULL)
		return 0;
	if ((s = mem_stream(data, size, &b)) == NULL) {
		mailimap_free(imap);
		return 0;
	}
	r = mailimap_connect(imap, s);
	if (imap->imap_stream != s) {
		mailstream_close(s); /* not kept: still ours */
		s = NULL;
	} else if (r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/* Each command gets a fresh answer budget, as in imap.c. */
		net_begin(&b, 60, 256 * 1024, 16 * 1024);
		commands(imap);
	}
	/* As imap_close: no LOGOUT to a dead server. */
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
	mailimap_free(imap);
	return 0;
}
