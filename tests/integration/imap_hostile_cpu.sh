#!/bin/bash
# The failure as reported: six 4 MiB hostile messages in the campaign
# INBOX (tests/integration/hostile_mail.bash) and `pledged --once` reading
# them while organizers run `pledgectl issue` in a loop.  Before, the
# batch's BEGIN IMMEDIATE was held for the minute the HTML took, and
# issue gave up with 75; now every issue succeeds and every message is
# decided (none over its deadline) and flagged.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
. "$PLEDGED_SOURCE_DIR/tests/integration/hostile_mail.bash"
plan 6
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
ctl issue --phase 1 --to first@example.org >/dev/null 2>&1
deliver "$t"/hostile/*.eml

"$PLEDGED" --config "$t/p.conf" --once 2>"$t/once.err" &
daemon_pid=$!

tries=0 failed=0
while :; do
	tries=$((tries + 1))
	rc=0; ctl issue --phase 1 --to "a$tries@example.org" >/dev/null 2>>"$t/issue.err" || rc=$?
	[ "$rc" = 0 ] || { failed=$((failed + 1)); echo "issue $tries: exit $rc" >>"$t/issue.err"; }
	kill -0 "$daemon_pid" 2>/dev/null || break
done
rc=0; wait "$daemon_pid" || rc=$?
daemon_pid=

check "--once exits 0" test "$rc" = 0
check "every pledgectl issue succeeded ($tries tried)" test "$failed" = 0
check "no 'locked' or 'busy' from pledgectl" bash -c "! grep -qi 'locked\|busy' '$t/issue.err'"
check "one row per hostile message" test "$(sql 'SELECT count(*) FROM audit')" = 6
check "none over its deadline" test "$(sql "SELECT count(*) FROM audit WHERE reason = 'unparseable'")" = 0
check "all flagged" test "$(uids_with INBOX '$Pledged' | wc -l)" = 6
[ "$fail" = 0 ] || cat "$t/issue.err" "$t/once.err" >&2
finish
