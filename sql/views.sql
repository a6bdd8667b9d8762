-- Views for organizers, usable from plain sqlite3:
--
--   sqlite3 -readonly /var/lib/pledged/pledges.db \
--       'SELECT * FROM artist_status' 'SELECT * FROM phase_two'
--
-- The store drops and recreates these whenever this file changes, so they
-- may change freely between releases; the tables may not (migrations).
-- Times are Unix seconds; the *_utc columns render them for people.
-- Outcome names are the vocabulary of the audit table's CHECK.

DROP VIEW IF EXISTS campaign_counts;
DROP VIEW IF EXISTS timeline;
DROP VIEW IF EXISTS artist_timeline;
DROP VIEW IF EXISTS daily_processed;
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

-- The definitions of the campaign's numbers.  Every consumer (pledgectl
-- stats and stats --json, the report's cards and chart, the digest)
-- reads these views, so a number means the same wherever it shows:
--
--   artists           everyone who wrote or was sent a request (a row of
--                     artist_status), forgotten ones included; artists
--                     excluded from the counts (pledgectl exclude) and
--                     second addresses linked to an artist (pledgectl
--                     link) are left out of every number here
--   pledged           artists whose pledge stands (received or confirmed,
--                     not withdrawn)
--   confirmed_phase1  artists whose pledge is confirmed (double opt-in);
--                     a subset of pledged
--   confirmed_phase2  artists whose latest phase-two answer is yes and
--                     who have not withdrawn
--   phase2_of_pledged, phase2_of_phase1
--                     of confirmed_phase2, those counted in pledged and
--                     those counted in confirmed_phase1: the numerators
--                     of "phase two among all pledgers" (base pledged)
--                     and "among the phase-one confirmed" (base
--                     confirmed_phase1)
--   withdrawn         artists whose pledge is withdrawn
--   declined          artists whose latest answer in a phase is no
--   review            messages held for review with no decision yet
--   rejected, ignored, messages
--                     messages (audit rows), not artists
--   tokens_issued, requests_sent, requests_bounced, requests_failed
--                     tokens, and requests (tokens) sent, returned, and
--                     refused for good (a malformed address, a 5xx)
--   phase2_requested  artists a phase-two request went out to
--   excluded, linked  artist rows left out of every number (pledgectl
--                     exclude, pledgectl link)
--   imported, added   counted artists whose pledge came from pledgectl
--                     import or pledgectl add
--
-- Artists are counted once each; messages only where the name says so.

-- When each artist's standing facts happened, by the time the artist
-- wrote (audit.written_at: the Date header, clamped to the receipt time;
-- processed_at for rows from before it was recorded).  A fact with no
-- message behind it (an imported pledge, say) takes the time it was
-- recorded.  The timeline counts each artist of a number on the day of
-- the fact that put them there, so its columns add up to the numbers of
-- campaign_counts.
CREATE VIEW artist_timeline AS
SELECT
	s.artist_id,
	s.pledge_state IN ('received', 'confirmed') AS pledged,
	s.phase1_confirmed,
	s.phase2_confirmed,
	s.pledge_state IS 'withdrawn' AS withdrawn,
	coalesce((SELECT coalesce(w.written_at, w.processed_at) FROM audit w
	    WHERE w.id = p.pledged_audit_id), p.created_at) AS pledged_at,
	coalesce((SELECT coalesce(w.written_at, w.processed_at, c.created_at)
	    FROM confirmation c LEFT JOIN audit w ON w.id = c.audit_id
	    WHERE c.artist_id = s.artist_id AND c.phase = 1
	    AND c.kind = 'confirm'
	    ORDER BY c.created_at DESC, c.id DESC LIMIT 1), p.updated_at)
	    AS phase1_at,
	(SELECT coalesce(w.written_at, w.processed_at, c.created_at)
	    FROM confirmation c LEFT JOIN audit w ON w.id = c.audit_id
	    WHERE c.artist_id = s.artist_id AND c.phase = 2
	    AND c.kind = 'confirm'
	    ORDER BY c.created_at DESC, c.id DESC LIMIT 1) AS phase2_at,
	coalesce((SELECT max(coalesce(w.written_at, w.processed_at))
	    FROM audit w WHERE w.artist_id = s.artist_id
	    AND w.outcome = 'withdraw'), p.updated_at) AS withdrawn_at
FROM artist_status s
LEFT JOIN pledge p ON p.artist_id = s.artist_id
WHERE s.counted;

-- One row: the campaign's numbers (definitions above).
CREATE VIEW campaign_counts AS
SELECT
	count(*) AS artists,
	count(*) FILTER (WHERE pledge_state IN ('received', 'confirmed'))
	    AS pledged,
	count(*) FILTER (WHERE phase1_confirmed) AS confirmed_phase1,
	count(*) FILTER (WHERE phase2_confirmed) AS confirmed_phase2,
	count(*) FILTER (WHERE phase2_confirmed
	    AND pledge_state IN ('received', 'confirmed')) AS phase2_of_pledged,
	count(*) FILTER (WHERE phase2_confirmed AND phase1_confirmed)
	    AS phase2_of_phase1,
	count(*) FILTER (WHERE pledge_state IS 'withdrawn') AS withdrawn,
	count(*) FILTER (WHERE declined) AS declined,
	(SELECT count(*) FROM audit a WHERE outcome = 'review' AND NOT EXISTS
	    (SELECT 1 FROM review_decision r WHERE r.audit_id = a.id))
	    AS review,
	(SELECT count(*) FROM audit WHERE outcome = 'reject') AS rejected,
	(SELECT count(*) FROM audit WHERE outcome = 'ignore') AS ignored,
	(SELECT count(*) FROM audit) AS messages,
	(SELECT count(*) FROM token) AS tokens_issued,
	(SELECT count(*) FROM token WHERE sent_at IS NOT NULL)
	    AS requests_sent,
	(SELECT count(*) FROM token WHERE state = 'bounced')
	    AS requests_bounced,
	(SELECT count(DISTINCT artist_id) FROM token WHERE phase = 2
	    AND sent_at IS NOT NULL) AS phase2_requested,
	(SELECT count(*) FROM token WHERE state = 'failed') AS requests_failed,
	(SELECT count(*) FROM artist WHERE excluded_at IS NOT NULL)
	    AS excluded,
	(SELECT count(*) FROM artist WHERE linked_to IS NOT NULL) AS linked,
	count(*) FILTER (WHERE pledge_source = 'import') AS imported,
	count(*) FILTER (WHERE pledge_source = 'manual') AS added
FROM artist_status WHERE counted;

-- Per UTC day the artist wrote: the artists each number gained that day
-- (columns sum to campaign_counts), and the messages written that day.
-- Days without any are absent.
CREATE VIEW timeline AS
WITH ev (day, what) AS (
	SELECT date(pledged_at, 'unixepoch'), 'pledged'
	    FROM artist_timeline WHERE pledged
	UNION ALL
	SELECT date(phase1_at, 'unixepoch'), 'phase1'
	    FROM artist_timeline WHERE phase1_confirmed
	UNION ALL
	SELECT date(phase2_at, 'unixepoch'), 'phase2'
	    FROM artist_timeline WHERE phase2_confirmed
	UNION ALL
	SELECT date(withdrawn_at, 'unixepoch'), 'withdrawn'
	    FROM artist_timeline WHERE withdrawn
	UNION ALL
	SELECT date(coalesce(written_at, processed_at), 'unixepoch'),
	    'message' FROM audit
)
SELECT
	day,
	count(*) FILTER (WHERE what = 'pledged') AS pledged,
	count(*) FILTER (WHERE what = 'phase1') AS confirmed_phase1,
	count(*) FILTER (WHERE what = 'phase2') AS confirmed_phase2,
	count(*) FILTER (WHERE what = 'withdrawn') AS withdrawn,
	count(*) FILTER (WHERE what = 'message') AS messages
FROM ev
WHERE day IS NOT NULL
GROUP BY day
ORDER BY day;

-- Per UTC day the artist wrote: what the mail brought, plus the pledges
-- that came another way (imported, added by hand) on the day they were
-- made.  Pledges
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
		date(coalesce(written_at, processed_at), 'unixepoch') AS day,
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

-- daily_processed: the mail alone, by the day pledged read it.
CREATE VIEW daily_processed AS
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
