/*
 * smtp: message submission over libetpan (DESIGN.md "[smtp]", LIBETPAN.md
 * "SMTP" and "TLS: libetpan verifies nothing").
 *
 * The only module that includes libetpan's SMTP API.  A session is one
 * connection: implicit TLS (465) or STARTTLS (587), the server's
 * certificate chain and host name verified before anything else is said
 * (the tls module), SNI sent, then AUTH PLAIN or LOGIN when a user is
 * configured.  Plain SMTP only to a loopback address, and never AUTH over
 * it unless the address is loopback.  A STARTTLS that fails is fatal,
 * never a fallback to plain text.  Every operation has a timeout.
 *
 * Each request is personal, so a message goes to one recipient per
 * transaction (MAIL, RCPT, DATA); the reply code of the first command
 * that fails decides: 4xx is temporary, 5xx permanent.
 *
 * The password is never logged.  Errors are logged once, here ("smtp:
 * HOST: ..."), and returned as a status.
 *
 * Memory: all memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_SMTP_H
#define PLEDGED_SMTP_H

#include <stddef.h>

#include "pledged/config.h"

enum smtp_status {
	SMTP_OK = 0,
	SMTP_TEMPFAIL,	  /* 4xx, a timeout or a dropped connection: later */
	SMTP_PERMFAIL,	  /* 5xx for this message or recipient */
	SMTP_UNAVAILABLE, /* cannot connect, no TLS, certificate refused */
	SMTP_AUTH,	  /* the server refused the login */
	SMTP_ERR,	  /* local: memory, bad arguments */
};

struct smtp_opts {
	const char *host;
	int port;
	enum config_tls tls;
	const char *ca_file;  /* NULL: the system CA store */
	const char *user;     /* NULL: no AUTH */
	const char *password; /* with user; borrowed, never logged */
	int timeout;	      /* seconds, per operation */
};

struct smtp;

/*
 * Connect, greet (EHLO), secure, verify and log in.  Returns SMTP_OK with
 * *out (free with smtp_close), or SMTP_UNAVAILABLE (connection, greeting,
 * TLS or certificate), SMTP_AUTH (login refused, or AUTH needed but not
 * offered), SMTP_TEMPFAIL (timeout, 4xx greeting), SMTP_ERR.  'why' (may
 * be NULL) gets a one-line reason for the user.
 */
enum smtp_status smtp_open(
    const struct smtp_opts *, struct smtp **out, char *why, size_t whylen);

/*
 * Submit the 'len' bytes at 'msg' (RFC 5322, CRLF line ends) from the
 * envelope sender 'mail_from' to 'rcpt'.  On SMTP_TEMPFAIL and
 * SMTP_PERMFAIL, 'reply' (may be NULL) gets the server's reply ("550
 * 5.1.1 <x@y>: Recipient address rejected"), control characters removed.
 * After SMTP_TEMPFAIL from a timeout or a dropped connection the session
 * is dead: close it and open another.
 */
enum smtp_status smtp_send(struct smtp *, const char *mail_from,
    const char *rcpt, const char *msg, size_t len, char *reply,
    size_t replylen);

/* Is the session still usable after the last call? */
int smtp_alive(const struct smtp *);

/* QUIT (not waiting long) and free.  NULL is a no-op. */
void smtp_close(struct smtp *);

#endif
