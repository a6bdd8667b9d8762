#!/bin/sh
# A private dovecot for tests: its own configuration (nothing from
# /etc/dovecot), its own CA, users and maildirs, on free loopback ports.
#
#   dovecot.sh start DIR    make DIR, certificates, config; start; write DIR/env
#   dovecot.sh stop DIR     SIGTERM to DIR/run/master.pid; wait for the exit
#   dovecot.sh certs DIR    only the certificates below, into DIR (any user)
#
# Must run as root (dovecot's master does).  DIR must be reachable by the
# mail user: choose it under /tmp, never under a 0700 home.
#
# Mail processes refuse to run as root, so the users get a real uid: the
# system user "pledgedtest" (override with PLEDGED_TEST_USER), created with
# useradd when missing.  It owns nothing but the maildirs under DIR.
#
# DIR/env is shell-sourceable: IMAP_PORT (STARTTLS), IMAPS_PORT (implicit
# TLS), HOST (127.0.0.1), CA_FILE, OTHER_CA_FILE, USER, PASSWORD_FILE
# (0600), PASSWORD, ARTIST_PASSWORD (artist1..artist3), MAILDIR (the
# campaign user's), MAIL_ROOT, MAIL_UID, MAIL_GID, LMTP_SOCKET, CONF,
# LOG, DOVECOT_PID, and the negative-test addresses: WRONG_CA_HOST (a
# certificate for that address from another CA), WRONG_NAME_HOST (a
# certificate from the test CA for "wrong.invalid" only).  Also in DIR/tls:
# ca.pem, other-ca.pem, server.pem, other.pem, wrong-name.pem, expired.pem
# (with their .key files).
#
# With PLEDGED_TEST_OWNER_PID set, a watchdog stops the server once that
# process has gone, so a crashed test leaves nothing running.
#
# Needs: dovecot-imapd, dovecot-lmtpd, openssl, iproute2 (ss), util-linux
# (setsid), passwd (useradd); contrib/deps.sh installs them.
set -eu

die() {
	echo "dovecot.sh: $*" >&2
	exit 1
}

# A free TCP port on loopback: start from a random base, skip what ss
# shows as listening.  A race with another process is possible but rare,
# and start fails loudly if dovecot cannot bind.
free_port() {
	p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 30000 ))
	i=0
	while [ $i -lt 200 ]; do
		if [ -z "$(ss -ltnH "sport = :$p" 2>/dev/null)" ] &&
		    [ "$p" != "${1:-}" ]; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		i=$((i + 1))
	done
	die "no free port"
}

randhex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

ensure_user() {
	if ! getent passwd "$MAILUSER" >/dev/null; then
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin --user-group "$MAILUSER" ||
		    die "useradd $MAILUSER failed"
	fi
}

# Certificates.  -subj and SANs on the command line (OpenSSL 3 -addext).
make_certs() {
	t=$1
	mkdir -p "$t"
	ossl() {
		openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"
	}
	cat >"$t/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
CNF
	for ca in ca other-ca; do
		SAN=DNS:unused ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$t/$ca.key" -out "$t/$ca.pem" -days 30 \
		    -subj "/CN=pledged test $ca $(randhex 4)" \
		    -config "$t/ext.cnf" -extensions ca
	done
	# name signer san
	while read -r name signer san; do
		ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$t/$name.key" -out "$t/$name.csr" \
		    -subj "/CN=$name"
		days=30
		[ "$name" = expired ] && days=-1
		SAN=$san ossl x509 -req -in "$t/$name.csr" -CA "$t/$signer.pem" \
		    -CAkey "$t/$signer.key" -CAcreateserial -days "$days" \
		    -out "$t/$name.pem" -extfile "$t/ext.cnf" \
		    -extensions server
		rm -f "$t/$name.csr"
	done <<LIST
server ca DNS:localhost,IP:127.0.0.1
other other-ca DNS:localhost,IP:127.0.0.1,IP:127.0.0.2
wrong-name ca DNS:wrong.invalid
expired ca DNS:localhost,IP:127.0.0.1,IP:127.0.0.4
LIST
	chmod 0644 "$t"/*.pem
	chmod 0600 "$t"/*.key
}

start() {
	dir=$1
	[ "$(id -u)" = 0 ] || die "must run as root (dovecot's master does)"
	command -v dovecot >/dev/null || die "dovecot not installed"
	# The package's own users (dovecot-core creates them).
	getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null ||
	    die "users dovecot and dovenull missing: install dovecot-core"
	MAILUSER=${PLEDGED_TEST_USER:-pledgedtest}
	ensure_user
	uid=$(id -u "$MAILUSER")
	gid=$(id -g "$MAILUSER")

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	chmod 0755 "$dir"
	mkdir -p "$dir/run" "$dir/state" "$dir/mail"
	make_certs "$dir/tls"

	pass=$(randhex 12)
	apass=$(randhex 12)
	# Read by the auth worker, which runs as default_internal_user.
	: >"$dir/passwd"
	chgrp "$(id -g dovecot)" "$dir/passwd"
	chmod 0640 "$dir/passwd"
	for u in campaign artist1 artist2 artist3; do
		p=$apass
		[ "$u" = campaign ] && p=$pass
		echo "$u:{PLAIN}$p:$uid:$gid::$dir/mail/$u::" >>"$dir/passwd"
		for sub in cur new tmp; do
			mkdir -p "$dir/mail/$u/$sub"
		done
	done
	chown -R "$uid:$gid" "$dir/mail"
	umask 077
	printf '%s\n' "$pass" >"$dir/password"
	umask 022

	imap_port=$(free_port)
	imaps_port=$(free_port "$imap_port")
	name=pledged-test-$(randhex 6)

	cat >"$dir/dovecot.conf" <<CONF
# Generated by contrib/testenv/dovecot.sh: a private instance.
instance_name = $name
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4
protocols = imap lmtp
default_internal_user = dovecot
default_login_user = dovenull
ssl = required
ssl_cert = <$dir/tls/server.pem
ssl_key = <$dir/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_verbose = yes
# Tests fail logins on purpose: no delay, no growing penalty per IP.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid
mail_location = maildir:$dir/mail/%u
mail_uid = $uid
mail_gid = $gid
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/passwd
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
# Negative tests: the same listeners, another certificate per address.
local 127.0.0.2 {
  ssl_cert = <$dir/tls/other.pem
  ssl_key = <$dir/tls/other.key
}
local 127.0.0.3 {
  ssl_cert = <$dir/tls/wrong-name.pem
  ssl_key = <$dir/tls/wrong-name.key
}
local 127.0.0.4 {
  ssl_cert = <$dir/tls/expired.pem
  ssl_key = <$dir/tls/expired.key
}
CONF

	# Its descriptors go to a file: a daemon holding the caller's pipes
	# would keep a test runner waiting for end of file.
	dovecot -c "$dir/dovecot.conf" </dev/null >"$dir/startup.log" 2>&1 || {
		cat "$dir/startup.log" "$dir/dovecot.log" >&2 2>/dev/null || :
		die "dovecot failed to start"
	}
	i=0
	while :; do
		if [ -s "$dir/run/master.pid" ] &&
		    [ -n "$(ss -ltnH "sport = :$imap_port")" ] &&
		    [ -n "$(ss -ltnH "sport = :$imaps_port")" ]; then
			break
		fi
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			cat "$dir/dovecot.log" >&2 2>/dev/null || :
			stop "$dir"
			die "dovecot did not come up"
		fi
		sleep 0.1
	done
	pid=$(cat "$dir/run/master.pid")

	cat >"$dir/env" <<ENV
HOST='127.0.0.1'
IMAP_PORT='$imap_port'
IMAPS_PORT='$imaps_port'
CA_FILE='$dir/tls/ca.pem'
OTHER_CA_FILE='$dir/tls/other-ca.pem'
WRONG_CA_HOST='127.0.0.2'
WRONG_NAME_HOST='127.0.0.3'
EXPIRED_HOST='127.0.0.4'
USER='campaign'
PASSWORD_FILE='$dir/password'
PASSWORD='$pass'
ARTIST_PASSWORD='$apass'
MAILDIR='$dir/mail/campaign'
MAIL_ROOT='$dir/mail'
MAIL_UID='$uid'
MAIL_GID='$gid'
LMTP_SOCKET='$dir/run/lmtp'
CONF='$dir/dovecot.conf'
LOG='$dir/dovecot.log'
DOVECOT_PID='$pid'
ENV

	if [ -n "${PLEDGED_TEST_OWNER_PID:-}" ]; then
		# Detached watchdog, in a session of its own so that whatever
		# kills the test's process group (timeout(1), ctest) spares
		# it: ends when dovecot ends, stops dovecot when the owner dies.
		setsid -f sh -c '
			while kill -0 "$1" 2>/dev/null; do
				if ! kill -0 "$2" 2>/dev/null; then
					kill -CONT -- "-$1" 2>/dev/null
					kill -TERM "$1" 2>/dev/null
					break
				fi
				sleep 1
			done' watchdog "$pid" "$PLEDGED_TEST_OWNER_PID" \
		    </dev/null >/dev/null 2>&1
	fi
}

stop() {
	dir=$1
	pidfile=$dir/run/master.pid
	[ -s "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	# A test may have stopped it with SIGSTOP: wake it so it can exit.
	# The master is a session leader: its group holds every child.
	kill -CONT -- "-$pid" 2>/dev/null || :
	kill -TERM "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			kill -KILL "$pid" 2>/dev/null || :
			break
		fi
		sleep 0.1
	done
}

[ $# -eq 2 ] || die "usage: dovecot.sh start|stop|certs DIR"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
certs) make_certs "$2" ;;
*) die "usage: dovecot.sh start|stop|certs DIR" ;;
esac
