#!/bin/bash
# The order of work, proven from the server's side, in the spirit of
# curl's protocol transcript tests: dovecot's own transcript of every IMAP
# session (rawlog, contrib/testenv/dovecot.sh) shows that pledged only
# ever fetches with BODY.PEEK[...] (never BODY[], BINARY[] or RFC822,
# which would set \Seen), and that it flags or moves a message only after
# the COMMIT that recorded it: a run killed just before the COMMIT (the
# fault hooks) has sent no STORE, MOVE, COPY or EXPUNGE, nor has one killed
# just after it, whose rows the store marks pending; the next run does
# those first; a normal run acts on a message only after fetching it,
# batch by batch, one group of actions per COMMIT (--verbose "committed"
# line) on as many messages as it committed.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
need_fault_hooks "$PLEDGED"
plan 24

# run NAME [VAR=value...]: one pledged --once --verbose; $rc, the log in
# $t/NAME.log, the session's transcript (client side) in $t/NAME.in.
run() {
	local name=$1 f pid
	shift
	ls "$RAWLOG_DIR"/*.in 2>/dev/null | sort >"$t/before" || :
	rc=0
	env "$@" "$PLEDGED" --config "$t/p.conf" --once --verbose \
	    2>"$t/$name.log" || rc=$?
	ls "$RAWLOG_DIR"/*.in | sort | comm -13 "$t/before" - >"$t/new"
	[ "$(wc -l <"$t/new")" = 1 ] ||
	    fatal "$name: $(wc -l <"$t/new") new IMAP sessions, want 1"
	f=$(cat "$t/new")
	# DATE-TIME.PID.N.in: the transcript is whole once the server's
	# imap process for the session has ended.
	pid=$(basename "$f" | cut -d. -f2)
	gone() { ! kill -0 "$pid" 2>/dev/null; }
	wait_for 10 gone || fatal "$name: imap process $pid still running"
	# "TIMESTAMP TAG COMMAND ...", CRs off.
	tr -d '\r' <"$f" >"$t/$name.in"
}

# Client lines that fetch, that act on messages, that fetch a body.
fetches() { grep -Ei '^[0-9.]+ [^ ]+ (uid )?fetch ' "$t/$1.in" || :; }
actions() { grep -Ei '^[0-9.]+ [^ ]+ (uid )?(store|move|copy|expunge)( |$)' "$t/$1.in" || :; }
peeks() { fetches "$1" | grep -ci 'BODY\.PEEK\[' || :; }
# Any fetch item that sets \Seen: BODY[...], BINARY[...], RFC822 and
# RFC822.TEXT (RFC822.SIZE and RFC822.HEADER do not).
seen_fetches() {
	fetches "$1" | grep -Ei 'BODY\[|BINARY\[|RFC822([^.A-Z]|$)|RFC822\.TEXT' || :
}
peek_only() {
	local bad
	bad=$(seen_fetches "$1")
	[ -z "$bad" ] || { echo "    $bad"; return 1; }
}
no_actions() {
	local a
	a=$(actions "$1")
	[ -z "$a" ] || { echo "    $a"; return 1; }
}

# UIDs of an IMAP set ("1:3,7"), one a line.
uids_of() {
	tr ',' '\n' <<<"$1" | awk -F: 'NF == 2 { for (u = $1; u <= $2; u++) print u; next } { print }'
}
# acted_unfetched NAME [PENDING_FILE]: the UIDs the session acted on
# (STORE, MOVE, COPY, UID EXPUNGE) that it had not fetched with
# BODY.PEEK earlier and that the store did not list as pending.
acted_unfetched() {
	local ts tag uid cmd set rest
	: >"$t/fetched"
	[ -z "${2:-}" ] || cat "$2" >>"$t/fetched"
	while read -r ts tag uid cmd set rest; do
		[ "${uid^^}" = UID ] || continue
		case ${cmd^^} in
		FETCH)
			grep -qi 'BODY\.PEEK\[' <<<"$rest" &&
			    uids_of "$set" >>"$t/fetched"
			;;
		STORE | MOVE | COPY | EXPUNGE)
			uids_of "$set" | grep -vxF -f "$t/fetched" || :
			;;
		esac
	done <"$t/$1.in"
}
none_unfetched() {
	local u
	u=$(acted_unfetched "$@")
	[ -z "$u" ] || { echo "    acted on before fetching: $u"; return 1; }
}
# action_groups NAME: the number of messages acted on by each run of
# consecutive STORE/MOVE/COPY commands, on one line.
action_groups() {
	local ts tag uid cmd set rest n=0 out=
	while read -r ts tag uid cmd set rest; do
		case "${uid^^} ${cmd^^}" in
		"UID STORE" | "UID MOVE" | "UID COPY")
			n=$((n + $(uids_of "$set" | wc -l))) ;;
		"UID EXPUNGE") ;;
		*)
			[ "$n" = 0 ] || out="$out $n"
			n=0 ;;
		esac
	done <"$t/$1.in"
	[ "$n" = 0 ] || out="$out $n"
	echo $out
}
# log_groups NAME: N of each "committed N" and "finishing ... of N" line.
log_groups() {
	echo $(sed -n 's/.*finishing the server actions of \([0-9]*\) .*/\1/p
	    s/.*: committed \([0-9]*\) messages.*/\1/p' "$t/$1.log")
}
# first_line NAME PATTERN: line number of the first client line matching.
first_line() { grep -nEi "$2" "$t/$1.in" | head -n 1 | cut -d: -f1; }

write_conf "batch = 4"
sample
deliver "$t"/mail/*.eml
n=$(ls "$t/mail" | wc -l)

# Killed at the last instant before the first COMMIT: the server has seen
# the fetches and nothing else.
run early PLEDGED_FAULT=before-commit
check "killed before the COMMIT (137, got $rc)" test "$rc" = 137
check "nothing recorded" test "$(sql 'SELECT count(*) FROM audit' 2>/dev/null || echo 0)" = 0
check "the batch was fetched" test "$(peeks early)" -ge 1
check "no STORE, MOVE, COPY or EXPUNGE before the COMMIT" no_actions early

# Killed right after the first COMMIT: recorded, not yet acted on.
run crash PLEDGED_FAULT=after-commit
rows=$(sql 'SELECT count(*) FROM audit')
check "killed after the COMMIT (137, got $rc)" test "$rc" = 137
check "the first batch was committed ($rows rows)" test "$rows" -ge 1
check "its server actions are pending in the store" \
    test "$(sql 'SELECT count(*) FROM audit WHERE server_pending')" = "$rows"
check "the session fetched the batch with BODY.PEEK" test "$(peeks crash)" -ge 1
check "no STORE, MOVE, COPY or EXPUNGE before the crash" no_actions crash
check "the crashed session fetched with BODY.PEEK only" peek_only crash

# The next run finishes those first, then reads the rest, batch by batch.
sql 'SELECT uid FROM audit WHERE server_pending' >"$t/pending"
run finish
check "next run exits 0" test "$rc" = 0
check "it fetched with BODY.PEEK only" peek_only finish
check "it fetched bodies" test "$(peeks finish)" -ge 1
first_act=$(first_line finish ' (uid )?(store|move|copy|expunge) ')
first_peek=$(first_line finish 'BODY\.PEEK\[')
check "the pending actions come before any new fetch" \
    test "${first_act:-99999}" -lt "${first_peek:-0}"
check "it acted only on fetched or pending messages" \
    none_unfetched finish "$t/pending"
check "every message recorded and flagged" \
    test "$(sql 'SELECT count(*) FROM audit')/$(uids_with INBOX '$Pledged' | wc -l)" = "$n/$n"
check "nothing left pending" \
    test "$(sql 'SELECT count(*) FROM audit WHERE server_pending')" = 0
# Batch by batch: each "committed N messages" of the log (and the
# "finishing the server actions of N" of the crashed batch) is followed in
# the transcript by one group of actions on exactly N messages, before the
# next fetch.
check "one group of N actions after each COMMIT of N: $(log_groups finish)" \
    test "$(action_groups finish)" = "$(log_groups finish)"

# after = move: MOVE (or COPY and EXPUNGE) only for fetched, committed
# messages.
write_conf "batch = 4" "after = move"
for i in 1 2 3; do
	printf 'From: m%d@artists.example\r\nSubject: I pledge\r\nMessage-ID: <m%d@x>\r\n\r\nin\r\n' "$i" "$i" >"$t/m$i.eml"
done
deliver "$t"/m[123].eml
run move
check "move run exits 0" test "$rc" = 0
check "it fetched with BODY.PEEK only" peek_only move
check "it moved the new messages" test "$(actions move | grep -ciE ' (move|copy) ' || :)" -ge 1
check "it moved only fetched messages" none_unfetched move
check "three more rows" test "$(sql 'SELECT count(*) FROM audit')" = $((n + 3))
moved_line=$(first_line move ' (move|copy) ')
peek_line=$(first_line move 'BODY\.PEEK\[')
check "the fetch comes before the move" \
    test "${peek_line:-99999}" -lt "${moved_line:-0}"
finish
