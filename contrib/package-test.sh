#!/bin/sh
# Build the Debian package, install it on this machine, check what it
# installed and what its postinst did, run the installed programs, then
# remove and purge it.  It changes the machine (a package, a system user,
# directories in /etc and /var), so it is not a ctest test: .ci/run calls
# it.  Leaves the machine as it found it: a user or directory that the
# package created is deleted at the end.  Needs root and dpkg.
#
#   contrib/package-test.sh
set -eu
cd "$(dirname "$0")/.."

# TODO: "yes" once the config module has landed, so a missing
# --check-config is an error.  "auto" checks it only where it is
# implemented (where it does not say "not implemented").
check_config=yes

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null 2>&1; then
	echo "package-test: skipped (needs root and dpkg)"
	exit 77
fi

fail=0
checked=0
ok() { echo "ok   $*"; checked=$((checked + 1)); }
bad() { echo "FAIL $*"; checked=$((checked + 1)); fail=$((fail + 1)); }

tmp=$(mktemp -d)
had_user=no
getent passwd pledged >/dev/null && had_user=yes
had_state=no
[ -e /var/lib/pledged ] && had_state=yes
installed=no

cleanup() {
	if [ "$installed" = yes ]; then
		dpkg --purge pledged >>"$tmp/dpkg.log" 2>&1 || true
	fi
	# Only what this run created.
	if [ "$had_user" = no ] && getent passwd pledged >/dev/null; then
		deluser --quiet --system pledged >/dev/null 2>&1 || true
		getent group pledged >/dev/null &&
			delgroup --quiet --system pledged >/dev/null 2>&1 || true
	fi
	[ "$had_state" = no ] && rm -rf /var/lib/pledged
	sh contrib/testenv/dovecot.sh stop "$tmp/dc" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' pledged 2>/dev/null | grep -q 'ok installed'; then
	echo "package-test: note: pledged was installed; it is replaced and purged"
fi

echo "package-test: building the package"
deb=$(sh contrib/package.sh | tail -n 1)
version=$(dpkg-deb -f "$deb" Version)
echo "package-test: $deb (version $version)"
echo "package-test: depends: $(dpkg-deb -f "$deb" Depends)"

if dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
	installed=yes
	ok "dpkg -i $(basename "$deb")"
else
	cat "$tmp/dpkg.log"
	bad "dpkg -i failed"
	echo "package-test: $fail of $checked checks failed"
	exit 1
fi

# What postinst made.
if getent passwd pledged >/dev/null; then
	ok "system user pledged exists"
else
	bad "no user pledged"
fi
mode_owner() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }
for spec in "/var/lib/pledged 750 pledged:pledged" \
    "/etc/pledged 750 root:pledged"; do
	set -- $spec
	got=$(mode_owner "$1")
	if [ "$got" = "$2 $3" ]; then
		ok "$1 is $2 $3"
	else
		bad "$1 is $got, expected $2 $3"
	fi
done
for f in /usr/sbin/pledged /usr/bin/pledgectl \
    /usr/share/man/man8/pledged.8 /usr/share/man/man1/pledgectl.1 \
    /usr/share/man/man5/pledged.conf.5 \
    /usr/lib/systemd/system/pledged.service \
    /usr/lib/systemd/system/pledged-once.service \
    /usr/lib/systemd/system/pledged.timer \
    /etc/pledged/pledged.conf.sample; do
	if [ -e "$f" ]; then ok "$f installed"; else bad "$f missing"; fi
done
if grep -qxF /etc/pledged/pledged.conf.sample /var/lib/dpkg/info/pledged.conffiles 2>/dev/null; then
	ok "the sample configuration is a conffile"
else
	bad "the sample configuration is not a conffile"
fi
# Nothing may run before the administrator configured it.
if ls /etc/systemd/system/*.wants/pledged* >/dev/null 2>&1; then
	bad "postinst enabled a pledged unit"
else
	ok "no pledged unit enabled"
fi

# The installed programs.
# The package is a production build: no fault hooks (PLEDGED_TEST_HOOKS).
for f in /usr/sbin/pledged /usr/bin/pledgectl; do
	if grep -qaF PLEDGED_FAULT "$f"; then
		bad "$f has the test fault hooks"
	else
		ok "$f has no test fault hooks"
	fi
done
out=$(/usr/sbin/pledged --version 2>&1) || true
if [ "$out" = "pledged $version" ]; then
	ok "/usr/sbin/pledged --version: $out"
else
	bad "/usr/sbin/pledged --version printed '$out', expected 'pledged $version'"
fi
out=$(/usr/bin/pledgectl --version 2>&1) || true
if [ "$out" = "pledgectl $version" ]; then
	ok "/usr/bin/pledgectl --version: $out"
else
	bad "/usr/bin/pledgectl --version printed '$out'"
fi
if /usr/sbin/pledged --help | grep -qF /etc/pledged/pledged.conf; then
	ok "pledged's default configuration is /etc/pledged/pledged.conf"
else
	bad "pledged --help does not name /etc/pledged/pledged.conf"
fi
if MANPATH=/usr/share/man man -w pledged.conf >/dev/null 2>&1; then
	ok "man finds pledged.conf(5)"
else
	# Minimal images exclude /usr/share/man from dpkg (path-exclude).
	echo "     (man -w pledged.conf: not found; dpkg may exclude man pages here)"
fi

# The sample, edited to a test account, as the daemon's user would read it.
cfgdir=$tmp/etc
install -d -m 0750 -o pledged -g pledged "$cfgdir" "$tmp/var"
chmod 0755 "$tmp"
# A real k4.public PASERK: "k4.public." and the Ed25519 public key in
# unpadded base64url.
openssl genpkey -algorithm ed25519 -out "$tmp/ed25519.pem" 2>/dev/null
pub=$(openssl pkey -in "$tmp/ed25519.pem" -pubout -outform DER | tail -c 32 |
    base64 | tr '+/' '-_' | tr -d '=\n')
install -m 0600 -o pledged -g pledged /dev/null "$cfgdir/imap.password"
echo 'test-password' >"$cfgdir/imap.password"
sed -e "s#^host = imap.example.org#host = 127.0.0.1#" \
    -e "s#^port = 993#port = 10143#" \
    -e "s#^tls = implicit#tls = none#" \
    -e "s#^user = pledges@example.org#user = pledgetest#" \
    -e "s#^password_file = /etc/pledged/imap.password#password_file = $cfgdir/imap.password#" \
    -e "s#^database = .*#database = $tmp/var/pledges.db#" \
    -e "s#^public_keys = .*#public_keys = k4.public.$pub#" \
    -e "s#^lock_file = .*#lock_file = $tmp/var/pledged.lock#" \
    -e '/^\[smtp\]/,$d' \
    /etc/pledged/pledged.conf.sample >"$cfgdir/pledged.conf"
chown pledged:pledged "$cfgdir/pledged.conf"

as_pledged() { runuser -u pledged -- "$@"; }
rc=0
out=$(as_pledged /usr/sbin/pledged --check-config --config "$cfgdir/pledged.conf" 2>&1) || rc=$?
if [ "$check_config" = auto ] && printf '%s' "$out" | grep -q 'not implemented'; then
	echo "     --check-config skipped: not implemented yet"
else
	if [ "$rc" -eq 0 ]; then
		ok "pledged --check-config accepts the edited sample (as pledged)"
	else
		bad "pledged --check-config exited $rc: $out"
	fi
	# A password file that others can read is refused with 77.
	chmod 0644 "$cfgdir/imap.password"
	rc=0
	as_pledged /usr/sbin/pledged --check-config \
	    --config "$cfgdir/pledged.conf" >/dev/null 2>&1 || rc=$?
	if [ "$rc" -eq 77 ]; then
		ok "pledged --check-config refuses a 0644 password file with 77"
	else
		bad "pledged --check-config with a 0644 password file exited $rc, expected 77"
	fi
	chmod 0600 "$cfgdir/imap.password"
fi

# The cron job, as a newcomer sets it up from the README: the installed
# programs, run as the pledged user, against a private dovecot with a
# sample campaign mailbox, over verified TLS.
dc=$tmp/dc
PLEDGED_TEST_OWNER_PID=$$ sh contrib/testenv/dovecot.sh start "$dc" >/dev/null
# shellcheck disable=SC1091
. "$dc/env"
install -m 0644 "$CA_FILE" "$cfgdir/ca.pem"
install -m 0600 -o pledged -g pledged "$PASSWORD_FILE" "$cfgdir/imap.password"
key=$(as_pledged /usr/bin/pledgectl keygen --out "$cfgdir/campaign.key" |
    sed -n 's/^public_keys = //p')
sed -i -e "s#^host = .*#host = localhost#" \
    -e "s#^port = .*#port = $IMAPS_PORT#" \
    -e "s#^tls = .*#tls = implicit#" \
    -e "s#^ca_file =.*#ca_file = $cfgdir/ca.pem#" \
    -e "s#^user = .*#user = $USER#" \
    -e "s#^public_keys = .*#public_keys = $key#" \
    -e "s#^secret_key_file =.*#secret_key_file = $cfgdir/campaign.key#" \
    "$cfgdir/pledged.conf"
install -d -o pledged -g pledged "$tmp/mail"
as_pledged sh contrib/testenv/sample-mail.sh /usr/bin/pledgectl \
    "$cfgdir/pledged.conf" "$tmp/mail" >/dev/null
n=0
for f in "$tmp"/mail/*.eml; do
	n=$((n + 1))
	name=$(printf '%010d.%06d.pkg' "$(date +%s)" "$n")
	install -m 0600 -o "$MAIL_UID" -g "$MAIL_GID" "$f" "$MAILDIR/new/$name"
done
rc=0
as_pledged /usr/sbin/pledged --once --config "$cfgdir/pledged.conf" \
    >"$tmp/once.out" 2>&1 || rc=$?
stats=$(as_pledged /usr/bin/pledgectl --config "$cfgdir/pledged.conf" stats --json 2>&1) || :
sh contrib/testenv/dovecot.sh stop "$dc" >/dev/null 2>&1 || :
if [ "$rc" -eq 0 ]; then
	ok "the installed pledged --once (as pledged) read $n messages"
else
	cat "$tmp/once.out"
	bad "the installed pledged --once exited $rc"
fi
case $stats in
*'"pledged": 4'*'"confirmed_phase2": 2'* | *'"pledged":4'*'"confirmed_phase2":2'*)
	ok "pledgectl stats counts the pledges and confirmations" ;;
*)
	bad "pledgectl stats after --once: $stats" ;;
esac

# Removal keeps the conffile, purge removes it; the ledger stays.
if dpkg -r pledged >>"$tmp/dpkg.log" 2>&1; then
	ok "dpkg -r pledged"
else
	cat "$tmp/dpkg.log"
	bad "dpkg -r pledged failed"
fi
if [ ! -e /usr/sbin/pledged ] && [ ! -e /usr/lib/systemd/system/pledged.service ]; then
	ok "binaries and units are gone after dpkg -r"
else
	bad "files left after dpkg -r"
fi
if [ -e /etc/pledged/pledged.conf.sample ]; then
	ok "the conffile stays after dpkg -r"
else
	bad "the conffile went with dpkg -r"
fi
if dpkg --purge pledged >>"$tmp/dpkg.log" 2>&1; then
	installed=no
	ok "dpkg --purge pledged"
else
	cat "$tmp/dpkg.log"
	bad "dpkg --purge pledged failed"
fi
if [ ! -e /etc/pledged/pledged.conf.sample ]; then
	ok "the conffile is gone after purge"
else
	bad "the conffile survived purge"
fi
if [ -d /var/lib/pledged ]; then
	ok "the ledger directory /var/lib/pledged survives purge"
else
	bad "purge removed /var/lib/pledged"
fi

if [ "$fail" -ne 0 ]; then
	echo "package-test: $fail of $checked checks failed"
	exit 1
fi
echo "package-test: all $checked checks passed"
