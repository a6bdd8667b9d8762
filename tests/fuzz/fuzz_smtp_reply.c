/*
 * libFuzzer target: libetpan's SMTP reply reader fed through the net
 * module's stream guard: the input is what a server says to the greeting,
 * EHLO (or HELO), MAIL FROM, RCPT TO, DATA, the message and QUIT.  Small
 * caps, so the fuzzer reaches them.
 */
#include <stdint.h>
#include <stdlib.h>

#include "memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct net_budget b = {.timeout = 60, .line_max = 1024, .untab = true};
	mailsmtp *smtp;
	mailstream *s;

	net_begin(&b, 60, 16 * 1024, 0);
	if ((smtp = mailsmtp_new(0, NULL)) == NULL)
		return 0;
	if ((s = mem_stream(data, size, &b)) == NULL) {
		mailsmtp_free(smtp);
		return 0;
	}
	/* mailsmtp_connect owns the stream, and closes it on failure. */
	if (mailsmtp_connect(smtp, s) == MAILSMTP_NO_ERROR) {
		int r = mailesmtp_ehlo(smtp);

		if (r == MAILSMTP_ERROR_NOT_IMPLEMENTED)
			r = mailsmtp_helo(smtp);
		if (r == MAILSMTP_NO_ERROR &&
		    mailsmtp_mail(smtp, "a@example.org") == MAILSMTP_NO_ERROR &&
		    mailsmtp_rcpt(smtp, "b@example.net") == MAILSMTP_NO_ERROR &&
		    mailsmtp_data(smtp) == MAILSMTP_NO_ERROR)
			(void)mailsmtp_data_message(smtp, msg, sizeof(msg) - 1);
		(void)mailsmtp_reset(smtp);
		(void)mailsmtp_quit(smtp);
	}
	mailsmtp_free(smtp);
	return 0;
}
