/*
 * report: the campaign as one self-contained HTML page, and the words
 * every report of the numbers shares.
 *
 * The page is written by "pledgectl report" and, with [report] html or
 * public_html, by pledged after every pass that changed the ledger (or
 * the feed's health), so a static web server shows the campaign as it
 * stands.  Two variants: the organizers' page adds the lists (messages
 * held for review with the artists' own words, recent activity); the
 * public page holds counts and the timeline only -- no address, name or
 * message text, nor the text of an error (which can name the mailbox).
 *
 * The numbers come from the store's campaign_counts and timeline views
 * (sql/views.sql), the only definitions; each percentage is printed with
 * its base in words by report_share.
 *
 * Memory: all memory belongs to the caller unless stated otherwise.
 */
#ifndef PLEDGED_REPORT_H
#define PLEDGED_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct store;
struct store_stats;

struct report_opts {
	const char *campaign; /* the page's title */
	bool public_page;     /* counts and timeline only */
	int64_t now;	      /* "updated" time, Unix seconds */
	/* A feed whose last good pass is older than this (seconds) is
	 * shown as stale. */
	int64_t stale_after;
	/* Written by pledged after a pass, and again at least every
	 * stale_after / 2 while it runs: the page says so, so that a
	 * reader can tell a stopped feed from an old time. */
	bool live;
};

/*
 * Write the page to 'fp'.  Returns 0, or -1 when the store failed
 * (logged) or writing did (ferror(fp) says which).
 */
int report_write(FILE *fp, struct store *, const struct report_opts *);

/*
 * Write the page to 'path' atomically (atomic_write_file) with 'mode'.
 * Returns 0, or -1 (logged).
 */
int report_write_file(
    const char *path, mode_t mode, struct store *, const struct report_opts *);

/*
 * Replace 'path' atomically: a new file in the same directory, created
 * with O_EXCL|O_NOFOLLOW (never through a planted link or an existing
 * file), filled by 'fill' (returning 0, or -1 when it failed), flushed,
 * fsync'ed, given 'mode', then renamed over 'path', and the directory
 * synced.  A reader sees the old file or the new one, never half of one.
 * Returns 0, or -1 (logged as "report: PATH: ...") with nothing left
 * behind.
 */
int atomic_write_file(
    const char *path, mode_t mode, int (*fill)(FILE *fp, void *arg), void *arg);

/*
 * A share with its base in words: "3 of the 10 confirmed in phase one
 * (30%)"; with 'base' 0, "none yet of 0 <base_words>".  'base_words'
 * names the base after "the N": "who pledged", "confirmed in phase
 * one".  Returns buf.
 */
const char *report_share(
    char *buf, size_t len, int64_t part, int64_t base, const char *base_words);

/*
 * The phase-two sentence shared by stats, the report and the digest:
 * both shares, each with its base ("6 of the 20 who pledged (30%); 6 of
 * the 10 confirmed in phase one (60%)").  Returns buf.
 */
const char *report_phase2_shares(
    char *buf, size_t len, const struct store_stats *);

#endif
