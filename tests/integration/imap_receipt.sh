#!/bin/bash
# Against the private dovecot: a reply is judged when the server received
# it (INTERNALDATE), not when pledged reads it, and never later than now;
# a mailbox whose UIDVALIDITY changes at every session keeps one audit row
# per message, however many passes.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 10
sed -i 's/^campaign = .*/&\nclock_skew = 0/' "$t/p.conf"

# deliver_at EPOCH FILE: into the INBOX, received at EPOCH (a maildir
# message's INTERNALDATE is its file's modification time).
deliver_at() {
	seq_no=$((seq_no + 1))
	local name
	name=$(printf '%010d.%06d.pledgedtest' "$(date +%s)" "$seq_no")
	cp "$2" "$MAILDIR/tmp/$name"
	touch -d "@$1" "$MAILDIR/tmp/$name"
	chown "$MAIL_UID:$MAIL_GID" "$MAILDIR/tmp/$name"
	mv "$MAILDIR/tmp/$name" "$MAILDIR/new/$name"
}
reply() { # file addr token
	printf 'From: %s\r\nSubject: Re: phase two\r\nMessage-ID: <%s@example.org>\r\n\r\nDone.\r\n\r\n> %s\r\n' \
	    "$2" "$(basename "$1" .eml)" "$3" >"$1"
}

tok1=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to early@example.org --expires 2s 2>/dev/null)
tok2=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to future@example.org --expires 2s 2>/dev/null)
issued=$(date +%s) # not before either token's iat, within 2 s of it
reply "$t/r1.eml" early@example.org "$tok1"
reply "$t/r2.eml" future@example.org "$tok2"
# r1 came in time; r2 claims a receipt time a day ahead.
deliver_at "$issued" "$t/r1.eml"
deliver_at $((issued + 86400)) "$t/r2.eml"
# Wait until both tokens have expired.
wait_for 10 past $((issued + 3))
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "pass: exit 0" test "$rc" = 0 || cat "$t/err" >&2
check "received in time, read after expiry: confirmed" \
    test "$(sql "SELECT outcome FROM audit WHERE message_id = 'r1@example.org'")" = confirm
check "a receipt time in the future is clamped to now: expired" \
    test "$(sql "SELECT outcome || '/' || reason FROM audit WHERE message_id = 'r2@example.org'")" = reject/expired

# A server that hands out a new UIDVALIDITY every session.
write_conf "mailbox = Shifting"
sed -i 's/^campaign = .*/&\nclock_skew = 0/' "$t/p.conf"
for m in a b c; do
	printf 'From: %s@artists.example\r\nSubject: I pledge\r\nMessage-ID: <shift-%s@x>\r\n\r\nin\r\n' "$m" "$m" >"$t/$m.eml"
done
uvs=""
for pass in 1 2 3 4; do
	doveadm mailbox delete -u "$USER" Shifting 2>/dev/null || :
	doveadm mailbox create -u "$USER" Shifting
	for m in a b c; do doveadm save -u "$USER" -m Shifting <"$t/$m.eml"; done
	rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>>"$t/err" || rc=$?
	check "pass $pass: exit 0" test "$rc" = 0
	uvs="$uvs $(sql "SELECT uidvalidity FROM mailbox_state WHERE mailbox = 'Shifting'")"
done
check "four passes saw four UIDVALIDITYs" test "$(tr ' ' '\n' <<<"$uvs" | sort -u | grep -c .)" = 4
check "one row per message, not one per pass" \
    test "$(sql "SELECT count(*) FROM audit WHERE mailbox = 'Shifting'")" = 3
check "each row now under the current UIDVALIDITY" \
    test "$(sql "SELECT count(*) FROM audit WHERE mailbox = 'Shifting' AND uidvalidity = ${uvs##* }")" = 3
check "three pledges, once each" test "$(sql "SELECT count(*) FROM pledge")" = 3
# A second copy of a message in the same mailbox is still its own
# duplicate row.
doveadm save -u "$USER" -m Shifting <"$t/a.eml"
"$PLEDGED" --config "$t/p.conf" --once 2>>"$t/err"
check "a new copy: one ignore/duplicate row" \
    test "$(sql "SELECT count(*) FROM audit WHERE mailbox = 'Shifting' AND reason = 'duplicate'")" = 1
finish
