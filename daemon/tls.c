/*
 * tls: certificate chain and host name verification with GnuTLS's trust
 * lists.  See tls.h.
 *
 * gnutls_x509_trust_list_verify_crt2 does chain building, signatures,
 * validity dates, key usage (GNUTLS_KP_TLS_WWW_SERVER) and the host name
 * (RFC 6125, IP addresses against iPAddress SANs) in one call.  We accept
 * only a return >= 0 with a status of 0: any flag set is a refusal.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "pledged/tls.h"

/* More than any real server sends; bounds the work on a hostile peer. */
#define TLS_MAX_CHAIN 16

static void
set_reason(char *reason, size_t reasonsz, const char *fmt, ...)
{
	va_list ap;

	if (reason == NULL || reasonsz == 0)
		return;
	va_start(ap, fmt);
	/* Truncation is fine: the reason is for a log line. */
	(void)vsnprintf(reason, reasonsz, fmt, ap);
	va_end(ap);
}

/* Short names for the status bits an operator will meet. */
static const struct {
	unsigned int flag;
	const char *text;
} status_names[] = {
    {GNUTLS_CERT_SIGNER_NOT_FOUND, "certificate signer not found"},
    {GNUTLS_CERT_UNEXPECTED_OWNER, "host name mismatch"},
    {GNUTLS_CERT_EXPIRED, "certificate expired"},
    {GNUTLS_CERT_NOT_ACTIVATED, "certificate not yet valid"},
    {GNUTLS_CERT_PURPOSE_MISMATCH, "not a TLS server certificate"},
    {GNUTLS_CERT_SIGNER_NOT_CA, "signer is not a CA"},
    {GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature"},
    {GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm"},
    {GNUTLS_CERT_REVOKED, "certificate revoked"},
    {GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "signer constraints"},
};

/*
 * "certificate signer not found, host name mismatch": our names for the
 * known bits, then GnuTLS's own sentence for anything else.
 */
static void
describe_status(unsigned int status, char *reason, size_t reasonsz)
{
	unsigned int left = status & ~(unsigned int)GNUTLS_CERT_INVALID;
	size_t used = 0, i;
	gnutls_datum_t out = {NULL, 0};

	if (reason == NULL || reasonsz == 0)
		return;
	reason[0] = '\0';
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		int w;

		if ((status & status_names[i].flag) == 0)
			continue;
		left &= ~status_names[i].flag;
		w = snprintf(reason + used, reasonsz - used, "%s%s",
		    used > 0 ? ", " : "", status_names[i].text);
		if (w < 0 || (size_t)w >= reasonsz - used)
			return; /* truncated: enough said */
		used += (size_t)w;
	}
	if (left == 0 && used > 0)
		return;
	if (gnutls_certificate_verification_status_print(
		status, GNUTLS_CRT_X509, &out, 0) < 0)
		(void)snprintf(reason + used, reasonsz - used, "%sstatus 0x%x",
		    used > 0 ? ", " : "", status);
	else
		(void)snprintf(reason + used, reasonsz - used, "%s%s",
		    used > 0 ? ": " : "", out.data);
	gnutls_free(out.data);
}

static enum tls_status
load_trust(gnutls_x509_trust_list_t tl, const char *ca_file, char *reason,
    size_t reasonsz)
{
	int r;

	if (ca_file != NULL)
		r = gnutls_x509_trust_list_add_trust_file(
		    tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r < 0) {
		set_reason(reason, reasonsz, "cannot load %s: %s",
		    ca_file != NULL ? ca_file : "the system CA store",
		    gnutls_strerror(r));
		return TLS_ERROR;
	}
	if (r == 0) {
		/* An empty file trusts nothing: say so rather than
		 * "issuer unknown". */
		set_reason(reason, reasonsz, "no CA certificate in %s",
		    ca_file != NULL ? ca_file : "the system CA store");
		return TLS_ERROR;
	}
	return TLS_OK;
}

enum tls_status
tls_verify_chain(const struct tls_cert *chain, size_t n, const char *host,
    const char *ca_file, char *reason, size_t reasonsz)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[TLS_MAX_CHAIN];
	unsigned int status = 0;
	size_t ncrt = 0, i;
	enum tls_status rc = TLS_ERROR;
	int r;
	gnutls_typed_vdata_st vdata[2] = {
	    {GNUTLS_DT_DNS_HOSTNAME, NULL, 0},
	    {GNUTLS_DT_KEY_PURPOSE_OID, NULL, 0},
	};

	set_reason(reason, reasonsz, "%s", "");
	if (host == NULL || *host == '\0') {
		set_reason(reason, reasonsz, "no host name to check");
		return TLS_ERROR;
	}
	if (n == 0) {
		set_reason(reason, reasonsz, "no server certificate");
		return TLS_REJECTED;
	}
	if (n > TLS_MAX_CHAIN) {
		set_reason(reason, reasonsz, "chain of %zu certificates", n);
		return TLS_REJECTED;
	}
	for (i = 0; i < n; i++) {
		gnutls_datum_t der;

		if (chain[i].len > 0xffffffffu) {
			set_reason(reason, reasonsz, "certificate too large");
			rc = TLS_REJECTED;
			goto out;
		}
		der.data = (unsigned char *)(uintptr_t)chain[i].der;
		der.size = (unsigned int)chain[i].len;
		if ((r = gnutls_x509_crt_init(&crts[ncrt])) < 0) {
			set_reason(reason, reasonsz, "%s", gnutls_strerror(r));
			goto out;
		}
		ncrt++;
		r = gnutls_x509_crt_import(crts[i], &der, GNUTLS_X509_FMT_DER);
		if (r < 0) {
			set_reason(reason, reasonsz, "certificate %zu: %s", i,
			    gnutls_strerror(r));
			rc = TLS_REJECTED;
			goto out;
		}
	}
	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0) {
		set_reason(reason, reasonsz, "%s", gnutls_strerror(r));
		goto out;
	}
	if ((rc = load_trust(tl, ca_file, reason, reasonsz)) != TLS_OK)
		goto out;
	rc = TLS_ERROR;

	vdata[0].data = (unsigned char *)(uintptr_t)host;
	vdata[1].data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER;
	r = gnutls_x509_trust_list_verify_crt2(
	    tl, crts, (unsigned int)ncrt, vdata, 2, 0, &status, NULL);
	if (r < 0) {
		set_reason(reason, reasonsz, "verification error: %s",
		    gnutls_strerror(r));
		rc = TLS_REJECTED;
		goto out;
	}
	if (status != 0) {
		describe_status(status, reason, reasonsz);
		rc = TLS_REJECTED;
		goto out;
	}
	rc = TLS_OK;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}

const char *
tls_port_hint(const char *proto, bool implicit, int port, bool generic)
{
	bool imap = strcmp(proto, "imap") == 0;

	if (imap && implicit && port == 143)
		return "port 143 is plain IMAP, upgraded with STARTTLS: set "
		       "tls = starttls, or port = 993 for implicit TLS";
	if (imap && !implicit && port == 993)
		return "port 993 is IMAP over implicit TLS: set tls = "
		       "implicit, or port = 143 for STARTTLS";
	if (!imap && implicit && (port == 587 || port == 25))
		return "ports 587 and 25 speak SMTP upgraded with STARTTLS: "
		       "set tls = starttls, or port = 465 for implicit TLS";
	if (!imap && !implicit && port == 465)
		return "port 465 is SMTP over implicit TLS: set tls = "
		       "implicit, or port = 587 for STARTTLS";
	if (!generic)
		return NULL;
	if (implicit)
		return imap ? "if this port speaks plain IMAP and offers "
			      "STARTTLS (usually 143), set tls = starttls"
			    : "if this port speaks plain SMTP and offers "
			      "STARTTLS (usually 587), set tls = starttls";
	return imap ? "a server that expects TLS from the first byte "
		      "(usually port 993) sends no greeting: if this is one, "
		      "set tls = implicit"
		    : "a server that expects TLS from the first byte "
		      "(usually port 465) sends no greeting: if this is one, "
		      "set tls = implicit";
}
