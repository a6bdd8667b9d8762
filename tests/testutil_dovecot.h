/*
 * A private dovecot for tests (contrib/testenv/dovecot.sh), seen from C.
 * Test code only.  Start one per cmocka group (group setup) and stop it
 * in the group teardown, so a failing test still stops the server; a
 * watchdog in the script stops it as well if the test process dies.
 * Every function fails the test (fail_msg) on error.
 */
#ifndef PLEDGED_TESTUTIL_DOVECOT_H
#define PLEDGED_TESTUTIL_DOVECOT_H

#include <sys/types.h>

#include <stddef.h>

/* All strings belong to the struct; read-only for callers. */
struct tu_dovecot {
	char *dir;	       /* the instance's directory */
	char *host;	       /* "127.0.0.1" */
	int imap_port;	       /* plain, STARTTLS offered (ssl = required) */
	int imaps_port;	       /* implicit TLS */
	char *ca_file;	       /* the CA that signed the server certificate */
	char *other_ca_file;   /* an unrelated CA */
	char *wrong_ca_host;   /* serves a certificate from the other CA */
	char *wrong_name_host; /* serves one for "wrong.invalid" only */
	char *expired_host;    /* serves an expired one */
	char *user;	       /* "campaign" */
	char *password;	       /* the campaign user's */
	char *password_file;   /* holds it, mode 0600 */
	char *artist_password; /* artist1..artist3 share it */
	char *maildir;	       /* the campaign user's INBOX */
	char *mail_root;       /* DIR/mail: one maildir per user */
	char *conf;	       /* dovecot.conf (for doveadm -c) */
	char *log;	       /* dovecot's log */
	char *lmtp_socket;
	uid_t mail_uid;
	gid_t mail_gid;
	pid_t pid; /* master; its process group holds all its children */
};

/* Start an instance in a new temporary directory (about half a second). */
struct tu_dovecot *tu_dovecot_start(void);
/*
 * Stop it, remove its directory (kept when PLEDGED_TEST_KEEP is set), free
 * it.  NULL is a no-op.
 */
void tu_dovecot_stop(struct tu_dovecot *d);
/*
 * Put a message into 'user''s INBOX by writing it into the maildir's new/
 * (through tmp/, owned by the mail user).  The fast path: successive
 * calls get increasing file names, and dovecot assigns UIDs in that order.
 */
void tu_dovecot_deliver(
    struct tu_dovecot *d, const char *user, const void *raw, size_t len);
/* Append a NUL-terminated message with doveadm save into 'mailbox'. */
void tu_dovecot_append(struct tu_dovecot *d, const char *user,
    const char *mailbox, const char *raw);
/* Stop (SIGSTOP) or continue (SIGCONT) every process of the instance. */
void tu_dovecot_freeze(struct tu_dovecot *d, int frozen);
/* True when dovecot's log contains 'needle'. */
int tu_dovecot_log_has(struct tu_dovecot *d, const char *needle);

#endif
