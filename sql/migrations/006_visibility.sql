-- Version 6: what organizers need to see the campaign without a shell.
--
-- audit.written_at: when the artist wrote the message, from its Date
-- header, sanity-clamped to the time it was received (a Date after the
-- receipt, more than a year before it, or unreadable counts as the
-- receipt time).  The timeline is drawn by this time; processed_at stays
-- the time pledged read the message.  NULL for rows written before this
-- version: readers use coalesce(written_at, processed_at).
ALTER TABLE audit ADD COLUMN written_at INTEGER;
CREATE INDEX audit_written_at ON audit (coalesce(written_at, processed_at));

-- One row per pass over the mail (pledged --once, each pass of the
-- daemon, pledged ingest), so that "pledgectl status" and the report
-- answer without the log.  ended_at is NULL while the pass runs (or when
-- it died); exit_code is the pass's sysexits code; error is its last
-- error in words.  The outcome counts are the messages decided in the
-- pass; waiting is how many messages were still on the server, above the
-- mark, when the pass ended (NULL where unknown: ingest, or a pass that
-- failed before it could search).
CREATE TABLE pass (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('once', 'daemon', 'ingest')),
	started_at INTEGER NOT NULL,
	ended_at INTEGER,
	exit_code INTEGER,
	error TEXT,
	pledges INTEGER NOT NULL DEFAULT 0,
	confirms INTEGER NOT NULL DEFAULT 0,
	declines INTEGER NOT NULL DEFAULT 0,
	withdrawals INTEGER NOT NULL DEFAULT 0,
	reviews INTEGER NOT NULL DEFAULT 0,
	rejects INTEGER NOT NULL DEFAULT 0,
	ignores INTEGER NOT NULL DEFAULT 0,
	waiting INTEGER CHECK (waiting >= 0),
	CHECK ((ended_at IS NULL) = (exit_code IS NULL))
) STRICT;
CREATE INDEX pass_started ON pass (started_at);

-- The organizers' digests.  A row is written, with its Message-ID and
-- the events it covers, before the mail is handed to the server; it
-- becomes 'sent' after.  A row left 'sending' (a crash in between) is
-- never sent again: its events count as told, so no digest goes out
-- twice.  audit_upto is the highest audit id the digest covers;
-- forgotten_upto the latest artist.forgotten_at it covers; counts the
-- campaign_counts row (JSON) at the time, so the next digest can say how
-- the numbers moved.
CREATE TABLE digest (
	id INTEGER PRIMARY KEY,
	message_id TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	sent_at INTEGER,
	state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
	audit_upto INTEGER NOT NULL,
	forgotten_upto INTEGER NOT NULL,
	counts TEXT NOT NULL,
	recipients TEXT NOT NULL,
	last_error TEXT
) STRICT;
