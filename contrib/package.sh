#!/bin/sh
# Build the Debian package: a release build in its own directory, with the
# paths a Debian system uses (/usr, /etc, /var, /run) compiled in and
# installed to, then cpack -G DEB.  Prints the path of the .deb on the last
# line of standard output.
#
#   contrib/package.sh [BUILD_DIR]     default: build-deb/
set -eu
cd "$(dirname "$0")/.."
src=$PWD
dir=${1:-build-deb}

sh contrib/deps.sh

# Without the explicit /etc, /var and /run, GNUInstallDirs leaves the
# relative directories at etc/, var/ under the prefix for anything not
# using the FULL variables; say what we mean.
cmake -S "$src" -B "$dir" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPLEDGED_WERROR=ON \
    -DBUILD_TESTING=OFF \
    -DPLEDGED_TEST_HOOKS=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_INSTALL_SYSCONFDIR=/etc \
    -DCMAKE_INSTALL_LOCALSTATEDIR=/var \
    -DCMAKE_INSTALL_RUNSTATEDIR=/run \
    -DPLEDGED_SYSTEMD_UNITDIR=/usr/lib/systemd/system \
    -DPLEDGED_TMPFILESDIR=/usr/lib/tmpfiles.d >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
(cd "$dir" && cpack -G DEB >cpack.log 2>&1) || {
	cat "$dir/cpack.log" >&2
	exit 1
}
deb=$(ls -t "$dir"/pledged_*.deb | head -n 1)
echo "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
