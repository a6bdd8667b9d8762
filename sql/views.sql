-- Views for organizers, usable from plain sqlite3:
--
--   sqlite3 -readonly /var/lib/pledged/pledges.db \
--       'SELECT * FROM artist_status' 'SELECT * FROM phase_two'
--
-- The store drops and recreates these whenever this file changes, so they
-- may change freely between releases; the tables may not (migrations).
-- Times are Unix seconds; the *_utc columns render them for people.
-- Outcome names are the vocabulary of the audit table's CHECK.

DROP VIEW IF EXISTS daily_counts;
DROP VIEW IF EXISTS phase_two;
DROP VIEW IF EXISTS artist_status;

-- One row per artist.  A phase's answer is the artist's latest
-- confirmation or decline for that phase; phase one "confirmed" is the
-- pledge state (a new pledge after a withdrawal needs a new confirmation).
CREATE VIEW artist_status AS
SELECT
	a.id AS artist_id,
	a.address,
	a.display_name AS name,
	p.state AS pledge_state,
	coalesce(p.state = 'confirmed', 0) AS phase1_confirmed,
	coalesce(a2.kind = 'confirm' AND p.state IS NOT 'withdrawn', 0)
	    AS phase2_confirmed,
	coalesce(a1.kind = 'decline' OR a2.kind = 'decline', 0) AS declined,
	a.forgotten_at IS NOT NULL AS forgotten,
	max(coalesce(p.updated_at, a.created_at), coalesce((SELECT
	    max(processed_at) FROM audit WHERE audit.artist_id = a.id), 0))
	    AS last_activity,
	datetime(max(coalesce(p.updated_at, a.created_at), coalesce((SELECT
	    max(processed_at) FROM audit WHERE audit.artist_id = a.id), 0)),
	    'unixepoch') AS last_activity_utc
FROM artist a
LEFT JOIN pledge p ON p.artist_id = a.id
LEFT JOIN confirmation a1 ON a1.id = (SELECT c.id FROM confirmation c
    WHERE c.artist_id = a.id AND c.phase = 1
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1)
LEFT JOIN confirmation a2 ON a2.id = (SELECT c.id FROM confirmation c
    WHERE c.artist_id = a.id AND c.phase = 2
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1);

-- One row: how phase two is going, against the phase-one base.
CREATE VIEW phase_two AS
SELECT
	count(*) FILTER (WHERE phase1_confirmed) AS phase1_confirmed,
	(SELECT count(DISTINCT artist_id) FROM token WHERE phase = 2
	    AND state IN ('sent', 'bounced')) AS phase2_requested,
	(SELECT count(DISTINCT artist_id) FROM token WHERE phase = 2
	    AND state = 'bounced') AS phase2_bounced,
	count(*) FILTER (WHERE phase2_confirmed) AS phase2_confirmed,
	count(*) FILTER (WHERE phase2_confirmed AND phase1_confirmed)
	    AS phase2_of_phase1,
	count(*) FILTER (WHERE declined) AS declined,
	round(100.0 * count(*) FILTER (WHERE phase2_confirmed
	    AND phase1_confirmed) / nullif(count(*) FILTER (WHERE
	    phase1_confirmed), 0), 1) AS phase2_share_pct
FROM artist_status;

-- Per UTC day: what the mail brought.  Pledges count artists, not
-- messages (a second "I pledge" the same day is one pledge).
CREATE VIEW daily_counts AS
SELECT
	date(processed_at, 'unixepoch') AS day,
	count(DISTINCT artist_id) FILTER (WHERE outcome = 'pledge') AS pledges,
	count(*) FILTER (WHERE outcome = 'confirm' AND phase = 1)
	    AS confirmations_phase1,
	count(*) FILTER (WHERE outcome = 'confirm' AND phase = 2)
	    AS confirmations_phase2,
	count(*) FILTER (WHERE outcome = 'decline') AS declines,
	count(*) FILTER (WHERE outcome = 'withdraw') AS withdrawals,
	count(*) FILTER (WHERE outcome = 'review') AS review,
	count(*) FILTER (WHERE outcome = 'reject') AS rejected,
	count(*) FILTER (WHERE outcome = 'ignore') AS ignored,
	count(*) AS messages
FROM audit
GROUP BY day
ORDER BY day;
