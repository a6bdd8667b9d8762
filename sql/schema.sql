-- pledged ledger, schema version 1.
--
-- Applied by the store module on first open, inside one transaction, after
-- which PRAGMA user_version is 1.  Later changes are numbered migrations in
-- migrations/NNN_name.sql (each takes user_version from NNN-1 to NNN); this
-- file never changes once released.  Views for organizers live in views.sql
-- and are recreated on open.
--
-- Conventions: timestamps are Unix seconds (INTEGER, UTC); text is UTF-8;
-- addresses are lower-cased addr-specs.  Nothing is ever deleted: history
-- lives in the audit log, and "forget" erases personal data in place.

-- Bookkeeping of the store itself (the text of the views last installed).
CREATE TABLE store_meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- One row per person who ever wrote to the campaign or was sent a request.
-- After "pledgectl forget" the address and name are NULL and forgotten_at
-- is set; the row stays so that counts do not change.
CREATE TABLE artist (
	id INTEGER PRIMARY KEY,
	address TEXT UNIQUE CHECK (address = lower(address)),
	display_name TEXT,
	created_at INTEGER NOT NULL,
	forgotten_at INTEGER,
	CHECK ((address IS NULL) = (forgotten_at IS NOT NULL))
) STRICT;

-- Every message read, with exactly one outcome.  (mailbox, uidvalidity,
-- uid) identifies a message on the IMAP server; messages fed through
-- "pledged ingest" have no mailbox and are known by sha256.
--
-- The outcome and reason vocabulary below is an interface (exports, views,
-- tests) and must change together with the table in
-- include/pledged/classify.h and daemon/classify.c (and DESIGN.md).
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	mailbox TEXT,
	uidvalidity INTEGER CHECK (uidvalidity BETWEEN 1 AND 4294967295),
	uid INTEGER CHECK (uid BETWEEN 1 AND 4294967295),
	message_id TEXT,
	-- NULL only for a message over the size cap that was never
	-- downloaded from the server (see the CHECK below).
	sha256 TEXT CHECK (length(sha256) = 64
	    AND sha256 NOT GLOB '*[^0-9a-f]*'),
	size INTEGER NOT NULL CHECK (size >= 0),
	from_addr TEXT,
	from_name TEXT,
	subject TEXT,
	outcome TEXT NOT NULL CHECK (outcome IN ('pledge', 'confirm',
	    'decline', 'withdraw', 'review', 'reject', 'ignore')),
	-- Keep in step with classify's reason table.  (reason IS NOT NULL
	-- is spelled out: "NULL IN (...)" is NULL, which a CHECK passes.)
	reason TEXT CHECK (
	    (outcome IN ('pledge', 'confirm', 'decline', 'withdraw')
		AND reason IS NULL)
	    OR (reason IS NOT NULL AND outcome = 'review' AND reason IN (
		'sender-mismatch', 'multiple-tokens', 'unclear',
		'unauthenticated'))
	    OR (reason IS NOT NULL AND outcome = 'reject' AND reason IN (
		'bad-signature', 'unknown-key', 'malformed-token', 'expired',
		'not-yet-valid', 'wrong-campaign', 'replayed', 'too-large',
		'unparseable'))
	    OR (reason IS NOT NULL AND outcome = 'ignore' AND reason IN (
		'auto-reply', 'bounce', 'list', 'duplicate', 'other'))),
	phase INTEGER CHECK (phase IN (1, 2)),
	artist_id INTEGER REFERENCES artist (id),
	jti TEXT,
	dmarc TEXT CHECK (dmarc IN ('pass', 'fail', 'none')),
	own_text TEXT,
	processed_at INTEGER NOT NULL,
	-- 1 while the server action after the COMMIT (flag or move) is
	-- still to be done; the next pass finishes what a crash left.
	server_pending INTEGER NOT NULL DEFAULT 0
	    CHECK (server_pending IN (0, 1)),
	UNIQUE (mailbox, uidvalidity, uid),
	CHECK (sha256 IS NOT NULL
	    OR (reason = 'too-large' AND mailbox IS NOT NULL)),
	-- A message is either from a mailbox (all three set) or ingested.
	CHECK ((mailbox IS NULL) = (uid IS NULL)
	    AND (mailbox IS NULL) = (uidvalidity IS NULL)),
	CHECK (outcome NOT IN ('confirm', 'decline') OR phase IS NOT NULL)
) STRICT;

-- One pledge per artist; its history is in the audit log.  'confirmed' is
-- the phase-one double opt-in; phase two lives in confirmation.
CREATE TABLE pledge (
	artist_id INTEGER PRIMARY KEY REFERENCES artist (id),
	state TEXT NOT NULL CHECK (state IN ('received', 'confirmed',
	    'withdrawn')),
	pledged_audit_id INTEGER REFERENCES audit (id),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- Tokens issued here, and the requests that carried them.
CREATE TABLE token (
	jti TEXT PRIMARY KEY,
	artist_id INTEGER NOT NULL REFERENCES artist (id),
	phase INTEGER NOT NULL CHECK (phase IN (1, 2)),
	token TEXT, -- NULL once the artist is forgotten (it names them)
	issued_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	request_message_id TEXT UNIQUE,
	sent_at INTEGER,
	state TEXT NOT NULL DEFAULT 'issued' CHECK (state IN ('issued',
	    'sent', 'bounced', 'failed')),
	last_error TEXT
) STRICT;

-- Confirmations and declines.  jti is UNIQUE because tokens are single
-- use; it is not a foreign key to token, since tokens issued elsewhere
-- (any PASETO library, the organizers' keys) are valid too.
CREATE TABLE confirmation (
	id INTEGER PRIMARY KEY,
	jti TEXT NOT NULL UNIQUE,
	artist_id INTEGER NOT NULL REFERENCES artist (id),
	phase INTEGER NOT NULL CHECK (phase IN (1, 2)),
	kind TEXT NOT NULL CHECK (kind IN ('confirm', 'decline')),
	audit_id INTEGER REFERENCES audit (id),
	created_at INTEGER NOT NULL
) STRICT;

-- Organizers' decisions on messages held for review.  Several rows per
-- audit row are allowed: a later decision supersedes, the earlier stays.
CREATE TABLE review_decision (
	id INTEGER PRIMARY KEY,
	audit_id INTEGER NOT NULL REFERENCES audit (id),
	decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
	decided_by TEXT,
	decided_at INTEGER NOT NULL
) STRICT;

-- Per IMAP mailbox: the UIDVALIDITY seen and the highest UID done.
CREATE TABLE mailbox_state (
	mailbox TEXT PRIMARY KEY,
	uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),
	last_uid INTEGER NOT NULL CHECK (last_uid BETWEEN 0 AND 4294967295),
	updated_at INTEGER NOT NULL
) STRICT;
