/*
 * Unit tests for message: the corpus (tests/data/corpus/) through the
 * worker, the decoded non-ASCII text of the charset fixtures, crafted
 * messages for every bound and decoding rule, the worker's crash and hang handling, and the
 * serialisation's refusal of garbage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "message_p.h"
#include "pledged/message.h"
#include "testutil.h"

#define CORPUS TU_DATA "/corpus/"

static struct message_worker *worker;

static int
setup(void **state)
{
	(void)state;
	return message_worker_start(NULL, &worker);
}

static int
teardown(void **state)
{
	(void)state;
	message_worker_stop(worker);
	return 0;
}

/* Concatenated text of all parts (caller frees). */
static char *
all_text(const struct message *m)
{
	struct msg_buf b = {0};

	for (size_t i = 0; i < m->n_parts; i++) {
		msg_buf_add(&b, m->parts[i].text, m->parts[i].len);
		msg_buf_addc(&b, '\n');
	}
	return msg_buf_take(&b, NULL);
}

static void
assert_valid_utf8(const struct message *m)
{
	const char *const s[] = {m->from_addr, m->from_name, m->message_id,
	    m->in_reply_to, m->subject, m->date, m->auto_submitted,
	    m->precedence, m->list_id, m->return_path, m->content_type,
	    m->report_type, m->returned_message_id, m->returned_subject};

	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		if (s[i] != NULL)
			assert_true(msg_utf8_valid(s[i], strlen(s[i])));
	for (size_t i = 0; i < m->n_parts; i++) {
		assert_int_equal(strlen(m->parts[i].text), m->parts[i].len);
		assert_true(msg_utf8_valid(m->parts[i].text, m->parts[i].len));
	}
}

/* Facts known for some corpus files; NULL fields are not checked. */
static const struct corpus_fact {
	const char *file;
	enum message_status st;
	const char *from, *subject, *returned_id, *text;
	int is_report, has_ds; /* -1: not checked */
} facts[] = {
    {"james-mime4j/testmsgs/very-very-long-boundary.msg", MESSAGE_UNPARSEABLE,
	NULL, NULL, NULL, NULL, -1, -1},
    {"mimekit/stack-overflow.txt", MESSAGE_UNPARSEABLE, NULL, NULL, NULL, NULL,
	-1, -1},
    {"sisimai/maildir/bsd/lhost-postfix-01.eml", MESSAGE_OK,
	"mailer-daemon@p351355.pool.example.ne.jp", "Undelivered Mail Returned",
	NULL, "could not", 1, 1},
    {"sisimai/maildir/mac/lhost-postfix-01.eml", MESSAGE_OK,
	"mailer-daemon@p351355.pool.example.ne.jp", "Undelivered Mail Returned",
	NULL, "could not", 1, 1},
    {"mikel-mail/multipart_report_emails/report_530.eml", MESSAGE_OK, NULL,
	NULL, "200712232303.lBNN3jDq002941@mail12.rrrr.com.au", NULL, 1, 1},
    /* Its last boundary differs from the declared one: the
       text/rfc822-headers part is inside the delivery status. */
    {"sisimai/maildir/bsd/rhost-google-01.eml", MESSAGE_OK,
	"mailer-daemon@mail4.example.co.jp", NULL, NULL, NULL, 1, 1},
    {"sisimai/maildir/bsd/lhost-googleworkspace-01.eml", MESSAGE_OK, NULL, NULL,
	"CAByYQsF5qdTf_h-1AAVPW0RgR1YN+LE=+0Uv9LpQ4aA_myPtCw@mail.gmail.com",
	NULL, 1, 1},
    {"sisimai/maildir/bsd/lhost-exim-01.eml", MESSAGE_OK,
	"mailer-daemon@e1.example.org", "Mail delivery failed",
	"E1P1ce6-000Egt-GZ@e1.example.org", NULL, 0, 0},
    {"flanker/complaints/yahoo.eml", MESSAGE_OK, "feedback@arf.mail.yahoo.com",
	"Some subject", "20120711015015.4A8BE2E088E@www.example.com", NULL, 1,
	0},
    {"mimekit/disposition-notification.txt", MESSAGE_OK,
	"joe_recipient@example.com", NULL, "199509192301.23456@example.org",
	NULL, 1, 0},
    {"flanker/iphone.eml", MESSAGE_OK, NULL, NULL, NULL, NULL, 0, 0},
    {"flanker/bounce/delayed-broken.eml", MESSAGE_OK, NULL, NULL, NULL, NULL, 0,
	1},
    {"talon/standard_replies/thunderbird.eml", MESSAGE_OK,
	"bob@xxx.mailgun.org", "Re: Test", NULL, "Hello", 0, 0},
    {"flanker/bilingual-simple.eml", MESSAGE_OK, "hello@example.com",
	"Как ты поживаешь?", NULL, NULL, 0, 0},
    {"sisimai/maildir/bsd/lhost-domino-02.eml", MESSAGE_OK, NULL,
	"DELIVERY FAILURE: ユーザー Neko", NULL, NULL, 1, 1},
    {"django-mailbox/message_with_rfc822_attachment.eml", MESSAGE_OK,
	"test@adamcoddington.net", "Email with RFC 822 attachment",
	"ujURpHHC.xh4Qpg28.RLQSSkBK.cQSyhEG5.PmxCEEdV@127.0.0.1", NULL, 0, 0},
};

static const struct corpus_fact *
fact_for(const char *file)
{
	for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
		if (strcmp(facts[i].file, file) == 0)
			return &facts[i];
	return NULL;
}

/* Every complete message of the corpus through the worker. */
static void
test_corpus(void **state)
{
	char *index = tu_read_file(CORPUS "INDEX.tsv", NULL);
	char *save = NULL, *line;
	size_t n = 0, checked = 0;

	(void)state;
	for (line = strtok_r(index, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char file[512], kind[64];
		const struct corpus_fact *f;
		struct message *m = NULL;
		const char *why = NULL;
		enum message_status st;
		char *path, *raw;
		size_t len;

		if (line[0] == '#' ||
		    sscanf(line, "%511[^\t]\t%63[^\t]", file, kind) != 2)
			continue;
		if (strcmp(kind, "reply-body-only") == 0 ||
		    strcmp(kind, "reply-html-fragment") == 0)
			continue;
		path = tu_asprintf("%s%s", CORPUS, file);
		raw = tu_read_file(path, &len);
		st = message_worker_parse(worker, raw, len, &m, &why);
		f = fact_for(file);
		if (st != (f ? f->st : MESSAGE_OK))
			fail_msg(
			    "%s: status %d (%s)", file, st, why ? why : "");
		if (m != NULL) {
			assert_valid_utf8(m);
			assert_non_null(m->content_type);
			assert_int_equal(m->size, len);
		}
		if (f != NULL && m != NULL) {
			char *text = all_text(m);

			if (f->from &&
			    (m->from_addr == NULL ||
				strcmp(m->from_addr, f->from) != 0))
				fail_msg("%s: from %s", file, m->from_addr);
			if (f->subject &&
			    (m->subject == NULL ||
				!strstr(m->subject, f->subject)))
				fail_msg("%s: subject %s", file, m->subject);
			if (f->returned_id &&
			    (m->returned_message_id == NULL ||
				strcmp(m->returned_message_id,
				    f->returned_id) != 0))
				fail_msg("%s: returned %s", file,
				    m->returned_message_id);
			if (f->text && !strstr(text, f->text))
				fail_msg("%s: text lacks %s", file, f->text);
			if (f->is_report >= 0)
				assert_int_equal(m->is_report, f->is_report);
			if (f->has_ds >= 0)
				assert_int_equal(
				    m->has_delivery_status, f->has_ds);
			free(text);
			checked++;
		}
		message_free(m);
		free(raw);
		free(path);
		n++;
	}
	assert_true(n >= 100);
	assert_int_equal(checked, 14); /* those parsed OK among facts */
	free(index);
}

/* Golden decoded text of the charset fixtures. */
static void
test_charsets(void **state)
{
	static const struct {
		const char *file, *text;
	} cases[] = {
	    {"mikel-mail/multi_charset/japanese_iso_2022.eml", "すみません。"},
	    {"mikel-mail/multi_charset/japanese_shift_jis.eml",
		"このメールはテスト用のメールです。"},
	    {"mikel-mail/multi_charset/ks_c_5601-1987.eml", "스티해"},
	    /* declared iso-8859-1, carries UTF-8 */
	    {"django-mailbox/message_with_utf8_char.eml", "✿"},
	    /* windows-1252 quoted-printable Office 365 bounce: =92 is
	     * U+2019 in windows-1252 (a C1 control in ISO-8859-1). */
	    {"sisimai/maildir/bsd/lhost-office365-01.eml",
		"The email address wasn’t found"},
	    /* cp1251 body, 7bit label, 8-bit bytes */
	    {"django-mailbox/message_with_single_byte_encoding.eml",
		"Это сообщение имеет "
		"неправильную кодировка."},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = tu_asprintf("%s%s", CORPUS, cases[i].file);
		size_t len;
		char *raw = tu_read_file(path, &len), *text;
		struct message *m = NULL;

		assert_int_equal(
		    message_parse(raw, len, NULL, &m, NULL), MESSAGE_OK);
		text = all_text(m);
		if (strstr(text, cases[i].text) == NULL)
			fail_msg("%s: %s", cases[i].file, text);
		free(text);
		message_free(m);
		free(raw);
		free(path);
	}
}

static struct message *
parse_ok(const char *raw)
{
	struct message *m = NULL;
	const char *why = NULL;

	if (message_parse(raw, strlen(raw), NULL, &m, &why) != MESSAGE_OK)
		fail_msg("not parsed: %s", why);
	assert_valid_utf8(m);
	return m;
}

static void
assert_text(const struct message *m, const char *want)
{
	char *t = all_text(m);

	if (strstr(t, want) == NULL)
		fail_msg("text lacks '%s' in '%s'", want, t);
	free(t);
}

/* Crafted messages: decoding rules, one table row each. */
static void
test_crafted(void **state)
{
	static const struct {
		const char *name, *raw, *subject, *text;
		size_t n_parts;
	} cases[] = {
	    {"qp soft breaks",
		"From: a@b.c\nSubject: qp\nContent-Type: text/plain\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"v4.public.abc=\ndef=3D=C3=A9\n",
		"qp", "v4.public.abcdef=é", 1},
	    {"base64",
		"From: a@b.c\nContent-Transfer-Encoding: base64\n\n"
		"SGVsbG8g\nd29ybGQ=\n",
		NULL, "Hello world", 1},
	    {"8-bit body without charset, latin",
		"From: a@b.c\n\ncaf\xe9 \x80\n", NULL, "café €", 1},
	    {"8-bit body without charset, utf-8",
		"From: a@b.c\n\ncaf\xc3\xa9\n", NULL, "café", 1},
	    {"unknown charset",
		"From: a@b.c\nContent-Type: text/plain; charset=x-nonsense\n\n"
		"caf\xe9\n",
		NULL, "café", 1},
	    {"declared us-ascii with 8-bit",
		"From: a@b.c\nContent-Type: text/plain; charset=us-ascii\n\n"
		"na\xefve\n",
		NULL, "naïve", 1},
	    {"flowed delsp=yes",
		"From: a@b.c\nContent-Type: text/plain; format=flowed; "
		"delsp=yes\n\nv4.public.abc \ndef\n> quo \n> ted\n>> deep\n",
		NULL, "v4.public.abcdef\n> quoted\n>> deep\n", 1},
	    {"flowed delsp=no",
		"From: a@b.c\nContent-Type: text/plain; format=Flowed\n\n"
		"hello \nworld\n \nstuffed\n-- \nsig\n",
		NULL, "hello world\n\nstuffed\n-- \nsig\n", 1},
	    {"nested mixed > alternative > related",
		"From: a@b.c\nContent-Type: multipart/mixed; boundary=m\n\n"
		"--m\nContent-Type: multipart/alternative; boundary=a\n\n"
		"--a\nContent-Type: text/plain\n\nplain text\n"
		"--a\nContent-Type: multipart/related; boundary=r\n\n"
		"--r\nContent-Type: text/html\n\n<p>html text</p>\n"
		"--r\nContent-Type: image/png\n\nxx\n--r--\n--a--\n"
		"--m\nContent-Type: text/plain; name=a.txt\n"
		"Content-Disposition: attachment; filename=a.txt\n\nfile\n"
		"--m--\n",
		NULL, "<p>html text</p>", 2},
	    {"rfc 2047 split mid-token",
		"From: a@b.c\nSubject: =?UTF-8?Q?Re:_v4.public.eyJzd?=\n"
		" =?utf-8?Q?WIiOiJ4In0?=\n\nx\n",
		"Re: v4.public.eyJzdWIiOiJ4In0", NULL, 1},
	    {"rfc 2047 B split mid-character",
		"From: a@b.c\nSubject: =?UTF-8?B?YWLD?= "
		"=?UTF-8?B?qQ==?=\n\nx\n",
		"abé", NULL, 1},
	    {"broken encoded word: raw text",
		"From: a@b.c\nSubject: =?bogus-charset?X?###?= plain\n\nx\n",
		"plain", NULL, 1},
	    {"raw 8-bit subject", "From: a@b.c\nSubject: caf\xe9\n\nx\n",
		"café", NULL, 1},
	    {"QP ending in =X",
		"From: a@b.c\nContent-Transfer-Encoding: quoted-printable\n\n"
		"end=4",
		NULL, "end", 1},
	    {"unclosed Return-Path",
		"Return-Path: <a@b.c\nFrom: a@b.c\nSubject: rp\n\nbody\n", "rp",
		"body", 1},
	    {"bare CR line ends", "From: a@b.c\rSubject: cr\r\rbody line\r",
		"cr", "body line", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct message *m = parse_ok(cases[i].raw);

		print_message("%s\n", cases[i].name);
		if (cases[i].subject != NULL &&
		    (m->subject == NULL ||
			!strstr(m->subject, cases[i].subject)))
			fail_msg("%s: subject '%s'", cases[i].name, m->subject);
		if (cases[i].text != NULL)
			assert_text(m, cases[i].text);
		assert_int_equal(m->n_parts, cases[i].n_parts);
		message_free(m);
	}
}

/* LF-only and CRLF messages parse alike. */
static void
test_lf_crlf(void **state)
{
	const char *lf =
	    "From: \"Ann B\" <Ann@Example.COM>\n"
	    "Subject: =?ISO-8859-1?Q?caf=E9?= time\n"
	    "Message-ID: <id1@x>\nIn-Reply-To: <req@x>\n"
	    "References: <r1@x> <r2@x>\n <req@x>\n"
	    "Return-Path: <>\nList-Id: <l.x>\n"
	    "Authentication-Results: mx; dmarc=pass\n"
	    "Authentication-Results: other; dmarc=fail\n"
	    "Content-Type: multipart/alternative; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n\n"
	    "line one\nline two\n--b--\n";
	struct msg_buf b = {0};
	struct message *m1, *m2;
	char *crlf;

	(void)state;
	for (const char *p = lf; *p; p++) {
		if (*p == '\n')
			msg_buf_addc(&b, '\r');
		msg_buf_addc(&b, *p);
	}
	crlf = msg_buf_take(&b, NULL);
	m1 = parse_ok(lf);
	m2 = parse_ok(crlf);
	for (int k = 0; k < 2; k++) {
		struct message *m = k ? m2 : m1;

		assert_string_equal(m->from_addr, "ann@example.com");
		assert_string_equal(m->from_name, "Ann B");
		assert_string_equal(m->subject, "café time");
		assert_string_equal(m->message_id, "id1@x");
		assert_string_equal(m->in_reply_to, "req@x");
		assert_int_equal(m->n_references, 3);
		assert_string_equal(m->references[2], "req@x");
		assert_string_equal(m->return_path, "");
		assert_string_equal(m->list_id, "<l.x>");
		assert_true(m->has_list_headers);
		assert_int_equal(m->n_auth_results, 2);
		assert_string_equal(m->auth_results[0], "mx; dmarc=pass");
		assert_string_equal(m->content_type, "multipart/alternative");
		assert_int_equal(m->n_parts, 1);
		assert_string_equal(m->parts[0].text, "line one\nline two");
	}
	message_free(m1);
	message_free(m2);
	free(crlf);
}

/* A report: delivery status, returned original, flagged quoted text. */
static void
test_report(void **state)
{
	struct message *m = parse_ok(
	    "From: MAILER-DAEMON@mx.example\nSubject: Undelivered\n"
	    "Auto-Submitted: auto-replied\nX-Autoreply: yes\n"
	    "Content-Type: multipart/report; report-type=Delivery-Status;\n"
	    "\tboundary=\"r\"\n\n"
	    "--r\nContent-Type: text/plain\n\nIt bounced.\n"
	    "--r\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example\n\nAction: failed\n"
	    "--r\nContent-Type: message/rfc822\n\n"
	    "Message-ID: <req-1@pledged>\n"
	    "Subject: =?UTF-8?Q?Confirm_[ref:abc]?=\n\n"
	    "v4.public.token\n--r--\n");

	(void)state;
	assert_true(m->is_report);
	assert_string_equal(m->report_type, "delivery-status");
	assert_true(m->has_delivery_status);
	assert_true(m->has_autoreply_header);
	assert_string_equal(m->auto_submitted, "auto-replied");
	assert_string_equal(m->returned_message_id, "req-1@pledged");
	assert_string_equal(m->returned_subject, "Confirm [ref:abc]");
	assert_int_equal(m->n_parts, 2);
	assert_false(m->parts[0].in_attachment_or_rfc822);
	assert_true(m->parts[1].in_attachment_or_rfc822);
	assert_string_equal(m->parts[1].text, "v4.public.token");
	message_free(m);
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	struct msg_buf b = {0};

	msg_buf_add(&b, head, strlen(head));
	for (size_t i = 0; i < n; i++)
		msg_buf_add(&b, unit, strlen(unit));
	msg_buf_add(&b, tail, strlen(tail));
	return msg_buf_take(&b, NULL);
}

/* Bounds: each refused before libetpan sees the bytes. */
static void
test_bounds(void **state)
{
	struct message_limits lim;
	struct message *m = NULL;
	const char *why = NULL;
	char *raw;

	(void)state;
	message_limits_default(&lim);
	/* The mailmime_extract_boundary crasher and its kin. */
	static const char *const bad_boundaries[] = {
	    "From: a@b.c\nContent-Type: multipart/mixed; boundary=\"\\\"\"\n\n"
	    "x\n",
	    "From: a@b.c\nContent-Type: multipart/mixed; boundary=\"\"\n\nx\n",
	    "From: a@b.c\nContent-Type: multipart/mixed; BOUNDARY = (c) "
	    "\"a\\\"\"\n\nx\n",
	    "From: a@b.c\nContent-Type: multipart/mixed; boundary=\"abc\n\nx\n",
	    "From: a@b.c\n\n--x\nContent-Type: multipart/mixed;\n "
	    "boundary=\"\\\"\"\n\nx\n",
	};
	/* A NUL before it, a comment before the colon: still seen. */
	static const char nul[] = "From: a@b.c\nContent-Type: multipart/mixed;"
				  " x=\"\0\"; boundary=\"\\\"\"\n\nx\n";
	static const char cmt[] = "From: a@b.c\nContent-type (c) : multipart/"
				  "mixed; boundary=\"\\\"\"\n\nx\n";

	assert_int_equal(message_parse(nul, sizeof nul - 1, NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	assert_int_equal(message_parse(cmt, sizeof cmt - 1, NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	for (size_t i = 0; i < sizeof bad_boundaries / sizeof *bad_boundaries;
	     i++) {
		const char *r = bad_boundaries[i];

		assert_int_equal(message_parse(r, strlen(r), NULL, &m, &why),
		    MESSAGE_UNPARSEABLE);
		assert_null(m);
		assert_string_equal(why, "invalid MIME boundary");
		assert_int_equal(
		    message_worker_parse(worker, r, strlen(r), &m, &why),
		    MESSAGE_UNPARSEABLE);
		assert_string_equal(why, "invalid MIME boundary");
	}
	/* A 71-character boundary is refused, 70 pass. */
	for (size_t n = 70; n <= 71; n++) {
		char *b = repeat("", "b", n, "");

		raw = tu_asprintf("From: a@b.c\nContent-Type: multipart/mixed;"
				  " boundary=%s\n\n--%s\n\nx\n--%s--\n",
		    b, b, b);
		assert_int_equal(
		    message_parse(raw, strlen(raw), NULL, &m, &why),
		    n == 70 ? MESSAGE_OK : MESSAGE_UNPARSEABLE);
		message_free(m);
		free(raw);
		free(b);
	}

	/* 5000 levels of multipart, and of message/rfc822. */
	raw = repeat("From: a@b.c\n",
	    "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\n",
	    5000, "x\n");
	assert_int_equal(
	    message_worker_parse(worker, raw, strlen(raw), &m, &why),
	    MESSAGE_UNPARSEABLE);
	assert_string_equal(why, "MIME nesting too deep");
	free(raw);
	raw = repeat(
	    "From: a@b.c\n", "Content-Type: message/rfc822\n\n", 5000, "x\n");
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	free(raw);
	/* 32 levels pass, 33 do not. */
	raw = repeat("From: a@b.c\n", "Content-Type: message/rfc822\n\n", 31,
	    "Subject: deep\n\nx\n");
	assert_int_equal(
	    message_parse(raw, strlen(raw), NULL, &m, &why), MESSAGE_OK);
	message_free(m);
	free(raw);
	raw = repeat(
	    "From: a@b.c\n", "Content-Type: message/rfc822\n\n", 33, "x\n");
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	free(raw);

	/* Too many header fields; one too long. */
	raw = repeat("From: a@b.c\n", "X-H: v\n", 1000, "\nx\n");
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	assert_string_equal(why, "too many header fields");
	free(raw);
	raw = repeat("From: a@b.c\nX-Long: ", " v\n", 30000, "\nx\n");
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	assert_string_equal(why, "header field too long");
	free(raw);

	/* Too large, in process and through the worker. */
	lim.max_bytes = 100;
	raw = repeat("From: a@b.c\n\n", "x", 100, "");
	assert_int_equal(
	    message_parse(raw, strlen(raw), &lim, &m, &why), MESSAGE_TOO_LARGE);
	free(raw);
	raw = repeat("From: a@b.c\n\n", "x", 10 * 1024 * 1024, "");
	assert_int_equal(
	    message_worker_parse(worker, raw, strlen(raw), &m, &why),
	    MESSAGE_TOO_LARGE);
	free(raw);

	/* Too many parts. */
	raw =
	    repeat("From: a@b.c\nContent-Type: multipart/mixed; boundary=b\n\n",
		"--b\n\nx\n", 600, "--b--\n");
	assert_int_equal(message_parse(raw, strlen(raw), NULL, &m, &why),
	    MESSAGE_UNPARSEABLE);
	assert_string_equal(why, "too many MIME parts");
	free(raw);

	/* Decoded text beyond max_text is cut, at a character boundary. */
	message_limits_default(&lim);
	lim.max_text = 10;
	raw = "From: a@b.c\nContent-Type: text/plain; charset=utf-8\n\n"
	      "123456789\xc3\xa9 more\n";
	assert_int_equal(
	    message_parse(raw, strlen(raw), &lim, &m, &why), MESSAGE_OK);
	assert_true(m->text_truncated);
	assert_string_equal(m->parts[0].text, "123456789");
	message_free(m);
}

/* A 3 MiB base64 attachment before the text: the text is still found. */
static void
test_big_attachment(void **state)
{
	char *raw =
	    repeat("From: a@b.c\nSubject: big\n"
		   "Content-Type: multipart/mixed; boundary=zz\n\n"
		   "--zz\nContent-Type: application/pdf\n"
		   "Content-Transfer-Encoding: base64\n"
		   "Content-Disposition: attachment; filename=x.pdf\n\n",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdH"
		"V2\n",
		3 * 1024 * 1024 / 65,
		"--zz\nContent-Type: text/plain\n\nI confirm v4.public.xyz\n"
		"--zz--\n");
	struct message *m = NULL;
	const char *why;

	(void)state;
	assert_int_equal(
	    message_worker_parse(worker, raw, strlen(raw), &m, &why),
	    MESSAGE_OK);
	assert_int_equal(m->n_parts, 1);
	assert_string_equal(m->parts[0].text, "I confirm v4.public.xyz");
	message_free(m);
	free(raw);
}

/* A dead or hung child costs one message; the next one parses. */
static void
test_worker_crash(void **state)
{
	const char *ok = "From: a@b.c\nSubject: fine\n\nbody\n";
	struct message *m = NULL;
	const char *why = NULL;
	pid_t pid;

	(void)state;
	for (int round = 0; round < 2; round++) {
		pid = message_worker_pid(worker);
		assert_true(pid > 0);
		if (round == 0) {
			assert_int_equal(kill(pid, SIGKILL), 0);
		} else {
			/* Hung: stopped, so only the deadline ends it. */
			message_worker_set_timeout(worker, 300);
			assert_int_equal(kill(pid, SIGSTOP), 0);
		}
		assert_int_equal(
		    message_worker_parse(worker, ok, strlen(ok), &m, &why),
		    MESSAGE_UNPARSEABLE);
		assert_null(m);
		assert_string_equal(why, "parser crashed or timed out");
		assert_true(message_worker_pid(worker) != pid);
		message_worker_set_timeout(worker, 10000);
		assert_int_equal(
		    message_worker_parse(worker, ok, strlen(ok), &m, &why),
		    MESSAGE_OK);
		assert_string_equal(m->subject, "fine");
		message_free(m);
	}
}

/* The parent refuses every malformed answer. */
static void
test_serial(void **state)
{
	struct message *m = parse_ok(
			   "From: a@b.c\nSubject: s\nReferences: <x@y>\n"
			   "\nbody\n"),
		       *back = NULL;
	struct msg_buf b = {0};
	enum message_status st;
	const char *why;

	(void)state;
	assert_int_equal(msg_serialise(MESSAGE_OK, NULL, m, &b), 0);
	assert_int_equal(msg_deserialise(b.p, b.len, &st, &back, &why), 0);
	assert_int_equal(st, MESSAGE_OK);
	assert_string_equal(back->subject, "s");
	assert_string_equal(back->references[0], "x@y");
	assert_string_equal(back->parts[0].text, "body\n");
	message_free(back);
	/* Every truncation, and every single-byte change, is handled. */
	for (size_t i = 0; i < b.len; i++) {
		assert_int_equal(msg_deserialise(b.p, i, &st, &back, &why), -1);
		for (int v = 0; v < 256; v += 51) {
			char saved = b.p[i];

			b.p[i] = (char)(saved ^ (char)(v | 1));
			if (msg_deserialise(b.p, b.len, &st, &back, &why) == 0)
				assert_valid_utf8(back ? back : m);
			message_free(back);
			back = NULL;
			b.p[i] = saved;
		}
	}
	msg_buf_free(&b);
	message_free(m);
}

static void
test_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	    {"bad\xff", "bad\xef\xbf\xbd"},
	    {"over\xc0\xaf", "over\xef\xbf\xbd\xef\xbf\xbd"},
	    {"surr\xed\xa0\x80", "surr\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd"},
	    {"\xf4\x90\x80\x80",
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n;
		char *r = msg_utf8_repair(cases[i].in, strlen(cases[i].in), &n);

		assert_string_equal(r, cases[i].out);
		assert_true(msg_utf8_valid(r, n));
		free(r);
	}
	assert_false(msg_utf8_valid("a\0b", 3) && false);
}

/* Line ends: what msg_crlf must make of each kind, table-driven. */
static void
test_crlf_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"a", "a"},
	    {"a\r\nb", "a\r\nb"},
	    {"a\nb\n", "a\r\nb\r\n"},
	    {"a\rb\r", "a\r\nb\r\n"},
	    {"\n\n", "\r\n\r\n"},
	    {"\r\r\n\n", "\r\n\r\n\r\n"},
	    {"\n\r", "\r\n\r\n"},
	    {"x\r\n\r\n\ry", "x\r\n\r\n\r\ny"},
	};
	char *got;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = msg_crlf(cases[i].in, strlen(cases[i].in), 2, &n);
		assert_non_null(got);
		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(got, cases[i].out, n);
		assert_int_equal(got[n], 0);
		assert_int_equal(got[n + 1], 0);
		free(got);
	}
}

/* The rule, byte by byte: the reference for msg_crlf's line-wise loop. */
static size_t
crlf_reference(const char *s, size_t len, char *o)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			o[k++] = '\r';
			o[k++] = '\n';
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
		} else
			o[k++] = s[i];
	}
	return k;
}

/* Random mixes of CR, LF and text, also with NULs, against the rule. */
static void
test_crlf_random(void **state)
{
	static const char alphabet[] = {'\r', '\n', 'a', '\0', '-'};
	char in[300], want[600], *got;
	unsigned seed = 12345;
	size_t n, wn;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)round % sizeof in;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alphabet[(seed >> 16) % sizeof alphabet];
		}
		wn = crlf_reference(in, len, want);
		got = msg_crlf(in, len, 1, &n);
		assert_non_null(got);
		assert_int_equal(n, wn);
		assert_memory_equal(got, want, n);
		free(got);
	}
}

/* The Date header, the last resort for when a message was received. */
static void
test_date_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
	    {"Tue, 1 Dec 2026 17:00:00 +0000", 1796144400},
	    {"1 Dec 2026 17:00:00 +0000", 1796144400},
	    {"Tue, 01 Dec 2026 18:30:00 +0130", 1796144400},
	    {"Tue, 1 Dec 2026 12:00:00 -0500", 1796144400},
	    {"Tue, 1 Dec 2026 12:00:00 EST", 1796144400},
	    {"Tue, 1 Dec 2026 17:00:00 GMT", 1796144400},
	    {"Tue, 1 Dec 2026 17:00 +0000", 1796144400},
	    {"Tue, 1 dec 2026 17:00:00 +0000 (UTC)", 1796144400},
	    {"Thu, 1 Jan 1970 00:00:00 +0000", 0},
	    {"", -1},
	    {"yesterday", -1},
	    {"Tue, 1 Foo 2026 17:00:00 +0000", -1},
	    {"Tue, 32 Dec 2026 17:00:00 +0000", -1},
	    {"Tue, 1 Dec 2026 25:00:00 +0000", -1},
	    {"Tue, 1 Dec 2026 17:00:00 +99x", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = -1;

		if (message_date_parse(cases[i].in, &t) != 0)
			t = -1;
		if (t != cases[i].want)
			fail_msg("\"%s\": %lld, want %lld", cases[i].in,
			    (long long)t, (long long)cases[i].want);
	}
}

/* The Date header: RFC 5322 forms, obsolete ones, and the clamp. */
static void
test_date(void **state)
{
	static const struct {
		const char *s;
		int64_t want; /* -1: not a date */
	} cases[] = {
	    {"Fri, 01 Mar 2024 12:00:00 +0000", 1709294400},
	    {"1 Mar 2024 12:00:00 +0000", 1709294400},
	    {"Fri, 1 Mar 2024 13:30:00 +0130", 1709294400},
	    {"Fri, 01 Mar 2024 07:00:00 -0500 (EST)", 1709294400},
	    {"Fri, 01 Mar 2024 07:00:00 EST", 1709294400},
	    {"Fri, 01 Mar 2024 12:00:00 GMT", 1709294400},
	    {"Fri, 01 Mar 2024 12:00 +0000", 1709294400},
	    {"Fri, 01 Mar 24 12:00:00 +0000", 1709294400},
	    {"Fri, 01 Mar 2024 12:00:00", 1709294400},
	    {"  Fri,  01  Mar  2024  12:00:00  +0000  ", 1709294400},
	    {"Thu, 29 Feb 2024 00:00:00 +0000", 1709164800},
	    {"Sat, 31 Dec 1999 23:59:59 +0000", 946684799},
	    {"Thu, 29 Feb 2023 00:00:00 +0000", -1},
	    {"Fri, 32 Mar 2024 12:00:00 +0000", -1},
	    {"Fri, 01 Foo 2024 12:00:00 +0000", -1},
	    {"Fri, 01 Mar 2024 25:00:00 +0000", -1},
	    {"Fri, 01 Mar 2024 12:00:00 +2400", -1},
	    {"Fri, 01 Mar 2024", -1},
	    {"yesterday", -1},
	    {"", -1},
	    {"2024-03-01T12:00:00Z", -1},
	};
	const int64_t recv = 1709294400 + 3600;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = message_date_parse(cases[i].s, &t);
		if (cases[i].want == -1) {
			if (rc != -1)
				fail_msg("'%s' read as %lld", cases[i].s,
				    (long long)t);
		} else if (rc != 0 || t != cases[i].want)
			fail_msg("'%s': rc %d, %lld, want %lld", cases[i].s, rc,
			    (long long)t, (long long)cases[i].want);
	}
	assert_int_equal(message_date_parse(NULL, &t), -1);
	/* Written an hour before it arrived: believed. */
	assert_int_equal(
	    message_written_at("Fri, 01 Mar 2024 12:00:00 +0000", recv),
	    1709294400);
	/* Missing, unreadable, in the future, or years old: the receipt. */
	assert_int_equal(message_written_at(NULL, recv), recv);
	assert_int_equal(message_written_at("soon", recv), recv);
	assert_int_equal(
	    message_written_at("Fri, 01 Mar 2024 14:00:00 +0000", recv), recv);
	assert_int_equal(
	    message_written_at("Thu, 01 Jan 1970 00:00:00 +0000", recv), recv);
	assert_int_equal(
	    message_written_at("Wed, 01 Mar 2023 12:00:00 +0000", recv), recv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_crafted),
	    cmocka_unit_test(test_lf_crlf),
	    cmocka_unit_test(test_crlf_table),
	    cmocka_unit_test(test_crlf_random),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_charsets),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_big_attachment),
	    cmocka_unit_test(test_worker_crash),
	    cmocka_unit_test(test_serial),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_date_parse),
	    cmocka_unit_test(test_date),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
