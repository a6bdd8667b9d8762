#!/bin/bash
# dovecot restarted in the middle of a --once run: the run ends with 75
# (cron retries), and the next run records every message exactly once.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"

# One message per batch, so the run commits as it goes and can be caught
# half-way.
write_conf "batch = 1"
n=200
for i in $(seq 1 $n); do
	printf 'From: a%d@artists.example\r\nSubject: I pledge\r\nMessage-ID: <r%d@x>\r\n\r\nin\r\n' "$i" "$i" >"$t/$i.eml"
done
deliver $(for i in $(seq 1 $n); do echo "$t/$i.eml"; done)

plan 7
"$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" &
pid=$!
on_exit "kill $pid 2>/dev/null || :"
five_rows() { [ "$(sql 'SELECT count(*) FROM audit' 2>/dev/null || echo 0)" -ge 5 ]; }
# Without five rows recorded there is no run to interrupt half-way.
wait_for 20 five_rows || fatal "the run recorded fewer than 5 messages in 20 s"
# The server drops the session at once (as a restart does), then goes
# down.  (A SIGKILLed mail process would leave dovecot's own locks for
# its two-minute stale timeout: real, but too slow for a test.)
doveadm kick "$USER" >/dev/null
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/dovecot.sh" stop "$t/dc"
rc=0; wait "$pid" || rc=$?
done_first=$(sql 'SELECT count(*) FROM audit')
check "stopped mid-run (after $done_first of $n)" test "$done_first" -lt "$n"
check "once mode: exit 75 when the server goes away (got $rc)" test "$rc" = 75

dc_start_again
# As cron would: try again while the answer is "temporary" (75); right
# after a crash dovecot may still be recovering its index.  Waits for the
# event "a run that is not 75", for up to 10 s.
try=0
not_temporary() {
	try=$((try + 1))
	rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>>"$t/err" || rc=$?
	[ "$rc" != 75 ]
}
wait_for 10 not_temporary || :
[ "$rc" = 0 ] || { cat "$t/err"; grep -iE "error|panic|fatal" "$LOG" | tail -8; } >&2
check "next run: exit 0 (after $try tries)" test "$rc" = 0
check "every message recorded" test "$(sql 'SELECT count(*) FROM audit')" = "$n"
check "each exactly once" test "$(sql 'SELECT count(DISTINCT uid) FROM audit')" = "$n"
check "each pledge once" test "$(sql 'SELECT count(*) FROM pledge')" = "$n"
check "all flagged" test "$(uids_with INBOX '$Pledged' | wc -l)" = "$n"
finish
