#!/bin/bash
# The organizers' digest against a real submission server on loopback
# (contrib/testenv/submission.sh): pledged sends one after a pass when it
# is due and there is news -- replies held for review with each artist's
# own words and the reason, withdrawals, how the counts moved -- to the
# [notify] addresses only, with Auto-Submitted: auto-generated; none
# within the interval, none without news, none twice, also after a crash
# between the hand-over and its record; pledgectl digest --dry-run prints
# the next one and changes nothing.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
src=$PLEDGED_SOURCE_DIR
plan 26
need_fault_hooks "$PLEDGED"
server_start submission "$t/srv"
. "$t/srv/env"

conf() { # interval
	{
		base_conf
		cat <<CONF
[smtp]
host = $HOST
port = $SMTP_PORT
tls = starttls
ca_file = $CA_FILE
user = $USER
password_file = $PASSWORD_FILE
from = NoMusicForICE <pledges@example.org>
timeout = 20
[notify]
to = org1@example.net, Org2@example.net
interval = $1
CONF
	} >"$t/p.conf"
}
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
ingest() { "$PLEDGED" --config "$t/p.conf" ingest "$@" >/dev/null 2>>"$t/log"; }
# Digests delivered to an organizer's maildir.
count() { find "$MAIL_ROOT/$1/new" -type f 2>/dev/null | wc -l; }
# Wait (up to 10 s) until both organizers have 'n' digests.
both_have() { [ "$(count org1)" -ge "$1" ] && [ "$(count org2)" -ge "$1" ]; }
wait_mail() { wait_for 10 both_have "$1" || :; }
rows() { sql "SELECT count(*) FROM digest WHERE state IN ('sending', 'sent')"; }
latest() { find "$MAIL_ROOT/org1/new" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2; }

mail() { # NAME FROM SUBJECT BODY: $t/NAME.eml
	printf 'From: %s\nSubject: %s\nMessage-ID: <%s@example.net>\n\n%s\n' "$2" "$3" "$1" "$4" >"$t/$1.eml"
}
# A reply held for review (unclear) from an artist who pledged.
held() { # NAME LOCAL WORDS
	local tok
	tok=$(ctl issue --phase 1 --to "$2@example.net" 2>/dev/null)
	mail "$1" "$2@example.net" "Re: please confirm" "$(printf '%s\n\n> %s' "$3" "$tok")"
}

conf 1d
# Artists live at example.net too: a digest sent to them would arrive.
mail m1 "Ana <ana@example.net>" "I pledge" "Count me in."
mail m2 "Bo <bo@example.net>" "I pledge" "Me too."
ingest "$t/m1.eml" "$t/m2.eml"
wait_mail 1
check "first pass with news: one digest to each organizer ($(count org1)/$(count org2))" test "$(count org1)/$(count org2)" = 1/1
check "never to artists" test "$(ls "$MAIL_ROOT" | sort | tr '\n' ' ')" = "org1 org2 "
d=$(latest)
check "digest: Auto-Submitted" grep -q '^Auto-Submitted: auto-generated' "$d"
check "digest: the counts" grep -q 'pledged  *2 artists' "$d"
check "digest recorded as sent with its Message-ID" test "$(sql "SELECT state FROM digest")" = sent
check "the recorded Message-ID is the one sent" grep -qF "Message-ID: $(sql "SELECT message_id FROM digest")" "$d"

# News within the interval: nothing yet.
held m3 ana "I am not sure I can, is the label in or out?"
ingest "$t/m3.eml"
check "news within the interval: no second digest" test "$(rows)" = 1
out=$(ctl digest --dry-run)
check "dry run: the held reply's own words" grep -q "is the label in or out?" <<<"$out"
check "dry run: the reason" grep -q "reason: unclear" <<<"$out"
check "dry run: changes nothing" test "$(rows)" = 1

# A request comes back.
printf 'From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMessage-ID: <b1@mx>\n\nThe mail to cy@example.net could not be delivered.\n' >"$t/b1.eml"
ingest "$t/b1.eml"
check "the bounce is recorded" test "$(sql "SELECT outcome || '/' || reason FROM audit WHERE message_id = 'b1@mx'")" = ignore/bounce

# The interval passes: the news goes out, once.
conf 1s
wait_for 5 past $(($(date +%s) + 1)) # the 1 s interval
ingest "$t/m1.eml"
wait_mail 2
check "interval passed with news: second digest" test "$(count org1)/$(rows)" = 2/2
d=$(latest)
check "second digest: the artist's own words" grep -q "is the label in or out?" "$d"
check "second digest: the reason" grep -q "reason: unclear" "$d"
check "second digest: who" grep -q "ana@example.net" "$d"
check "second digest: the bounce" grep -q "Requests that bounced (1)" "$d"
check "second digest: its subject" grep -q "^Subject: \[nomusicforice\] digest: 1 to review, 1 bounced, 2 pledged" "$d"
check "second digest: how the counts moved" grep -q 'held for review  *1 messages (+1)' "$d"

# The interval passes again without news: nothing.
wait_for 5 past $(($(date +%s) + 1)) # the 1 s interval
ingest "$t/m1.eml"
out=$(ctl digest --dry-run)
check "no news: dry run says so" grep -q "no news" <<<"$out"
check "no news: no digest" test "$(rows)" = 2

# A crash between the hand-over and its record: sent once, never again.
wait_for 5 past $(($(date +%s) + 1)) # the 1 s interval
mail m4 "bo@example.net" "withdraw" "Please withdraw me, sorry."
(PLEDGED_FAULT=digest-after-send ingest "$t/m4.eml") 2>/dev/null || :
wait_mail 3
check "crash: the digest went out once" test "$(count org1)" = 3
check "crash: it names the withdrawal" grep -q "Please withdraw me, sorry." "$(latest)"
check "crash: its row stays 'sending'" test "$(sql "SELECT state FROM digest ORDER BY id DESC LIMIT 1")" = sending
wait_for 5 past $(($(date +%s) + 1)) # the 1 s interval
ingest "$t/m1.eml"
check "after the crash: not sent again" test "$(rows)" = 3
out=$(ctl digest --dry-run)
check "after the crash: nothing left to tell" grep -q "no news" <<<"$out"

# Everything that arrived, in the end: three digests each, no more.
wait_mail 3
check "three digests in all" test "$(count org1)/$(count org2)" = 3/3
finish
