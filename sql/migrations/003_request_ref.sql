-- Version 3: the request's secret reference, and what a held message
-- would have done.
--
-- request_ref is the reference a request carries in its Subject as
-- "[ref:<request_ref>]": random, made with the token and stored only
-- here, so that a reply quoting it shows that its writer read the mail
-- sent to the artist.  It is never the jti, which organizers see in
-- exports, outbox file names and request Message-IDs.  Tokens issued
-- before this version get one now; their requests went out with the jti
-- as the reference, which no longer confirms by itself.
ALTER TABLE token ADD COLUMN request_ref TEXT;
UPDATE token SET request_ref = lower(hex(randomblob(16)))
    WHERE request_ref IS NULL;
CREATE UNIQUE INDEX token_request_ref ON token (request_ref)
    WHERE request_ref IS NOT NULL;

-- held: for a message held for review, the outcome that approving it
-- records ('pledge', 'confirm', 'decline' or 'withdraw'); NULL for every
-- other message, and for a held message whose approval records nothing.
-- Keep in step with classify's outcome table.
ALTER TABLE audit ADD COLUMN held TEXT CHECK (held IS NULL
    OR (outcome = 'review'
	AND held IN ('pledge', 'confirm', 'decline', 'withdraw')));
