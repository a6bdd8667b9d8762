-- Version 3: messages the IMAP server would not hand over.
--
-- A UID that SEARCH lists but that the server does not deliver (left out
-- of the FETCH answer, or sent with a body longer than the size it
-- announced) is asked for again on the next passes: each such pass is
-- counted here.  After a few passes the message is marked failed and the
-- mailbox goes on past it, so one broken message cannot stop the reading
-- of all later mail, and none is passed by without a row that names it.
CREATE TABLE fetch_failure (
	mailbox TEXT NOT NULL,
	uidvalidity INTEGER NOT NULL
	    CHECK (uidvalidity BETWEEN 1 AND 4294967295),
	uid INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967295),
	attempts INTEGER NOT NULL CHECK (attempts >= 1),
	-- 1 once pledged gave up and passed the message by.
	failed INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
	error TEXT NOT NULL,
	first_at INTEGER NOT NULL,
	last_at INTEGER NOT NULL,
	PRIMARY KEY (mailbox, uidvalidity, uid)
) STRICT;
