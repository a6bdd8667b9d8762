/*
 * libFuzzer target: message_parse in process on arbitrary bytes, so
 * that a libetpan crash our bounds do not stop shows up here (the
 * daemon itself parses through the worker, where it would cost one
 * message).  Every output string must be valid UTF-8, and the time
 * read from the Date header stays within its clamp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/message_p.h"
#include "pledged/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message *m = NULL;
	const char *why = NULL;

	if (message_parse((const char *)data, size, NULL, &m, &why) ==
	    MESSAGE_OK) {
		for (size_t i = 0; i < m->n_parts; i++)
			if (!msg_utf8_valid(
				m->parts[i].text, m->parts[i].len) ||
			    strlen(m->parts[i].text) != m->parts[i].len)
				abort();
		if (m->subject != NULL &&
		    !msg_utf8_valid(m->subject, strlen(m->subject)))
			abort();
		if (m->from_name != NULL &&
		    !msg_utf8_valid(m->from_name, strlen(m->from_name)))
			abort();
		/* The Date header: never after the receipt, never more
		 * than a year and a day before it. */
		int64_t w = message_written_at(m->date, 2000000000);
		if (w > 2000000000 || w < 2000000000 - 366 * 86400)
			abort();
	}
	message_free(m);
	return 0;
}
