/*
 * Benchmark: the complete corpus messages parsed in process and through
 * the worker, N rounds (argv[1], default 20); prints messages per second
 * and the cost of the worker's round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pledged/message.h"
#include "testutil.h"

#define CORPUS TU_DATA "/corpus/"

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
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	char *index = tu_read_file(CORPUS "INDEX.tsv", NULL), *save = NULL;
	char *raws[256];
	size_t lens[256], n = 0, bytes = 0;
	struct message_worker *w;
	double t0, t1, t2;

	for (char *line = strtok_r(index, "\n", &save); line && n < 256;
	     line = strtok_r(NULL, "\n", &save)) {
		char file[512], kind[64], *path;

		if (line[0] == '#' ||
		    sscanf(line, "%511[^\t]\t%63[^\t]", file, kind) != 2 ||
		    strncmp(kind, "reply-", 6) == 0)
			continue;
		path = tu_asprintf("%s%s", CORPUS, file);
		raws[n] = tu_read_file(path, &lens[n]);
		bytes += lens[n++];
		free(path);
	}
	if (message_worker_start(NULL, &w) != 0)
		return 1;
	t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			struct message *m;

			message_parse(raws[i], lens[i], NULL, &m, NULL);
			message_free(m);
		}
	t1 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			struct message *m;

			message_worker_parse(w, raws[i], lens[i], &m, NULL);
			message_free(m);
		}
	t2 = now();
	printf("%zu messages (%zu bytes) x %d rounds\n", n, bytes, rounds);
	printf("in process: %.0f msg/s, %.1f MB/s\n", n * rounds / (t1 - t0),
	    bytes * rounds / (t1 - t0) / 1e6);
	printf("worker:     %.0f msg/s (%.1f us round trip overhead)\n",
	    n * rounds / (t2 - t1),
	    ((t2 - t1) - (t1 - t0)) / (double)(n * rounds) * 1e6);
	message_worker_stop(w);
	for (size_t i = 0; i < n; i++)
		free(raws[i]);
	free(index);
	return 0;
}
