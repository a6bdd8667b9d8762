#!/bin/bash
# The main job against a real dovecot over verified TLS: a backlog of
# mixed mail (a quarter of it already \Seen by a human) gets every outcome
# right, the COMMIT comes before any flag, a message over the size cap is
# recorded without being downloaded, and a second --once changes nothing.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"

write_conf "max_message_bytes = 100000"
sample
# One message over the cap, at the end.
{ printf 'From: big@artists.example\r\nSubject: I pledge\r\nMessage-ID: <big@x>\r\n\r\n'
  head -c 150000 /dev/zero | tr '\0' 'a' | fold -w 76 | sed 's/$/\r/'; } >"$t/mail/zzz-big.eml"
echo "zzz-big.eml reject/too-large" >>"$t/expected"
deliver "$t"/mail/*.eml
n=$(ls "$t/mail" | wc -l)
# A human read some of the mail first: state must not depend on \Seen.
doveadm flags add -u "$USER" '\Seen' mailbox INBOX 1:4

rc=0; "$PLEDGED" --config "$t/p.conf" --once --verbose 2>"$t/log1" || rc=$?
check "first --once exits 0" test "$rc" = 0
check "every message decided as expected" \
    test "$(decisions INBOX)" = "$(expected_decisions)"
check "one audit row per message" test "$(sql 'SELECT count(*) FROM audit')" = "$n"
check "too-large recorded without its digest" \
    test "$(sql "SELECT count(*) FROM audit WHERE reason = 'too-large' AND sha256 IS NULL")" = 1
check "all messages flagged \$Pledged" test "$(uids_with INBOX '$Pledged' | wc -l)" = "$n"
check "no server action left pending" test "$(sql 'SELECT count(*) FROM audit WHERE server_pending')" = 0
check "\\Seen left as the human set it" test "$(uids_with INBOX '\Seen' | tr '\n' ' ')" = "1 2 3 4 "
commit_line=$(grep -n 'committed' "$t/log1" | head -1 | cut -d: -f1)
flag_line=$(grep -n 'server actions done' "$t/log1" | head -1 | cut -d: -f1)
check "COMMIT logged before the server actions" test "${commit_line:-99999}" -lt "${flag_line:-0}"
check "password never logged" sh -c "! grep -qF '$(cat "$t/imap.password")' '$t/log1'"

dump=$(ledger_dump | md5sum)
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/log2" || rc=$?
check "second --once exits 0" test "$rc" = 0
check "second --once changes nothing" test "$(ledger_dump | md5sum)" = "$dump"

# Dry run over new mail: printed, not recorded, not flagged.
printf 'From: late@artists.example\r\nSubject: I pledge\r\nMessage-ID: <late@x>\r\n\r\nin\r\n' >"$t/late.eml"
deliver "$t/late.eml"
out=$("$PLEDGED" --config "$t/p.conf" --once --dry-run 2>/dev/null)
check "dry-run prints the decision" grep -q "pledge late@artists.example" <<<"$out"
check "dry-run records nothing" test "$(ledger_dump | md5sum)" = "$dump"
check "dry-run flags nothing" test "$(uids_with INBOX '$Pledged' | wc -l)" = "$n"
finish
