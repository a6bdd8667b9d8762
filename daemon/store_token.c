/*
 * store: tokens issued here and the requests that carried them.
 *
 * A token row is written when the token is made (issue), before any mail
 * goes out, and updated when the request is sent, fails or bounces: a
 * sender that crashes mid-run finds on restart which requests went out.
 * Replies are matched back to their token by the request's secret
 * reference ([ref:...] in a Subject), by jti (the reference of requests
 * sent before there was a secret one) or by the request's Message-ID
 * (In-Reply-To, References).  Only the first shows that the writer read
 * the request: classify treats the other two as public.
 *
 * Message-IDs are kept without angle brackets, so a caller may pass
 * "<x@y>" or "x@y" alike.  jtis made by pledgectl are lower-case base32
 * and may come back typed in upper case; other issuers' jtis are case
 * sensitive, so an exact match wins over a lower-cased one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "store_p.h"

/* "<id>" or " id " as "id" (new string), or NULL when out of memory. */
static char *
msgid_bare(struct store *st, const char *s)
{
	size_t len;
	char *bare;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if ((bare = strndup(s, len)) == NULL)
		log_warn("store: %s: Message-ID", st->path);
	return bare;
}

enum store_status
store_token_issue(struct store *st, const char *jti, int64_t artist_id,
    int phase, const char *token, int64_t issued_at, int64_t expires_at,
    const char *request_ref)
{
	static const char sql[] =
	    "INSERT INTO token (jti, artist_id, phase, token, issued_at,"
	    " expires_at, request_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " lower(?7)) ON CONFLICT (jti) DO NOTHING";
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r;

	if ((stmt = store_stmt(st, SS_TOKEN_ISSUE, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 2, artist_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 3, phase)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 4, token, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 5, issued_at)) != SQLITE_OK ||
	    (r = sqlite3_bind_int64(stmt, 6, expires_at)) != SQLITE_OK ||
	    (r = sqlite3_bind_text(stmt, 7, request_ref, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_step(stmt)) != SQLITE_DONE)
		rc = store_fail(st, r, "token");
	else
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_DUPLICATE;
	store_stmt_done(stmt);
	return rc;
}

/*
 * Run a token update bound as (?1 jti, ?2 text or NULL, ?3 integer), as
 * far as the statement has parameters; STORE_NOT_FOUND when no token has
 * that jti.
 */
static enum store_status
token_update(struct store *st, enum store_stmt id, const char *sql,
    const char *jti, const char *text, int64_t value)
{
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r, n;

	if ((stmt = store_stmt(st, id, sql)) == NULL)
		return STORE_ERR;
	n = sqlite3_bind_parameter_count(stmt);
	if ((r = sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (n >= 2 &&
		(r = sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC)) !=
		    SQLITE_OK) ||
	    (n >= 3 && (r = sqlite3_bind_int64(stmt, 3, value)) != SQLITE_OK)) {
		rc = store_fail(st, r, "token");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_CONSTRAINT_UNIQUE) {
		/* Another request already has this Message-ID. */
		rc = STORE_DUPLICATE;
	} else if (r != SQLITE_DONE)
		rc = store_fail(st, r, "token");
	else
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_NOT_FOUND;
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_token_sent(struct store *st, const char *jti,
    const char *request_message_id, int64_t sent_at)
{
	static const char sql[] =
	    "UPDATE token SET state = 'sent', request_message_id = ?2,"
	    " sent_at = ?3, last_error = NULL WHERE jti = ?1";
	enum store_status rc;
	char *bare;

	if ((bare = msgid_bare(st, request_message_id)) == NULL)
		return STORE_ERR;
	rc = token_update(st, SS_TOKEN_SENT, sql, jti, bare, sent_at);
	free(bare);
	return rc;
}

enum store_status
store_token_failed(struct store *st, const char *jti, const char *error)
{
	/* A request that went out once stays 'sent'; the error is kept. */
	static const char sql[] =
	    "UPDATE token SET last_error = ?2, state = CASE state"
	    " WHEN 'issued' THEN 'failed' ELSE state END WHERE jti = ?1";

	return token_update(st, SS_TOKEN_FAILED, sql, jti, error, 0);
}

enum store_status
store_token_deferred(struct store *st, const char *jti, const char *error)
{
	static const char sql[] =
	    "UPDATE token SET last_error = ?2 WHERE jti = ?1";

	return token_update(st, SS_TOKEN_DEFERRED, sql, jti, error, 0);
}

enum store_status
store_token_mark_bounced(struct store *st, const char *jti)
{
	static const char sql[] =
	    "UPDATE token SET state = 'bounced' WHERE jti = ?1";

	return token_update(st, SS_TOKEN_BOUNCED, sql, jti, NULL, 0);
}

/*
 * Step a look-up whose row is (token, jti): copy the token (new string)
 * and, when 'jti' is not NULL, the jti.
 */
static enum store_status
token_row(struct store *st, sqlite3_stmt *stmt, char **token,
    char jti[STORE_JTI_MAX + 1])
{
	const unsigned char *text, *id;
	int r;

	*token = NULL;
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE)
		return STORE_NOT_FOUND;
	if (r != SQLITE_ROW)
		return store_fail(st, r, "token");
	text = sqlite3_column_text(stmt, 0);
	id = sqlite3_column_text(stmt, 1);
	if (text == NULL || id == NULL) /* forgotten */
		return STORE_NOT_FOUND;
	if (jti != NULL &&
	    snprintf(jti, STORE_JTI_MAX + 1, "%s", (const char *)id) >
		STORE_JTI_MAX) {
		log_warnx("store: %s: token: jti longer than %d", st->path,
		    STORE_JTI_MAX);
		return STORE_ERR;
	}
	if ((*token = strdup((const char *)text)) == NULL) {
		log_warn("store: %s: token", st->path);
		return STORE_ERR;
	}
	return STORE_OK;
}

enum store_status
store_token_by_jti(struct store *st, const char *jti, char **token)
{
	static const char sql[] =
	    "SELECT token, jti FROM token WHERE jti IN (?1, lower(?1))"
	    " ORDER BY jti = ?1 DESC LIMIT 1";
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r;

	*token = NULL;
	if ((stmt = store_stmt(st, SS_TOKEN_BY_JTI, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		rc = store_fail(st, r, "token");
	else
		rc = token_row(st, stmt, token, NULL);
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_token_by_ref(struct store *st, const char *ref, char **token,
    char jti[STORE_JTI_MAX + 1])
{
	static const char sql[] = "SELECT token, jti FROM token"
				  " WHERE request_ref = lower(?1)";
	sqlite3_stmt *stmt;
	enum store_status rc;
	int r;

	*token = NULL;
	if ((stmt = store_stmt(st, SS_TOKEN_BY_REF, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, ref, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		rc = store_fail(st, r, "token");
	else
		rc = token_row(st, stmt, token, jti);
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_token_by_request(struct store *st, const char *message_id, char **token,
    char jti[STORE_JTI_MAX + 1])
{
	static const char sql[] = "SELECT token, jti FROM token"
				  " WHERE request_message_id = ?1";
	sqlite3_stmt *stmt;
	enum store_status rc;
	char *bare;
	int r;

	*token = NULL;
	if ((bare = msgid_bare(st, message_id)) == NULL)
		return STORE_ERR;
	if ((stmt = store_stmt(st, SS_TOKEN_BY_REQUEST, sql)) == NULL) {
		free(bare);
		return STORE_ERR;
	}
	if ((r = sqlite3_bind_text(stmt, 1, bare, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		rc = store_fail(st, r, "token");
	else
		rc = token_row(st, stmt, token, jti);
	store_stmt_done(stmt);
	free(bare);
	return rc;
}

enum store_status
store_token_latest(
    struct store *st, int64_t artist_id, int phase, struct store_token *out)
{
	static const char sql[] =
	    "SELECT jti, token, issued_at, expires_at, coalesce(sent_at, 0),"
	    " state, request_ref FROM token WHERE artist_id = ?1 AND phase = ?2"
	    " ORDER BY issued_at DESC, rowid DESC LIMIT 1";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_OK;
	const unsigned char *jti, *text, *state, *ref;
	int r;

	memset(out, 0, sizeof(*out));
	if ((stmt = store_stmt(st, SS_TOKEN_LATEST, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_int64(stmt, 1, artist_id)) != SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 2, phase)) != SQLITE_OK) {
		rc = store_fail(st, r, "token");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (r != SQLITE_ROW) {
		rc = store_fail(st, r, "token");
		goto out;
	}
	jti = sqlite3_column_text(stmt, 0);
	text = sqlite3_column_text(stmt, 1);
	state = sqlite3_column_text(stmt, 5);
	ref = sqlite3_column_text(stmt, 6);
	if (ref != NULL &&
	    snprintf(out->request_ref, sizeof(out->request_ref), "%s",
		(const char *)ref) > STORE_JTI_MAX)
		out->request_ref[0] = '\0'; /* none of ours: no reference */
	if (jti == NULL || state == NULL ||
	    snprintf(out->jti, sizeof(out->jti), "%s", (const char *)jti) >
		STORE_JTI_MAX) {
		log_warnx("store: %s: token: bad jti", st->path);
		rc = STORE_ERR;
		goto out;
	}
	/* The CHECK allows only words shorter than the buffer. */
	snprintf(out->state, sizeof(out->state), "%s", (const char *)state);
	out->artist_id = artist_id;
	out->phase = phase;
	out->issued_at = sqlite3_column_int64(stmt, 2);
	out->expires_at = sqlite3_column_int64(stmt, 3);
	out->sent_at = sqlite3_column_int64(stmt, 4);
	if (text != NULL && (out->token = strdup((const char *)text)) == NULL) {
		log_warn("store: %s: token", st->path);
		rc = STORE_ERR;
	}
out:
	store_stmt_done(stmt);
	return rc;
}

enum store_status
store_artist_phase(struct store *st, const char *address, int phase,
    struct store_artist_phase *out)
{
	/* The same view organizers read, so "answered" never disagrees. */
	static const char sql[] =
	    "SELECT s.artist_id, coalesce(s.pledge_state, ''), s.name,"
	    " s.forgotten, (?2 = 1 AND s.phase1_confirmed) OR EXISTS (SELECT 1"
	    "  FROM confirmation c WHERE c.artist_id IN (SELECT l.id FROM"
	    "  artist l WHERE l.id = s.artist_id OR l.linked_to = s.artist_id)"
	    "  AND c.phase = ?2), s.excluded, s.linked_to IS NOT NULL,"
	    " coalesce((SELECT address_changed_at FROM artist a"
	    "  WHERE a.id = s.artist_id), 0)"
	    " FROM artist_status s WHERE s.address = lower(?1)";
	sqlite3_stmt *stmt;
	enum store_status rc = STORE_OK;
	const unsigned char *state, *name;
	int r;

	memset(out, 0, sizeof(*out));
	if ((stmt = store_stmt(st, SS_ARTIST_PHASE, sql)) == NULL)
		return STORE_ERR;
	if ((r = sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC)) !=
		SQLITE_OK ||
	    (r = sqlite3_bind_int(stmt, 2, phase)) != SQLITE_OK) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (r != SQLITE_ROW) {
		rc = store_fail(st, r, "artist");
		goto out;
	}
	out->artist_id = sqlite3_column_int64(stmt, 0);
	state = sqlite3_column_text(stmt, 1);
	/* The schema's CHECK allows only words shorter than the buffer. */
	snprintf(out->pledge_state, sizeof(out->pledge_state), "%s",
	    state ? (const char *)state : "");
	name = sqlite3_column_text(stmt, 2);
	out->forgotten = sqlite3_column_int(stmt, 3) != 0;
	out->answered = sqlite3_column_int(stmt, 4) != 0;
	out->excluded = sqlite3_column_int(stmt, 5) != 0;
	out->linked = sqlite3_column_int(stmt, 6) != 0;
	out->address_changed_at = sqlite3_column_int64(stmt, 7);
	if (name != NULL && name[0] != '\0' &&
	    (out->name = strdup((const char *)name)) == NULL) {
		log_warn("store: artist");
		rc = STORE_ERR;
	}
out:
	store_stmt_done(stmt);
	return rc;
}
