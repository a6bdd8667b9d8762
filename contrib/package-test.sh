#!/bin/sh
# The Debian package, end to end, as an administrator of a mail server
# meets it:
#
#   1. build it (contrib/package.sh), then lintian --pedantic and
#      hardening-check on it: any error or warning fails the test;
#   2. make a throwaway Debian 12 root with mmdebstrap from the mirror apt
#      already uses, with Exim installed as the MTA (local delivery only):
#      the test suite needs opensmtpd, which conflicts with every other
#      MTA, so the host cannot be that machine;
#   3. inside it (contrib/package-test-root.sh): install the .deb with apt
#      and check that nothing was removed, Exim is still there, nothing
#      started, and what the postinst made; configure it as the README
#      says; the root trap (pledged --once and pledgectl stats as root,
#      then the timer's command as pledged); an organizer in group
#      pledged running stats, list, export and report while the daemon
#      writes; remove and purge.
#
# The IMAP server is a private dovecot on the host's loopback (the root
# shares the network), fed with the sample campaign.  Needs root, dpkg,
# mmdebstrap, lintian, hardening-check and dovecot (contrib/deps-test.sh);
# it changes nothing on the host but build-deb/ and a temporary directory.
# Prints the wall time of each step.
#
#   contrib/package-test.sh
set -eu
cd "$(dirname "$0")/.."
src=$PWD

if [ "$(id -u)" -ne 0 ]; then
	echo "package-test: skipped (needs root for the chroot)"
	exit 77
fi
for tool in dpkg mmdebstrap lintian hardening-check dovecot; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "package-test: $tool missing: run contrib/deps-test.sh" >&2
		exit 1
	fi
done

fail=0
checked=0
ok() { echo "ok   $*"; checked=$((checked + 1)); }
bad() { echo "FAIL $*"; checked=$((checked + 1)); fail=$((fail + 1)); }
start=$(date +%s)
step() { echo "package-test: [$(($(date +%s) - start)) s] $*"; }

tmp=$(mktemp -d /tmp/pledged-pkgtest-XXXXXX)
chmod 0755 "$tmp"
root=$tmp/root
cleanup() {
	sh "$src/contrib/testenv/dovecot.sh" stop "$tmp/dc" >/dev/null 2>&1 || :
	# Whatever still runs inside the root, then its mounts, then it.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	umount "$root/proc" 2>/dev/null || :
	if ! grep -q " $root/" /proc/mounts; then
		rm -rf "$tmp"
	else
		echo "package-test: $root still has mounts; left in place" >&2
	fi
}
trap cleanup EXIT INT TERM

# Processes whose root directory is the throwaway root.
in_root() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] &&
			cat "$p/comm" 2>/dev/null
	done | sort | tr '\n' ' '
}

# 1. The package, lintian, hardening-check.
step "building the package"
deb=$(sh contrib/package.sh | tail -n 1)
echo "package-test: $deb"
echo "package-test: Depends: $(dpkg-deb -f "$deb" Depends)"
echo "package-test: Maintainer: $(dpkg-deb -f "$deb" Maintainer)"
step "lintian --pedantic"
lintian --pedantic --display-info "$deb" >"$tmp/lintian" 2>&1 || :
sed 's/^/     /' "$tmp/lintian"
ne=$(grep -c '^E: ' "$tmp/lintian" || :)
nw=$(grep -c '^W: ' "$tmp/lintian" || :)
if [ "$ne" -eq 0 ] && [ "$nw" -eq 0 ]; then
	ok "lintian --pedantic: 0 errors, 0 warnings ($(grep -c '^[IP]: ' "$tmp/lintian" || :) info/pedantic)"
else
	bad "lintian --pedantic: $ne errors, $nw warnings"
fi
mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
# Debian 12's C start files carry no CET property, so no binary built on
# it has "control flow integrity"; everything else is required.
if hardening-check --nocfprotection "$tmp/x/usr/sbin/pledged" \
    "$tmp/x/usr/bin/pledgectl" >"$tmp/hardening" 2>&1; then
	ok "hardening-check: PIE, stack protector, fortify, RELRO, BIND_NOW"
else
	bad "hardening-check failed"
fi
sed 's/^/     /' "$tmp/hardening"
# The package is a production build: no fault hooks (PLEDGED_TEST_HOOKS).
for f in usr/sbin/pledged usr/bin/pledgectl; do
	if grep -qaF PLEDGED_FAULT "$tmp/x/$f"; then
		bad "/$f has the test fault hooks"
	else
		ok "/$f has no test fault hooks"
	fi
done

# 2. A Debian 12 root with Exim, from the mirror this host's apt uses.
# mmdebstrap takes one to two minutes; its tarball is kept in build-deb/
# for a day, so a second run takes seconds (apt-get update inside then
# brings the package lists up to date).
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 == "bookworm" { print $1; exit }')
mirror=${mirror:-http://deb.debian.org/debian/}
cache=$src/build-deb/root-bookworm-exim.tar
if [ -z "$(find "$cache" -maxdepth 0 -type f -mmin -1440 2>/dev/null)" ]; then
	rm -rf "$cache"
	step "mmdebstrap bookworm with exim4-daemon-light from $mirror"
	if ! mmdebstrap --quiet --variant=apt --include=exim4-daemon-light \
	    --skip=cleanup/apt/lists bookworm "$tmp/root.tar" \
	    "deb $mirror bookworm main" >"$tmp/mmdebstrap.log" 2>&1; then
		cat "$tmp/mmdebstrap.log" >&2
		echo "package-test: cannot make the Debian 12 root" \
		    "(is $mirror reachable?)" >&2
		exit 1
	fi
	mv "$tmp/root.tar" "$cache"
fi
mkdir "$root"
tar -C "$root" -xf "$cache"
step "root ready"
mount -t proc proc "$root/proc"
mkdir -p "$root/tmp/pt"
cp "$deb" "$root/tmp/pt/pledged.deb"
cp contrib/package-test-root.sh "$root/tmp/pt/"
cp -r contrib/testenv "$root/tmp/pt/testenv"
inside() { chroot "$root" env PT=/tmp/pt sh /tmp/pt/package-test-root.sh "$@"; }
# run_phase NAME ARGS...: counts the phase's ok and FAIL lines.
run_phase() {
	inside "$@" >"$tmp/phase.out" 2>&1 || :
	cat "$tmp/phase.out"
	checked=$((checked + $(grep -c '^\(ok\|FAIL\) ' "$tmp/phase.out" || :)))
	fail=$((fail + $(grep -c '^FAIL ' "$tmp/phase.out" || :)))
}

# 3. Install beside Exim: nothing removed, nothing started.
before=$(in_root)
step "installing the .deb in the root"
run_phase install /tmp/pt/pledged.deb
if grep -q '^FAIL apt-get install' "$tmp/phase.out"; then
	echo "package-test: the package did not install; stopping" >&2
	exit 1
fi
after=$(in_root)
if [ "$before" = "$after" ] && [ -z "$after" ]; then
	ok "no process started by the installation"
else
	bad "processes in the root after the installation: $after"
fi

# The IMAP server, on the host's loopback.
step "private dovecot and the sample campaign"
PLEDGED_TEST_OWNER_PID=$$ sh contrib/testenv/dovecot.sh start "$tmp/dc" >/dev/null
# shellcheck disable=SC1091
. "$tmp/dc/env"
cp "$CA_FILE" "$root/tmp/pt/ca.pem"
cp "$PASSWORD_FILE" "$root/tmp/pt/imap.password"
run_phase configure "$IMAPS_PORT" "$USER"
run_phase mail
n=0
deliver() { # FILE...
	for f in "$@"; do
		n=$((n + 1))
		name=$(printf '%010d.%06d.pkg' "$(date +%s)" "$n")
		install -m 0600 -o "$MAIL_UID" -g "$MAIL_GID" "$f" "$MAILDIR/tmp/$name"
		mv "$MAILDIR/tmp/$name" "$MAILDIR/new/$name"
	done
}
deliver "$root"/tmp/pt/mail/*.eml
step "the root trap"
run_phase once

# More mail while the daemon runs and an organizer reads.
step "an organizer while the daemon writes"
more=20
total=$((n + more))
inside organizer "$total" >"$tmp/organizer.out" 2>&1 &
org=$!
i=0
while [ "$i" -lt "$more" ]; do
	i=$((i + 1))
	printf 'From: Late %s <late%s@artists.example>\r\nTo: pledges@campaign.example\r\nSubject: I pledge\r\nMessage-ID: <late%s.%s@artists.example>\r\n\r\nCount me in.\r\n' \
	    "$i" "$i" "$i" "$$" >"$tmp/late.eml"
	deliver "$tmp/late.eml"
	sleep 0.1
done
wait "$org" || :
cat "$tmp/organizer.out"
checked=$((checked + $(grep -c '^\(ok\|FAIL\) ' "$tmp/organizer.out" || :)))
fail=$((fail + $(grep -c '^FAIL ' "$tmp/organizer.out" || :)))

step "remove and purge"
run_phase purge

step "done"
if [ "$fail" -ne 0 ]; then
	echo "package-test: $fail of $checked checks failed"
	exit 1
fi
echo "package-test: all $checked checks passed in $(($(date +%s) - start)) s"
