#!/bin/bash
# pledgectl review --decline with [imap] after = move: the held reply
# goes to the review folder when pledged reads it; once an organizer
# settles it, the next pass of pledged moves it on to the processed
# folder (found by Message-ID: the review folder gave it a new UID), and
# the decision's pending mark is cleared.  show and review name the
# message's Message-ID, mailbox and UID.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 13
write_conf "after = move"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }

printf 'From: Ann <ann@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p1@x>\r\n\r\nI pledge.\r\n' >"$t/p1.eml"
deliver "$t/p1.eml"
"$PLEDGED" --config "$t/p.conf" --once 2>/dev/null
tok=$(ctl issue --phase 2 --to ann@example.net 2>/dev/null | grep '^v4\.public\.')
# The token comes back from another address: held as sender-mismatch.
printf 'From: Manager <mgr@example.net>\r\nSubject: Re: phase two\r\nMessage-ID: <r1@x>\r\n\r\nNo, Ann does not want this.\r\n\r\n> %s\r\n' "$tok" >"$t/r1.eml"
deliver "$t/r1.eml"
"$PLEDGED" --config "$t/p.conf" --once 2>/dev/null
check "the reply is held" test "$(sql "SELECT outcome || '/' || reason FROM audit WHERE message_id = 'r1@x'")" = review/sender-mismatch
check "it went to the review folder" test "$(count_in Pledged.Review)" = 1
id=$(sql "SELECT id FROM audit WHERE message_id = 'r1@x'")
check "review names the message's place" grep -q "where      mailbox INBOX uid 2 (uidvalidity" <<<"$(ctl review)"
out=$(ctl review --decline "$id" --by organizer)
check "review --decline: a phase-two decline for Ann" grep -q "declined by organizer: recorded as a phase-two decline" <<<"$out"
check "review --decline: the move is announced" grep -q "the next pass of pledged moves it out of the review folder" <<<"$out"
check "the move is pending" test "$(sql "SELECT server_pending FROM review_decision WHERE audit_id = $id")" = 1
check "Ann declined phase two" test "$(sql "SELECT kind || phase FROM confirmation c JOIN artist a ON a.id = c.artist_id WHERE a.address = 'ann@example.net'")" = decline2
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "the next pass exits 0" test "$rc" = 0
check "the settled message left the review folder" test "$(count_in Pledged.Review)" = 0
check "it is in the processed folder" test "$(count_in Pledged.Done)" = 2
check "the mark is cleared" test "$(sql "SELECT server_pending FROM review_decision WHERE audit_id = $id")" = 0
check "the pass says so" grep -q "1 settled message moved from Pledged/Review to Pledged/Done" "$t/err"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "a further pass moves nothing more" test "$rc:$(count_in Pledged.Done)" = "0:2"
finish
