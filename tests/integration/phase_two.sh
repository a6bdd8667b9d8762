#!/bin/bash
# Phase two end to end, every part real: artists pledge by mail to the
# campaign mailbox (dovecot, IMAPS); pledged --once records them;
# pledgectl send mails each a signed request over SMTP (dovecot
# submission, STARTTLS + AUTH, relaying to opensmtpd); each artist's
# client answers as mail clients do (top-posted, the request quoted with
# "> "); pledged --once reads the answers: "Yes" confirms phase two, "No"
# declines it.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 8
server_start submission "$t/srv"
# Its env names overlap dovecot's: read only what is needed.
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
rate_per_minute = 6000
CONF

for a in yes no; do
	printf 'From: %s <%s@example.net>\r\nSubject: I pledge\r\nMessage-ID: <p-%s@example.net>\r\n\r\nCount me in.\r\n' "$a" "$a" "$a" >"$t/p-$a.eml"
done
deliver "$t/p-yes.eml" "$t/p-no.eml"
"$PLEDGED" --config "$t/p.conf" --once 2>/dev/null
check "two pledges recorded" test "$(sql "SELECT count(*) FROM pledge WHERE state = 'received'")" = 2

for a in yes no; do
	"$PLEDGECTL" --config "$t/p.conf" send --phase 2 --to "$a@example.net" >/dev/null 2>&1
done
two_delivered() { [ "$(find "$S_MAIL" -path '*/new/*' -type f | wc -l)" -ge 2 ]; }
check "both requests delivered" wait_for 10 two_delivered
for a in yes no; do
	f=$(find "$S_MAIL/$a/new" -type f 2>/dev/null | head -1)
	check "$a: the request arrived" test -n "$f"
	[ -n "$f" ] || continue
	answer=$([ "$a" = yes ] && echo "Yes, the takedown notice is sent." || echo "No, sorry.")
	subj=$(grep -m1 '^Subject:' "$f" | tr -d '\r' | sed 's/^Subject: //')
	mid=$(grep -m1 -i '^Message-ID:' "$f" | tr -d '\r' | sed 's/^[^:]*: *//')
	# The reply as a mail client writes it: Re:, In-Reply-To, top-posted
	# answer, attribution, the request's text quoted with "> ".
	{
		printf 'From: %s <%s@example.net>\r\nTo: pledges@example.org\r\n' "$a" "$a"
		printf 'Subject: Re: %s\r\nIn-Reply-To: %s\r\n' "$subj" "$mid"
		printf 'Message-ID: <reply-%s@example.net>\r\n\r\n%s\r\n\r\n' "$a" "$answer"
		printf 'On Mon, NoMusicForICE <pledges@example.org> wrote:\r\n'
		sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$f" | tail -n +4 |
		    sed '$d' | tr -d '\r' | sed 's/^/> /; s/$/\r/'
	} >"$t/reply-$a.eml"
done
deliver "$t/reply-yes.eml" "$t/reply-no.eml"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "--once reads the replies (exit $rc)" test "$rc" = 0
check "Yes: phase two confirmed" test "$(sql "SELECT c.kind || c.phase FROM confirmation c JOIN artist a ON a.id = c.artist_id WHERE a.address = 'yes@example.net'")" = confirm2
check "No: phase two declined" test "$(sql "SELECT c.kind || c.phase FROM confirmation c JOIN artist a ON a.id = c.artist_id WHERE a.address = 'no@example.net'")" = decline2
check "the audit says so" test "$(decisions INBOX | tail -2 | tr '\n' ' ')" = "confirm phase 2 decline phase 2 "
finish
