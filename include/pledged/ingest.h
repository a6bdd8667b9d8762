/*
 * ingest: `pledged ingest [FILE...]`, RFC 5322 messages from files or
 * standard input through the same pipeline as the IMAP path (for a mail
 * server's pipe delivery, and for tests).
 */
#ifndef PLEDGED_INGEST_H
#define PLEDGED_INGEST_H

struct engine;

/*
 * Decide and record each file (standard input when n is 0), one message
 * per file, each decided outside any transaction and recorded in a short
 * BEGIN IMMEDIATE transaction of its own.  Prints one line per message to
 * standard output.  Returns a sysexits code: 0; 65 when a message was
 * unparseable (recorded all the same); 66 when a file could not be read
 * (the others are still recorded); 75 when the store was busy, 74 on a
 * store failure (that message not recorded; the files after it are left
 * for the next run, those before it stay recorded).
 */
int ingest_run(struct engine *, char **files, int n);

#endif
