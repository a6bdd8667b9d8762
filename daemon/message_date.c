/*
 * message: the Date header, read as RFC 5322 section 3.3 writes it, with
 * the obsolete forms of section 4.3 that real mail still carries
 * (two-digit years, alphabetic zones, comments, missing seconds).
 *
 * The time an artist wrote is what the campaign's timeline shows, so a
 * Date that is missing, unreadable, later than the receipt or absurdly
 * early (a clock left at 1970) falls back to the receipt time rather than
 * moving a pledge into another month.  Pure: no I/O, no locale.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "pledged/message.h"

/* A Date more than this before the receipt is not believed. */
#define WRITTEN_MAX_AGE (366 * 86400)

struct cursor {
	const char *p;
};

/* Skip blanks and (nested) comments. */
static void
skip_cfws(struct cursor *c)
{
	int depth = 0;

	for (; *c->p != '\0'; c->p++) {
		if (*c->p == '(')
			depth++;
		else if (*c->p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !isspace((unsigned char)*c->p))
			return;
	}
}

/* Up to 'max' digits, at least 'min'; -1 when none. */
static long
number(struct cursor *c, int min, int max)
{
	long v = 0;
	int n = 0;

	skip_cfws(c);
	while (n < max && isdigit((unsigned char)*c->p)) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	return n >= min ? v : -1;
}

/* An alphabetic word of up to 15 letters into buf. */
static size_t
word(struct cursor *c, char buf[16])
{
	size_t n = 0;

	skip_cfws(c);
	while (n < 15 && isalpha((unsigned char)*c->p))
		buf[n++] = *c->p++;
	buf[n] = '\0';
	return n;
}

static int
month_index(const char *m)
{
	static const char *const names[] = {"jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

	for (int i = 0; i < 12; i++)
		if (strncasecmp(m, names[i], 3) == 0)
			return i;
	return -1;
}

/* Zone offset in seconds east of UTC; false when unreadable. */
static bool
zone(struct cursor *c, long *off)
{
	static const struct {
		const char *name;
		int hours;
	} names[] = {{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EDT", -4},
	    {"EST", -5}, {"CDT", -5}, {"CST", -6}, {"MDT", -6}, {"MST", -7},
	    {"PDT", -7}, {"PST", -8}};
	char w[16];
	long v;
	int sign;

	skip_cfws(c);
	if (*c->p == '+' || *c->p == '-') {
		sign = *c->p == '-' ? -1 : 1;
		c->p++;
		if ((v = number(c, 4, 4)) < 0 || v % 100 >= 60 || v / 100 > 23)
			return false;
		*off = sign * ((v / 100) * 3600 + (v % 100) * 60);
		return true;
	}
	if (word(c, w) == 0) {
		*off = 0; /* no zone at all: read as UTC */
		return true;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(w, names[i].name) == 0) {
			*off = names[i].hours * 3600L;
			return true;
		}
	*off = 0; /* military and unknown zones: RFC 5322 says treat as 0 */
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m is 0..11). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	m += 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
message_date_parse(const char *s, int64_t *t)
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct cursor c = {s};
	long day, year, hh, mm, ss = 0, off;
	char w[16];
	int mon;

	if (s == NULL)
		return -1;
	/* Optional day of the week and its comma. */
	skip_cfws(&c);
	if (isalpha((unsigned char)*c.p)) {
		word(&c, w);
		skip_cfws(&c);
		if (*c.p == ',')
			c.p++;
	}
	if ((day = number(&c, 1, 2)) < 1)
		return -1;
	if (word(&c, w) < 3 || (mon = month_index(w)) < 0)
		return -1;
	if ((year = number(&c, 2, 4)) < 0)
		return -1;
	if (year < 50)
		year += 2000; /* obsolete two-digit years (RFC 5322 4.3) */
	else if (year < 1000)
		year += 1900;
	if ((hh = number(&c, 1, 2)) < 0)
		return -1;
	skip_cfws(&c);
	if (*c.p++ != ':')
		return -1;
	if ((mm = number(&c, 1, 2)) < 0)
		return -1;
	skip_cfws(&c);
	if (*c.p == ':') {
		c.p++;
		if ((ss = number(&c, 1, 2)) < 0)
			return -1;
	}
	if (!zone(&c, &off))
		return -1;
	if (year < 1970 || year > 9999 || day > mdays[mon] ||
	    (mon == 1 && day == 29 && !leap(year)) || hh > 23 || mm > 59 ||
	    ss > 60)
		return -1;
	*t = days_from_civil(year, mon, (int)day) * 86400 + hh * 3600 +
	    mm * 60 + ss - off;
	return 0;
}

int64_t
message_written_at(const char *date, int64_t received)
{
	int64_t t;

	if (message_date_parse(date, &t) != 0 || t > received ||
	    t < received - WRITTEN_MAX_AGE)
		return received;
	return t;
}
