/*
 * escape: mail text made safe to show on a terminal or to write to a log.
 *
 * Anyone can put bytes into a From, a Subject or a file name that an
 * organizer's terminal obeys: ESC sequences that repaint the screen or
 * set the window title, BS and CR that overwrite what was printed, DEL,
 * the C1 controls (U+0080-U+009F, CSI among them), and the Unicode bidi
 * controls that reorder what is shown (U+202E turns "gpj.exe" around).
 * Each of these is written as a visible escape instead.
 *
 * Pure: no allocation, no I/O.
 */
#ifndef PLEDGED_ESCAPE_H
#define PLEDGED_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The length of the character at 'p' (at most 'n' bytes) when it must
 * not reach a terminal as it is: a C0 control, DEL, a byte that starts
 * no well-formed UTF-8 sequence (1), a C1 control (2), a bidi control
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069: 2 or 3).  0
 * when it is safe; then *len (may be NULL) gets its length.
 */
size_t escape_unsafe(const unsigned char *p, size_t n, size_t *len);

/*
 * 's' into 'buf' of 'size' bytes (at least 1), NUL-terminated, with each
 * unsafe character written as "\xNN" (a byte) or "\uNNNN" (a code
 * point).  A result that does not fit is cut between characters.
 * Returns 'buf'.
 */
char *escape_text(const char *s, char *buf, size_t size);

#endif
