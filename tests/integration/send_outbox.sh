#!/bin/bash
# pledgectl send --outbox end to end: requests written as .eml files and
# recorded; each one's token, quoted back in a reply, confirms the right
# artist through pledged ingest; a second run writes nothing; a run killed
# between writing a request and recording it leaves one request per
# artist after the next run; --resend, --to, templates, exit codes.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 51
need_fault_hooks "$PLEDGECTL"
q() { sqlite3 "$t/p.db" "$1"; }

cat >"$t/p.conf" <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
[daemon]
lock_file = $t/lock
[smtp]
from = NoMusicForICE <pledges@example.org>
CONF

pledge() { # n, display name
	printf 'From: %s <a%s@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p%s@example.net>\r\n\r\nCount me in.\r\n' \
	    "$2" "$1" "$1" >"$t/p$1.eml"
	"$PLEDGED" --config "$t/p.conf" ingest "$t/p$1.eml" >/dev/null 2>&1
}
pledge 1 "Ada One"
pledge 2 "=?UTF-8?B?Wm/DqyBUd28=?="
pledge 3 "Three"
pledge 4 "Four"
printf 'From: a4@example.net\r\nSubject: withdraw\r\nMessage-ID: <w4@example.net>\r\n\r\nPlease withdraw my pledge.\r\n' >"$t/w4.eml"
"$PLEDGED" --config "$t/p.conf" ingest "$t/w4.eml" >/dev/null 2>&1
# Nothing shows that the writer reads a4's mail: held until approved.
"$PLEDGECTL" --config "$t/p.conf" review --approve "$(q "SELECT id FROM audit WHERE message_id = 'w4@example.net'")" >/dev/null
check "a4 withdrew" test "$(q "SELECT state FROM pledge p JOIN artist a ON a.id = p.artist_id WHERE address = 'a4@example.net'")" = withdrawn

mkdir "$t/out"
out=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out")
check "summary of the first run" test "$out" = "requests: sent 3, skipped 1, deferred 0, failed 0
skipped: 1 withdrawn"
check "three files, named by jti" test "$(ls "$t/out" | grep -Ec '^[a-z2-7]{26}\.eml$')" = 3
check "no temporary file left" test "$(ls -A "$t/out" | grep -c '^\.')" = 0
check "three tokens, all sent" test "$(q "SELECT count(*) FROM token WHERE state = 'sent' AND phase = 1")" = 3
check "none for the withdrawn artist" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a4@example.net'")" = 0

# Each file: the recorded Message-ID and token, the artist in To, CRLF.
for f in "$t"/out/*.eml; do
	jti=$(basename "$f" .eml)
	row=$(q "SELECT a.address, t.request_message_id, t.token FROM token t JOIN artist a ON a.id = t.artist_id WHERE jti = '$jti'")
	addr=${row%%|*}; rest=${row#*|}; mid=${rest%%|*}; tok=${rest#*|}
	check "$jti: Message-ID recorded" grep -q "^Message-ID: <$mid>"$'\r'"\$" "$f"
	check "$jti: To is the artist" grep -q "^To: .*<$addr>"$'\r'"\$" "$f"
	ref=$(q "SELECT request_ref FROM token WHERE jti = '$jti'")
	check "$jti: the secret reference in the Subject" grep -Fq "[ref:$ref]" "$f"
	check "$jti: never the jti as the reference" test "$(grep -c "\[ref:$jti\]" "$f")" = 0
	check "$jti: the token on a line of its own, twice" test "$(grep -cFx "$tok"$'\r' "$f")" = 2
	check "$jti: CRLF line ends only" test "$(grep -c $'[^\r]$' "$f")" = 0
done
check "non-ASCII name encoded" grep -q '^To: =?UTF-8?B?Wm/DqyBUd28=?= <a2@example.net>' "$t/out/$(q "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a2@example.net'").eml"

# A reply quoting the request confirms the artist it was sent to.
reply() { # file, from, n
	{
		printf 'From: %s\r\nSubject: Re: your request\r\nMessage-ID: <r%s@example.net>\r\n\r\nYes, count me in.\r\n\r\nOn Monday, NoMusicForICE wrote:\r\n' "$2" "$3"
		sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$1" | tail -n +4 | sed 's/^/> /'
	} >"$t/r$3.eml"
	"$PLEDGED" --config "$t/p.conf" ingest "$t/r$3.eml" 2>/dev/null
}
f3=$t/out/$(q "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a3@example.net'").eml
check "reply to a3's request confirms a3" test "$(reply "$f3" a3@example.net 3)" = "$t/r3.eml: confirm phase 1 a3@example.net rule yes-word"
check "a3 confirmed" test "$(q "SELECT state FROM pledge p JOIN artist a ON a.id = p.artist_id WHERE address = 'a3@example.net'")" = confirmed
check "a used token is not accepted twice" test "$(reply "$f3" a3@example.net 32)" = "$t/r32.eml: reject/replayed phase 1 a3@example.net"
f1=$t/out/$(q "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a1@example.net'").eml
check "a1's request answered by a2: held for review" test "$(reply "$f1" a2@example.net 12)" = "$t/r12.eml: review/sender-mismatch phase 1 a1@example.net rule yes-word"

# Second run: nothing twice (a3 confirmed: not due; a1, a2 pending).
dump=$(q "SELECT * FROM token" | md5sum)
out=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out")
check "second run sends nothing, and says why" test "$out" = "requests: sent 0, skipped 4, deferred 0, failed 0
skipped: 1 confirmed already, 1 withdrawn, 2 request pending"
check "second run changes no token" test "$(q "SELECT * FROM token" | md5sum)" = "$dump"
check "still three files" test "$(ls "$t/out" | wc -l)" = 3

# --to: one artist; a withdrawn one is skipped; an unknown one is 65.
out=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --to A4@example.net --outbox "$t/out")
check "--to a withdrawn artist: skipped" grep -q "a4@example.net: skipped: withdrawn" <<<"$out"
rc=0; "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --to nobody@example.net --outbox "$t/out" >/dev/null 2>&1 || rc=$?
check "--to an unknown artist: 65" test "$rc" = 65
rc=0; "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --outbox "$t/out" >/dev/null 2>&1 || rc=$?
check "neither --to nor --all-pledged: 64" test "$rc" = 64
rc=0; "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/none" >/dev/null 2>&1 || rc=$?
check "missing outbox: 73" test "$rc" = 73

# --resend: a fresh token for those who have not answered.
out=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out" --resend)
check "--resend sends again" test "$(head -1 <<<"$out")" = "requests: sent 2, skipped 2, deferred 0, failed 0"
check "a1 now has two tokens" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a1@example.net'")" = 2

# Killed between writing and recording: the next run writes the same
# request again and records it; one request per artist.
for n in 5 6 7 8 9; do pledge $n "Artist $n"; done
rm -rf "$t/out2"; mkdir "$t/out2"
rc=0; PLEDGED_FAULT_KILL_AFTER=2 "$PLEDGECTL" --config "$t/p.conf" send --phase 2 --all-pledged --confirmed-only --outbox "$t/out2" >/dev/null 2>&1 || rc=$?
check "phase 2 --confirmed-only targets only a3 (confirmed)" test "$rc" = 0
check "phase 2: one file" test "$(ls "$t/out2" | wc -l)" = 1
rm -rf "$t/out2"; mkdir "$t/out2"
# (In a subshell whose stderr is discarded: no "Killed" from bash.)
rc=$( (PLEDGED_FAULT_KILL_AFTER=2 "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out2" >/dev/null 2>&1; echo $?) 2>/dev/null)
check "killed after the second request (137)" test "$rc" = 137
check "two files written" test "$(ls "$t/out2" | wc -l)" = 2
check "one written but not recorded" test "$(q "SELECT count(*) FROM token WHERE phase = 1 AND state = 'issued'")" = 1
issued=$(q "SELECT jti FROM token WHERE phase = 1 AND state = 'issued'")
out=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out2")
check "the rest after the crash" test "$(head -1 <<<"$out")" = "requests: sent 4, skipped 5, deferred 0, failed 0"
check "the unrecorded request reused, now sent" test "$(q "SELECT state FROM token WHERE jti = '$issued'")" = sent
check "one phase-1 token per new artist" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE phase = 1 AND address IN ('a5@example.net','a6@example.net','a7@example.net','a8@example.net','a9@example.net') GROUP BY artist_id HAVING count(*) = 1" | wc -l)" = 5
check "five files, one per new artist" test "$(ls "$t/out2" | wc -l)" = 5

# Templates: organizers' text; an unknown placeholder is FILE:LINE, 78.
mkdir "$t/tmpl"
printf 'Subject: Confirm, {name}\n\nDear {name}, reply to confirm; answer NO if not.\n\n{token}\n' >"$t/tmpl/request-phase1.txt"
echo "templates = $t/tmpl" >>"$t/p.conf"
printf 'From: Ten <a10@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p10@example.net>\r\n\r\nYes.\r\n' | "$PLEDGED" --config "$t/p.conf" ingest >/dev/null 2>&1
"$PLEDGECTL" --config "$t/p.conf" send --phase 1 --to a10@example.net --outbox "$t/out2" >/dev/null
f10=$t/out2/$(q "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = 'a10@example.net'").eml
check "template text used" grep -q "^Dear Ten, reply to confirm" "$f10"
check "template Subject with the ref" grep -q "^Subject: Confirm, Ten"$'\r'"\$" "$f10"
printf 'Subject: x\n\n{token}\nHello {nmae}\n' >"$t/tmpl/request-phase1.txt"
rc=0; err=$("$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out2" 2>&1) || rc=$?
check "template error: 78" test "$rc" = 78
check "template error names file and line" grep -q "request-phase1.txt:4: unknown placeholder {nmae}" <<<"$err"

finish
