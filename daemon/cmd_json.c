/*
 * The JSON forms of pledgectl's objects, shared by list, show, review,
 * status and verify --json.  The member names are those of the export's
 * columns (cmd_export.c), so a script reads an artist or a message the
 * same way whichever command printed it; they are an interface
 * (pledgectl(1)): add, never rename.  Times are RFC 3339 UTC strings, a
 * missing value is null.  Text from mail that is not UTF-8 (which JSON
 * cannot carry) has its other bytes as '?'.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/cmd.h"
#include "pledged/store.h"

json_t *
cmd_json_str(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *
cmd_json_time(int64_t t)
{
	char buf[CMD_TIME_MAX];
	const char *s = cmd_time_rfc3339(t, buf);

	return s != NULL ? json_string(s) : json_null();
}

static json_t *
int_or_null(int64_t v, bool null)
{
	return null ? json_null() : json_integer(v);
}

json_t *
cmd_json_artist(const struct store_artist_row *r)
{
	return json_pack(
	    "{s:I,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:b,s:o,s:o,s:o,s:b,s:b}",
	    "id", (json_int_t)r->id, "address", cmd_json_str(r->address),
	    "name", cmd_json_str(r->name), "pledge_state",
	    cmd_json_str(r->pledge_state), "phase1_state",
	    cmd_json_str(r->phase1_state), "phase2_state",
	    cmd_json_str(r->phase2_state), "phase1_confirmed",
	    r->phase1_confirmed, "phase2_confirmed", r->phase2_confirmed,
	    "declined", r->declined, "forgotten", r->forgotten, "created_at",
	    cmd_json_time(r->created_at), "last_change",
	    cmd_json_time(r->last_change), "pledge_source",
	    cmd_json_str(r->pledge_source), "excluded", r->excluded, "linked",
	    r->linked);
}

json_t *
cmd_json_message(const struct store_audit_row *r)
{
	const struct store_audit *a = &r->audit;
	bool imap = a->mailbox != NULL;
	json_t *o;

	o = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	    (json_int_t)r->id, "mailbox", cmd_json_str(a->mailbox),
	    "uidvalidity", int_or_null(a->uidvalidity, !imap), "uid",
	    int_or_null(a->uid, !imap), "message_id",
	    cmd_json_str(a->message_id), "from", cmd_json_str(a->from_addr),
	    "from_name", cmd_json_str(a->from_name), "subject",
	    cmd_json_str(a->subject), "outcome", cmd_json_str(a->outcome),
	    "reason", cmd_json_str(a->reason), "phase",
	    int_or_null(a->phase, a->phase == 0));
	if (o == NULL)
		return NULL;
	if (json_object_update_new(o,
		json_pack("{s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		    "artist", cmd_json_str(r->artist), "jti",
		    cmd_json_str(a->jti), "dmarc", cmd_json_str(a->dmarc),
		    "size", (json_int_t)a->size, "sha256",
		    cmd_json_str(a->sha256_hex), "own_text",
		    cmd_json_str(a->own_text), "decision",
		    cmd_json_str(r->decision), "decided_by",
		    cmd_json_str(r->decided_by), "decided_at",
		    cmd_json_time(r->decided_at), "processed_at",
		    cmd_json_time(a->processed_at), "rule",
		    cmd_json_str(a->rule), "written_at",
		    cmd_json_time(a->written_at))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
cmd_json_request(const struct store_request_row *r)
{
	return json_pack("{s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "jti",
	    cmd_json_str(r->jti), "artist", cmd_json_str(r->address), "phase",
	    r->phase, "state", cmd_json_str(r->state), "issued_at",
	    cmd_json_time(r->issued_at), "sent_at", cmd_json_time(r->sent_at),
	    "expires_at", cmd_json_time(r->expires_at), "request_message_id",
	    cmd_json_str(r->request_message_id), "last_error",
	    cmd_json_str(r->last_error));
}

json_t *
cmd_json_answer(const struct store_confirmation_row *r)
{
	return json_pack("{s:o,s:i,s:o,s:o,s:o}", "jti", cmd_json_str(r->jti),
	    "phase", r->phase, "kind", cmd_json_str(r->kind), "message",
	    int_or_null(r->audit_id, r->audit_id == 0), "created_at",
	    cmd_json_time(r->created_at));
}

int
cmd_json_print(json_t *o)
{
	int rc = -1;

	if (o == NULL) {
		fprintf(stderr, "pledgectl: out of memory\n");
		return -1;
	}
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', stdout) != EOF)
		rc = 0;
	json_decref(o);
	return rc;
}
