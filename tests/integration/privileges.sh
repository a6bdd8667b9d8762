#!/bin/bash
# Who runs, and who can read what: started as root with a store that
# belongs to another user, pledged and pledgectl become that user before
# opening anything, so no file of the store belongs to root; the
# database, WAL, SHM and lock are 0600 (0660 in a setgid directory)
# whatever the umask; a lock or secret of another user is refused; the
# configuration must be a regular file; report never follows a symlink at
# its temporary.  Needs root (77 otherwise) and the user "nobody".
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 29
if [ "$(id -u)" -ne 0 ] || ! getent passwd nobody >/dev/null; then
	echo "privileges: needs root and the user nobody"
	exit 77
fi
grp=$(id -gn nobody)
mode_owner() { stat -c '%a %U' "$1"; }

# The store: a directory of nobody's; the key, nobody's too (it signs).
install -d -o nobody -g "$grp" -m 0750 "$t/var"
chown nobody "$t/k.key"
base_conf | sed -e "s#^database = .*#database = $t/var/p.db#" \
    -e "s#^lock_file = .*#lock_file = $t/var/lock#" >"$t/p.conf"
printf 'From: Artist <artist@example.org>\nSubject: I pledge\nMessage-ID: <p1@example.org>\n\nCount me in.\n' >"$t/1.eml"
chmod 644 "$t/1.eml"

# Root, with a permissive umask: the files are nobody's, 0600.
rc=0
(umask 000 && "$PLEDGED" --config "$t/p.conf" ingest "$t/1.eml") >/dev/null 2>"$t/err" || rc=$?
check "root's ingest works" test "$rc" = 0
check "database belongs to nobody, 0600" test "$(mode_owner "$t/var/p.db")" = "600 nobody"
check "lock belongs to nobody, 0600" test "$(mode_owner "$t/var/lock")" = "600 nobody"
rc=0
(umask 000 && "$PLEDGECTL" --config "$t/p.conf" stats) >"$t/out" 2>"$t/err" || rc=$?
check "root's pledgectl stats works" test "$rc" = 0
check "stats counts the pledge" grep -q 'pledged *1' "$t/out"
for f in "$t"/var/*; do
	check "$(basename "$f") is not root's" test "$(stat -c %U "$f")" = nobody
	check "$(basename "$f") is not readable by others" \
	    test "$(( 0$(stat -c %a "$f") & 7 ))" = 0
done
# And the store's owner can go on by itself (which needs the build tree
# to be reachable by that user: a clone under a 0700 directory is not).
runuser -u nobody -- test -x "$PLEDGECTL" ||
    fatal "user nobody cannot run $PLEDGECTL: make the directories above the build tree searchable (chmod o+x)"
rc=0
runuser -u nobody -- "$PLEDGECTL" --config "$t/p.conf" stats >/dev/null 2>&1 || rc=$?
check "nobody's own pledgectl stats works after root's" test "$rc" = 0

# The group model: a setgid directory gives 0660 files.
install -d -o nobody -g "$grp" -m 2770 "$t/shared"
sed "s#$t/var/#$t/shared/#" "$t/p.conf" >"$t/g.conf"
rc=0
(umask 077 && "$PLEDGED" --config "$t/g.conf" ingest "$t/1.eml") >/dev/null 2>&1 || rc=$?
check "group store: ingest works" test "$rc" = 0
check "group store: database 0660" test "$(mode_owner "$t/shared/p.db")" = "660 nobody"
check "group store: lock still 0600" test "$(mode_owner "$t/shared/lock")" = "600 nobody"

# An old database readable by everyone loses the bits on open.
chmod 0644 "$t/var/p.db"
runuser -u nobody -- "$PLEDGECTL" --config "$t/p.conf" stats >/dev/null 2>&1
check "an old 0644 database loses the bit for others" test "$(mode_owner "$t/var/p.db")" = "640 nobody"

# An upgrade: a 0644 database in a directory made setgid since becomes
# the group's 0660.
chmod 0644 "$t/shared/p.db"
"$PLEDGECTL" --config "$t/g.conf" stats >/dev/null 2>&1
check "an old 0644 database in the group's directory becomes 0660" test "$(mode_owner "$t/shared/p.db")" = "660 nobody"

# A lock that belongs to root: named with the fix, not held by others.
install -d -m 0755 "$t/rootvar"
sed -e "s#^database = .*#database = $t/rootvar/p.db#" \
    -e "s#^lock_file = .*#lock_file = $t/var/lock2#" "$t/p.conf" >"$t/l.conf"
install -m 0644 /dev/null "$t/var/lock2"
rc=0
runuser -u nobody -- "$PLEDGED" --config "$t/l.conf" ingest "$t/1.eml" >/dev/null 2>"$t/err" || rc=$?
check "a lock of root's: 73" test "$rc" = 73
check "a lock of root's: the fix is named" grep -q "lock2 belongs to root, not nobody: chown nobody: " "$t/err"

# A secret that belongs to another user is refused, 0600 or not.
sed -e "s#^database = .*#database = $t/rootvar/p.db#" "$t/p.conf" >"$t/s.conf"
chown nobody "$t/k.key"
rc=0
"$PLEDGED" --config "$t/s.conf" --check-config >/dev/null 2>"$t/err" || rc=$?
check "a 0600 key of another user: 77" test "$rc" = 77
check "a 0600 key of another user: named" grep -q "k.key: belongs to uid $(id -u nobody), not to root" "$t/err"

# --check-config as root checks the files as the store's owner.
install -m 0600 /dev/null "$t/imap.password"
echo secret >"$t/imap.password"
{ cat "$t/p.conf"; printf '[imap]\nhost = imap.example.org\nuser = u\npassword_file = %s\n' "$t/imap.password"; } >"$t/i.conf"
rc=0
"$PLEDGED" --config "$t/i.conf" --check-config >/dev/null 2>"$t/err" || rc=$?
check "a password nobody cannot read: not ok" test "$rc" != 0
check "a password nobody cannot read: named" grep -q "imap.password: Permission denied" "$t/err"
check "the check says whom it runs as" grep -q "running as nobody" "$t/err"

# The configuration must be a regular file: no spin, no block.
rc=0
timeout 10 "$PLEDGED" --config /dev/zero --check-config >/dev/null 2>"$t/err" || rc=$?
check "--config /dev/zero: 78" test "$rc" = 78
check "--config /dev/zero: not a regular file" grep -q "/dev/zero: not a regular file" "$t/err"
mkfifo "$t/fifo"
rc=0
timeout 10 "$PLEDGED" --config "$t/fifo" --check-config >/dev/null 2>"$t/err" || rc=$?
check "--config FIFO: 78" test "$rc" = 78

# report never writes through a symlink planted beside its file.
install -d -m 0777 "$t/www"
echo precious >"$t/precious"
for suffix in .tmp .XXXXXX; do ln -s "$t/precious" "$t/www/r.html$suffix"; done
rc=0
runuser -u nobody -- "$PLEDGECTL" --config "$t/p.conf" report --html "$t/www/r.html" >/dev/null 2>"$t/err" || rc=$?
check "report writes its page" test "$rc" = 0 -a -f "$t/www/r.html" -a ! -L "$t/www/r.html"
check "report followed no symlink" test "$(cat "$t/precious")" = precious
ln -sf "$t/precious" "$t/www/r.html"
runuser -u nobody -- "$PLEDGECTL" --config "$t/p.conf" report --html "$t/www/r.html" >/dev/null 2>&1
check "a symlink at FILE is replaced, not followed" test "$(cat "$t/precious")" = precious -a ! -L "$t/www/r.html"
check "no temporary left" test "$(ls "$t/www" | grep -c '^r.html.')" = 2
finish
