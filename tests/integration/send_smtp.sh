#!/bin/bash
# pledgectl send over SMTP, against a real submission server on loopback
# (contrib/testenv/submission.sh: STARTTLS and implicit TLS with a test
# CA, AUTH): requests arrive in the artists' maildirs, each token is the
# one recorded for that artist and confirms that artist when quoted back;
# a second run sends nothing; a run killed mid-way leaves one request per
# artist after the next; 5xx marks the request failed with the server's
# text, 4xx leaves it to the next run; a server certificate from another
# CA or a wrong password: refused, nothing sent; the pace holds.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 84
need_fault_hooks "$PLEDGECTL"
server_start submission "$t/srv"
. "$t/srv/env"

q() { sqlite3 "$t/p.db" "$1"; }
send() { "$PLEDGECTL" --config "$t/p.conf" send "$@"; }
# Messages delivered to an artist's maildir.
count() { find "$MAIL_ROOT/$1/new" -type f 2>/dev/null | wc -l; }
# Messages delivered to all the maildirs.
delivered() { find "$MAIL_ROOT" -path '*/new/*' -type f | wc -l; }
# Wait (up to 10 s) until the maildirs hold 'n' messages in all.
has_mail() { [ "$(delivered)" -ge "$1" ]; }
wait_mail() { wait_for 10 has_mail "$1"; }
# Messages opensmtpd accepted from the submission server: its own record,
# written before it answers 250, so before pledgectl send returns.
accepted() { grep -c ' smtp message msgid=' "$LOG" || :; }
pledge() { # local part, display name
	printf 'From: %s <%s@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p-%s@example.net>\r\n\r\nCount me in.\r\n' \
	    "$2" "$1" "$1" | "$PLEDGED" --config "$t/p.conf" ingest >/dev/null 2>&1
}
conf() { # tls port ca_file password_file rate
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
host = $HOST
port = $2
tls = $1
ca_file = $3
user = $USER
password_file = $4
from = NoMusicForICE <pledges@example.org>
rate_per_minute = $5
timeout = 20
CONF
}

conf starttls "$SMTP_PORT" "$CA_FILE" "$PASSWORD_FILE" 6000
pledge a1 "Ada One"
pledge a2 "Zoë Two"
pledge a3 "Three"

rc=0; out=$(send --phase 1 --all-pledged 2>"$t/err") || rc=$?
check "STARTTLS + AUTH: three sent" test "$(head -1 <<<"$out")" = "requests: sent 3, skipped 0, deferred 0, failed 0"
check "exit 0" test "$rc" = 0
check "three delivered" wait_mail 3
for a in a1 a2 a3; do
	check "$a: one message delivered" test "$(count $a)" = 1
	f=$(find "$MAIL_ROOT/$a/new" -type f | head -1)
	[ -n "$f" ] || continue
	row=$(q "SELECT t.token, t.request_message_id, t.state FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = '$a@example.net'")
	tok=${row%%|*}; rest=${row#*|}; mid=${rest%%|*}; state=${rest#*|}
	check "$a: recorded as sent" test "$state" = sent
	check "$a: the delivered token is the recorded one, intact on its line" \
	    test "$(grep -m1 '^v4\.public\.' "$f" | tr -d '\r')" = "$tok"
	v=$("$PLEDGECTL" --config "$t/p.conf" verify "$(grep -m1 '^v4\.public\.' "$f" | tr -d '\r')" 2>&1) || :
	check "$a: pledgectl verify: ok, bound to $a, phase 1" \
	    test "$(printf '%s\n' "$v" | grep -E '^(ok|sub: |phase: )' | tr '\n' ' ')" = "ok sub: $a@example.net phase: 1 "
	check "$a: To is the artist" grep -q "^To: .*<$a@example.net>" "$f"
	check "$a: Message-ID recorded" grep -qi "^Message-ID: <$mid>" "$f"
	# Quoted back from the artist, the token confirms that artist.
	{
		printf 'From: %s@example.net\r\nSubject: Re: confirm\r\nMessage-ID: <r-%s@example.net>\r\n\r\nYes.\r\n\r\n' "$a" "$a"
		sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$f" | tail -n +4 | sed 's/^/> /'
	} >"$t/r-$a.eml"
	check "$a: the reply confirms $a" test "$("$PLEDGED" --config "$t/p.conf" ingest "$t/r-$a.eml" 2>/dev/null)" = "$t/r-$a.eml: confirm phase 1 $a@example.net rule yes-word"
done

# Phase 2 to the three confirmed, then a second run sends nothing.
out=$(send --phase 2 --all-pledged --confirmed-only 2>/dev/null)
check "phase 2: three sent" test "$(head -1 <<<"$out")" = "requests: sent 3, skipped 0, deferred 0, failed 0"
check "six delivered" wait_mail 6
check "the server accepted six" test "$(accepted)" = 6
out=$(send --phase 2 --all-pledged 2>/dev/null)
check "second run: nothing sent" test "$(head -1 <<<"$out")" = "requests: sent 0, skipped 3, deferred 0, failed 0"
check "second run: the server accepted nothing more" test "$(accepted)" = 6

# 5xx: failed with the server's text; 4xx: deferred, still issued.
pledge reject "Refused"
pledge later "Later"
rc=0; out=$(send --phase 1 --all-pledged 2>"$t/err") || rc=$?
check "5xx and 4xx counted" test "$(head -1 <<<"$out")" = "requests: sent 0, skipped 3, deferred 1, failed 1"
check "a deferral exits 75" test "$rc" = 75
check "the reasons are counted" test "$(sed -n 2,3p <<<"$out")" = "skipped: 3 confirmed already
failed: 1 refused by the server"
check "5xx: failed, server text kept" test "$(q "SELECT t.state || ' ' || substr(t.last_error, 1, 3) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'reject@example.net'")" = "failed 550"
check "5xx reported with the server's text" grep -q "reject@example.net: failed: 550 .*Invalid recipient" "$t/err"
check "4xx: still issued, reply kept" test "$(q "SELECT t.state || ' ' || substr(t.last_error, 1, 3) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'later@example.net'")" = "issued 451"
jti_later=$(q "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'later@example.net'")
rc=0; out=$(send --phase 1 --all-pledged 2>/dev/null) || rc=$?
check "next run: the failed one skipped, the deferred one tried again" test "$(head -1 <<<"$out")" = "requests: sent 0, skipped 4, deferred 1, failed 0"
check "the deferred request keeps its token" test "$(q "SELECT group_concat(jti) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'later@example.net'")" = "$jti_later"
rc=0; send --phase 1 --to reject@example.net 2>/dev/null >/dev/null || rc=$?
check "the failed one is skipped for --to too" test "$rc" = 0
rc=0; out=$(send --phase 1 --to reject@example.net --resend 2>/dev/null) || rc=$?
check "--resend tries a failed one again (65)" test "$rc:$(head -1 <<<"$out")" = "65:requests: sent 0, skipped 0, deferred 0, failed 1"

# Killed after two deliveries, before recording the second: the next run
# delivers the same request again; one token per artist, one distinct
# token in each maildir.
for n in 4 5 6 7 8; do pledge a$n "Artist $n"; done
before=$(find "$MAIL_ROOT" -path '*/new/*' -type f | wc -l)
rc=$( (PLEDGED_FAULT_KILL_AFTER=2 "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --to a4@example.net >/dev/null 2>&1; echo $?) 2>/dev/null)
check "one message is not enough to trip the fault" test "$rc" = 0
rc=$( (PLEDGED_FAULT_KILL_AFTER=2 "$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged >/dev/null 2>&1; echo $?) 2>/dev/null)
check "killed mid-run (137)" test "$rc" = 137
check "three more delivered" wait_mail $((before + 3))
check "one request delivered, not recorded" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address LIKE 'a_@example.net' AND state = 'issued'")" = 1
rc=0; out=$(send --phase 1 --all-pledged 2>/dev/null) || rc=$?
check "the rest after the crash" test "$(head -1 <<<"$out")" = "requests: sent 3, skipped 6, deferred 1, failed 0"
check "six more delivered" wait_mail $((before + 6))
for n in 4 5 6 7 8; do
	check "a$n: one token in the store" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'a$n@example.net' AND phase = 1")" = 1
	check "a$n: one distinct request delivered" test "$(cat "$MAIL_ROOT/a$n/new/"* | grep '^v4\.public\.' | sort -u | wc -l)" = 1
	check "a$n: one distinct Message-ID delivered" test "$(cat "$MAIL_ROOT/a$n/new/"* | grep -i '^Message-ID:' | sort -u | wc -l)" = 1
done

# A server certificate from another CA: refused before anything is said;
# no token issued, nothing sent.
pledge a9 "Nine"
conf starttls "$SMTP_PORT" "$OTHER_CA_FILE" "$PASSWORD_FILE" 6000
tokens=$(q "SELECT count(*) FROM token")
logins=$(grep -c 'Login: user=<campaign>' "$SUBMISSION_LOG")
rc=0; send --phase 1 --to a9@example.net >/dev/null 2>"$t/err" || rc=$?
check "wrong CA: exit 69" test "$rc" = 69
check "wrong CA: said so" grep -q "certificate refused" "$t/err"
check "wrong CA: no token issued" test "$(q "SELECT count(*) FROM token")" = "$tokens"
check "wrong CA: no login" test "$(grep -c 'Login: user=<campaign>' "$SUBMISSION_LOG")" = "$logins"
conf implicit "$SMTPS_PORT" "$OTHER_CA_FILE" "$PASSWORD_FILE" 6000
rc=0; send --phase 1 --to a9@example.net >/dev/null 2>&1 || rc=$?
check "wrong CA, implicit TLS: exit 69" test "$rc" = 69
check "nothing delivered to a9" test "$(count a9)" = 0

# A wrong password: 77, no token.
printf 'wrong\n' >"$t/badpw"; chmod 600 "$t/badpw"
conf starttls "$SMTP_PORT" "$CA_FILE" "$t/badpw" 6000
rc=0; send --phase 1 --to a9@example.net >/dev/null 2>"$t/err" || rc=$?
check "wrong password: exit 77" test "$rc" = 77
check "wrong password: no token issued" test "$(q "SELECT count(*) FROM token")" = "$tokens"
check "the password is never logged" test "$(grep -c "$(cat "$PASSWORD_FILE")" "$t/err")" = 0

# Implicit TLS with the right CA, paced: 120 a minute is 0.5 s apart.
conf implicit "$SMTPS_PORT" "$CA_FILE" "$PASSWORD_FILE" 120
for n in b1 b2 b3; do pledge $n "$n"; done
start=$(date +%s%N)
out=$(send --phase 1 --all-pledged 2>/dev/null) || :
ms=$((($(date +%s%N) - start) / 1000000))
check "implicit TLS: a9, b1..b3 sent" grep -q "^requests: sent 4," <<<"$out"
check "paced: four messages take at least 1.5 s (took ${ms} ms)" test "$ms" -ge 1500
check "ten more delivered" wait_mail $((before + 10))
check "a9 got its request" test "$(count a9)" = 1

# auto_confirm: the daemon sends the phase-one request itself after the
# commit of a new pledge, marked Auto-Submitted; once per artist; never
# for an auto-reply, however much it looks like a pledge.
conf starttls "$SMTP_PORT" "$CA_FILE" "$PASSWORD_FILE" 6000
sed -i 's/^campaign = nomusicforice$/&\nauto_confirm = yes/' "$t/p.conf"
rc=0; out=$(printf 'From: Cee <c1@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p-c1@example.net>\r\n\r\nCount me in.\r\n' |
    "$PLEDGED" --config "$t/p.conf" ingest 2>"$t/err") || rc=$?
check "auto: the pledge recorded" test "$rc:$out" = "0:-: pledge c1@example.net"
check "auto: logged as sent" grep -q "auto-confirm: c1@example.net: request .* sent" "$t/err"
check "auto: delivered" wait_mail $((before + 11))
f=$(find "$MAIL_ROOT/c1/new" -type f 2>/dev/null | head -1)
check "auto: the request arrived" test -n "$f"
check "auto: marked Auto-Submitted" grep -q "^Auto-Submitted: auto-generated" "${f:-/dev/null}"
check "auto: recorded as sent" test "$(q "SELECT t.state FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'c1@example.net'")" = sent
printf 'From: Cee <c1@example.net>\r\nSubject: I pledge again\r\nMessage-ID: <p2-c1@example.net>\r\n\r\nI pledge!\r\n' |
    "$PLEDGED" --config "$t/p.conf" ingest >/dev/null 2>&1
check "auto: a second pledge sends nothing more" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'c1@example.net'")" = 1
out=$(printf 'From: c2@example.net\r\nSubject: Auto: I pledge\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ar-c2@example.net>\r\n\r\nI pledge to be out of office.\r\n' |
    "$PLEDGED" --config "$t/p.conf" ingest 2>/dev/null)
check "auto: an auto-reply is ignored" grep -q "ignore/auto-reply" <<<"$out"
check "auto: and gets no request" test "$(q "SELECT count(*) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'c2@example.net'")" = 0
rc=0; printf 'From: c3@example.net\r\nSubject: I pledge\r\nMessage-ID: <p-c3@example.net>\r\n\r\nyes\r\n' |
    "$PLEDGED" --config "$t/p.conf" --dry-run ingest >/dev/null 2>&1 || rc=$?
check "auto: a dry run sends nothing" test "$(q "SELECT count(*) FROM artist WHERE address = 'c3@example.net'")" = 0

# More messages than a server takes on one connection (dovecot's
# submission: 100): the sender opens fresh connections on its own.
conf starttls "$SMTP_PORT" "$CA_FILE" "$PASSWORD_FILE" 10000
mkdir "$t/many"
for n in $(seq 1 120); do
	printf 'From: d%s@example.net\r\nSubject: I pledge\r\nMessage-ID: <p-d%s@example.net>\r\n\r\nyes\r\n' "$n" "$n" >"$t/many/$n.eml"
done
"$PLEDGED" --config "$t/p.conf" ingest "$t/many/"*.eml >/dev/null 2>&1
out=$(send --phase 1 --all-pledged 2>"$t/err") || :
check "120 requests over several connections" grep -q "^requests: sent 120, .* deferred 1, failed 0" <<<"$out"
finish
