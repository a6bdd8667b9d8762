#!/bin/bash
# Hostile messages cannot hold the ledger: six 4 MiB messages built to be
# slow (tests/integration/hostile_mail.bash) go through `pledged ingest`
# while organizers issue tokens.  Deciding holds no lock and the text
# code is linear, so every `pledgectl issue` succeeds (before, the batch
# transaction was held while a quadratic HTML pass ran: exit 75), and
# every message gets its row.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
. "$PLEDGED_SOURCE_DIR/tests/integration/hostile_mail.bash"
plan 6
base_conf >"$t/p.conf"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
ctl issue --phase 1 --to first@example.org >/dev/null 2>&1

"$PLEDGED" --config "$t/p.conf" ingest "$t"/hostile/*.eml \
    >"$t/ingest.out" 2>"$t/ingest.err" &
ingest=$!
at_exit="kill -9 $ingest 2>/dev/null || true"

tries=0 failed=0
while :; do
	tries=$((tries + 1))
	rc=0; ctl issue --phase 1 --to "a$tries@example.org" >/dev/null 2>>"$t/issue.err" || rc=$?
	[ "$rc" = 0 ] || { failed=$((failed + 1)); echo "issue $tries: exit $rc" >>"$t/issue.err"; }
	kill -0 "$ingest" 2>/dev/null || break
done
rc=0; wait "$ingest" || rc=$?
at_exit=:

check "ingest exits 0" test "$rc" = 0
check "every pledgectl issue succeeded ($tries tried)" test "$failed" = 0
check "no 'locked' or 'busy' from pledgectl" bash -c "! grep -qi 'locked\|busy' '$t/issue.err'"
check "one row per hostile message" test "$(sql 'SELECT count(*) FROM audit')" = 6
check "every token recorded" test "$(sql 'SELECT count(*) FROM token')" = $((tries + 1))
check "none took too long to read" bash -c "! grep -q unparseable '$t/ingest.out'"
[ "$fail" = 0 ] || cat "$t/issue.err" "$t/ingest.err" >&2
finish
