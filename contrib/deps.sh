#!/bin/sh
# Install what pledged needs to build and to run its tests, on Debian 12.
# Runs apt-get as root (directly, or through sudo). Quiet when all is there.
set -eu

# man-db, groff-base: the manual page test; dpkg-dev: dpkg-shlibdeps for
# cpack -G DEB; adduser: the package's postinst (contrib/package-test.sh);
# iproute2: ss, with which contrib/testenv/dovecot.sh finds free ports;
# dovecot-submissiond: the TLS and AUTH front of contrib/testenv/submission.sh;
# chromium: headless screenshots of the campaign page (tests/integration/
# live_page.sh checks it fits a phone's width); zsh: the zsh completion's
# test (tests/integration/completion.sh).
PKGS="build-essential cmake pkg-config clang
libetpan-dev libsodium-dev libsqlite3-dev libgnutls28-dev libjansson-dev
libcmocka-dev libsasl2-modules sqlite3 openssl
dovecot-imapd dovecot-lmtpd dovecot-submissiond isync opensmtpd
man-db groff-base dpkg-dev adduser iproute2 chromium zsh"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
echo "deps: installing$missing" >&2
# Debian starts dovecot and opensmtpd on install where it can; pledged runs
# its own private instances and needs none of the system ones.
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
