#!/bin/sh
# The main job on an embedded default, for a newcomer on Debian 12:
# install what is needed, build, start a private dovecot on loopback with a
# sample campaign mailbox, run `pledged --once` against it over verified
# TLS with a SQLite file as the store, show the organizers' summary, and
# stop dovecot again.  What it makes is kept under demo/ in the clone.
set -eu
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" -ne 0 ]; then
	# dovecot's master process must start as root.
	exec sudo sh "$0" "$@"
fi

sh contrib/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "demo: built build/pledged and build/pledgectl"

# dovecot's mail processes run as an unprivileged user, who must be able
# to reach the maildirs: the server lives under /tmp, the rest in demo/.
rm -rf demo
mkdir -p demo
srv=$(mktemp -d /tmp/pledged-demo-XXXXXX)
chmod 755 "$srv"
[ -n "${KEEP:-}" ] || trap 'sh contrib/testenv/dovecot.sh stop "$srv/dc" >/dev/null 2>&1 || :; rm -rf "$srv"' EXIT INT TERM
sh contrib/testenv/dovecot.sh start "$srv/dc" >/dev/null
. "$srv/dc/env"
echo "demo: private dovecot on localhost:$IMAPS_PORT (implicit TLS, its own test CA)"

pub=$(build/pledgectl keygen --out demo/campaign.key | sed -n 's/^public_keys = //p')
cp "$CA_FILE" demo/ca.pem
cp "$PASSWORD_FILE" demo/imap.password
chmod 600 demo/imap.password
cat >demo/pledged.conf <<CONF
# The demo's configuration; contrib/pledged.conf.sample explains every key.
[imap]
host = localhost
port = $IMAPS_PORT
tls = implicit
ca_file = $top/demo/ca.pem
user = $USER
password_file = $top/demo/imap.password
after = flag

[store]
database = $top/demo/pledges.db

[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $top/demo/campaign.key

[daemon]
lock_file = $top/demo/pledged.lock
log = stderr
CONF

# The sample campaign: tokens issued with pledgectl, replies as mail
# clients write them, and the automatic mail a campaign inbox also gets.
sh contrib/testenv/sample-mail.sh build/pledgectl demo/pledged.conf demo/mail >demo/expected
i=0
for f in demo/mail/*.eml; do
	i=$((i + 1))
	name=$(printf '%010d.%06d.demo' "$(date +%s)" "$i")
	cp "$f" "$MAILDIR/tmp/$name"
	chown "$MAIL_UID:$MAIL_GID" "$MAILDIR/tmp/$name"
	mv "$MAILDIR/tmp/$name" "$MAILDIR/new/$name"
done
echo "demo: $i messages delivered to the campaign mailbox"
echo
echo "\$ pledged --config demo/pledged.conf --once"
build/pledged --config demo/pledged.conf --once
echo
echo "\$ pledgectl --config demo/pledged.conf stats"
build/pledgectl --config demo/pledged.conf stats
echo
echo "\$ pledgectl --config demo/pledged.conf list"
build/pledgectl --config demo/pledged.conf list
echo
echo "demo: done; the ledger is demo/pledges.db, for example:"
echo "  sqlite3 demo/pledges.db 'SELECT * FROM artist_status'"
echo "  build/pledgectl --config demo/pledged.conf review"
