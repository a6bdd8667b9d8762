/*
 * imap: one authenticated IMAP session over verified TLS.
 *
 * The only module that speaks IMAP (through libetpan).  It connects
 * (implicit TLS, STARTTLS, or plaintext to a loopback address only),
 * verifies the server's certificate with the tls module before LOGIN,
 * and offers the few operations pledged needs: select, search for new
 * UIDs, fetch sizes and bodies without setting \Seen, add a keyword, move,
 * append, and IDLE.  Every operation is bounded in time: a dead or stalled
 * server costs about 'timeout' seconds and IMAP_TEMPFAIL, never a hang.
 * And in bytes (the net module's guard): a line, an answer and a literal
 * each have a cap, a message literal no more than max_message_bytes and
 * than the RFC822.SIZE the server announced; a server that breaks one
 * gets IMAP_PROTOCOL and a closed connection.
 *
 * Errors are logged once here, prefixed "imap: "; the password never
 * appears in any message.  After IMAP_TEMPFAIL or IMAP_PROTOCOL from a
 * stream error the connection is dead: every further call returns
 * IMAP_TEMPFAIL; close it and connect again.
 *
 * All memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_IMAP_H
#define PLEDGED_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_tls {
	IMAP_TLS_IMPLICIT, /* TLS from the first byte (port 993) */
	IMAP_TLS_STARTTLS, /* plaintext greeting, then STARTTLS (port 143) */
	IMAP_TLS_NONE,	   /* no TLS: refused unless the peer is loopback */
};

/* Borrowed for the duration of imap_connect only. */
struct imap_params {
	const char *host; /* DNS name or address; also the name checked */
	int port;	  /* 1..65535 */
	enum imap_tls tls;
	const char *ca_file; /* PEM trust anchors; NULL: the system store */
	const char *user;
	const char *password;	  /* never logged */
	int timeout;		  /* seconds per network wait, > 0 */
	size_t max_message_bytes; /* no message literal may be larger;
				     0: 10 MiB */
};

/*
 * What happened, by what the caller does next.  The sysexits code of each
 * is given by imap_status_exit().
 */
enum imap_status {
	IMAP_OK = 0,
	IMAP_UNAVAILABLE, /* no connection (resolution, refused): 69 */
	IMAP_TEMPFAIL,	  /* timeout, connection lost, TLS handshake
			     failed (a stalled server looks the same):
			     retry later: 75 */
	IMAP_TLS_FAILED,  /* certificate verification failed, STARTTLS not
			     offered or refused, or plaintext to a host that
			     is not loopback: 69 (a configuration or trust
			     problem; retrying will not help until someone
			     acts) */
	IMAP_AUTH_FAILED, /* LOGIN refused: 77 */
	IMAP_PROTOCOL,	  /* the server said NO/BAD, sent garbage, or broke
			     a byte cap: 69 */
	IMAP_REFUSED,	  /* a NO or BAD to STORE, MOVE or IDLE: the
			     connection is still usable: 69 */
	IMAP_NO_MAILBOX,  /* SELECT of a mailbox that does not exist: 69 */
	IMAP_ABORTED,	  /* a fetch callback asked to stop: 75 */
};

/* An open session; opaque. */
struct imap_conn;

/* A fixed English name for a status ("tempfail", ...); never NULL. */
const char *imap_status_str(enum imap_status st);
/* The sysexits code listed above for 'st' (0 for IMAP_OK). */
int imap_status_exit(enum imap_status st);

/*
 * Connect, establish and verify TLS as 'p->tls' says, and LOGIN.  The
 * certificate chain is checked against p->ca_file and p->host before the
 * password is sent; a server that does not offer STARTTLS or whose
 * STARTTLS fails is refused, never used in plaintext.  On IMAP_OK *connp
 * is a new session to free with imap_close(); otherwise *connp is NULL.
 * Returns every status but IMAP_NO_MAILBOX and IMAP_ABORTED.
 */
enum imap_status imap_connect(
    const struct imap_params *p, struct imap_conn **connp);

/*
 * Close the connection first (a dead server costs nothing), then free.
 * NULL is a no-op.
 */
void imap_close(struct imap_conn *c);

/*
 * SELECT 'mailbox' (read-write).  On IMAP_OK *uidvalidity and *uidnext
 * are the server's (uidnext 0 if the server did not say).
 * IMAP_NO_MAILBOX when the server refuses it.
 */
enum imap_status imap_select(struct imap_conn *c, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *uidnext);
/*
 * The same for a folder named as in the configuration, with '/' between
 * levels (processed_mailbox, review_mailbox), mapped to the server's
 * hierarchy delimiter first.
 */
enum imap_status imap_select_folder(struct imap_conn *c, const char *folder,
    uint32_t *uidvalidity, uint32_t *uidnext);

/*
 * UIDs above 'last_uid' and below 'uidnext' (the value imap_select gave;
 * 0: unknown, no upper bound) in the selected mailbox, ascending, each
 * once.  A UID the server names outside that range is ignored, logged:
 * taken as the high mark, a bogus UID would hide everything below it.
 * With uidnext known, the answer may stop short of it (the UIDs of one
 * window of the range): call again above the last UID for the rest.
 * *uids is a new array the caller frees (NULL when *n is 0).
 */
enum imap_status imap_search_above(struct imap_conn *c, uint32_t last_uid,
    uint32_t uidnext, uint32_t **uids, size_t *n);

/*
 * UIDs of the messages in the selected mailbox whose Message-ID header
 * is <message_id> (given without brackets), as imap_search_above.  An
 * id that cannot be sent as an IMAP string finds nothing.
 */
enum imap_status imap_search_message_id(
    struct imap_conn *c, const char *message_id, uint32_t **uids, size_t *n);

/* sizes[i] for a UID that no longer exists. */
#define IMAP_SIZE_GONE UINT32_MAX
/* sizes[i] for a message the server answered for without its size. */
#define IMAP_SIZE_UNKNOWN (UINT32_MAX - 1)

/*
 * RFC822.SIZE of each of 'uids' (n of them) into sizes[i]:
 * IMAP_SIZE_GONE for a message missing from the answer (expunged
 * meanwhile), IMAP_SIZE_UNKNOWN for one answered without a size.
 */
enum imap_status imap_fetch_sizes(
    struct imap_conn *c, const uint32_t *uids, size_t n, uint32_t *sizes);

/*
 * Called once per fetched message with its UID, its bytes, which are
 * borrowed until the callback returns, and its INTERNALDATE (Unix
 * seconds; 0 when the server sent none).  Return 0 to go on; anything
 * else stops the fetch (imap_fetch returns IMAP_ABORTED).
 */
typedef int imap_fetch_cb(void *arg, uint32_t uid, const char *data, size_t len,
    int64_t internaldate);

/*
 * Fetch the whole messages 'uids' with BODY.PEEK[] (\Seen is left alone)
 * in batches, calling 'cb' at most once per UID, in the order the server
 * sends them.  'sizes' (may be NULL) are the sizes imap_fetch_sizes gave:
 * no literal may be longer than the largest of its batch, nor than
 * max_message_bytes (else IMAP_PROTOCOL, connection closed), and a body
 * longer than its own UID's size is not handed over (logged).  UIDs the
 * server does not hand over are skipped: compare what 'cb' saw.
 */
enum imap_status imap_fetch(struct imap_conn *c, const uint32_t *uids,
    const uint32_t *sizes, size_t n, imap_fetch_cb *cb, void *arg);

/*
 * Add the keyword (e.g. "$Pledged") to each of 'uids' (+FLAGS.SILENT).
 * IMAP_REFUSED when the server says NO or BAD (read-only access, no
 * custom keywords): the connection stays usable.
 */
enum imap_status imap_add_keyword(
    struct imap_conn *c, const uint32_t *uids, size_t n, const char *keyword);

/*
 * Move 'uids' to 'mailbox' (ASCII name), creating it when LIST shows it
 * missing.  Uses MOVE when the server offers it; else COPY, +FLAGS
 * \Deleted and UID EXPUNGE (UIDPLUS); without UIDPLUS a plain EXPUNGE,
 * which also removes any other message someone marked \Deleted in the
 * selected mailbox: such a server is rare, and the copies are safe.
 * IMAP_REFUSED when the server says NO or BAD to a step.
 */
enum imap_status imap_move(
    struct imap_conn *c, const uint32_t *uids, size_t n, const char *mailbox);

/* APPEND 'len' bytes as a new message to 'mailbox' (no flags). */
enum imap_status imap_append(
    struct imap_conn *c, const char *mailbox, const char *data, size_t len);

/* Whether the server offers IDLE. */
bool imap_has_idle(struct imap_conn *c);

/*
 * IDLE on the selected mailbox for at most 'seconds' (keep it well under
 * 29 minutes).  *activity is true when the server sent something (new
 * mail, expunges, flags): run the search again either way, since an IDLE
 * notice can be lost.  A signal (EINTR) ends the wait early, with
 * IMAP_OK and no activity.  Any error returns IMAP_TEMPFAIL: reconnect.
 */
enum imap_status imap_idle_wait(
    struct imap_conn *c, int seconds, bool *activity);

#endif
