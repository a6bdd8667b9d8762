#!/bin/bash
# The campaign scenario end to end, every part real: a campaign that never
# ran a phase-one round goes straight to phase two with all its pledgers.
#
# 1,000 pledges: 600 imported from a CSV export, 400 by mail to the
# campaign mailbox (private dovecot, IMAPS), a few of them with hostile
# From headers (a '<' in the display name, quoted or not, an encoded
# name, a broken address); 10 of the mail pledgers withdraw.  Then
# pledgectl send --phase 2 --all-pledged (SMTP: dovecot submission in
# front of opensmtpd) mails every pledger but the withdrawn exactly once;
# the broken address and a 5xx recipient cost one artist each, not the
# round.  The artists answer (yes, no, a question) as replies that keep
# the Subject reference; pledged --once reads them; stats, the views and
# the report agree.  Timings are printed (TIME lines).
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 27
server_start submission "$t/srv"
eval "$(. "$t/srv/env"; printf 'S_PORT=%s S_CA=%s S_USER=%s S_PASSWORD_FILE=%s S_MAIL=%s' \
    "$SMTP_PORT" "$CA_FILE" "$USER" "$PASSWORD_FILE" "$MAIL_ROOT")"
cat >>"$t/p.conf" <<CONF
[smtp]
host = localhost
port = $S_PORT
tls = starttls
ca_file = $S_CA
user = $S_USER
password_file = $S_PASSWORD_FILE
from = NoMusicForICE <pledges@example.org>
rate_per_minute = 10000
CONF
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
stat_of() { ctl stats --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
now_ms() { date +%s%3N; }
t0=$(now_ms)
lap() { local n; n=$(now_ms); echo "TIME $1: $((n - t0)) ms"; t0=$n; }

# Messages are written straight under maildir names into $t/batch
# (next_name), then given to dovecot at once, in name order (it numbers
# them so): one chown and one mv for the lot.
stamp=$(date +%s)
mkdir "$t/batch"
next_name() { # sets $name
	seq_no=$((seq_no + 1))
	printf -v name '%s/batch/%s.%06d.pledgedtest' "$t" "$stamp" "$seq_no"
}
deliver_batch() {
	chown "$MAIL_UID:$MAIL_GID" "$t"/batch/*
	mv "$t"/batch/* "$MAILDIR/new/"
}

# 600 from the petition export: BOM, CRLF, a header row, quoted names.
{
	printf '\xef\xbb\xbfEmail,Name,Signed,How,Comment\r\n'
	for i in $(seq 1 600); do
		printf 'imp%04d@example.net,"Imported %d, the band",2024-02-%02d,petition,\r\n' "$i" "$i" $((i % 28 + 1))
	done
} >"$t/petition.csv"
out=$(ctl import "$t/petition.csv" 2>&1) || :
check "import: 600 pledges" grep -q "600 rows: 600 new pledges recorded" <<<"$out"
lap "import of 600 rows"

# 400 by mail: 394 ordinary, 6 hostile From headers, then 10 withdrawals.
for i in $(seq 1 394); do
	next_name
	printf 'From: Mail Artist %d <mail%04d@example.net>\r\nTo: pledges@example.org\r\nSubject: I pledge\r\nMessage-ID: <p%d@example.net>\r\n\r\nCount me in.\r\n' \
	    "$i" "$i" "$i" >"$name"
done
hostile=(
	'"Smith <Band>" <hostile1@example.net>'
	'Smith <Band> <hostile2@example.net>'
	'=?UTF-8?B?Wm/DqyDDhWJlcmc=?= <hostile3@example.net>'
	'"Quote \"me\", please" <hostile4@example.net>'
	'Broken <hostile5@bad@example.net>'
	'Refused <reject@example.net>'
)
for i in "${!hostile[@]}"; do
	next_name
	printf 'From: %s\r\nTo: pledges@example.org\r\nSubject: I pledge\r\nMessage-ID: <h%d@example.net>\r\n\r\nWe pledge.\r\n' \
	    "${hostile[$i]}" "$i" >"$name"
done
for i in $(seq 1 10); do
	next_name
	printf 'From: mail%04d@example.net\r\nTo: pledges@example.org\r\nSubject: withdraw\r\nMessage-ID: <w%d@example.net>\r\n\r\nPlease withdraw my pledge.\r\n' \
	    "$i" "$i" >"$name"
done
deliver_batch
lap "400 pledges and 10 withdrawals written into the maildir"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "--once reads the pledges (exit $rc)" test "$rc" = 0
lap "pledged --once: 410 messages"
# Without authserv_id nothing vouches for a bare "withdraw" (anyone can
# forge a From): the ten wait for an organizer, who approves them.
held=$(sql "SELECT id FROM audit WHERE outcome = 'review' AND held = 'withdraw'")
check "the ten withdrawals wait for review" test "$(wc -w <<<"$held")" = 10
for id in $held; do ctl review --approve "$id" >/dev/null; done
check "1,000 artists, 990 pledged, 10 withdrawn" \
    test "$(stat_of artists) $(stat_of pledged) $(stat_of withdrawn)" = "1000 990 10"
check "a '<' in a quoted display name stays in the name" \
    test "$(sql "SELECT display_name FROM artist WHERE address = 'hostile1@example.net'")" = "Smith <Band>"
check "a '<' in an unquoted display name is not the address" \
    test "$(sql "SELECT display_name FROM artist WHERE address = 'hostile2@example.net'")" = "Smith <Band>"
check "an encoded name decoded" \
    test "$(sql "SELECT display_name FROM artist WHERE address = 'hostile3@example.net'")" = "Zoë Åberg"
check "the broken address recorded as written" \
    test "$(sql "SELECT count(*) FROM artist WHERE address = 'hostile5@bad@example.net'")" = 1

# The preview first: who would be asked, and nothing recorded.
before=$(sqlite3 "$t/p.db" .dump)
out=$(ctl send --phase 2 --all-pledged --dry-run 2>/dev/null)
check "dry run: 989 would be sent, 10 skipped, 1 would fail" \
    test "$(sed -n 1,3p <<<"$out")" = "dry run, nothing recorded: would send 989, skip 10, fail 1
skipped: 10 withdrawn
would fail: 1 malformed address"
check "dry run: the database is byte for byte the same" test "$(sqlite3 "$t/p.db" .dump)" = "$before"
lap "send --dry-run"

# The round: no phase-one round ran, everyone who pledged is asked.
rc=0; out=$(ctl send --phase 2 --all-pledged 2>"$t/send.err") || rc=$?
lap "send --phase 2 --all-pledged"
check "send: 988 sent, 10 withdrawn skipped, 2 failed; the round went on (65)" \
    test "$rc:$(sed -n 1,3p <<<"$out")" = "65:requests: sent 988, skipped 10, deferred 0, failed 2
skipped: 10 withdrawn
failed: 1 malformed address, 1 refused by the server"
check "the broken address: failed, with the reason" \
    test "$(sql "SELECT t.state || ': ' || t.last_error FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'hostile5@bad@example.net'")" = "failed: malformed address: more than one @"
check "the 5xx: failed, with the server's reply" \
    test "$(sql "SELECT t.state || ' ' || substr(t.last_error, 1, 3) FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'reject@example.net'")" = "failed 550"
delivered() { [ "$(find "$S_MAIL" -path '*/new/*' -type f | wc -l)" -ge "$1" ]; }
wait_for 30 delivered 988 || :
lap "delivery of the requests"
check "988 requests delivered" test "$(find "$S_MAIL" -path '*/new/*' -type f | wc -l)" = 988
check "each asked artist got exactly one" \
    test "$(find "$S_MAIL" -path '*/new/*' -type f | sed 's|/new/.*||' | sort | uniq -d | wc -l)" = 0
check "none to the withdrawn" test "$(find "$S_MAIL/mail0001" "$S_MAIL/mail0010" -type f 2>/dev/null | wc -l)" = 0
check "no request says 'You confirmed'" test "$(grep -rl 'You confirmed' "$S_MAIL" | wc -l)" = 0
out=$(ctl send --phase 2 --all-pledged 2>/dev/null)
check "a second run sends nothing, and says why" test "$(sed -n 1,2p <<<"$out")" = "requests: sent 0, skipped 1000, deferred 0, failed 0
skipped: 10 withdrawn, 988 request pending, 2 request failed before"

# The answers, as replies that keep the Subject (with its reference) and
# In-Reply-To: every 10th "No", every 25th a question, the rest "Yes".
find "$S_MAIL" -path '*/new/*' -type f | sort | awk -v dir="$t/batch" \
    -v stamp="$stamp" -v seq="$seq_no" -v counts="$t/counts" '
function reply(n, to, subj, mid,   text, f) {
	if (n % 10 == 0) { text = "No, sorry, not for us."; no++ }
	else if (n % 25 == 0) { text = "Would that affect our back catalogue?"; q++ }
	else { text = "Yes, the takedown notice is sent."; yes++ }
	f = sprintf("%s/%s.%06d.pledgedtest", dir, stamp, seq + n)
	printf "From: %s\r\nTo: pledges@example.org\r\nSubject: Re: %s\r\nIn-Reply-To: %s\r\nMessage-ID: <reply%d@example.net>\r\n\r\n%s\r\n", to, subj, mid, n, text > f
	close(f)
}
{
	file = $0; to = subj = mid = last = ""
	while ((getline line < file) > 0) {
		sub(/\r$/, "", line)
		if (line == "") break
		if (line ~ /^[ \t]/) { if (last == "subj") subj = subj line; continue }
		last = ""
		if (line ~ /^To: /) to = substr(line, 5)
		else if (line ~ /^Subject: /) { subj = substr(line, 10); last = "subj" }
		else if (tolower(line) ~ /^message-id: /) mid = substr(line, 13)
	}
	close(file)
	if (to != "") reply(++n, to, subj, mid)
}
END { printf "%d %d %d\n", yes, no, q > counts }'
read -r yes no q <"$t/counts"
check "988 replies written" test "$((yes + no + q))" = 988
seq_no=$((seq_no + yes + no + q))
deliver_batch
lap "988 replies written into the maildir"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "--once reads the replies (exit $rc)" test "$rc" = 0
lap "pledged --once: 988 replies"
check "every Yes confirms phase two ($yes)" test "$(stat_of confirmed_phase2)" = "$yes"
check "every No declines ($no)" test "$(stat_of declined)" = "$no"
check "every question is held for review ($q)" test "$(stat_of review)" = "$q"
check "the views agree" test "$(sql "SELECT phase2_confirmed || ' ' || pledged || ' ' || phase2_of_pledged FROM phase_two")" = "$yes 990 $yes"
ctl report --html "$t/report.html" >/dev/null
check "the report: phase two among every pledger" grep -q "$yes of the 990 who pledged" "$t/report.html"
check "the report: no '0 of 0' phase-one share" test "$(grep -c 'confirmed in phase one' "$t/report.html")" = 0
check "stats and the report's cards agree" grep -q "<div class=\"num\">$yes</div><div class=\"label\">confirmed, phase two" "$t/report.html"
echo "numbers: artists $(stat_of artists), pledged $(stat_of pledged), withdrawn $(stat_of withdrawn), imported $(stat_of imported), requests sent $(stat_of requests_sent), failed $(stat_of requests_failed), phase two confirmed $(stat_of confirmed_phase2), declined $(stat_of declined), review $(stat_of review)"
finish
