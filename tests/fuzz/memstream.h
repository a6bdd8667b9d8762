/*
 * For the protocol fuzz targets: a libetpan stream whose "server" is the
 * fuzzer's input (reads hand it out in pieces, writes are swallowed),
 * with the net module's guard in between, as on a real connection.  The
 * piece sizes come from the input's first byte, so the fuzzer also
 * tries the splits a network makes.
 */
#ifndef PLEDGED_FUZZ_MEMSTREAM_H
#define PLEDGED_FUZZ_MEMSTREAM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "pledged/net.h"

struct mem {
	const uint8_t *data;
	size_t len, off, piece;
};

static ssize_t
mem_read(mailstream_low *s, void *buf, size_t count)
{
	struct mem *m = s->data;
	size_t n = m->len - m->off;

	if (n > count)
		n = count;
	if (n > m->piece)
		n = m->piece;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	return (ssize_t)n; /* 0 at the end: the guard makes it an error */
}

static ssize_t
mem_write(mailstream_low *s, const void *buf, size_t count)
{
	(void)s;
	(void)buf;
	return (ssize_t)count;
}

static int
mem_close(mailstream_low *s)
{
	(void)s;
	return 0;
}

static int
mem_get_fd(mailstream_low *s)
{
	(void)s;
	return -1;
}

static void
mem_free(mailstream_low *s)
{
	free(s->data);
	free(s);
}

static void
mem_cancel(mailstream_low *s)
{
	(void)s;
}

static mailstream_low_driver mem_driver = {
    .mailstream_read = mem_read,
    .mailstream_write = mem_write,
    .mailstream_close = mem_close,
    .mailstream_get_fd = mem_get_fd,
    .mailstream_free = mem_free,
    .mailstream_cancel = mem_cancel,
};

/* A guarded stream over data[0..len-1]; NULL when out of memory. */
static mailstream *
mem_stream(const uint8_t *data, size_t len, struct net_budget *b)
{
	struct mem *m = calloc(1, sizeof(*m));
	mailstream_low *low;
	mailstream *s;

	if (m == NULL)
		return NULL;
	m->piece = len > 0 ? (size_t)data[0] % 64 + 1 : 1;
	m->data = len > 0 ? data + 1 : data;
	m->len = len > 0 ? len - 1 : 0;
	if ((low = mailstream_low_new(m, &mem_driver)) == NULL) {
		free(m);
		return NULL;
	}
	if ((s = mailstream_new(low, 8192)) == NULL) {
		mailstream_low_free(low);
		return NULL;
	}
	if (!net_guard_install(s, b)) {
		mailstream_close(s);
		return NULL;
	}
	return s;
}

#endif
