#!/bin/sh
# Build the Debian package: a release build in its own directory, with the
# paths a Debian system uses (/usr, /etc, /var, /run) compiled in and
# installed to, hardened with Debian's own build flags (dpkg-buildflags,
# hardening=+all: _FORTIFY_SOURCE=2, stack protector, full RELRO, BIND_NOW,
# PIE), then cpack -G DEB.  Prints the path of the .deb on the last line of
# standard output.
#
# It installs only build dependencies (contrib/deps-build.sh: no server,
# nothing removed), and builds without the test-only hooks.
#
#   contrib/package.sh [BUILD_DIR]     default: build-deb/
set -eu
cd "$(dirname "$0")/.."
src=$PWD
dir=${1:-build-deb}

sh contrib/deps-build.sh >&2

# The Maintainer field names a person to write to: DEBFULLNAME and
# DEBEMAIL as for every Debian tool, else the clone's git identity.
name=${DEBFULLNAME:-$(git config user.name 2>/dev/null || :)}
email=${DEBEMAIL:-$(git config user.email 2>/dev/null || :)}
if [ -z "$name" ] || [ -z "$email" ]; then
	echo "package: set DEBFULLNAME and DEBEMAIL (the Maintainer field)" >&2
	exit 64
fi
maintainer="$name <$email>"

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
# CMake reads CFLAGS and LDFLAGS, not CPPFLAGS: _FORTIFY_SOURCE is there.
CFLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
# What Debian 13's dpkg-buildflags adds and Debian 12's does not yet: stack
# clash protection, and on x86 control-flow protection (CET).
CFLAGS="$CFLAGS -fstack-clash-protection"
case $(dpkg --print-architecture) in
amd64 | i386) CFLAGS="$CFLAGS -fcf-protection" ;;
esac
export CFLAGS LDFLAGS

# Without the explicit /etc, /var and /run, GNUInstallDirs leaves the
# relative directories at etc/, var/ under the prefix for anything not
# using the FULL variables; say what we mean.  Build type None: the flags
# are dpkg-buildflags', not CMake's.  Units in /lib/systemd/system, where
# Debian 12's systemd packages put theirs.
cmake -S "$src" -B "$dir" \
    -DCMAKE_BUILD_TYPE=None \
    -DPLEDGED_WERROR=ON \
    -DPLEDGED_TEST_HOOKS=OFF \
    -DPLEDGED_MAINTAINER="$maintainer" \
    -DCMAKE_STRIP="$src/contrib/debian/strip" \
    -DBUILD_TESTING=OFF \
    -DPLEDGED_TEST_HOOKS=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_INSTALL_SYSCONFDIR=/etc \
    -DCMAKE_INSTALL_LOCALSTATEDIR=/var \
    -DCMAKE_INSTALL_RUNSTATEDIR=/run \
    -DPLEDGED_SYSTEMD_UNITDIR=/lib/systemd/system \
    -DPLEDGED_TMPFILESDIR=/usr/lib/tmpfiles.d >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
(cd "$dir" && cpack -G DEB >cpack.log 2>&1) || {
	cat "$dir/cpack.log" >&2
	exit 1
}
deb=$(ls -t "$dir"/pledged_*.deb | head -n 1)
echo "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
