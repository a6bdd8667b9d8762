/*
 * Benchmark for store: the per-message path of a batch (seen check,
 * duplicate check, artist upsert, audit insert, pledge) inside one
 * transaction per batch of 200, as the daemon does it, against a growing
 * database.  Prints messages per second for each fifth of the run.
 *
 *   build/bench_store [MESSAGES]      (default 50000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pledged/store.h"
#include "testutil.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long total = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
	char *dir = tu_mkdtemp("bench-store");
	char *path = tu_asprintf("%s/pledges.db", dir);
	struct store *st = NULL;
	double t0, t;
	long i, block = total / 5 > 0 ? total / 5 : 1;

	if (store_open(path, true, &st) != STORE_OK)
		return 1;
	t0 = t = now();
	for (i = 0; i < total; i++) {
		char sha[65], msgid[64], addr[64];
		struct store_audit a = {0};
		int64_t artist = 0, aid = 0;

		if (i % 200 == 0 && store_begin(st) != STORE_OK)
			return 1;
		snprintf(sha, sizeof(sha), "%064lx", i);
		snprintf(msgid, sizeof(msgid), "<%ld@bench.example>", i);
		/* Every third message comes from an artist seen before. */
		snprintf(addr, sizeof(addr), "artist%ld@example.org",
		    i % 3 == 0 ? i / 3 : i);
		if (store_audit_seen(st, "INBOX", 1, (uint32_t)i + 1, sha) ||
		    store_audit_is_duplicate(st, msgid, sha))
			return 1;
		if (store_artist_upsert(st, addr, "Some Artist", &artist) !=
		    STORE_OK)
			return 1;
		a.mailbox = "INBOX";
		a.uidvalidity = 1;
		a.uid = (uint32_t)i + 1;
		a.message_id = msgid;
		a.sha256_hex = sha;
		a.size = 4000;
		a.from_addr = addr;
		a.subject = "I pledge";
		a.outcome = "pledge";
		a.artist_id = artist;
		a.processed_at = 1709294400 + i;
		if (store_audit_insert(st, &a, &aid) != STORE_OK)
			return 1;
		(void)store_pledge_record(st, artist, aid);
		if ((i % 200 == 199 || i == total - 1) &&
		    store_commit(st) != STORE_OK)
			return 1;
		if ((i + 1) % block == 0) {
			double n = now();

			printf("%8ld messages: %8.0f msg/s (last %ld)\n", i + 1,
			    (double)block / (n - t), block);
			t = n;
		}
	}
	printf("total: %ld messages in %.2f s\n", total, now() - t0);
	store_close(st);
	tu_rmtree(dir);
	free(path);
	free(dir);
	return 0;
}
