/*
 * Adversarial benchmark: the whole per-message work of the daemon
 * (message_parse, then classify_message with its text extraction, token
 * search and verification) over hostile messages of 1, 2, 4 and 8 MiB,
 * to show that the time per MiB stays flat: no input is superlinear.
 *
 *   build/bench_adversarial [CASE-SUBSTRING] [MAX-MiB]
 *
 * BENCH_LIMIT (CPU seconds, default 120) stops a run that takes longer,
 * and the larger sizes of its case: the case is then reported superlinear.
 *
 * Each case is a message whose body (or Subject, for subject-*) is one
 * short unit repeated to the size, optionally after a prefix (the 256
 * open elements of html-end-full-stack, say).  Each run is a forked
 * child, so that its peak RSS is its own: the parent reads the CPU time
 * the child measured around parse + classify through a pipe, and the
 * peak RSS from wait4().  The limits are raised above the daemon's
 * (max_bytes and max_text 32 MiB) so that every byte is read: the
 * daemon's 4 MiB text cap would otherwise hide a superlinear step.
 *
 * Output: one line per case and size (CPU seconds, seconds per MiB, peak
 * RSS in MiB), then per case the ratio of the largest to the smallest
 * time per MiB.  A ratio near 1 is linear; about 2 per doubling is
 * quadratic.  Exit status 1 when any ratio is above 2.5 (a noisy shared
 * machine stays well below that for linear code; quadratic code reaches
 * 8 over 1..8 MiB).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pledged/classify.h"
#include "pledged/message.h"
#include "pledged/text.h"
#include "pledged/token.h"

/* _RAW: the header says so, the body is written as is. */
enum enc { E_8BIT, E_BASE64, E_QP, E_QP_RAW, E_BASE64_RAW };
/* W_PARTS: the units spread over PARTS text/plain parts; W_HEADER: the
   units make the header named by the prefix ("References"). */
enum where { W_BODY, W_SUBJECT, W_PARTS, W_HEADER };
#define PARTS 100

struct bcase {
	const char *name;
	const char *ctype; /* Content-Type value */
	enum enc enc;
	enum where where;
	const char *prefix; /* repeated prefix_n times before the units */
	int prefix_n;
	const char *unit;
};

/* A prefix made by long_tokens() below. */
static const char LONG_TOKENS[] = "(long tokens)";

#define HTML "text/html; charset=utf-8"
#define PLAIN "text/plain; charset=utf-8"
#define FLOWED "text/plain; charset=utf-8; format=flowed"

static const struct bcase cases[] = {
    {"html-amp", HTML, E_8BIT, W_BODY, NULL, 0, "&"},
    {"html-amp-hash", HTML, E_8BIT, W_BODY, NULL, 0, "&#"},
    {"html-amp-hex", HTML, E_8BIT, W_BODY, NULL, 0, "&#x"},
    {"html-amp-named", HTML, E_8BIT, W_BODY, NULL, 0, "&amp;&eacute;&bog;"},
    {"html-lt", HTML, E_8BIT, W_BODY, NULL, 0, "<"},
    {"html-end", HTML, E_8BIT, W_BODY, NULL, 0, "</"},
    {"html-end-x", HTML, E_8BIT, W_BODY, NULL, 0, "</x"},
    {"html-end-full-stack", HTML, E_8BIT, W_BODY, "<div>", 256, "</x>"},
    {"html-end-deep-match", HTML, E_8BIT, W_BODY, "<p>", 1,
	"<i><b><u><s><q></p><p>"},
    {"html-comment", HTML, E_8BIT, W_BODY, NULL, 0, "<!--"},
    {"html-comment-end", HTML, E_8BIT, W_BODY, NULL, 0, "<!-- -->"},
    {"html-bang", HTML, E_8BIT, W_BODY, NULL, 0, "<!"},
    {"html-open-tag", HTML, E_8BIT, W_BODY, NULL, 0, "<a "},
    {"html-open-quote", HTML, E_8BIT, W_BODY, "<a href=\"", 1, "x"},
    {"html-attrs", HTML, E_8BIT, W_BODY, "<a", 1, " href=x"},
    {"html-nest-div", HTML, E_8BIT, W_BODY, NULL, 0, "<div>"},
    {"html-nest-quote", HTML, E_8BIT, W_BODY, NULL, 0,
	"<blockquote><div class=gmail_quote>"},
    {"html-head", HTML, E_8BIT, W_BODY, NULL, 0, "<head>a<body>"},
    {"html-script", HTML, E_8BIT, W_BODY, NULL, 0, "<script>a"},
    {"html-style-closed", HTML, E_8BIT, W_BODY, NULL, 0, "<style>a</style>"},
    {"html-links", HTML, E_8BIT, W_BODY, NULL, 0,
	"<a href=\"https://x/?v4.public.AAAA&amp;\">v4.public.BBBB</a>"},
    {"html-outlook-style", HTML, E_8BIT, W_BODY, NULL, 0,
	"<div style=\"border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0\">"},
    {"html-base64", HTML, E_BASE64, W_BODY, NULL, 0, "&</x<"},
    {"html-qp", HTML, E_QP, W_BODY, NULL, 0, "&</x<"},
    {"plain-long-line", PLAIN, E_8BIT, W_BODY, NULL, 0, "a"},
    {"plain-spaces", PLAIN, E_8BIT, W_BODY, "x\n", 1, " "},
    {"plain-blank-lines", PLAIN, E_8BIT, W_BODY, NULL, 0, " \n"},
    {"plain-quote-deep", PLAIN, E_8BIT, W_BODY, NULL, 0, ">"},
    {"plain-quote-lines", PLAIN, E_8BIT, W_BODY, NULL, 0, "> > > > > x\n"},
    {"plain-quote-after-attrib", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"On 1 Jan 2024, A <a@b.c> wrote:\n\n\n> x\nok\n"},
    {"plain-attrib-evidence", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21:\n"},
    {"plain-colon-lines", PLAIN, E_8BIT, W_BODY, NULL, 0, "1:\n"},
    {"plain-header-lines", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"To: a\nCc: b\nDate: 1\n"},
    {"plain-tokens", PLAIN, E_8BIT, W_BODY, NULL, 0, "v4.public."},
    {"plain-token-lines", PLAIN, E_8BIT, W_BODY, NULL, 0, "v4.public.AAAA\n"},
    {"plain-token-wrap", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"v4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	"\n> "},
    {"plain-token-distinct", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"v4.public.AbCd\nv4.public.AbCe\nv4.public.AbCf.x\n"},
    {"plain-token-dup-after-long", PLAIN, E_8BIT, W_BODY, LONG_TOKENS, 1,
	"v4.public.A "},
    {"plain-percent", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"%25%37%36%34%2Epublic%2E"},
    {"plain-proofpoint", PLAIN, E_8BIT, W_BODY, NULL, 0, "/v2/url?u=-2D_"},
    {"plain-urldefense", PLAIN, E_8BIT, W_BODY, NULL, 0, "v4.public.AAAA__;"},
    {"plain-questions", PLAIN, E_8BIT, W_BODY, NULL, 0, "a? "},
    {"plain-question-url", PLAIN, E_8BIT, W_BODY, NULL, 0, "http://x/?a? "},
    {"plain-keywords", PLAIN, E_8BIT, W_BODY, NULL, 0, "know nothing "},
    {"plain-keyword-url", PLAIN, E_8BIT, W_BODY, NULL, 0,
	"no-no-no-https://no/"},
    {"plain-base64", PLAIN, E_BASE64, W_BODY, NULL, 0, "> v4.public.A\n"},
    {"plain-base64-junk", PLAIN, E_BASE64_RAW, W_BODY, NULL, 0, "!!!!====="},
    {"plain-qp-soft", PLAIN, E_QP_RAW, W_BODY, NULL, 0, "a=\n"},
    {"plain-qp-escapes", PLAIN, E_QP_RAW, W_BODY, NULL, 0, "=3D=X=\r"},
    {"flowed-lines", FLOWED, E_8BIT, W_BODY, NULL, 0, "a \n"},
    {"flowed-quotes", FLOWED, E_8BIT, W_BODY, NULL, 0, ">>>> a \n"},
    {"parts-tokens", PLAIN, E_8BIT, W_PARTS, NULL, 0, NULL},
    {"subject-re", PLAIN, E_8BIT, W_SUBJECT, NULL, 0, "Re: "},
    {"subject-re-n", PLAIN, E_8BIT, W_SUBJECT, NULL, 0, "Re[2]: AW: "},
    {"subject-ref", PLAIN, E_8BIT, W_SUBJECT, NULL, 0, "[ref:"},
    {"subject-external", PLAIN, E_8BIT, W_SUBJECT, NULL, 0, "[EXTERNAL] "},
    {"subject-2047", PLAIN, E_8BIT, W_SUBJECT, NULL, 0,
	"=?utf-8?q?R=C3=A9:_?= =?iso-8859-1?b?6Q==?= "},
    {"header-references", PLAIN, E_8BIT, W_HEADER, "References", 0, "<a@b> "},
    {"header-auth-results", PLAIN, E_8BIT, W_HEADER, "Authentication-Results",
	0, "mx; dmarc=pass (a; dmarc=fail) "},
    {"header-from-list", PLAIN, E_8BIT, W_HEADER, "Cc", 0, "a <b@c>, "},
};

static const char *const cte_names[] = {"quoted-printable", "base64", "8bit"};

/* A growable buffer that aborts on exhaustion: a benchmark, not a daemon. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/*
 * 64 different token-shaped lines of 100 bytes: each part gives the token
 * search its maximum of candidates, and every one must be verified.
 */
static const char *
distinct_tokens(void)
{
	static char u[64 * 101 + 1];
	size_t o = 0;

	if (u[0] != '\0')
		return u;
	for (int i = 0; i < 64; i++) {
		o += (size_t)snprintf(u + o, sizeof u - o, "v4.public.%02d", i);
		for (; o % 101 != 100; o++)
			u[o] = (char)('A' + o % 26);
		u[o++] = '\n';
	}
	u[o] = '\0';
	return u;
}

/*
 * 62 distinct token-shaped runs of 8 KB, then a short one: the short one
 * repeated is a duplicate that the search compares with every stored
 * candidate.
 */
static const char *
long_tokens(void)
{
	static char *u;
	size_t o = 0;

	if (u != NULL)
		return u;
	if ((u = malloc(62 * 8014 + 16)) == NULL)
		abort();
	for (int i = 0; i < 62; i++) {
		o += (size_t)sprintf(u + o, "v4.public.%02d", i);
		memset(u + o, 'A', 8000);
		o += 8000;
		u[o++] = ' ';
	}
	strcpy(u + o, "v4.public.A ");
	return u;
}

/* The prefix, then units up to 'size' bytes. */
static void
content(const struct bcase *c, size_t size, struct buf *out)
{
	const char *unit = c->unit != NULL ? c->unit : distinct_tokens();
	size_t ul = strlen(unit);

	for (int i = 0; c->prefix != NULL && i < c->prefix_n; i++)
		puts_(
		    out, c->prefix == LONG_TOKENS ? long_tokens() : c->prefix);
	while (out->len + ul <= size)
		put(out, unit, ul);
}

static void
base64(const struct buf *in, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	size_t i, col = 0;
	char q[4];

	for (i = 0; i + 3 <= in->len; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in->p[i] << 16 |
		    (uint32_t)(unsigned char)in->p[i + 1] << 8 |
		    (unsigned char)in->p[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		put(out, q, 4);
		if ((col += 4) >= 76) {
			put(out, "\r\n", 2);
			col = 0;
		}
	}
	put(out, "\r\n", 2);
}

static void
qp(const struct buf *in, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	char e[3];

	for (size_t i = 0; i < in->len; i++) {
		unsigned char ch = (unsigned char)in->p[i];
		if (col >= 72) {
			put(out, "=\r\n", 3);
			col = 0;
		}
		if (ch == '\n') {
			put(out, "\r\n", 2);
			col = 0;
		} else if (ch == '=' || ch < 32 || ch > 126) {
			e[0] = '=';
			e[1] = hex[ch >> 4];
			e[2] = hex[ch & 15];
			put(out, e, 3);
			col += 3;
		} else {
			put(out, (const char *)&ch, 1);
			col++;
		}
	}
}

static void
message(const struct bcase *c, size_t size, struct buf *m)
{
	struct buf body = {0};

	puts_(m,
	    "From: Artist <artist@example.org>\r\n"
	    "To: pledges@example.org\r\n"
	    "Message-ID: <bench@example.org>\r\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	    "MIME-Version: 1.0\r\n");
	if (c->where == W_HEADER) {
		struct buf h = {0};
		struct bcase plain = *c;

		plain.prefix = NULL;
		content(&plain, size, &h);
		puts_(m, c->prefix);
		puts_(m, ": ");
		put(m, h.p, h.len);
		puts_(m, "\r\n");
		free(h.p);
	}
	puts_(m, "Subject: ");
	if (c->where == W_SUBJECT)
		content(c, size, m);
	else
		puts_(m, "Re: hello");
	puts_(m, "\r\nContent-Type: ");
	puts_(
	    m, c->where == W_PARTS ? "multipart/mixed; boundary=b" : c->ctype);
	puts_(m, "\r\nContent-Transfer-Encoding: ");
	puts_(m,
	    c->enc == E_QP || c->enc == E_QP_RAW	       ? cte_names[0]
		: c->enc == E_BASE64 || c->enc == E_BASE64_RAW ? cte_names[1]
							       : cte_names[2]);
	puts_(m, "\r\n\r\n");
	if (c->where == W_SUBJECT || c->where == W_HEADER) {
		puts_(m, "yes\r\n");
		return;
	}
	if (c->where == W_PARTS) {
		for (int i = 0; i < PARTS; i++) {
			body.len = 0;
			content(c, size / PARTS, &body);
			puts_(m, "--b\r\nContent-Type: " PLAIN "\r\n\r\n");
			put(m, body.p, body.len);
			puts_(m, "\r\n");
		}
		puts_(m, "--b--\r\n");
		free(body.p);
		return;
	}
	/* Encoded bodies grow by a third: make the decoded text 'size'. */
	content(c, size, &body);
	if (c->enc == E_BASE64)
		base64(&body, m);
	else if (c->enc == E_QP)
		qp(&body, m);
	else
		put(m, body.p, body.len);
	free(body.p);
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *const pledge_kw[] = {"pledge"};
static char *const withdraw_kw[] = {"withdraw", "unsubscribe"};
static char *const yes_kw[] = {"yes", "confirm", "oui", "sí"};
static char *const no_kw[] = {"no", "decline", "nein", "não"};

/* The child: build, then time parse + classify. */
static double
run_one(const struct bcase *c, size_t size)
{
	struct message_limits lim;
	struct classify_policy pol;
	struct classify_lookup lk;
	struct classify_result r;
	struct token_keyring *ring = token_keyring_new();
	struct message *msg = NULL;
	struct buf m = {0};
	const char *why = NULL;
	char *sec, *pub, *pid;
	double t0;

	if (ring == NULL || token_keygen(&sec, &pub, &pid) != 0 ||
	    token_keyring_add(ring, pub) != 0)
		abort();
	message_limits_default(&lim);
	lim.max_bytes = lim.max_text = 32u << 20;
	lim.max_header_len = 16u << 20;
	memset(&pol, 0, sizeof pol);
	memset(&lk, 0, sizeof lk);
	pol.keyring = ring;
	pol.campaign = "nomusicforice";
	pol.clock_skew = 300;
	pol.pledge_keywords = pledge_kw, pol.n_pledge_keywords = 1;
	pol.withdraw_keywords = withdraw_kw, pol.n_withdraw_keywords = 2;
	pol.yes_keywords = yes_kw, pol.n_yes_keywords = 4;
	pol.no_keywords = no_kw, pol.n_no_keywords = 4;
	message(c, size, &m);
	t0 = cpu_now();
	if (message_parse(m.p, m.len, &lim, &msg, &why) == MESSAGE_OK)
		classify_message(&pol, &lk, msg, 1800000000, &r);
	else
		fprintf(stderr, "%s: unparseable: %s\n", c->name, why);
	t0 = cpu_now() - t0;
	message_free(msg);
	free(m.p);
	return t0;
}

static unsigned run_limit = 120;

/* 0 done, 1 over run_limit seconds, -1 failed. */
static int
measure(const struct bcase *c, size_t mib, double *secs, double *rss_mib)
{
	int fd[2], status;
	struct rusage ru;
	pid_t pid;

	if (pipe(fd) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		double t;
		/* A quadratic case at 8 MiB would run for hours.  CPU time,
		   not wall-clock time: the machine may be busy. */
		struct rlimit r = {run_limit, run_limit + 1};
		setrlimit(RLIMIT_CPU, &r);
		t = run_one(c, mib << 20);
		close(fd[0]);
		_exit(write(fd[1], &t, sizeof t) == sizeof t ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], secs, sizeof *secs) != sizeof *secs)
		*secs = -1;
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	if (WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL))
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || *secs < 0)
		return -1;
	*rss_mib = (double)ru.ru_maxrss / 1024.0;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	size_t max_mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
	double worst = 0;
	int bad = 0, rc = 0;

	if (getenv("BENCH_LIMIT") != NULL)
		run_limit = (unsigned)strtoul(getenv("BENCH_LIMIT"), NULL, 10);

	printf("%-26s %4s %9s %9s %9s\n", "case", "MiB", "cpu s", "s/MiB",
	    "rss MiB");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bcase *c = &cases[i];
		double lo = 1e9, hi = 0, secs, rss, ratio;

		if (strstr(c->name, only) == NULL)
			continue;
		rc = 0;
		for (size_t mib = 1; mib <= max_mib; mib *= 2) {
			if ((rc = measure(c, mib, &secs, &rss)) != 0) {
				if (rc > 0)
					printf("%-26s %4zu  > %u s: stopped\n",
					    c->name, mib, run_limit);
				else
					printf("%-26s %4zu   FAILED\n", c->name,
					    mib);
				bad = 1;
				break;
			}
			printf("%-26s %4zu %9.3f %9.3f %9.1f\n", c->name, mib,
			    secs, secs / (double)mib, rss);
			/* Below 10 ms the clock's grain is the ratio. */
			if (secs / (double)mib < lo)
				lo = secs / (double)mib > 0.01
				    ? secs / (double)mib
				    : 0.01;
			if (secs / (double)mib > hi)
				hi = secs / (double)mib;
		}
		ratio = hi > lo ? hi / lo : 1.0;
		if (rc != 0) {
			printf("%-26s ratio: not measured, stopped\n", c->name);
			continue;
		}
		if (ratio > worst)
			worst = ratio;
		printf("%-26s ratio max/min s/MiB %.2f%s\n", c->name, ratio,
		    ratio > 2.5 ? "  SUPERLINEAR" : "");
		if (ratio > 2.5)
			bad = 1;
		fflush(stdout);
	}
	printf("worst ratio %.2f\n", worst);
	return bad;
}
