-- Version 5: the campaign that already exists, and organizers' corrections.
--
-- A campaign often starts before pledged does: pledgers arrive from a
-- spreadsheet or a petition ("pledgectl import"), by phone or through a
-- manager ("pledgectl add").  The pledge records how it came, and every
-- correction an organizer makes to the ledger is kept in 'correction'
-- with who and when, so the counts can always be explained.

-- How the pledge came: 'email' (a message, pledged_audit_id is the
-- evidence), 'import' (a CSV file) or 'manual' (pledgectl add).
-- source_detail is the CSV's source column or the file name; note is the
-- organizers' note.
ALTER TABLE pledge ADD COLUMN source TEXT NOT NULL DEFAULT 'email'
    CHECK (source IN ('email', 'import', 'manual'));
ALTER TABLE pledge ADD COLUMN source_detail TEXT;
ALTER TABLE pledge ADD COLUMN note TEXT;

-- excluded_at: a test or spam pledge taken out of every count
-- ("pledgectl exclude"; "include" sets it back to NULL).  Unlike forget,
-- the data stays and the counts change.
ALTER TABLE artist ADD COLUMN excluded_at INTEGER;
-- linked_to: this address is a second address of that artist ("pledgectl
-- link"): mail, replies and tokens from it count for that artist, once.
-- The row itself no longer counts.  One level only: the target is never
-- linked itself (the store checks).
ALTER TABLE artist ADD COLUMN linked_to INTEGER REFERENCES artist (id);
-- The address was corrected ("pledgectl fix-address") at this time; a
-- request that failed before it is sent again by the next send.
ALTER TABLE artist ADD COLUMN address_changed_at INTEGER;

-- Organizers' corrections to the ledger, newest last.  action names the
-- command; detail says what changed (addresses, the file and line, the
-- note); by is the invoking user or --by.  A correction that undoes an
-- earlier one (include after exclude, unlink after link) is a new row.
CREATE TABLE correction (
	id INTEGER PRIMARY KEY,
	action TEXT NOT NULL CHECK (action IN ('add', 'import', 'link',
	    'unlink', 'exclude', 'include', 'fix-address', 'review')),
	artist_id INTEGER REFERENCES artist (id),
	audit_id INTEGER REFERENCES audit (id),
	detail TEXT,
	decided_by TEXT NOT NULL,
	decided_at INTEGER NOT NULL
) STRICT;
CREATE INDEX correction_artist ON correction (artist_id);
CREATE INDEX artist_linked_to ON artist (linked_to)
    WHERE linked_to IS NOT NULL;

-- A held reply settled as a refusal ("pledgectl review --decline"), and a
-- decision whose message is still to be moved out of the review folder
-- on the server (the next pass of pledged does it).
CREATE TABLE review_decision_new (
	id INTEGER PRIMARY KEY,
	audit_id INTEGER NOT NULL REFERENCES audit (id),
	decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected',
	    'declined')),
	decided_by TEXT,
	decided_at INTEGER NOT NULL,
	server_pending INTEGER NOT NULL DEFAULT 0
	    CHECK (server_pending IN (0, 1))
) STRICT;
INSERT INTO review_decision_new (id, audit_id, decision, decided_by,
    decided_at) SELECT id, audit_id, decision, decided_by, decided_at
    FROM review_decision;
DROP TABLE review_decision;
ALTER TABLE review_decision_new RENAME TO review_decision;
CREATE INDEX review_decision_audit ON review_decision (audit_id);
