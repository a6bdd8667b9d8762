/*
 * ingest: one message per file or standard input.
 *
 * A file is read up to the size cap and no further into memory; beyond
 * the cap it is only hashed (the audit log identifies ingested messages by
 * content, so a second ingest of the same file is a no-op even for a
 * message too large to read) and recorded as reject/too-large.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "pledged/digest.h"
#include "pledged/engine.h"
#include "pledged/escape.h"
#include "pledged/ingest.h"
#include "pledged/log.h"
#include "pledged/pass.h"
#include "pledged/store.h"

struct input {
	char *buf;  /* NULL when over the cap */
	size_t len; /* the whole size */
	char sha256[DIGEST_HEX_LEN + 1];
};

/* Read 'fd' whole: keep up to 'cap' bytes, hash everything. */
static int
input_read(int fd, size_t cap, struct input *in)
{
	struct digest *d = digest_new();
	char chunk[65536];
	size_t have = 0, bufcap = 0;
	ssize_t r;

	memset(in, 0, sizeof *in);
	if (d == NULL)
		return -1;
	while ((r = read(fd, chunk, sizeof chunk)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		digest_update(d, chunk, r);
		in->len += r;
		if (in->len > cap) {
			free(in->buf);
			in->buf = NULL;
			continue;
		}
		if (have + r > bufcap) {
			size_t ncap = bufcap ? bufcap * 2 : 65536;
			char *nb;
			while (ncap < have + r)
				ncap *= 2;
			if ((nb = realloc(in->buf, ncap)) == NULL)
				goto fail;
			in->buf = nb;
			bufcap = ncap;
		}
		memcpy(in->buf + have, chunk, r);
		have += r;
	}
	digest_final(d, in->sha256);
	if (in->buf == NULL && in->len <= cap && (in->buf = strdup("")) == NULL)
		return -1;
	return 0;
fail:
	digest_final(d, in->sha256);
	free(in->buf);
	in->buf = NULL;
	return -1;
}

static int
worse(int a, int b)
{
	/* Store trouble outranks bad input: it means nothing was kept. */
	static const int order[] = {
	    EX_OK, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL, EX_IOERR};
	int ra = 0, rb = 0;

	for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return rb > ra ? b : a;
}

/*
 * When the message was received: a file's modification time (the time
 * a delivery agent wrote it; copying with cp -p or rsync -t keeps it),
 * or now for standard input (a pipe delivery happens at receipt).
 */
static int64_t
received_at(int fd, int64_t now)
{
	struct stat sb;

	if (fd == STDIN_FILENO || fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_mtime <= 0)
		return now;
	return sb.st_mtime < now ? (int64_t)sb.st_mtime : now;
}

/*
 * One file.  The pipeline records the decision in a transaction of its
 * own, so with auto_confirm a new pledge gets its request right after,
 * never before its COMMIT.
 */
static int
ingest_one(struct engine *e, const char *name, int fd)
{
	struct pipeline_source src = {NULL, 0, 0, 0};
	struct pipeline_decision d;
	struct input in;
	int64_t now = time(NULL);
	char shown[1024];
	int rc = EX_OK;

	src.received_at = received_at(fd, now);
	if (input_read(fd, e->pp.max_message_bytes, &in) == -1) {
		log_warn("ingest: %s", name);
		return EX_NOINPUT;
	}
	switch (pipeline_process(
	    &e->pp, &src, in.buf, in.len, in.sha256, now, &d)) {
	case PIPELINE_SEEN:
		printf("%s: already recorded\n",
		    escape_text(name, shown, sizeof shown));
		break;
	case PIPELINE_BUSY:
		rc = EX_TEMPFAIL;
		break;
	case PIPELINE_ERR:
		rc = EX_IOERR;
		break;
	default:
		engine_print_decision(stdout, name, &d);
		if (e->pass != NULL)
			pass_count(e->pass, d.result.outcome);
		if (d.result.outcome == OUTCOME_PLEDGE && !e->dry_run)
			engine_auto_confirm(e, d.result.artist);
		if (d.result.reason == REASON_UNPARSEABLE)
			rc = EX_DATAERR;
	}
	free(in.buf);
	return rc;
}

static int ingest_files(struct engine *e, char **files, int n);

int
ingest_run(struct engine *e, char **files, int n)
{
	struct pass p;
	int rc;

	pass_begin(&p, e, "ingest");
	e->pass = &p;
	rc = ingest_files(e, files, n);
	e->pass = NULL;
	pass_end(&p, rc);
	return rc;
}

static int
ingest_files(struct engine *e, char **files, int n)
{
	int rc = EX_OK, one, fd;

	for (int i = 0; i < (n == 0 ? 1 : n); i++) {
		const char *name = n == 0 ? "-" : files[i];

		if (n == 0 || strcmp(name, "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("ingest: %s", name);
			rc = worse(rc, EX_NOINPUT);
			continue;
		}
		one = ingest_one(e, name, fd);
		if (fd != STDIN_FILENO)
			close(fd);
		rc = worse(rc, one);
		/* The store is failing or taken: the rest would fare alike. */
		if (one == EX_IOERR || one == EX_TEMPFAIL)
			break;
	}
	return rc;
}
