/*
 * imap: operations on mailboxes and messages.  See imap.h.
 *
 * Every command runs under a deadline (imap_op_begin): a few timeouts for
 * a short command, one more timeout per message for a body fetch.  UID
 * lists go to the server in batches of intervals, since libetpan writes
 * every set element as given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pledged/log.h"
#include "imap_p.h"

/* Budget of a short command, in timeouts. */
#define OP_TIMEOUTS 4

static long
op_budget(const struct imap_conn *c)
{
	return (long)OP_TIMEOUTS * c->timeout;
}

enum imap_status
imap_select(struct imap_conn *c, const char *mailbox, uint32_t *uidvalidity,
    uint32_t *uidnext)
{
	struct mailimap_selection_info *sel;
	enum imap_status st;
	char what[128];

	/* Names are ASCII configuration; keep the log line short anyway. */
	(void)snprintf(what, sizeof(what), "select %.100s", mailbox);
	if (!imap_op_begin(c, what, op_budget(c)))
		return IMAP_TEMPFAIL;
	st = imap_result(
	    c, mailimap_select(c->imap, mailbox), what, IMAP_NO_MAILBOX);
	if (st != IMAP_OK)
		return st;
	sel = c->imap->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0) {
		/* Without UIDVALIDITY no UID can be trusted across runs. */
		log_warnx("imap: select %s: no UIDVALIDITY", mailbox);
		return IMAP_PROTOCOL;
	}
	*uidvalidity = sel->sel_uidvalidity;
	*uidnext = sel->sel_uidnext;
	return IMAP_OK;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * UID SEARCH UID lo:hi (hi 0: "*"), appending to out[*count] the UIDs
 * above 'last' and below 'uidnext' (when known) that fall in the range
 * asked for; anything else the server says is counted in *bogus.
 */
static enum imap_status
search_range(struct imap_conn *c, uint32_t lo, uint32_t hi, uint32_t last,
    uint32_t uidnext, uint32_t **out, size_t *count, size_t *cap, size_t *bogus)
{
	struct mailimap_search_key *key = NULL;
	struct mailimap_set *set = NULL;
	clist *result = NULL;
	clistiter *it;
	enum imap_status st = IMAP_TEMPFAIL;
	uint64_t bytes;

	if (!imap_op_begin(c, "search", op_budget(c)))
		return IMAP_TEMPFAIL;
	/* One line of at most 11 bytes per UID of the range. */
	bytes = hi != 0 ? (uint64_t)(hi - lo + 1) * 11 + 65536
			: IMAP_SEARCH_OPEN_MAX;
	if (bytes < IMAP_LINE_MAX)
		bytes = IMAP_LINE_MAX;
	imap_op_caps(c, bytes + IMAP_RESPONSE_MAX, IMAP_LITERAL_MAX, bytes);
	if ((set = mailimap_set_new_interval(lo, hi)) == NULL ||
	    (key = mailimap_search_key_new_uid(set)) == NULL) {
		log_warnx("imap: search: out of memory");
		goto out;
	}
	set = NULL; /* owned by key */
	st = imap_result(c, mailimap_uid_search(c->imap, NULL, key, &result),
	    "search", IMAP_PROTOCOL);
	if (st != IMAP_OK)
		goto out;
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		/*
		 * N:* always matches the highest UID, even below N; a UID at
		 * or above UIDNEXT does not exist yet, and taken as the high
		 * mark it would hide every message below it for ever.
		 */
		if (uid <= last || uid < lo || (hi != 0 && uid > hi) ||
		    (uidnext != 0 && uid >= uidnext)) {
			if (uid > last)
				(*bogus)++;
			continue;
		}
		if (*count == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			uint32_t *p = realloc(*out, ncap * sizeof(*p));

			if (p == NULL) {
				log_warn("imap: search");
				st = IMAP_TEMPFAIL;
				goto out;
			}
			*out = p;
			*cap = ncap;
		}
		(*out)[(*count)++] = uid;
	}
out:
	if (result != NULL)
		mailimap_search_result_free(result);
	if (key != NULL)
		mailimap_search_key_free(key);
	if (set != NULL)
		mailimap_set_free(set);
	return st;
}

enum imap_status
imap_search_above(struct imap_conn *c, uint32_t last_uid, uint32_t uidnext,
    uint32_t **uids, size_t *n)
{
	uint32_t *out = NULL, lo, hi;
	size_t count = 0, cap = 0, bogus = 0, i, j, windows = 0;
	enum imap_status st = IMAP_OK;

	*uids = NULL;
	*n = 0;
	if (last_uid == UINT32_MAX || (uidnext != 0 && uidnext - 1 <= last_uid))
		return IMAP_OK; /* nothing can be above */
	/*
	 * With UIDNEXT known, ask in windows below it, so that no answer
	 * can be longer than a window's worth of UIDs; stop at the first
	 * window with anything in it (the caller comes back for more).  A
	 * long empty stretch ends with one open search ("lo:*"), so a
	 * bogus UIDNEXT cannot cost thousands of round trips.
	 */
	for (lo = last_uid + 1; st == IMAP_OK; windows++) {
		hi = 0;
		if (uidnext != 0 && windows < IMAP_SEARCH_WINDOWS)
			hi = uidnext - 1 - lo < IMAP_SEARCH_WINDOW
			    ? uidnext - 1
			    : lo + IMAP_SEARCH_WINDOW - 1;
		st = search_range(
		    c, lo, hi, last_uid, uidnext, &out, &count, &cap, &bogus);
		if (count > 0 || hi == 0 || hi == uidnext - 1)
			break;
		/* hi < uidnext - 1 here, so lo stays in range */
		lo = hi + 1;
	}
	if (bogus > 0)
		log_warnx("imap: search: ignored %zu UIDs outside the range "
			  "asked for (UIDNEXT %u)",
		    bogus, uidnext);
	if (st != IMAP_OK) {
		free(out);
		return st;
	}
	if (count > 1)
		qsort(out, count, sizeof(*out), cmp_uid);
	/* Each UID once, however often the server said it. */
	for (i = j = 0; i < count; i++)
		if (j == 0 || out[j - 1] != out[i])
			out[j++] = out[i];
	if (j == 0) {
		free(out);
		out = NULL;
	}
	*uids = out;
	*n = j;
	return IMAP_OK;
}

enum imap_status
imap_search_message_id(
    struct imap_conn *c, const char *message_id, uint32_t **uids, size_t *n)
{
	struct mailimap_search_key *key = NULL;
	clist *result = NULL;
	clistiter *it;
	uint32_t *out = NULL;
	size_t count = 0, len = strlen(message_id);
	char *field = NULL, *value = NULL;
	enum imap_status st = IMAP_TEMPFAIL;

	*uids = NULL;
	*n = 0;
	/* The id goes out as an IMAP string: no quotes or line breaks. */
	if (len == 0 || len > 900 || strpbrk(message_id, "\"\\\r\n") != NULL)
		return IMAP_OK;
	if (!imap_op_begin(c, "search", op_budget(c)))
		return IMAP_TEMPFAIL;
	if ((field = strdup("Message-ID")) == NULL ||
	    (value = malloc(len + 3)) == NULL) {
		log_warnx("imap: search: out of memory");
		goto out;
	}
	snprintf(value, len + 3, "<%s>", message_id);
	if ((key = mailimap_search_key_new_header(field, value)) == NULL) {
		log_warnx("imap: search: out of memory");
		goto out;
	}
	field = value = NULL; /* owned by key */
	st = imap_result(c, mailimap_uid_search(c->imap, NULL, key, &result),
	    "search", IMAP_PROTOCOL);
	if (st != IMAP_OK)
		goto out;
	if (clist_count(result) > 0 &&
	    (out = calloc((size_t)clist_count(result), sizeof(*out))) == NULL) {
		log_warn("imap: search");
		st = IMAP_TEMPFAIL;
		goto out;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it))
		out[count++] = *(uint32_t *)clist_content(it);
	if (count == 0) {
		free(out);
		out = NULL;
	}
	*uids = out;
	*n = count;
	out = NULL;
out:
	free(out);
	free(field);
	free(value);
	if (result != NULL)
		mailimap_search_result_free(result);
	if (key != NULL)
		mailimap_search_key_free(key);
	return st;
}

/* The UID, size and body (when asked) of one FETCH response. */
struct fetched {
	uint32_t uid;
	uint32_t size;
	bool has_size;
	const char *body;
	size_t len;
	int64_t internaldate; /* Unix seconds; 0: not sent */
};

/*
 * INTERNALDATE as Unix seconds, 0 when out of range.  (The pipeline then
 * falls back on the Date header, and never judges later than now.)
 */
static int64_t
internaldate(const struct mailimap_date_time *d)
{
	struct tm tm;
	time_t t;
	int zone;

	/* The server's word, bounded before any arithmetic. */
	if (d == NULL || d->dt_year < 1970 || d->dt_year > 9999 ||
	    d->dt_month < 1 || d->dt_month > 12 || d->dt_day < 1 ||
	    d->dt_day > 31 || d->dt_hour < 0 || d->dt_hour > 23 ||
	    d->dt_min < 0 || d->dt_min > 59 || d->dt_sec < 0 ||
	    d->dt_sec > 60 || d->dt_zone < -2400 || d->dt_zone > 2400)
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	/* dt_zone is the zone as written, +hhmm read as a number. */
	zone = d->dt_zone;
	return (int64_t)t - (zone / 100 * 3600 + zone % 100 * 60);
}

static void
read_msg_att(const struct mailimap_msg_att *att, struct fetched *f)
{
	clistiter *it;

	memset(f, 0, sizeof(*f));
	for (it = clist_begin(att->att_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *s;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		s = item->att_data.att_static;
		switch (s->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			f->uid = s->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			f->internaldate =
			    internaldate(s->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			f->size = s->att_data.att_rfc822_size;
			f->has_size = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (s->att_data.att_body_section != NULL) {
				f->body =
				    s->att_data.att_body_section->sec_body_part;
				f->len =
				    s->att_data.att_body_section->sec_length;
			}
			break;
		default:
			break;
		}
	}
}

/* The byte caps of a body fetch. */
struct fetch_caps {
	uint64_t literal, response;
};

/*
 * UID FETCH of one batch, with the bodies when 'body' gives their caps;
 * the caller frees *result.
 */
static enum imap_status
fetch_batch(struct imap_conn *c, const uint32_t *uids, size_t n,
    const struct fetch_caps *body, clist **result)
{
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_fetch_att *fa;
	struct mailimap_set *set = NULL;
	enum imap_status st = IMAP_TEMPFAIL;
	const char *what = body ? "fetch" : "fetch sizes";
	long budget = op_budget(c) + (body ? (long)n * c->timeout : 0);

	*result = NULL;
	if (!imap_op_begin(c, what, budget))
		return IMAP_TEMPFAIL;
	if (body != NULL)
		imap_op_caps(c, body->response, body->literal, IMAP_LINE_MAX);
	if ((set = imap_uid_set(uids, n)) == NULL ||
	    (ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL)
		goto nomem;
	if ((fa = mailimap_fetch_att_new_uid()) == NULL)
		goto nomem;
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0) {
		mailimap_fetch_att_free(fa);
		goto nomem;
	}
	if ((fa = mailimap_fetch_att_new_rfc822_size()) == NULL)
		goto nomem;
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0) {
		mailimap_fetch_att_free(fa);
		goto nomem;
	}
	if (body) {
		struct mailimap_section *sec = mailimap_section_new(NULL);

		/* BODY.PEEK[]: fetching must not set \Seen. */
		if (sec == NULL)
			goto nomem;
		/* INTERNALDATE: tokens are judged at receipt. */
		if ((fa = mailimap_fetch_att_new_internaldate()) == NULL ||
		    mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0) {
			if (fa != NULL)
				mailimap_fetch_att_free(fa);
			mailimap_section_free(sec);
			goto nomem;
		}
		if ((fa = mailimap_fetch_att_new_body_peek_section(sec)) ==
		    NULL) {
			mailimap_section_free(sec);
			goto nomem;
		}
		if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0) {
			mailimap_fetch_att_free(fa);
			goto nomem;
		}
	}
	st = imap_result(c, mailimap_uid_fetch(c->imap, set, ft, result), what,
	    IMAP_PROTOCOL);
	goto out;
nomem:
	log_warnx("imap: %s: out of memory", what);
	st = IMAP_TEMPFAIL;
out:
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (set != NULL)
		mailimap_set_free(set);
	return st;
}

enum imap_status
imap_fetch_sizes(
    struct imap_conn *c, const uint32_t *uids, size_t n, uint32_t *sizes)
{
	size_t off, i;

	for (i = 0; i < n; i++)
		sizes[i] = IMAP_SIZE_GONE;
	for (off = 0; off < n; off += IMAP_BATCH) {
		size_t k = n - off < IMAP_BATCH ? n - off : IMAP_BATCH;
		clist *result = NULL;
		clistiter *it;
		enum imap_status st;

		st = fetch_batch(c, uids + off, k, NULL, &result);
		if (st != IMAP_OK) {
			if (result != NULL)
				mailimap_fetch_list_free(result);
			return st;
		}
		for (it = clist_begin(result); it != NULL;
		     it = clist_next(it)) {
			struct fetched f;
			uint32_t size;

			read_msg_att(clist_content(it), &f);
			if (f.uid == 0)
				continue;
			/*
			 * Answered without a size: the message exists (it
			 * is not "gone"); the body fetch will tell.  Sizes
			 * that collide with our markers stay over any cap.
			 */
			size = !f.has_size ? IMAP_SIZE_UNKNOWN
			    : f.size >= IMAP_SIZE_UNKNOWN
			    ? IMAP_SIZE_UNKNOWN - 1
			    : f.size;
			/* Unsolicited or unknown UIDs are ignored. */
			for (i = off; i < off + k; i++)
				if (uids[i] == f.uid &&
				    (sizes[i] == IMAP_SIZE_GONE ||
					sizes[i] == IMAP_SIZE_UNKNOWN))
					sizes[i] = size;
		}
		mailimap_fetch_list_free(result);
	}
	return IMAP_OK;
}

/* Index of 'uid' in uids[0..n-1], or n. */
static size_t
batch_index(const uint32_t *uids, size_t n, uint32_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (uids[i] == uid)
			break;
	return i;
}

/* The largest literal one group may carry, and its whole answer. */
static void
group_caps(const struct imap_conn *c, const uint32_t *sizes, size_t n,
    uint64_t *literal, uint64_t *response)
{
	uint64_t lit = 0, sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t sz = c->max_message;

		if (sizes != NULL && sizes[i] != IMAP_SIZE_UNKNOWN &&
		    sizes[i] < sz)
			sz = sizes[i];
		if (sz > lit)
			lit = sz;
		sum += sz;
	}
	*literal = lit;
	/* Each message's FETCH line and flags, and unsolicited news. */
	*response = sum + (uint64_t)n * 4096 + IMAP_RESPONSE_MAX;
}

enum imap_status
imap_fetch(struct imap_conn *c, const uint32_t *uids, const uint32_t *sizes,
    size_t n, imap_fetch_cb *cb, void *arg)
{
	size_t off;

	for (off = 0; off < n; off += IMAP_BODY_BATCH) {
		size_t k =
		    n - off < IMAP_BODY_BATCH ? n - off : IMAP_BODY_BATCH;
		bool done[IMAP_BODY_BATCH] = {false};
		uint64_t literal, response;
		clist *result = NULL;
		clistiter *it;
		enum imap_status st;

		group_caps(c, sizes != NULL ? sizes + off : NULL, k, &literal,
		    &response);
		st = fetch_batch(c, uids + off, k,
		    &(struct fetch_caps){literal, response}, &result);
		for (it = st == IMAP_OK ? clist_begin(result) : NULL;
		     it != NULL; it = clist_next(it)) {
			struct fetched f;
			size_t i;

			read_msg_att(clist_content(it), &f);
			/*
			 * A FETCH without a body is a flag change someone
			 * else made (unsolicited); one for a UID we did not
			 * ask for is not ours to handle; a UID said twice
			 * counts once.
			 */
			if (f.body == NULL ||
			    (i = batch_index(uids + off, k, f.uid)) == k ||
			    done[i])
				continue;
			if (f.len > c->max_message ||
			    (sizes != NULL &&
				sizes[off + i] != IMAP_SIZE_UNKNOWN &&
				f.len > sizes[off + i])) {
				log_warnx("imap: fetch: UID %u: %zu bytes "
					  "where the server announced %u; "
					  "not used",
				    f.uid, f.len,
				    sizes != NULL ? sizes[off + i] : 0);
				continue;
			}
			done[i] = true;
			if (cb(arg, f.uid, f.body, f.len, f.internaldate) !=
			    0) {
				st = IMAP_ABORTED;
				break;
			}
		}
		if (result != NULL)
			mailimap_fetch_list_free(result);
		if (st != IMAP_OK)
			return st;
	}
	return IMAP_OK;
}

/* UID STORE +FLAGS.SILENT ('flag') on one batch. */
static enum imap_status
store_flag(struct imap_conn *c, struct mailimap_set *set,
    struct mailimap_flag *flag, const char *what)
{
	struct mailimap_flag_list *fl = NULL;
	struct mailimap_store_att_flags *sa = NULL;
	enum imap_status st;

	if (flag == NULL || (fl = mailimap_flag_list_new_empty()) == NULL) {
		if (flag != NULL)
			mailimap_flag_free(flag);
		goto nomem;
	}
	if (mailimap_flag_list_add(fl, flag) != 0) {
		mailimap_flag_free(flag);
		goto nomem;
	}
	if ((sa = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL)
		goto nomem;
	fl = NULL;
	st = imap_result(
	    c, mailimap_uid_store(c->imap, set, sa), what, IMAP_REFUSED);
	mailimap_store_att_flags_free(sa);
	return st;
nomem:
	if (fl != NULL)
		mailimap_flag_list_free(fl);
	log_warnx("imap: %s: out of memory", what);
	return IMAP_TEMPFAIL;
}

enum imap_status
imap_add_keyword(
    struct imap_conn *c, const uint32_t *uids, size_t n, const char *keyword)
{
	size_t off;

	for (off = 0; off < n; off += IMAP_BATCH) {
		size_t k = n - off < IMAP_BATCH ? n - off : IMAP_BATCH;
		struct mailimap_set *set;
		char *kw;
		enum imap_status st;

		if (!imap_op_begin(c, "store", op_budget(c)))
			return IMAP_TEMPFAIL;
		if ((set = imap_uid_set(uids + off, k)) == NULL ||
		    (kw = strdup(keyword)) == NULL) {
			if (set != NULL)
				mailimap_set_free(set);
			log_warnx("imap: store: out of memory");
			return IMAP_TEMPFAIL;
		}
		st = store_flag(c, set, mailimap_flag_new_flag_keyword(kw),
		    "store keyword");
		mailimap_set_free(set);
		if (st != IMAP_OK)
			return st;
	}
	return IMAP_OK;
}

enum imap_status
imap_ensure_mailbox(struct imap_conn *c, const char *mailbox)
{
	clist *list = NULL;
	enum imap_status st;
	int count;

	/* CREATE on an existing folder is an error: look first. */
	st = imap_result(c, mailimap_list(c->imap, "", mailbox, &list), "list",
	    IMAP_REFUSED);
	count = list != NULL ? clist_count(list) : 0;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (st != IMAP_OK || count > 0)
		return st;
	return imap_result(
	    c, mailimap_create(c->imap, mailbox), "create", IMAP_REFUSED);
}

enum imap_status
imap_move_by_copy(struct imap_conn *c, struct mailimap_set *set,
    const char *mailbox, bool uidplus)
{
	enum imap_status st;

	st = imap_result(
	    c, mailimap_uid_copy(c->imap, set, mailbox), "copy", IMAP_REFUSED);
	if (st != IMAP_OK)
		return st;
	st = store_flag(c, set, mailimap_flag_new_deleted(), "store deleted");
	if (st != IMAP_OK)
		return st;
	if (uidplus)
		return imap_result(c, mailimap_uid_expunge(c->imap, set),
		    "uid expunge", IMAP_REFUSED);
	return imap_result(
	    c, mailimap_expunge(c->imap), "expunge", IMAP_REFUSED);
}

/*
 * Folder names in the configuration use '/' between levels, as users
 * write them; servers use their own delimiter ('.' for dovecot's Maildir++,
 * '/' for others), which LIST "" "" tells.  'out' gets the server's name.
 */
static enum imap_status
server_name(struct imap_conn *c, const char *name, char *out, size_t outlen)
{
	clist *list = NULL;
	enum imap_status st;
	char delim = '/';

	if (strlen(name) >= outlen) {
		log_warnx("imap: folder name too long: %s", name);
		return IMAP_REFUSED;
	}
	st = imap_result(
	    c, mailimap_list(c->imap, "", "", &list), "list", IMAP_REFUSED);
	if (st == IMAP_OK && list != NULL && clist_count(list) > 0) {
		struct mailimap_mailbox_list *mb =
		    clist_content(clist_begin(list));
		if (mb->mb_delimiter != '\0')
			delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	if (st != IMAP_OK)
		return st;
	for (size_t i = 0; name[i] != '\0'; i++)
		out[i] = name[i] == '/' ? delim : name[i];
	out[strlen(name)] = '\0';
	return IMAP_OK;
}

enum imap_status
imap_select_folder(struct imap_conn *c, const char *folder,
    uint32_t *uidvalidity, uint32_t *uidnext)
{
	char mailbox[1024];
	enum imap_status st;

	if ((st = server_name(c, folder, mailbox, sizeof mailbox)) != IMAP_OK)
		return st;
	return imap_select(c, mailbox, uidvalidity, uidnext);
}

enum imap_status
imap_move(
    struct imap_conn *c, const uint32_t *uids, size_t n, const char *folder)
{
	enum imap_status st;
	bool has_move, has_uidplus;
	char mailbox[1024];
	size_t off;

	if (n == 0)
		return IMAP_OK;
	if (!imap_op_begin(c, "move", op_budget(c)))
		return IMAP_TEMPFAIL;
	if ((st = server_name(c, folder, mailbox, sizeof mailbox)) != IMAP_OK)
		return st;
	if ((st = imap_ensure_mailbox(c, mailbox)) != IMAP_OK)
		return st;
	has_move = mailimap_has_extension(c->imap, "MOVE");
	has_uidplus = mailimap_has_extension(c->imap, "UIDPLUS");
	for (off = 0; off < n; off += IMAP_BATCH) {
		size_t k = n - off < IMAP_BATCH ? n - off : IMAP_BATCH;
		struct mailimap_set *set;

		if (!imap_op_begin(c, "move", op_budget(c)))
			return IMAP_TEMPFAIL;
		if ((set = imap_uid_set(uids + off, k)) == NULL) {
			log_warnx("imap: move: out of memory");
			return IMAP_TEMPFAIL;
		}
		if (has_move)
			st = imap_result(c,
			    mailimap_uid_move(c->imap, set, mailbox), "move",
			    IMAP_REFUSED);
		else
			st = imap_move_by_copy(c, set, mailbox, has_uidplus);
		mailimap_set_free(set);
		if (st != IMAP_OK)
			return st;
	}
	return IMAP_OK;
}

enum imap_status
imap_append(
    struct imap_conn *c, const char *mailbox, const char *data, size_t len)
{
	/* One more timeout per MiB sent: a big message is slow to upload. */
	if (!imap_op_begin(
		c, "append", op_budget(c) + (long)(len >> 20) * c->timeout))
		return IMAP_TEMPFAIL;
	return imap_result(c,
	    mailimap_append(c->imap, mailbox, NULL, NULL, data, len), "append",
	    IMAP_PROTOCOL);
}
