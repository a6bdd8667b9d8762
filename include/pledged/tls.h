/*
 * tls: verify a server's certificate chain and host name.
 *
 * libetpan checks no certificate at all (LIBETPAN.md), so imap and smtp
 * hand the DER chain they received to this module after the handshake and
 * before any credential is sent.  The only user of GnuTLS's verification
 * API; knows nothing of libetpan.
 */
#ifndef PLEDGED_TLS_H
#define PLEDGED_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* One DER certificate, borrowed from the caller. */
struct tls_cert {
	const unsigned char *der;
	size_t len;
};

enum tls_status {
	TLS_OK = 0,
	TLS_REJECTED, /* the chain does not verify for this host */
	TLS_ERROR,    /* could not check: bad trust file, bad DER, memory */
};

/*
 * Verify 'chain' (n certificates, the server's leaf first, then any
 * intermediates it sent) as a TLS server certificate for 'host' (a DNS
 * name or an IP address literal), trusting only the CAs in 'ca_file' (PEM)
 * or, when 'ca_file' is NULL, the system store.  Returns TLS_OK only when
 * GnuTLS reports no problem at all.  Otherwise fills 'reason' (size
 * 'reasonsz', always NUL-terminated when reasonsz > 0) with why, for
 * example "The certificate is NOT trusted. The certificate issuer is
 * unknown." or "The name in the certificate does not match the expected.",
 * and returns TLS_REJECTED or TLS_ERROR.  Logs nothing: the caller says
 * which connection failed.
 */
enum tls_status tls_verify_chain(const struct tls_cert *chain, size_t n,
    const char *host, const char *ca_file, char *reason, size_t reasonsz);

/*
 * When a TLS mode does not match the well-known port it is aimed at --
 * implicit TLS to IMAP 143 or SMTP 25/587, STARTTLS or none to IMAP 993
 * or SMTP 465 -- a sentence naming the likely cause and the fix, for
 * --check-config and the log.  With 'generic', after a failed handshake
 * or greeting, a sentence for any other port too, naming the other mode
 * as the likely cause; without it, NULL when the pair looks right.
 * 'proto' is "imap" or "smtp".  A static string.
 */
const char *tls_port_hint(
    const char *proto, bool implicit, int port, bool generic);

#endif
