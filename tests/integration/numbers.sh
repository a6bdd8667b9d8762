#!/bin/bash
# Numbers that agree everywhere: a generated campaign whose Date headers
# span three months is fed through pledged ingest; then every number of
# pledgectl stats (text and JSON), of the report's cards and chart (the
# organizers' and the public page) and of the export is checked against
# SQL written here from the tables alone (not the views), and the
# timeline against the days the artists wrote.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 46
base_conf >"$t/p.conf"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }

now=$(date +%s)
day=86400
# Message n of the campaign, written 'ago' days before now.
date_ago() { date -u -R -d "@$((now - $1 * day))"; }
n=0
msg() { # AGO FROM SUBJECT BODY
	n=$((n + 1))
	printf 'From: %s\nDate: %s\nSubject: %s\nMessage-ID: <m%d@example.org>\n\n%s\n' \
	    "$2" "$(date_ago "$1")" "$3" "$n" "$4" >"$t/mail/$(printf %04d "$n").eml"
}
mkdir "$t/mail"

# 30 artists pledge over three months (days 95 .. 8 ago): a%d, with a
# display name N%d (the public page must show neither).
for i in $(seq 1 30); do
	msg $((95 - i * 3)) "Name$i Artist <a$i@example.org>" "I pledge" "Count me in."
done
# One artist pledges twice (a second message is no second pledge).
msg 40 "Name3 Artist <a3@example.org>" "I pledge again" "Still in."
"$PLEDGED" --config "$t/p.conf" ingest "$t"/mail/*.eml >/dev/null 2>&1
rm -f "$t"/mail/*.eml

reply() { # AGO ADDR PHASE WORDS
	local tok
	tok=$(ctl issue --phase "$3" --to "$2" 2>/dev/null)
	msg "$1" "$2" "Re: phase $3" "$(printf '%s\n\n> %s' "$4" "$tok")"
}
# Phase one: 1..16 confirm (days 60 .. 45 ago), 17 declines.
for i in $(seq 1 16); do reply $((61 - i)) "a$i@example.org" 1 "Yes"; done
reply 44 a17@example.org 1 "No, count me out."
# Phase two asked of all pledgers: among the phase-one confirmed, 1..9
# confirm; among the others, 20..23 confirm; 10 declines; 11 is unclear.
for i in $(seq 1 9) $(seq 20 23); do reply $((30 - i)) "a$i@example.org" 2 "Done."; done
reply 12 a10@example.org 2 "No."
reply 11 a11@example.org 2 "Maybe next week?"
# 5 and 24 withdraw; someone who never pledged writes too.
msg 9 "a5@example.org" "Please withdraw my pledge" "Please withdraw my pledge."
msg 8 "a24@example.org" "Kindly withdraw me" "withdraw"
msg 7 "Stranger <x@example.net>" "hello" "What is this about?"
"$PLEDGED" --config "$t/p.conf" ingest "$t"/mail/*.eml >/dev/null 2>&1
# Without authserv_id nothing vouches for a bare "withdraw" (anyone can
# forge a From): the two wait for an organizer, who approves them.
for id in $(sql "SELECT id FROM audit WHERE outcome = 'review' AND held = 'withdraw'"); do
	ctl review --approve "$id" >/dev/null
done

# The Date headers span three months; processing happened today.
months=$(sql "SELECT count(DISTINCT strftime('%Y-%m', written_at, 'unixepoch')) FROM audit")
check "written dates span at least three months ($months)" test "$months" -ge 3
check "processing time kept apart" test "$(sql "SELECT count(*) FROM audit WHERE processed_at < $now - 600")" = 0

# Independent definitions, from the tables.
latest2="(SELECT kind FROM confirmation c WHERE c.artist_id = a.id AND c.phase = 2 ORDER BY c.created_at DESC, c.id DESC LIMIT 1)"
declare -A want
want[artists]=$(sql "SELECT count(*) FROM artist")
want[pledged]=$(sql "SELECT count(*) FROM pledge WHERE state IN ('received', 'confirmed')")
want[confirmed_phase1]=$(sql "SELECT count(*) FROM pledge WHERE state = 'confirmed'")
want[confirmed_phase2]=$(sql "SELECT count(*) FROM artist a LEFT JOIN pledge p ON p.artist_id = a.id WHERE coalesce(p.state, '') <> 'withdrawn' AND $latest2 = 'confirm'")
want[phase2_of_pledged]=$(sql "SELECT count(*) FROM artist a JOIN pledge p ON p.artist_id = a.id WHERE p.state <> 'withdrawn' AND $latest2 = 'confirm'")
want[phase2_of_phase1]=$(sql "SELECT count(*) FROM artist a JOIN pledge p ON p.artist_id = a.id WHERE p.state = 'confirmed' AND $latest2 = 'confirm'")
want[withdrawn]=$(sql "SELECT count(*) FROM pledge WHERE state = 'withdrawn'")
want[review]=$(sql "SELECT count(*) FROM audit WHERE outcome = 'review' AND id NOT IN (SELECT audit_id FROM review_decision)")
want[messages]=$(sql "SELECT count(*) FROM audit")
# What the campaign above must give, by construction.
check "pledged: 30 less 2 withdrawn" test "${want[pledged]}" = 28
check "phase one: 16 less 1 withdrawn" test "${want[confirmed_phase1]}" = 15
check "phase two: 13 less 1 withdrawn" test "${want[confirmed_phase2]}" = 12
check "phase two among phase one: 9 less 1" test "${want[phase2_of_phase1]}" = 8
check "one reply held for review" test "${want[review]}" = 1

json=$(ctl stats --json)
jget() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$json"; }
for k in "${!want[@]}"; do
	check "stats --json $k = ${want[$k]} (got $(jget "$k"))" test "$(jget "$k")" = "${want[$k]}"
done

# The text names each base in words, with the right percentage.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
text=$(ctl stats)
check "stats: phase two among phase one, with its base" grep -q "among phase one *${want[phase2_of_phase1]}  artists    ${want[phase2_of_phase1]} of the ${want[confirmed_phase1]} confirmed in phase one ($(pct "${want[phase2_of_phase1]}" "${want[confirmed_phase1]}")%)" <<<"$text"
check "stats: phase two among pledgers, with its base" grep -q "among pledgers *${want[phase2_of_pledged]}  artists    ${want[phase2_of_pledged]} of the ${want[pledged]} who pledged ($(pct "${want[phase2_of_pledged]}" "${want[pledged]}")%)" <<<"$text"
check "stats: phase one share of pledgers" grep -q "confirmed, phase one *${want[confirmed_phase1]}  artists    ${want[confirmed_phase1]} of the ${want[pledged]} who pledged" <<<"$text"
for k in pledged withdrawn; do
	check "stats text $k" grep -qE "^$k +${want[$k]} " <<<"$text"
done

# The pages: cards and chart.
ctl report --html "$t/org.html" >/dev/null
ctl report --public --html "$t/pub.html" >/dev/null
card() { # FILE LABEL
	grep -o "<div class=\"num\">[0-9]*</div><div class=\"label\">$2</div>" "$1" | sed 's/[^0-9]*\([0-9]*\).*/\1/'
}
# Sum of a chart series (bars are "<title>DAY: N LABEL</title>").
bars() { # FILE LABEL
	grep -o "<title>[0-9-]*: [0-9]* $2</title>" "$1" | awk '{ s += $2 } END { print s + 0 }'
}
for f in org pub; do
	check "$f card pledged" test "$(card "$t/$f.html" pledged)" = "${want[pledged]}"
	check "$f card phase one" test "$(card "$t/$f.html" 'confirmed, phase one')" = "${want[confirmed_phase1]}"
	check "$f card phase two" test "$(card "$t/$f.html" 'confirmed, phase two')" = "${want[confirmed_phase2]}"
	check "$f card withdrawn" test "$(card "$t/$f.html" withdrawn)" = "${want[withdrawn]}"
	check "$f chart pledged adds up to the card" test "$(bars "$t/$f.html" Pledged)" = "${want[pledged]}"
	check "$f chart phase one adds up" test "$(bars "$t/$f.html" 'Confirmed, phase one')" = "${want[confirmed_phase1]}"
	check "$f chart phase two adds up" test "$(bars "$t/$f.html" 'Confirmed, phase two')" = "${want[confirmed_phase2]}"
	check "$f phase-two share of phase one in words" grep -q "${want[phase2_of_phase1]} of the ${want[confirmed_phase1]} confirmed in phase one ($(pct "${want[phase2_of_phase1]}" "${want[confirmed_phase1]}")%)" "$t/$f.html"
done
check "organizers' card: held for review" test "$(card "$t/org.html" 'held for review')" = "${want[review]}"

# Each bar on the day the artist wrote: pledges per day from the tables.
sql "SELECT d || ': ' || count(*) FROM (SELECT date(a.written_at, 'unixepoch') AS d FROM pledge p JOIN audit a ON a.id = p.pledged_audit_id WHERE p.state <> 'withdrawn') GROUP BY d ORDER BY d" >"$t/want-days"
grep -o "<title>[0-9-]*: [0-9]* Pledged</title>" "$t/org.html" | sed 's#<title>\(.*\) Pledged</title>#\1#' >"$t/got-days"
check "pledged bars by the day written" cmp -s "$t/want-days" "$t/got-days"
sql "SELECT d || ': ' || count(*) FROM (SELECT date(a.written_at, 'unixepoch') AS d FROM confirmation c JOIN audit a ON a.id = c.audit_id JOIN pledge p ON p.artist_id = c.artist_id WHERE c.phase = 1 AND c.kind = 'confirm' AND p.state = 'confirmed') GROUP BY d ORDER BY d" >"$t/want-days"
grep -o "<title>[0-9-]*: [0-9]* Confirmed, phase one</title>" "$t/org.html" | sed 's#<title>\(.*\) Confirmed, phase one</title>#\1#' >"$t/got-days"
check "phase-one bars by the day written" cmp -s "$t/want-days" "$t/got-days"

# Export: the same artists, and both times of every message.
ctl export --what artists --format json >"$t/artists.json"
check "export: pledged artists" test "$(grep -cE '"pledge_state":"(received|confirmed)"' "$t/artists.json")" = "${want[pledged]}"
check "export: phase-two artists" test "$(grep -c '"phase2_confirmed":true' "$t/artists.json")" = "${want[confirmed_phase2]}"
ctl export --what messages --format json >"$t/messages.json"
check "export: every message has written_at and processed_at" test "$(grep -c '"processed_at":"[^"]*","rule":[^,]*,"written_at":"[^"]*"' "$t/messages.json")" = "${want[messages]}"

# The public page names nobody: no address, no name, no text.
leak=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qiF -- "$s" "$t/pub.html"; then
		echo "public page shows: $s" >&2
		leak=1
	fi
done < <(sql "SELECT address FROM artist UNION SELECT display_name FROM artist UNION SELECT from_addr FROM audit UNION SELECT from_name FROM audit UNION SELECT own_text FROM audit WHERE length(own_text) > 8 UNION SELECT subject FROM audit")
check "public page: no address, name or text from the store" test "$leak" = 0
check "public page: no @ outside the style sheet" test "$(grep -v '^@media' "$t/pub.html" | grep -c @)" = 0
check "organizers' page: the held reply's own words" grep -q "Maybe next week?" "$t/org.html"

finish
