-- Version 2: indexes for the look-ups made for every message read.
--
-- Version 1 answered them by scanning: the duplicate check (Message-ID
-- and content), the "pledged ingest" seen check (content alone), the
-- per-artist queries of the views and of "pledgectl show", and the
-- reference look-up of a token by artist.  With tens of thousands of
-- messages each scan costs milliseconds per message, inside the write
-- transaction that organizers' queries wait on.
CREATE INDEX audit_sha256 ON audit (sha256);
CREATE INDEX audit_message_id ON audit (message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX audit_artist ON audit (artist_id, processed_at)
    WHERE artist_id IS NOT NULL;
CREATE INDEX audit_processed_at ON audit (processed_at);
CREATE INDEX token_artist ON token (artist_id, phase);
CREATE INDEX confirmation_artist ON confirmation (artist_id, phase);
CREATE INDEX review_decision_audit ON review_decision (audit_id);
