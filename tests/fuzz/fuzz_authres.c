/*
 * libFuzzer target: Authentication-Results parsing.  The input is split
 * at its first NUL byte (if any) into two header fields, topmost first,
 * and read for the authserv-id "mx.example.org" and the domain
 * "example.org".  A pass is only ever a well-formed dmarc=pass with
 * header.from=example.org in the topmost field of ours; here the target
 * checks that the parser never reads out of bounds and always ends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2), *fields[2];
	size_t n = 1;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	fields[0] = buf;
	fields[1] = buf + strlen(buf) + 1;
	if (fields[1] <= buf + size)
		n = 2;
	(void)authres_dmarc(fields, n, "mx.example.org", "example.org");
	free(buf);
	return 0;
}
