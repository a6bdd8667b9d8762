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
-- confirmation or decline for that phase, from any of the artist's
-- addresses (a linked address's answers are the artist's); phase one
-- "confirmed" is the pledge state (a new pledge after a withdrawal needs
-- a new confirmation).  counted: the row takes part in the counts (not
-- excluded by an organizer, not a linked second address).
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
	    'unixepoch') AS last_activity_utc,
	coalesce(a1.kind = 'decline', 0) AS phase1_declined,
	a.excluded_at IS NOT NULL AS excluded,
	a.linked_to,
	p.source AS pledge_source,
	a.excluded_at IS NULL AND a.linked_to IS NULL AS counted
FROM artist a
LEFT JOIN pledge p ON p.artist_id = a.id
LEFT JOIN confirmation a1 ON a1.id = (SELECT c.id FROM confirmation c
    WHERE c.artist_id IN (SELECT l.id FROM artist l WHERE l.id = a.id
    OR l.linked_to = a.id) AND c.phase = 1
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1)
LEFT JOIN confirmation a2 ON a2.id = (SELECT c.id FROM confirmation c
    WHERE c.artist_id IN (SELECT l.id FROM artist l WHERE l.id = a.id
    OR l.linked_to = a.id) AND c.phase = 2
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1);

-- One row: how phase two is going.  phase2_of_pledged(_pct) has every
-- pledger as its base (a campaign may go to phase two without a
-- phase-one round); phase2_share_pct is the share of the phase-one
-- confirmed, a second, separate number.
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
	    phase1_confirmed), 0), 1) AS phase2_share_pct,
	count(*) FILTER (WHERE pledge_state IN ('received', 'confirmed'))
	    AS pledged,
	count(*) FILTER (WHERE phase2_confirmed
	    AND pledge_state IN ('received', 'confirmed')) AS phase2_of_pledged,
	round(100.0 * count(*) FILTER (WHERE phase2_confirmed
	    AND pledge_state IN ('received', 'confirmed')) / nullif(count(*)
	    FILTER (WHERE pledge_state IN ('received', 'confirmed')), 0), 1)
	    AS phase2_of_pledged_pct
FROM artist_status WHERE counted;

-- Per UTC day: what the mail brought, plus the pledges that came another
-- way (imported, added by hand) on the day they were made.  Pledges
-- count artists, not messages (a second "I pledge" the same day is one
-- pledge); artists excluded from the counts, or linked to another, are
-- not counted.
CREATE VIEW daily_counts AS
SELECT
	day,
	sum(pledges) AS pledges,
	sum(confirmations_phase1) AS confirmations_phase1,
	sum(confirmations_phase2) AS confirmations_phase2,
	sum(declines) AS declines,
	sum(withdrawals) AS withdrawals,
	sum(review) AS review,
	sum(rejected) AS rejected,
	sum(ignored) AS ignored,
	sum(messages) AS messages
FROM (
	SELECT
		date(processed_at, 'unixepoch') AS day,
		count(DISTINCT artist_id) FILTER (WHERE outcome = 'pledge'
		    AND artist_id NOT IN (SELECT id FROM artist
		    WHERE excluded_at IS NOT NULL OR linked_to IS NOT NULL))
		    AS pledges,
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
	UNION ALL
	SELECT date(p.created_at, 'unixepoch'), count(*), 0, 0, 0, 0, 0, 0,
	    0, 0
	FROM pledge p JOIN artist a ON a.id = p.artist_id
	WHERE p.source <> 'email' AND a.excluded_at IS NULL
	    AND a.linked_to IS NULL
	GROUP BY 1
)
GROUP BY day
ORDER BY day;
