#!/bin/bash
# Organizers read while the ledger is written: pledgectl stats and export
# in a loop, against a loop of pledgectl issue in another process.  WAL
# and the busy timeout must keep both sides free of "database is locked",
# and every read must see a consistent count.  (When "pledged ingest" can
# fill a store, it can take the writer's place unchanged.)
set -eu
t=$(mktemp -d /tmp/pledged-ctl-XXXXXX)
writer=
cleanup() { [ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
pass=0 fail=0
check() { # description, command...
	local what=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what" >&2; fail=$((fail + 1)); fi
}

pub=$("$PLEDGECTL" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')
cat >"$t/p.conf" <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
CONF
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }

rc=0; ctl stats >/dev/null 2>"$t/missing.err" || rc=$?
check "stats on a missing database is 66" test "$rc" = 66
check "missing database named" grep -q 'database' "$t/missing.err"

ctl issue --phase 1 --to first@example.org >/dev/null 2>&1
N=60
(
	for i in $(seq 1 $N); do
		if ! ctl issue --phase 1 --to "a$i@example.org" >/dev/null 2>>"$t/writer.err"; then
			echo "issue $i failed" >>"$t/writer.err"
		fi
	done
	touch "$t/writer.done"
) &
writer=$!

reads=0 bad=0
while [ ! -e "$t/writer.done" ]; do
	if ! ctl stats --json >"$t/s.json" 2>>"$t/reader.err"; then bad=$((bad + 1)); fi
	if ! ctl export --what requests --format csv >"$t/r.csv" 2>>"$t/reader.err"; then bad=$((bad + 1)); fi
	# One snapshot per export: the header plus one row per token.
	lines=$(wc -l <"$t/r.csv")
	[ "$lines" -ge 2 ] || bad=$((bad + 1))
	reads=$((reads + 1))
done
wait "$writer"; writer=

check "reader ran while the writer wrote ($reads rounds)" test "$reads" -ge 3
check "no reader failed" test "$bad" = 0
check "no 'locked' on the reader side" bash -c "! grep -qi 'locked\|busy' '$t/reader.err' 2>/dev/null"
check "no 'locked' on the writer side" bash -c "! grep -qi 'locked\|busy\|failed' '$t/writer.err' 2>/dev/null"
tokens=$(ctl stats --json | sed 's/.*"tokens_issued":\([0-9]*\).*/\1/')
check "every token recorded ($tokens)" test "$tokens" = $((N + 1))
rows=$(ctl export --what requests --format json | wc -l)
check "export has every token" test "$rows" = $((N + 1))

echo "pledgectl_concurrent: $pass passed, $fail failed"
test "$fail" = 0
