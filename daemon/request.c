/*
 * request: build the confirmation request (include/pledged/request.h).
 *
 * Design note.  The message is written by hand, not through libetpan's
 * MIME writer: it is small, its shape is fixed, and what matters -- the
 * token on one unbroken line, CRLF everywhere, no line over 998 octets --
 * is easiest to guarantee where every byte is visible.  Both parts are
 * 7bit or 8bit, never quoted-printable, whose 76-column soft breaks would
 * cut the token.  The templates are checked completely at load time
 * (every placeholder known, {token} alone on a body line), so that a
 * mistake shows before the first message leaves, with FILE:LINE, and
 * request_build can only fail on values (an overlong line, memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pledged/addr.h"
#include "pledged/log.h"
#include "pledged/request.h"

/* RFC 5322 2.1.1: 998 octets a line, CRLF excluded. */
#define LINE_MAX_OCTETS 998
/* A template line, before substitution: room left for values. */
#define TEMPLATE_LINE_MAX 900
#define TEMPLATE_FILE_MAX (64 * 1024)
/* Display names longer than this are cut (at a UTF-8 boundary). */
#define NAME_MAX_BYTES 200

struct template
{
	char *subject; /* after "Subject:", trimmed */
	char *body;    /* LF line ends, no trailing newline needed */
};

struct request_templates {
	struct template phase[2];
};

static const char default_phase1[] =
    "Subject: Please confirm your pledge to {campaign}\n"
    "\n"
    "Hello {name},\n"
    "\n"
    "Thank you for pledging to join {campaign}. To make sure that the\n"
    "pledge really comes from you, please confirm it: reply to this\n"
    "message to confirm (a reply with no text of its own is enough).\n"
    "Answer NO if you do not want to join.\n"
    "\n"
    "Please leave the confirmation code below in your reply; it tells\n"
    "us that the answer is yours:\n"
    "\n"
    "{token}\n"
    "\n"
    "Reference: {ref}\n"
    "This request is valid until {expires}.\n"
    "\n"
    "If you did not pledge, ignore this message or answer NO: nothing\n"
    "is recorded as confirmed without your reply.\n";

/*
 * Phase two goes to every pledger, whether or not a phase-one round ran:
 * the text presumes nothing beyond the pledge (and says what to do if
 * even that is wrong).  Keep in step with contrib/templates.
 */
static const char default_phase2[] =
    "Subject: {campaign}, phase two: please confirm your takedown notice\n"
    "\n"
    "Hello {name},\n"
    "\n"
    "Phase two of {campaign} has begun: each artist who pledged now sends\n"
    "the company a takedown notice that asks it to remove their music.\n"
    "Once you have sent yours, reply to this message to confirm (a reply\n"
    "with no text of its own is enough).\n"
    "Answer NO if you do not want to join phase two.\n"
    "\n"
    "Please leave the confirmation code below in your reply; it tells\n"
    "us that the answer is yours:\n"
    "\n"
    "{token}\n"
    "\n"
    "Reference: {ref}\n"
    "This request is valid until {expires}.\n"
    "\n"
    "If you did not pledge, ignore this message or answer NO: nothing\n"
    "is recorded as confirmed without your reply.\n";

/* ------------------------------------------------------------------ */
/* A growing buffer; after a failed allocation every append is a no-op
 * and 'err' stays set, so callers check once at the end. */

struct buf {
	char *p;
	size_t len, cap;
	bool err;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *np;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->err = true;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

/* ------------------------------------------------------------------ */
/* Placeholders. */

enum ph {
	PH_NAME,
	PH_ADDRESS,
	PH_TOKEN,
	PH_REF,
	PH_EXPIRES,
	PH_CAMPAIGN,
	PH_PHASE,
	PH_COUNT,
};

static const char *const ph_names[PH_COUNT] = {
    [PH_NAME] = "name",
    [PH_ADDRESS] = "address",
    [PH_TOKEN] = "token",
    [PH_REF] = "ref",
    [PH_EXPIRES] = "expires",
    [PH_CAMPAIGN] = "campaign",
    [PH_PHASE] = "phase",
};

/*
 * The placeholder at 's' (which starts with '{'): its index and, in *n,
 * its length with the braces; -1 for an unknown one (*n then spans up to
 * the closing brace, or 1 when there is none on the line).
 */
static int
ph_match(const char *s, size_t *n)
{
	const char *end = strpbrk(s + 1, "}\n");

	if (end == NULL || *end != '}') {
		*n = 1;
		return -1;
	}
	*n = (size_t)(end - s) + 1;
	for (int i = 0; i < PH_COUNT; i++) {
		size_t k = strlen(ph_names[i]);
		if ((size_t)(end - s - 1) == k &&
		    strncmp(s + 1, ph_names[i], k) == 0)
			return i;
	}
	return -1;
}

/* Is this line (no newline) "{token}" with only blanks around? */
static bool
is_token_line(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (
	    n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == 7 && memcmp(s, "{token}", 7) == 0;
}

/*
 * Check one template line (no newline): every placeholder known, {token}
 * only where 'token_ok' and then alone.  Counts token lines in *tokens.
 * Logs "ORIGIN:LINE: ..." and returns -1 on the first problem.
 */
static int
check_line(const char *s, size_t n, const char *origin, int line, bool token_ok,
    int *tokens)
{
	bool has_token = false;

	if (n > TEMPLATE_LINE_MAX) {
		log_warnx("%s:%d: line longer than %d bytes", origin, line,
		    TEMPLATE_LINE_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;
		int ph;

		if (s[i] == '\0' ||
		    ((unsigned char)s[i] < ' ' && s[i] != '\t' &&
			s[i] != '\r')) {
			log_warnx("%s:%d: control character in template",
			    origin, line);
			return -1;
		}
		if (s[i] != '{')
			continue;
		if (i + 1 < n && s[i + 1] == '{') {
			i++;
			continue;
		}
		ph = ph_match(s + i, &k);
		if (ph < 0 || i + k > n) {
			/* Up to the brace that closes it, else the line. */
			const char *close = memchr(s + i, '}', n - i);
			size_t show =
			    close ? (size_t)(close - s) - i + 1 : n - i;
			log_warnx("%s:%d: unknown placeholder %.*s (known: "
				  "{name} {address} {token} {ref} {expires} "
				  "{campaign} {phase}; '{{' for a brace)",
			    origin, line, (int)(show > 40 ? 40 : show), s + i);
			return -1;
		}
		if (ph == PH_TOKEN)
			has_token = true;
		i += k - 1;
	}
	if (has_token) {
		if (!token_ok) {
			log_warnx("%s:%d: {token} belongs in the body, not "
				  "the Subject",
			    origin, line);
			return -1;
		}
		if (!is_token_line(s, n)) {
			log_warnx("%s:%d: {token} must be alone on its line",
			    origin, line);
			return -1;
		}
		(*tokens)++;
	}
	return 0;
}

/*
 * Parse template text into 't', checking it; 'origin' names it in
 * messages.  Returns 0 or -1 (logged).
 */
static int
template_parse(
    const char *text, size_t len, const char *origin, struct template *t)
{
	const char *p = text, *end = text + len, *nl;
	int line = 1, tokens = 0;
	size_t n;

	if (memchr(text, '\0', len) != NULL) {
		log_warnx("%s: NUL byte in template", origin);
		return -1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	n = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (n < 8 || strncasecmp(p, "Subject:", 8) != 0) {
		log_warnx(
		    "%s:1: the first line must be \"Subject: ...\"", origin);
		return -1;
	}
	if (check_line(p, n, origin, line, false, &tokens) != 0)
		return -1;
	{
		const char *s = p + 8, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (
		    e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e == s) {
			log_warnx("%s:1: empty Subject", origin);
			return -1;
		}
		if ((t->subject = strndup(s, (size_t)(e - s))) == NULL)
			goto nomem;
	}
	p = nl ? nl + 1 : end;
	line++;
	/* One empty line may separate the Subject from the body. */
	if (p < end &&
	    (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
		p = memchr(p, '\n', (size_t)(end - p)) + 1;
		line++;
	}
	if ((t->body = strndup(p, (size_t)(end - p))) == NULL)
		goto nomem;
	for (const char *q = p; q < end; line++) {
		nl = memchr(q, '\n', (size_t)(end - q));
		n = nl ? (size_t)(nl - q) : (size_t)(end - q);
		if (check_line(q, n, origin, line, true, &tokens) != 0)
			goto bad;
		q = nl ? nl + 1 : end;
	}
	if (tokens == 0) {
		log_warnx("%s: the body has no {token} line", origin);
		goto bad;
	}
	return 0;
nomem:
	log_warnx("request: %s: out of memory", origin);
bad:
	free(t->subject);
	free(t->body);
	t->subject = t->body = NULL;
	return -1;
}

/* Read a template file of at most TEMPLATE_FILE_MAX bytes. */
static int
read_template(const char *path, char **text, size_t *len)
{
	struct stat sb;
	ssize_t r;
	int fd;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : (log_warn("%s", path), -1);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_warnx("%s: not a regular file", path);
		goto bad;
	}
	if (sb.st_size > TEMPLATE_FILE_MAX) {
		log_warnx("%s: larger than %d bytes", path, TEMPLATE_FILE_MAX);
		goto bad;
	}
	if ((*text = malloc((size_t)sb.st_size + 1)) == NULL) {
		log_warn("%s", path);
		goto bad;
	}
	*len = 0;
	while ((r = read(fd, *text + *len, (size_t)sb.st_size - *len)) > 0)
		*len += (size_t)r;
	if (r < 0) {
		log_warn("%s", path);
		goto bad;
	}
	(*text)[*len] = '\0';
	close(fd);
	return 0;
bad:
	free(*text);
	*text = NULL;
	close(fd);
	return -1;
}

int
request_template_text(const struct request_templates *t, int phase,
    const char **subject, const char **body)
{
	if (t == NULL || (phase != 1 && phase != 2))
		return -1;
	*subject = t->phase[phase - 1].subject;
	*body = t->phase[phase - 1].body;
	return 0;
}

void
request_templates_free(struct request_templates *rt)
{
	if (rt == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		free(rt->phase[i].subject);
		free(rt->phase[i].body);
	}
	free(rt);
}

int
request_templates_load(const char *dir, struct request_templates **out)
{
	static const char *const builtin[2] = {default_phase1, default_phase2};
	struct request_templates *rt;
	int rc = 0;

	*out = NULL;
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		log_warn("request: templates");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char path[4096], *text = NULL, origin[32];
		size_t len = 0;
		int r = 1;

		if (dir != NULL) {
			if (snprintf(path, sizeof path,
				"%s/request-phase%d.txt", dir,
				i + 1) >= (int)sizeof path) {
				log_warnx("%s: path too long", dir);
				rc = -1;
				continue;
			}
			if ((r = read_template(path, &text, &len)) < 0) {
				rc = -1;
				continue;
			}
		}
		if (r == 0) {
			if (template_parse(text, len, path, &rt->phase[i]) != 0)
				rc = -1;
		} else {
			snprintf(
			    origin, sizeof origin, "built-in phase %d", i + 1);
			if (template_parse(builtin[i], strlen(builtin[i]),
				origin, &rt->phase[i]) != 0)
				rc = -1;
		}
		free(text);
	}
	if (rc != 0) {
		request_templates_free(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Addresses and header encoding. */

/* Split a From value into a display name and an addr-spec. */
static int
split_from(
    const char *from, char *name, size_t namelen, char *addr, size_t addrlen)
{
	const char *lt = strrchr(from, '<'), *gt, *s, *e;
	const char *at;

	name[0] = '\0';
	if (lt != NULL) {
		if ((gt = strchr(lt, '>')) == NULL)
			return -1;
		s = lt + 1;
		e = gt;
		/* The name: what precedes '<', trimmed, unquoted. */
		const char *ns = from, *ne = lt;
		while (ns < ne && (*ns == ' ' || *ns == '\t'))
			ns++;
		while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"')
			ns++, ne--;
		if ((size_t)(ne - ns) >= namelen)
			return -1;
		memcpy(name, ns, (size_t)(ne - ns));
		name[ne - ns] = '\0';
	} else {
		s = from;
		e = from + strlen(from);
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == s || (size_t)(e - s) >= addrlen)
		return -1;
	for (const char *q = s; q < e; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f ||
		    strchr("<>()[]\\,;:\"", *q) != NULL)
			return -1;
	memcpy(addr, s, (size_t)(e - s));
	addr[e - s] = '\0';
	at = strchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return -1;
	return 0;
}

int
request_from_address(const char *from, char *buf, size_t len)
{
	char name[512];

	return split_from(from, name, sizeof name, buf, len);
}

static bool
valid_jti(const char *jti)
{
	size_t n = strlen(jti);

	if (n < 8 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = jti[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int
request_message_id(
    const char *from, const char *jti, char buf[REQUEST_MSGID_MAX])
{
	char addr[256];
	const char *domain;

	if (!valid_jti(jti) || request_from_address(from, addr, sizeof addr))
		return -1;
	domain = strchr(addr, '@') + 1;
	if (snprintf(buf, REQUEST_MSGID_MAX, "<%s@%s>", jti, domain) >=
	    REQUEST_MSGID_MAX)
		return -1;
	return 0;
}

static bool
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/*
 * A copy of a display name with control characters made spaces (a CR
 * or LF in a stored name must not start a header) and cut to
 * NAME_MAX_BYTES at a UTF-8 character boundary.
 */
static void
clean_name(const char *in, char *out, size_t outlen)
{
	size_t n = 0,
	       max = outlen - 1 < NAME_MAX_BYTES ? outlen - 1 : NAME_MAX_BYTES;

	in = in != NULL ? in + strspn(in, " \t") : "";
	for (; *in != '\0' && n < max; in++)
		out[n++] = (unsigned char)*in < ' ' || *in == 0x7f ? ' ' : *in;
	/* Cut short: drop a character whose bytes were not all copied. */
	if (*in != '\0' && ((unsigned char)*in & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && (unsigned char)out[n - 1] >= 0xc0)
			n--;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
buf_b64(struct buf *b, const unsigned char *s, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		buf_add(b, q, 4);
	}
}

/*
 * RFC 2047 B encoded-words for UTF-8 text 's', each at most 75
 * characters (45 bytes of text) and cut only between characters, joined
 * by folding whitespace.
 */
static void
buf_encoded_words(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t k = n - i > 45 ? 45 : n - i;
		if (i + k < n)
			while (
			    k > 1 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k--;
		if (i > 0)
			buf_str(b, "\r\n ");
		buf_str(b, "=?UTF-8?B?");
		buf_b64(b, (const unsigned char *)s + i, k);
		buf_str(b, "?=");
		i += k;
	}
}

/* A display name as an RFC 5322 phrase: atoms, a quoted string, or
 * encoded-words when it is not ASCII. */
static void
buf_phrase(struct buf *b, const char *name)
{
	bool plain = true;

	if (has_8bit(name)) {
		buf_encoded_words(b, name);
		return;
	}
	for (const char *q = name; *q; q++)
		if (strchr("()<>[]:;@\\,.\"", *q) != NULL)
			plain = false;
	/* "=?" would read as an encoded-word to a decoder. */
	if (strstr(name, "=?") != NULL)
		plain = false;
	if (plain) {
		buf_str(b, name);
		return;
	}
	buf_add(b, "\"", 1);
	for (const char *q = name; *q; q++) {
		if (*q == '"' || *q == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, q, 1);
	}
	buf_add(b, "\"", 1);
}

static void
buf_mailbox(struct buf *b, const char *name, const char *addr)
{
	if (name != NULL && name[0] != '\0') {
		buf_phrase(b, name);
		buf_str(b, " <");
		buf_str(b, addr);
		buf_str(b, ">");
	} else {
		buf_str(b, addr);
	}
}

/* RFC 5322 date-time in UTC, independent of the locale. */
static int
format_date(int64_t t, char *buf, size_t len)
{
	static const char *const wd[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Expansion. */

struct vars {
	const char *v[PH_COUNT];
};

static void
buf_html_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			buf_str(b, "&amp;");
			break;
		case '<':
			buf_str(b, "&lt;");
			break;
		case '>':
			buf_str(b, "&gt;");
			break;
		case '"':
			buf_str(b, "&quot;");
			break;
		default:
			buf_add(b, s + i, 1);
		}
	}
}

/*
 * Expand one line (no newline, CR dropped) of a checked template into
 * 'b', HTML-escaped when 'html'.
 */
static void
expand_line(
    struct buf *b, const char *s, size_t n, const struct vars *v, bool html)
{
	size_t lit = 0;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		int ph;

		if (s[i] != '{')
			continue;
		if (html)
			buf_html_escaped(b, s + lit, i - lit);
		else
			buf_add(b, s + lit, i - lit);
		if (i + 1 < n && s[i + 1] == '{') {
			buf_add(b, "{", 1);
			i++;
			lit = i + 1;
			continue;
		}
		ph = ph_match(s + i, &k);
		if (ph >= 0) { /* always, the template was checked */
			const char *val = v->v[ph];
			if (html)
				buf_html_escaped(b, val, strlen(val));
			else
				buf_str(b, val);
		}
		i += k - 1;
		lit = i + 1;
	}
	if (html)
		buf_html_escaped(b, s + lit, n - lit);
	else
		buf_add(b, s + lit, n - lit);
}

/* Does any line of the NUL-terminated CRLF text exceed 998 octets? */
static bool
long_line(const char *s)
{
	while (*s) {
		const char *e = strstr(s, "\r\n");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n > LINE_MAX_OCTETS)
			return true;
		if (e == NULL)
			break;
		s = e + 2;
	}
	return false;
}

/* The plain text body: each template line expanded, CRLF ends. */
static void
build_text(struct buf *b, const char *body, const struct vars *v)
{
	const char *p = body, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		expand_line(b, p, n, v, false);
		buf_str(b, "\r\n");
		p = nl ? nl + 1 : p + n;
	}
}

/*
 * The HTML alternative: blank-line-separated paragraphs, lines joined by
 * <br>, the token in a paragraph of its own that breaks anywhere when the
 * window is narrow but is one text node (one line when copied).
 */
static void
build_html(
    struct buf *b, const char *subject, const char *body, const struct vars *v)
{
	const char *p = body, *nl;
	bool open = false;

	buf_str(b,
	    "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\">"
	    "<title>");
	buf_html_escaped(b, subject, strlen(subject));
	buf_str(b, "</title></head>\r\n<body>\r\n");
	while (*p) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		size_t t = n;
		while (t > 0 &&
		    (p[t - 1] == ' ' || p[t - 1] == '\t' || p[t - 1] == '\r'))
			t--;
		if (t == 0 || is_token_line(p, n)) {
			if (open)
				buf_str(b, "</p>\r\n");
			open = false;
			if (t != 0) {
				buf_str(b,
				    "<p style=\"font-family:monospace;"
				    "word-break:break-all\">\r\n");
				buf_str(b, v->v[PH_TOKEN]);
				buf_str(b, "\r\n</p>\r\n");
			}
		} else {
			buf_str(b, open ? "<br>\r\n" : "<p>");
			open = true;
			expand_line(b, p, n, v, true);
		}
		p = nl ? nl + 1 : p + n;
	}
	if (open)
		buf_str(b, "</p>\r\n");
	buf_str(b, "</body></html>\r\n");
}

int
request_build(const struct request_templates *rt,
    const struct request_params *p, char **msg, size_t *len,
    char msgid[REQUEST_MSGID_MAX])
{
	struct buf b = {0}, subj = {0}, text = {0}, html = {0};
	char from_name[512], from_addr[256], name[NAME_MAX_BYTES + 1];
	char date[64], expires[64], phase[4], mid[REQUEST_MSGID_MAX];
	char boundary[96];
	const struct template *t;
	const char *ref;
	struct vars v;
	time_t te;
	struct tm tm;
	int rc = -1;

	*msg = NULL;
	*len = 0;
	if (p->phase != 1 && p->phase != 2) {
		log_warnx("request: bad phase %d", p->phase);
		return -1;
	}
	t = &rt->phase[p->phase - 1];
	if (split_from(p->from, from_name, sizeof from_name, from_addr,
		sizeof from_addr) != 0) {
		log_warnx("request: from: no address in '%s'", p->from);
		return -1;
	}
	if (request_message_id(p->from, p->jti, mid) != 0) {
		log_warnx("request: bad jti");
		return -1;
	}
	ref = p->ref != NULL ? p->ref : p->jti;
	if (!valid_jti(ref)) {
		log_warnx("request: %s: bad reference", p->jti);
		return -1;
	}
	if (p->token == NULL ||
	    strcspn(p->token, "\r\n \t") != strlen(p->token) ||
	    strlen(p->token) > 900) {
		log_warnx("request: %s: bad token text", p->jti);
		return -1;
	}
	/* RFC 5322: a quoted local part ("a b"@example.org) is fine. */
	if (p->to == NULL || !addr_valid(p->to)) {
		log_warnx("request: %s: bad recipient address", p->jti);
		return -1;
	}
	if (format_date(p->date, date, sizeof date) != 0)
		goto bad_date;
	te = (time_t)p->expires_at;
	if (gmtime_r(&te, &tm) == NULL)
		goto bad_date;
	strftime(expires, sizeof expires, "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(phase, sizeof phase, "%d", p->phase);
	clean_name(p->to_name, name, sizeof name);
	snprintf(boundary, sizeof boundary, "=_pledged_%s", p->jti);

	v.v[PH_NAME] = name[0] ? name : p->to;
	v.v[PH_ADDRESS] = p->to;
	v.v[PH_TOKEN] = p->token;
	v.v[PH_REF] = ref;
	v.v[PH_EXPIRES] = expires;
	v.v[PH_CAMPAIGN] = p->campaign ? p->campaign : "the campaign";
	v.v[PH_PHASE] = phase;

	/* The Subject's text, control characters (from a name) blanked. */
	expand_line(&subj, t->subject, strlen(t->subject), &v, false);
	for (size_t i = 0; i < subj.len; i++)
		if ((unsigned char)subj.p[i] < ' ' || subj.p[i] == 0x7f)
			subj.p[i] = ' ';
	build_text(&text, t->body, &v);
	build_html(&html, subj.p ? subj.p : "", t->body, &v);
	if (subj.err || text.err || html.err)
		goto nomem;

	buf_str(&b, "From: ");
	buf_mailbox(&b, from_name, from_addr);
	buf_str(&b, "\r\nTo: ");
	buf_mailbox(&b, name, p->to);
	buf_str(&b, "\r\nReply-To: ");
	buf_mailbox(&b, from_name, from_addr);
	buf_str(&b, "\r\nSubject: ");
	/*
	 * The reference stays outside any encoded-word, so that it survives
	 * clients that re-encode the Subject in their reply.
	 */
	if (has_8bit(subj.p))
		buf_encoded_words(&b, subj.p);
	else
		buf_str(&b, subj.p);
	if (strstr(t->subject, "[ref:{ref}]") == NULL)
		buf_printf(&b, "\r\n [ref:%s]", ref);
	buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: %s\r\n", date, mid);
	if (p->auto_submitted)
		buf_str(&b, "Auto-Submitted: auto-generated\r\n");
	buf_printf(&b,
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
	    "\r\n"
	    "This is a message in MIME format.\r\n"
	    "\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    boundary, boundary, has_8bit(text.p) ? "8bit" : "7bit");
	buf_add(&b, text.p, text.len);
	buf_printf(&b,
	    "\r\n--%s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    boundary, has_8bit(html.p) ? "8bit" : "7bit");
	buf_add(&b, html.p, html.len);
	buf_printf(&b, "\r\n--%s--\r\n", boundary);
	if (b.err)
		goto nomem;
	if (strstr(text.p, boundary) != NULL || strstr(html.p, boundary)) {
		log_warnx(
		    "request: %s: the text contains the MIME boundary", p->jti);
		goto out;
	}
	if (long_line(b.p)) {
		log_warnx("request: %s: a line would exceed %d octets", p->jti,
		    LINE_MAX_OCTETS);
		goto out;
	}
	*msg = b.p;
	*len = b.len;
	b.p = NULL;
	if (msgid != NULL)
		memcpy(msgid, mid, REQUEST_MSGID_MAX);
	rc = 0;
	goto out;
bad_date:
	log_warnx("request: %s: date out of range", p->jti);
	goto out;
nomem:
	log_warnx("request: %s: out of memory", p->jti);
out:
	free(b.p);
	free(subj.p);
	free(text.p);
	free(html.p);
	return rc;
}
