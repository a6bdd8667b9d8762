#!/bin/bash
# Hostile messages cannot hold the ledger: six 4 MiB messages built to be
# slow (a body of '&', '<head>a<body>' repeated, end tags after 256 open
# elements, '1:' lines, token prefixes, '&#') go through `pledged ingest`
# while organizers issue tokens.  Deciding holds no lock and the text
# code is linear, so every `pledgectl issue` succeeds (before, the batch
# transaction was held while a quadratic HTML pass ran: exit 75), and
# every message gets its row.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
base_conf >"$t/p.conf"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
ctl issue --phase 1 --to first@example.org >/dev/null 2>&1

size=$((4 * 1024 * 1024))
# unit content-type name
mk() {
	{
		printf 'From: Someone <s%s@example.org>\r\nSubject: hello\r\n' "$3"
		printf 'Message-ID: <%s@example.org>\r\nMIME-Version: 1.0\r\n' "$3"
		printf 'Content-Type: %s; charset=utf-8\r\n\r\n' "$2"
		[ "$3" = stack ] && yes '<div>' | head -n 256 | tr -d '\n'
		yes -- "$1" | tr -d '\n' | head -c "$size"
	} >"$t/$3.eml"
}
mk '&' text/html amp
mk '<head>a<body>' text/html head
mk '</x>' text/html stack
mk '&#' text/html hash
mk 'v4.public.' text/plain tokens
yes '1:' | head -c "$size" >"$t/colon.body"
{
	printf 'From: s@example.org\r\nSubject: x\r\nMessage-ID: <colon@example.org>\r\n\r\n'
	cat "$t/colon.body"
} >"$t/colon.eml"

"$PLEDGED" --config "$t/p.conf" ingest "$t"/amp.eml "$t"/head.eml \
    "$t"/stack.eml "$t"/hash.eml "$t"/tokens.eml "$t"/colon.eml \
    >"$t/ingest.out" 2>"$t/ingest.err" &
ingest=$!
at_exit="kill $ingest 2>/dev/null || true"

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
echo "ingest with $tries pledgectl issue alongside" >&2
[ "$fail" = 0 ] || { cat "$t/issue.err" "$t/ingest.err" >&2; }
finish
