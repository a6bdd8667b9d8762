/*
 * Unit tests for request: the message's headers and parts, CRLF and line
 * lengths, the token intact on a line of its own in both parts, the
 * reference in the Subject, RFC 2047 names, and the templates (placeholders
 * substituted; mistakes reported as FILE:LINE).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pledged/request.h"
#include "pledged/token.h"
#include "testutil.h"

#define JTI "abcdefghijklmnopqrstuvwxyz"

/* A real signed token, so the lengths are those of real requests. */
static char *
make_token(void)
{
	char *sec = NULL, *pub = NULL, *pid = NULL, *tok = NULL;
	struct token_secret *sk = NULL;
	struct token_claims c;

	assert_int_equal(token_keygen(&sec, &pub, &pid), 0);
	assert_int_equal(token_secret_from_paserk(sec, &sk), 0);
	memset(&c, 0, sizeof c);
	snprintf(c.sub, sizeof c.sub, "artist@example.net");
	snprintf(c.jti, sizeof c.jti, "%s", JTI);
	c.phase = 1;
	c.iat = 1800000000;
	c.exp = c.iat + 30 * 86400;
	assert_int_equal(token_sign(sk, &c, "nomusicforice", &tok), 0);
	token_secret_free(sk);
	token_string_free(sec);
	free(pub);
	free(pid);
	return tok;
}

static struct request_params
params(const char *token)
{
	struct request_params p = {
	    .from = "NoMusicForICE <pledges@example.org>",
	    .to = "artist@example.net",
	    .to_name = "Ada Artist",
	    .token = token,
	    .jti = JTI,
	    .campaign = "nomusicforice",
	    .phase = 1,
	    .expires_at = 1800000000 + 30 * 86400,
	    .date = 1800000000,
	};
	return p;
}

static char *
build(const struct request_templates *rt, const struct request_params *p)
{
	char *msg = NULL, mid[REQUEST_MSGID_MAX];
	size_t len = 0;

	assert_int_equal(request_build(rt, p, &msg, &len, mid), 0);
	assert_int_equal(strlen(msg), len);
	assert_string_equal(mid, "<" JTI "@example.org>");
	return msg;
}

/* The value of the first header 'name' (unfolded), or NULL; new string. */
static char *
header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
	size_t n = strlen(name);
	char *out;

	assert_non_null(end);
	while (p < end) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = v;
			size_t k = 0;
			while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' ' &&
			    e[2] != '\t'))
				e++;
			out = malloc((size_t)(e - v) + 1);
			for (const char *q = v; q < e; q++)
				if (*q != '\r' && *q != '\n')
					out[k++] = *q;
			out[k] = '\0';
			return out;
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

static void
test_well_formed(void **state)
{
	struct request_templates *rt = NULL;
	struct request_params p;
	char *tok = make_token(), *msg, *h, *line;
	static const char *const required[] = {"From", "To", "Reply-To",
	    "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"};

	(void)state;
	assert_int_equal(request_templates_load(NULL, &rt), 0);
	p = params(tok);
	msg = build(rt, &p);

	/* CRLF everywhere, no bare CR or LF, no line over 998 octets. */
	for (const char *q = msg, *bol = msg; *q; q++) {
		if (*q == '\n')
			assert_true(q > msg && q[-1] == '\r');
		if (*q == '\r')
			assert_true(q[1] == '\n');
		if (*q == '\n') {
			assert_true(q - bol <= 999);
			bol = q + 1;
		}
	}
	assert_true(
	    strlen(msg) > 2 && strcmp(msg + strlen(msg) - 2, "\r\n") == 0);

	for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
		h = header(msg, required[i]);
		assert_non_null(h);
		free(h);
	}
	h = header(msg, "From");
	assert_string_equal(h, " NoMusicForICE <pledges@example.org>");
	free(h);
	h = header(msg, "Reply-To");
	assert_string_equal(h, " NoMusicForICE <pledges@example.org>");
	free(h);
	h = header(msg, "To");
	assert_string_equal(h, " Ada Artist <artist@example.net>");
	free(h);
	h = header(msg, "Date");
	assert_string_equal(h, " Fri, 15 Jan 2027 08:00:00 +0000");
	free(h);
	h = header(msg, "Message-ID");
	assert_string_equal(h, " <" JTI "@example.org>");
	free(h);
	h = header(msg, "Subject");
	assert_non_null(strstr(h, "[ref:" JTI "]"));
	assert_non_null(strstr(h, "nomusicforice"));
	free(h);
	assert_null(header(msg, "Auto-Submitted"));

	/* Both parts, 7bit (ASCII text), never quoted-printable. */
	assert_non_null(strstr(msg, "multipart/alternative; boundary="));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(msg, "Content-Type: text/html; charset=utf-8"));
	assert_null(strstr(msg, "quoted-printable"));
	assert_non_null(strstr(msg, "--=_pledged_" JTI "--\r\n"));

	/* The token intact on a line of its own, in both parts. */
	line = tu_asprintf("\r\n%s\r\n", tok);
	{
		const char *first = strstr(msg, line), *html;
		assert_non_null(first);
		html = strstr(msg, "text/html");
		assert_true(first < html);
		assert_non_null(strstr(html, line));
	}
	/* The text asks for the reply and says how to refuse. */
	assert_non_null(strstr(msg, "reply to this\r\nmessage to confirm"));
	assert_non_null(strstr(msg, "Answer NO"));
	assert_non_null(strstr(msg, "2027-02-14 08:00 UTC"));
	free(line);
	free(msg);

	/* Auto-Submitted on request. */
	p.auto_submitted = true;
	msg = build(rt, &p);
	h = header(msg, "Auto-Submitted");
	assert_string_equal(h, " auto-generated");
	free(h);
	free(msg);

	request_templates_free(rt);
	free(tok);
}

/* Display names: plain, quoted, RFC 2047, and hostile ones. */
static void
test_names(void **state)
{
	static const struct {
		const char *name, *to;
	} cases[] = {
	    {NULL, " artist@example.net"},
	    {"", " artist@example.net"},
	    {"Ada", " Ada <artist@example.net>"},
	    {"Artist, Ada", " \"Artist, Ada\" <artist@example.net>"},
	    {"A \"B\" C", " \"A \\\"B\\\" C\" <artist@example.net>"},
	    {"Zoë", " =?UTF-8?B?Wm/Dqw==?= <artist@example.net>"},
	    /* A CR LF in a stored name must not start a header. */
	    {"Eve\r\nBcc: x@y", " \"Eve  Bcc: x@y\" <artist@example.net>"},
	};
	struct request_templates *rt = NULL;
	struct request_params p;
	char *tok = make_token(), *msg, *h;

	(void)state;
	assert_int_equal(request_templates_load(NULL, &rt), 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		p = params(tok);
		p.to_name = cases[i].name;
		msg = build(rt, &p);
		h = header(msg, "To");
		assert_string_equal(h, cases[i].to);
		assert_null(header(msg, "Bcc"));
		free(h);
		free(msg);
	}

	/* A long non-ASCII name: encoded-words of at most 75 characters,
	 * folded, each cut between characters. */
	p = params(tok);
	p.to_name = "Ωμέγα Ωμέγα Ωμέγα Ωμέγα Ωμέγα Ωμέγα Ωμέγα Ωμέγα Ωμέγα";
	msg = build(rt, &p);
	h = header(msg, "To");
	assert_non_null(strstr(h, "?= =?UTF-8?B?"));
	free(h);
	{
		const char *to = strstr(msg, "\r\nTo: ") + 2;
		const char *end = strstr(to, "\r\nReply-To:");
		for (const char *q = to; q < end;) {
			const char *e = strstr(q, "\r\n");
			assert_true(e - q <= 78);
			q = e + 2;
		}
	}
	free(msg);

	/* A From with a non-ASCII name is encoded too. */
	p = params(tok);
	p.from = "Künstler <pledges@example.org>";
	msg = build(rt, &p);
	h = header(msg, "From");
	assert_string_equal(
	    h, " =?UTF-8?B?S8O8bnN0bGVy?= <pledges@example.org>");
	free(h);
	free(msg);

	request_templates_free(rt);
	free(tok);
}

/* Bad parameters are refused, not written into headers. */
static void
test_bad_params(void **state)
{
	struct request_templates *rt = NULL;
	struct request_params p;
	char *tok = make_token(), *msg = NULL;
	size_t len;

	(void)state;
	assert_int_equal(request_templates_load(NULL, &rt), 0);
	static const struct {
		const char *from, *to, *jti;
		int phase;
	} cases[] = {
	    {"no address here", "a@b.c", JTI, 1},
	    {"x <a@b.c", "a@b.c", JTI, 1},
	    {"x <a@b.c>", "a@b.c\r\nBcc: e@f", JTI, 1},
	    {"x <a@b.c>", "noat", JTI, 1},
	    {"x <a@b.c>", "a@b.c", "short", 1},
	    {"x <a@b.c>", "a@b.c", "bad jti with spaces", 1},
	    {"x <a@b.c>", "a@b.c", JTI, 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		p = params(tok);
		p.from = cases[i].from;
		p.to = cases[i].to;
		p.jti = cases[i].jti;
		p.phase = cases[i].phase;
		assert_int_equal(request_build(rt, &p, &msg, &len, NULL), -1);
		assert_null(msg);
	}
	request_templates_free(rt);
	free(tok);
}

static void
test_message_id(void **state)
{
	char buf[REQUEST_MSGID_MAX], addr[64];

	(void)state;
	assert_int_equal(request_message_id("a@b.example", JTI, buf), 0);
	assert_string_equal(buf, "<" JTI "@b.example>");
	assert_int_equal(
	    request_message_id("\"N, M\" <x@y.example>", JTI, buf), 0);
	assert_string_equal(buf, "<" JTI "@y.example>");
	assert_int_equal(request_message_id("nobody", JTI, buf), -1);
	assert_int_equal(
	    request_from_address("N <x@y.example>", addr, sizeof addr), 0);
	assert_string_equal(addr, "x@y.example");
}

/* Run request_templates_load on 'dir' capturing standard error. */
static int
load_capture(const char *dir, struct request_templates **rt, char **err)
{
	char *tmp = tu_mkdtemp("stderr"), *path = tu_asprintf("%s/e", tmp);
	int saved = dup(2), fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = request_templates_load(dir, rt);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	*err = tu_read_file(path, NULL);
	tu_rmtree(tmp);
	free(path);
	free(tmp);
	return rc;
}

static void
test_templates(void **state)
{
	static const char good[] =
	    "Subject: Hi {name}, confirm {campaign} phase {phase}\n"
	    "\n"
	    "Dear {name} <{address}>,\n"
	    "reply to confirm; answer NO if you do not want to join.\n"
	    "  {token}  \n"
	    "Ref {ref}, valid until {expires}. {{literal}\n";
	static const struct {
		const char *text, *error; /* error: expected substring */
	} bad[] = {
	    {"Subject: x\n\n{token}\nHello {nme}\n",
		"request-phase1.txt:4: unknown placeholder {nme}"},
	    {"Subject: x\n\nno token here\n", "the body has no {token} line"},
	    {"Subjekt: x\n\n{token}\n", "request-phase1.txt:1: the first line"},
	    {"Subject: x {token}\n\n{token}\n",
		"request-phase1.txt:1: {token} belongs in the body"},
	    {"Subject: x\n\nline\ncode: {token}\n",
		"request-phase1.txt:4: {token} must be alone"},
	    {"Subject: x\n\n{token}\n{unterminated\n",
		"request-phase1.txt:4: unknown placeholder {unterminated"},
	    {"Subject:   \n\n{token}\n", "request-phase1.txt:1: empty Subject"},
	};
	char *dir = tu_mkdtemp("tmpl"),
	     *p1 = tu_asprintf("%s/request-phase1.txt", dir);
	struct request_templates *rt = NULL;
	struct request_params p;
	char *tok = make_token(), *msg, *h, *err, *want;

	(void)state;
	tu_write_file(p1, good, strlen(good), 0644);
	assert_int_equal(request_templates_load(dir, &rt), 0);
	p = params(tok);
	msg = build(rt, &p);
	h = header(msg, "Subject");
	assert_string_equal(
	    h, " Hi Ada Artist, confirm nomusicforice phase 1 [ref:" JTI "]");
	free(h);
	assert_non_null(
	    strstr(msg, "\r\nDear Ada Artist <artist@example.net>,\r\n"));
	want = tu_asprintf("\r\n  %s  \r\n", tok);
	assert_non_null(strstr(msg, want));
	free(want);
	assert_non_null(strstr(msg,
	    "\r\nRef " JTI
	    ", valid until 2027-02-14 08:00 UTC. {literal}\r\n"));
	/* HTML-escaped in the HTML part. */
	assert_non_null(
	    strstr(msg, "Dear Ada Artist &lt;artist@example.net&gt;,"));
	free(msg);
	/* Phase 2 has no file in the directory: the built-in text. */
	p.phase = 2;
	msg = build(rt, &p);
	assert_non_null(strstr(msg, "phase two"));
	free(msg);
	request_templates_free(rt);

	/* A name with HTML in it is escaped in the HTML part. */
	assert_int_equal(request_templates_load(NULL, &rt), 0);
	p = params(tok);
	p.to_name = "<b>Bold</b> & co";
	msg = build(rt, &p);
	assert_non_null(strstr(msg, "Hello &lt;b&gt;Bold&lt;/b&gt; &amp; co,"));
	assert_null(strstr(strstr(msg, "text/html"), "Hello <b>"));
	free(msg);
	request_templates_free(rt);

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		tu_write_file(p1, bad[i].text, strlen(bad[i].text), 0644);
		rt = NULL;
		assert_int_equal(load_capture(dir, &rt, &err), -1);
		assert_null(rt);
		if (strstr(err, bad[i].error) == NULL)
			fail_msg(
			    "case %zu: '%s' not in '%s'", i, bad[i].error, err);
		free(err);
	}
	tu_rmtree(dir);
	free(p1);
	free(dir);
	free(tok);
}

/* A Subject with non-ASCII text is encoded; the reference stays plain. */
static void
test_subject_encoded(void **state)
{
	static const char tmpl[] = "Subject: Bestätigung für {name}\n{token}\n";
	char *dir = tu_mkdtemp("tmpl"),
	     *p1 = tu_asprintf("%s/request-phase1.txt", dir);
	struct request_templates *rt = NULL;
	struct request_params p;
	char *tok = make_token(), *msg, *h;

	(void)state;
	tu_write_file(p1, tmpl, strlen(tmpl), 0644);
	assert_int_equal(request_templates_load(dir, &rt), 0);
	p = params(tok);
	msg = build(rt, &p);
	h = header(msg, "Subject");
	assert_true(strncmp(h, " =?UTF-8?B?", 11) == 0);
	assert_non_null(strstr(h, "?= [ref:" JTI "]"));
	free(h);
	/* The body is UTF-8 in 8bit only where it needs to be. */
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 7bit"));
	free(msg);
	p.to_name = "Zoë";
	msg = build(rt, &p);
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 8bit"));
	free(msg);
	request_templates_free(rt);
	tu_rmtree(dir);
	free(p1);
	free(dir);
	free(tok);
}

/* contrib/templates holds the built-in texts, for organizers to copy. */
static void
test_shipped_templates(void **state)
{
	struct request_templates *builtin = NULL, *shipped = NULL;
	struct request_params p;
	char *tok = make_token(), *a, *b;

	(void)state;
	assert_int_equal(request_templates_load(NULL, &builtin), 0);
	assert_int_equal(request_templates_load(
			     PLEDGED_SOURCE_DIR "/contrib/templates", &shipped),
	    0);
	for (int phase = 1; phase <= 2; phase++) {
		p = params(tok);
		p.phase = phase;
		a = build(builtin, &p);
		b = build(shipped, &p);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	request_templates_free(builtin);
	request_templates_free(shipped);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_message_id),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_subject_encoded),
	    cmocka_unit_test(test_shipped_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
