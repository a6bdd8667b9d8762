#!/bin/bash
# The main job against a real dovecot over verified TLS: a backlog of
# mixed mail (a quarter of it already \Seen by a human) gets every outcome
# right, the COMMIT comes before any flag, a message over the size cap is
# recorded without being downloaded, and a second --once changes nothing.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 24

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

# A temporary failure that lasts: the lock held for longer than
# fail_after (the state file says since two hours) turns 75 into 69, with
# a line for cron's mail; a successful run clears the state.
exec 9>"$t/lock"; flock 9
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "lock held: 75" test "$rc" = 75
check "lock held: the start of the failures recorded" test -s "$t/p.db-tempfail"
echo $(( $(date +%s) - 7200 )) >"$t/p.db-tempfail"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "lock held for two hours: 69" test "$rc" = 69
check "lock held for two hours: says since when" grep -q "every run has failed temporarily (exit 75) since .*, 120 minutes, longer than fail_after (3600 s)" "$t/err"
exec 9>&-
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "lock free again: 0" test "$rc" = 0
check "a successful run clears the state" test ! -e "$t/p.db-tempfail"

# Dry run over new mail: printed, not recorded, not flagged.
printf 'From: late@artists.example\r\nSubject: I pledge\r\nMessage-ID: <late@x>\r\n\r\nin\r\n' >"$t/late.eml"
deliver "$t/late.eml"
out=$("$PLEDGED" --config "$t/p.conf" --once --dry-run 2>/dev/null)
check "dry-run prints the decision" grep -q "pledge late@artists.example" <<<"$out"
check "dry-run records nothing" test "$(ledger_dump | md5sum)" = "$dump"
check "dry-run flags nothing" test "$(uids_with INBOX '$Pledged' | wc -l)" = "$n"
# Without a database (day one), with log = syslog: an empty store in
# memory, the whole mailbox decided, the summary on the terminal.
sed -e "s#^database = .*#database = $t/none.db#" -e "s#^log = .*#log = syslog#" "$t/p.conf" >"$t/none.conf"
rc=0; out=$("$PLEDGED" --config "$t/none.conf" --once --dry-run 2>/dev/null) || rc=$?
check "dry-run without a database: 0" test "$rc" = 0
check "dry-run without a database: every message decided" grep -q "pledge late@artists.example" <<<"$out"
check "dry-run without a database: the summary on standard output" grep -q "^dry run: INBOX: $((n + 1)) new: " <<<"$out"
check "dry-run without a database: none created" test ! -e "$t/none.db"
finish
