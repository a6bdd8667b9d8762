#!/bin/bash
# Organizers read while the ledger is written: pledgectl stats and export
# in a loop, against a loop of pledgectl issue in another process.  WAL
# and the busy timeout must keep both sides free of "database is locked",
# and every read must see a consistent count: a stats read never counts
# fewer tokens than the read before, an export made after it never holds
# fewer rows, and each export's rows are whole and distinct.  (When
# "pledged ingest" can fill a store, it can take the writer's place
# unchanged.)
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 9
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
writer=
on_exit '[ -z "$writer" ] || kill "$writer" 2>/dev/null || :'
(
	for i in $(seq 1 $N); do
		if ! ctl issue --phase 1 --to "a$i@example.org" >/dev/null 2>>"$t/writer.err"; then
			echo "issue $i failed" >>"$t/writer.err"
		fi
	done
	touch "$t/writer.done"
) &
writer=$!

# tokens_issued of a stats --json on stdin.
issued() { sed -n 's/.*"tokens_issued":\([0-9]*\).*/\1/p'; }
reads=0 bad=0 inconsistent=0 last=0
while [ ! -e "$t/writer.done" ]; do
	if ! ctl stats --json >"$t/s.json" 2>>"$t/reader.err"; then bad=$((bad + 1)); fi
	if ! ctl export --what requests --format csv >"$t/r.csv" 2>>"$t/reader.err"; then bad=$((bad + 1)); fi
	s=$(issued <"$t/s.json")
	# One snapshot per export: the header plus one row per token, each
	# row with the header's nine fields, no jti twice.
	rows=$(($(wc -l <"$t/r.csv") - 1))
	jtis=$(tail -n +2 "$t/r.csv" | cut -d, -f1 | sort -u | wc -l)
	whole=$(awk -F, 'NR > 1 && NF != 9' "$t/r.csv" | wc -l)
	if [ -z "$s" ] || [ "$s" -lt "$last" ] || [ "$s" -gt $((N + 1)) ] ||
	    [ "$rows" -lt "$s" ] || [ "$rows" -gt $((N + 1)) ] ||
	    [ "$jtis" != "$rows" ] || [ "$whole" != 0 ]; then
		echo "inconsistent read $reads: stats $s (before: $last), export $rows rows, $jtis jti, $whole broken"
		inconsistent=$((inconsistent + 1))
	fi
	last=${s:-$last}
	reads=$((reads + 1))
done
wait "$writer"; writer=

check "reader ran while the writer wrote ($reads rounds)" test "$reads" -ge 3
check "no reader failed" test "$bad" = 0
check "every read consistent" test "$inconsistent" = 0
check "no 'locked' on the reader side" bash -c "! grep -qi 'locked\|busy' '$t/reader.err' 2>/dev/null"
check "no 'locked' on the writer side" bash -c "! grep -qi 'locked\|busy\|failed' '$t/writer.err' 2>/dev/null"
tokens=$(ctl stats --json | sed 's/.*"tokens_issued":\([0-9]*\).*/\1/')
check "every token recorded ($tokens)" test "$tokens" = $((N + 1))
rows=$(ctl export --what requests --format json | wc -l)
check "export has every token" test "$rows" = $((N + 1))
finish
