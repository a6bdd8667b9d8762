#!/bin/bash
# kill -9 at several points of a batch, then --once again: every message
# is recorded exactly once, and the server actions a crash interrupted are
# finished by the next pass.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 17
need_fault_hooks "$PLEDGED"

sample
deliver "$t"/mail/*.eml
n=$(ls "$t/mail" | wc -l)

# Killed before the COMMIT: nothing recorded.
rc=0; PLEDGED_FAULT=before-commit "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "killed before commit (signal 9)" test "$rc" = 137
check "nothing recorded before the commit" test "$(sql 'SELECT count(*) FROM audit')" = 0
check "nothing flagged before the commit" test "$(uids_with INBOX '$Pledged' | wc -l)" = 0

# Killed between the COMMIT and the flags: recorded, flags pending.
rc=0; PLEDGED_FAULT=after-commit "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "killed after commit" test "$rc" = 137
check "all recorded at the commit" test "$(sql 'SELECT count(*) FROM audit')" = "$n"
check "flags still pending" test "$(sql 'SELECT count(*) FROM audit WHERE server_pending')" = "$n"
check "nothing flagged yet" test "$(uids_with INBOX '$Pledged' | wc -l)" = 0

rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "next --once exits 0" test "$rc" = 0
check "still one row per message" test "$(sql 'SELECT count(*) FROM audit')" = "$n"
check "pending flags finished" test "$(uids_with INBOX '$Pledged' | wc -l)" = "$n"
check "nothing pending" test "$(sql 'SELECT count(*) FROM audit WHERE server_pending')" = 0
check "decisions as expected" test "$(decisions INBOX)" = "$(expected_decisions)"

# after = move, killed mid-move (review mail moved, the rest not yet).
write_conf "after = move"
printf 'From: m1@artists.example\r\nSubject: I pledge\r\nMessage-ID: <m1@x>\r\n\r\nin\r\n' >"$t/m1.eml"
printf 'From: m2@artists.example\r\nSubject: I pledge\r\nMessage-ID: <m2@x>\r\n\r\nin\r\n' >"$t/m2.eml"
deliver "$t/m1.eml" "$t/m2.eml"
rc=0; PLEDGED_FAULT=mid-move "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "killed mid-move" test "$rc" = 137
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
[ "$rc" = 0 ] || cat "$t/err" >&2
check "--once after the crash exits 0" test "$rc" = 0
check "two new rows, no more" test "$(sql 'SELECT count(*) FROM audit')" = $((n + 2))
check "moved to Pledged/Done" test "$(count_in Pledged.Done)" = 2
check "no pledge counted twice" test "$(sql "SELECT count(*) FROM pledge")" = 7
finish
