/*
 * libFuzzer target for the addr module: the first mailbox of arbitrary
 * header bytes, and the validity of what comes out.  Checks that the
 * address and the name are no longer than the input, and that the
 * verdict and its reason agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *addr = NULL, *name = NULL, *s;

	if (addr_parse_mailbox((const char *)data, size, &addr, &name) != 0)
		return 0;
	if ((addr != NULL && strlen(addr) > size) ||
	    (name != NULL && strlen(name) > 2 * size + 2))
		abort();
	if (addr != NULL &&
	    addr_valid(addr) != (addr_invalid_reason(addr) == NULL))
		abort();
	free(addr);
	free(name);
	/* The bytes themselves as an address (NUL-terminated copy). */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)addr_valid(s);
	free(s);
	return 0;
}
