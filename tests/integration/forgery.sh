#!/bin/bash
# Hostile senders through pledged ingest: a forged From never withdraws an
# artist nor confirms for one; what organizers export (a jti, a request
# Message-ID) is no key; Authentication-Results is read by its grammar;
# expiry is judged at receipt; exports and terminals get no formula and no
# control character from mail.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 32
{ base_conf; printf '[smtp]\nfrom = NoMusicForICE <pledges@example.org>\n'; } >"$t/p.conf"
sed -i 's/^campaign = .*/&\nclock_skew = 0/' "$t/p.conf"
ingest() { "$PLEDGED" --config "$t/p.conf" ingest "$@" 2>/dev/null | sed "s/ rule [a-z-]*$//"; }
state() { sql "SELECT coalesce(p.state, '') FROM artist a LEFT JOIN pledge p ON p.artist_id = a.id WHERE a.address = '$1'"; }
mail() { # file from subject [extra headers] body
	printf 'From: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n%s\r\n%s\r\n' \
	    "$2" "$3" "$(basename "$1" .eml)" "$4" "$5" >"$1"
}

# 1. A forged withdrawal, default settings: held, the pledge stands.
mail "$t/p1.eml" artist@example.org "I pledge" "" "Count me in."
ingest "$t/p1.eml" >/dev/null
mail "$t/w1.eml" artist@example.org "withdraw" "" "Take my name off."
check "forged withdrawal: held for review" test "$(ingest "$t/w1.eml")" = "$t/w1.eml: review/unauthenticated artist@example.org"
check "forged withdrawal: the pledge stands" test "$(state artist@example.org)" = received
id=$(sql "SELECT id FROM audit WHERE message_id = 'w1@example.org'")
check "review says what approving records" grep -q "approving records the withdraw" <<<"$("$PLEDGECTL" --config "$t/p.conf" review)"
"$PLEDGECTL" --config "$t/p.conf" review --approve "$id" >"$t/approve" 2>&1
check "approving it records the withdrawal" grep -q "withdrawal recorded" "$t/approve"
check "approved: withdrawn" test "$(state artist@example.org)" = withdrawn
mail "$t/p2.eml" artist@example.org "I pledge" "" "Back in."
ingest "$t/p2.eml" >/dev/null

# 2. The request: its Subject carries a secret, not the jti.
mkdir "$t/out"
"$PLEDGECTL" --config "$t/p.conf" send --phase 1 --to artist@example.org --outbox "$t/out" >/dev/null
jti=$("$PLEDGECTL" --config "$t/p.conf" export --what requests --format csv | sed -n '2s/,.*//p')
req=$t/out/$jti.eml
mid=$(sed -n 's/^Message-ID: <\(.*\)>\r$/\1/p' "$req")
ref=$(sed -n 's/.*\[ref:\([A-Za-z0-9_-]*\)\].*/\1/p' "$req" | head -1)
check "exported jti names the outbox file" test -f "$req"
check "the Subject's reference is not the jti" test -n "$ref" -a "$ref" != "$jti"
check "nor part of the Message-ID" test "${mid#*$ref}" = "$mid"
mail "$t/c1.eml" artist@example.org "Re: Please confirm [ref:$jti]" "" "Yes"
check "the exported jti does not confirm" test "$(ingest "$t/c1.eml")" = "$t/c1.eml: review/unauthenticated phase 1 artist@example.org"
mail "$t/c2.eml" artist@example.org "Re: Please confirm" "In-Reply-To: <$mid>"$'\r\n' "No"
check "the request's Message-ID does not decline" test "$(ingest "$t/c2.eml")" = "$t/c2.eml: review/unauthenticated phase 1 artist@example.org"
check "nothing confirmed or declined" test "$(sql 'SELECT count(*) FROM confirmation')" = 0
mail "$t/c3.eml" artist@example.org "RE: Please confirm [ref:${ref^^}]" "" "Yes"
check "the secret reference confirms" test "$(ingest "$t/c3.eml")" = "$t/c3.eml: confirm phase 1 artist@example.org"
# A reply that carries the reference also shows who reads the mail.
mail "$t/w2.eml" artist@example.org "Re: Please confirm [ref:$ref]" "" "Please withdraw me after all."
check "a withdrawal answering the request stands" test "$(ingest "$t/w2.eml")" = "$t/w2.eml: withdraw artist@example.org"

# 3. authserv_id set: our server's DMARC verdict, read by its grammar.
sed 's/^\[store\]/[imap]\nauthserv_id = mx.example.org\n&/' "$t/p.conf" >"$t/a.conf"
sed 's/^clock_skew = 0/&\nrequire_dmarc = yes/' "$t/a.conf" >"$t/r.conf"
mail "$t/p3.eml" singer@example.org "I pledge" "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org"$'\r\n' "In."
check "vouched pledge" test "$("$PLEDGED" --config "$t/a.conf" ingest "$t/p3.eml" 2>/dev/null | sed "s/ rule [a-z-]*$//")" = "$t/p3.eml: pledge singer@example.org"
mail "$t/w3.eml" singer@example.org "withdraw" "Authentication-Results: mx.example.org; dmarc=fail header.from=example.org"$'\r\n' "Out."
check "require_dmarc, dmarc=fail: held" test "$("$PLEDGED" --config "$t/r.conf" ingest "$t/w3.eml" 2>/dev/null | sed "s/ rule [a-z-]*$//")" = "$t/w3.eml: review/unauthenticated singer@example.org"
mail "$t/w4.eml" singer@example.org "withdraw" "Authentication-Results: mx.example.org; dmarc=fail (dmarc=pass header.from=example.org) header.from=example.org"$'\r\n' "Out."
check "a pass in a comment is no pass" test "$("$PLEDGED" --config "$t/a.conf" ingest "$t/w4.eml" 2>/dev/null | sed "s/ rule [a-z-]*$//")" = "$t/w4.eml: review/unauthenticated singer@example.org"
mail "$t/w5.eml" singer@example.org "withdraw" "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=\"x; dmarc=pass header.from=example.org\""$'\r\n' "Out."
check "a pass in a quoted value is no pass" test "$("$PLEDGED" --config "$t/a.conf" ingest "$t/w5.eml" 2>/dev/null | sed "s/ rule [a-z-]*$//")" = "$t/w5.eml: review/unauthenticated singer@example.org"
mail "$t/p4.eml" other@example.org "I pledge" "" "In."
check "authserv_id set, no result: pledge held" test "$("$PLEDGED" --config "$t/a.conf" ingest "$t/p4.eml" 2>/dev/null | sed "s/ rule [a-z-]*$//")" = "$t/p4.eml: review/unauthenticated other@example.org"
check "singer still pledged" test "$(state singer@example.org)" = received

# 12. Expiry at receipt: a file's modification time, not the time read.
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to late@example.org --expires 2s 2>/dev/null)
issued=$(date +%s) # not before the token's iat, within 2 s of it
mail "$t/l1.eml" late@example.org "Re: phase two" "" "Done."$'\r\n\r\n'"> $tok"
cp "$t/l1.eml" "$t/l2.eml"; sed -i 's/l1@/l2@/' "$t/l2.eml"
touch -d "@$issued" "$t/l1.eml"
wait_for 10 past $((issued + 3)) # expired
check "received in time, read late: confirmed" test "$(ingest "$t/l1.eml")" = "$t/l1.eml: confirm phase 2 late@example.org"
check "read from standard input now: expired" test "$("$PLEDGED" --config "$t/p.conf" ingest <"$t/l2.eml" 2>/dev/null)" = "-: reject/expired"

# 13. Formulas in CSV cells; controls and bidi overrides on terminals.
printf 'From: "=HYPERLINK(\\"http://evil.example\\")" <f@example.org>\r\nSubject: I pledge\r\nMessage-ID: <f1@x>\r\n\r\nin\r\n' >"$t/f1.eml"
printf 'From: "+cmd" <g@example.org>\r\nSubject: @SUM(1)\r\nMessage-ID: <g1@x>\r\n\r\nI pledge\r\n' >"$t/g1.eml"
printf 'From: "-2+3" <k@example.org>\r\nSubject: I pledge\r\nMessage-ID: <k1@x>\r\n\r\nin\r\n' >"$t/k1.eml"
ingest "$t/f1.eml" "$t/g1.eml" "$t/k1.eml" >/dev/null
csv=$("$PLEDGECTL" --config "$t/p.conf" export --what artists --format csv)
check "a formula name is neutralised" grep -Fq '"'"'"'=HYPERLINK(""http://evil.example"")"' <<<"$csv"
check "+ neutralised" grep -Fq ",'+cmd," <<<"$csv"
check "- neutralised" grep -Fq ",'-2+3," <<<"$csv"
check "@ neutralised" grep -Fq ",'@SUM(1)," <<<"$("$PLEDGECTL" --config "$t/p.conf" export --what messages --format csv)"
check "--raw leaves cells alone" grep -Fq ',+cmd,' <<<"$("$PLEDGECTL" --config "$t/p.conf" export --what artists --format csv --raw)"
esc=$'\e]0;owned\a\b\x7f'
bidi=$'\u202e'
cp "$t/g1.eml" "$t/x${esc}${bidi}.eml"; sed -i 's/g1@x/g2@x/' "$t/x${esc}${bidi}.eml"
out=$(ingest "$t/x${esc}${bidi}.eml" 2>&1)
check "ingest: no ESC, BEL, BS, DEL or bidi override printed" test "$(printf '%s' "$out" | grep -c $'[\e\a\b\x7f]\|\u202e')" = 0
check "ingest: escaped visibly" grep -Fq 'x\x1b]0;owned\x07\x08\x7f\u202e.eml: pledge' <<<"$out"
out=$("$PLEDGED" --config "$t/p.conf" --dry-run ingest "$t/x${esc}${bidi}.eml" 2>&1)
check "dry-run: escaped too" grep -Fq 'x\x1b]0;owned\x07\x08\x7f\u202e.eml' <<<"$out"
printf 'From: "Evil%s" <h@example.org>\r\nSubject: I pledge %s\r\nMessage-ID: <h1@x>\r\n\r\nin\r\n' "$bidi$esc" "$bidi" >"$t/h1.eml"
ingest "$t/h1.eml" >/dev/null
for cmd in "list" "show h@example.org" "review"; do
	# shellcheck disable=SC2086
	out=$("$PLEDGECTL" --config "$t/p.conf" $cmd 2>&1)
	check "pledgectl $cmd: no ESC or bidi override" test "$(printf '%s' "$out" | grep -c $'[\e\a]\|\u202e')" = 0
done

finish
