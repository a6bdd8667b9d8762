#!/bin/sh
# "cmake --install" with the package's paths (prefix /usr, /etc, /var,
# /run) into a staging root puts every file where the package and the
# manual pages say: binaries, the three manual pages, the systemd units,
# the sample configuration in /etc (not /usr/etc), the SQL files.  The
# staged daemon was built with /etc/pledged/pledged.conf as its default.
#
# Configures and builds a separate tree in a temporary directory, so the
# build under test keeps its own settings.
set -eu

src=${PLEDGED_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
checked=0

echo "install: configuring and building with prefix /usr in $tmp/build"
if ! cmake -S "$src" -B "$tmp/build" -DBUILD_TESTING=OFF \
    -DPLEDGED_SHARED_DIR="${PLEDGED_SHARED_DIR:-$src/../shared}" \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
    -DCMAKE_INSTALL_LOCALSTATEDIR=/var -DCMAKE_INSTALL_RUNSTATEDIR=/run \
    >"$tmp/log" 2>&1 ||
    ! cmake --build "$tmp/build" -j"$(nproc)" >>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	echo "install: FAIL: configure or build"
	exit 1
fi
root=$tmp/root
if ! DESTDIR=$root cmake --install "$tmp/build" >>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	echo "install: FAIL: cmake --install"
	exit 1
fi

expect() { # path under the staging root, test(1) flag
	checked=$((checked + 1))
	if test "$2" "$root$1"; then
		echo "ok   $1"
	else
		echo "FAIL $1 missing (test $2)"
		fail=$((fail + 1))
	fi
}

expect /usr/sbin/pledged -x
expect /usr/bin/pledgectl -x
expect /usr/share/man/man8/pledged.8 -f
expect /usr/share/man/man1/pledgectl.1 -f
expect /usr/share/man/man5/pledged.conf.5 -f
expect /usr/lib/systemd/system/pledged.service -f
expect /usr/lib/systemd/system/pledged-once.service -f
expect /usr/lib/systemd/system/pledged.timer -f
expect /usr/lib/tmpfiles.d/pledged.conf -f
expect /etc/pledged/pledged.conf.sample -f
expect /usr/share/doc/pledged/examples/cron.d-pledged -f
expect /usr/share/bash-completion/completions/pledgectl -f
expect /usr/share/bash-completion/completions/pledged -f
expect /usr/share/zsh/vendor-completions/_pledgectl -f
# Every file of sql/ (schema, migrations, views), wherever it sits.
if [ -d "$src/sql" ]; then
	(cd "$src/sql" && find . -type f ! -name '.*' | sort) >"$tmp/sql"
	while read -r f; do
		expect "/usr/share/pledged/sql/${f#./}" -f
	done <"$tmp/sql"
fi

# Nothing may land under /usr/etc, /usr/var or /usr/run: that is what a
# relative sysconfdir with prefix /usr does.
for d in /usr/etc /usr/var /usr/run /usr/local; do
	checked=$((checked + 1))
	if [ -e "$root$d" ]; then
		echo "FAIL $d exists in the staging root"
		find "$root$d" | sed 's/^/    /'
		fail=$((fail + 1))
	else
		echo "ok   nothing under $d"
	fi
done

# The units point at the installed daemon and configuration.
checked=$((checked + 1))
if grep -qxF 'ExecStart=/usr/sbin/pledged --config /etc/pledged/pledged.conf' \
    "$root/usr/lib/systemd/system/pledged.service"; then
	echo "ok   pledged.service runs /usr/sbin/pledged with /etc/pledged/pledged.conf"
else
	echo "FAIL pledged.service ExecStart does not name the installed paths"
	fail=$((fail + 1))
fi

# The default configuration path compiled into both programs, as their
# --help shows it.
for prog in usr/sbin/pledged usr/bin/pledgectl; do
	checked=$((checked + 1))
	if "$root/$prog" --help 2>&1 | grep -qF /etc/pledged/pledged.conf; then
		echo "ok   /$prog defaults to /etc/pledged/pledged.conf"
	else
		echo "FAIL /$prog --help does not show /etc/pledged/pledged.conf"
		fail=$((fail + 1))
	fi
done

# The installed pages are the ones that render cleanly.
for page in man8/pledged.8 man1/pledgectl.1 man5/pledged.conf.5; do
	checked=$((checked + 1))
	if cmp -s "$root/usr/share/man/$page" "$src/contrib/man/${page#*/}"; then
		echo "ok   /usr/share/man/$page is contrib/man/${page#*/}"
	else
		echo "FAIL /usr/share/man/$page differs from the source"
		fail=$((fail + 1))
	fi
done

if [ "$fail" -ne 0 ]; then
	echo "install: $fail of $checked checks failed"
	exit 1
fi
echo "install: all $checked checks passed"
