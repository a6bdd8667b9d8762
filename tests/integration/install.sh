#!/bin/bash
# "cmake --install" with the package's paths (prefix /usr, /etc, /var,
# /run) into a staging root puts every file where the package and the
# manual pages say: binaries, the three manual pages, the systemd units,
# the sample configuration in /etc (not /usr/etc), the SQL files.  The
# staged daemon was built with /etc/pledged/pledged.conf as its default.
#
# Configures and builds a separate tree in a temporary directory, so the
# build under test keeps its own settings.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
src=$PLEDGED_SOURCE_DIR
tmp=$t
nsql=$(cd "$src/sql" && find . -type f ! -name '.*' ! -name README | wc -l)
plan $((16 + nsql + 4 + 1 + 2 + 2 + 3))

echo "install: configuring and building with prefix /usr in $tmp/build"
if ! cmake -S "$src" -B "$tmp/build" -DBUILD_TESTING=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
    -DCMAKE_INSTALL_LOCALSTATEDIR=/var -DCMAKE_INSTALL_RUNSTATEDIR=/run \
    >"$tmp/log" 2>&1 ||
    ! cmake --build "$tmp/build" -j"$(nproc)" >>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	fatal "configure or build"
fi
root=$tmp/root
if ! DESTDIR=$root cmake --install "$tmp/build" >>"$tmp/log" 2>&1; then
	cat "$tmp/log"
	fatal "cmake --install"
fi

expect() { # path under the staging root, test(1) flag
	check "$1 (test $2)" test "$2" "$root$1"
}

expect /usr/sbin/pledged -x
expect /usr/bin/pledgectl -x
expect /usr/share/man/man8/pledged.8.gz -f
expect /usr/share/man/man1/pledgectl.1.gz -f
expect /usr/share/man/man5/pledged.conf.5.gz -f
expect /usr/share/doc/pledged/copyright -f
expect /usr/share/doc/pledged/changelog.gz -f
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
(cd "$src/sql" && find . -type f ! -name '.*' ! -name README | sort) >"$tmp/sql"
while read -r f; do
	expect "/usr/share/pledged/sql/${f#./}" -f
done <"$tmp/sql"

# Nothing may land under /usr/etc, /usr/var or /usr/run: that is what a
# relative sysconfdir with prefix /usr does.
absent() {
	[ ! -e "$root$1" ] && return 0
	find "$root$1" | sed 's/^/    /'
	return 1
}
for d in /usr/etc /usr/var /usr/run /usr/local; do
	check "nothing under $d" absent "$d"
done

# The units point at the installed daemon and configuration.
check "pledged.service runs /usr/sbin/pledged with /etc/pledged/pledged.conf" \
    grep -qxF 'ExecStart=/usr/sbin/pledged --config /etc/pledged/pledged.conf' \
    "$root/usr/lib/systemd/system/pledged.service"

# The default configuration path compiled into both programs, as their
# --help shows it.
default_conf() { "$root/$1" --help 2>&1 | grep -qF /etc/pledged/pledged.conf; }
for prog in usr/sbin/pledged usr/bin/pledgectl; do
	check "/$prog defaults to /etc/pledged/pledged.conf" default_conf "$prog"
done

# A default build has no test hooks: no variable makes it kill itself.
no_hooks() { ! grep -qaF PLEDGED_FAULT "$root/$1"; }
for prog in usr/sbin/pledged usr/bin/pledgectl; do
	check "/$prog has no fault hooks" no_hooks "$prog"
done

# The installed pages (compressed, as Debian wants) are the ones that
# render cleanly.
same_page() { zcat "$root/usr/share/man/$1.gz" | cmp -s - "$src/contrib/man/${1#*/}"; }
for page in man8/pledged.8 man1/pledgectl.1 man5/pledged.conf.5; do
	check "/usr/share/man/$page.gz is contrib/man/${page#*/}" same_page "$page"
done
finish
