#!/bin/bash
# Benchmark: `pledged --once` against mbsync (isync) on the same mailbox of
# a private dovecot over IMAPS, as the performance goal is stated: the
# whole mailbox fetched once, wall time pledged/mbsync (target <= 1.0, aim
# <= 0.75), pledged's peak RSS (target <= 64 MiB, aim <= 32 MiB) flat when
# the mailbox grows tenfold, and a no-op pass (nothing new) flat with
# mailbox size.
#
#   tests/bench/imap.sh [BUILD_DIR] [N] [PAIRS]
#
# N (default 10000) messages with the DESIGN.md mix (1.7 GB at 10000)
# go to the campaign user's INBOX, the first N/10 of them to artist1's,
# which serves as the small mailbox of the tenfold comparison.  PAIRS
# (default 3) mbsync/pledged runs alternate on the large mailbox, each
# into a fresh maildir or a fresh database, so that every run does the
# whole work; the median ratio is reported.  pledged runs with
# after = keep (it only reads, like mbsync), and once more with
# after = flag, which adds a STORE per batch.  mbsync runs with
# "FSync no"; pledged's store keeps synchronous=FULL.
#
# Must run as root (dovecot's master does).  Everything is made under
# /tmp and removed at the end; dovecot is stopped by its PID.  Not run by
# ctest: a run at 10000 takes about 5 minutes and 4 GB of /tmp.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-10000}
pairs=${3:-3}
small=$((n / 10))
[ "$(id -u)" = 0 ] || { echo "imap.sh: must run as root" >&2; exit 1; }
command -v mbsync >/dev/null || { echo "imap.sh: mbsync (isync) missing" >&2; exit 1; }

t=$(mktemp -d /tmp/pledged-bench-imap-XXXXXX)
chmod 755 "$t"
cleanup() {
	sh "$src/contrib/testenv/dovecot.sh" stop "$t/dc" >/dev/null 2>&1 || :
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PLEDGED_TEST_OWNER_PID=$$ sh "$src/contrib/testenv/dovecot.sh" start "$t/dc" >/dev/null
. "$t/dc/env"
doveadm() { command doveadm -c "$CONF" "$@"; }

pub=$("$build/pledgectl" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')
# The artists' users share one password; pledged wants a 0600 file.
cp "$PASSWORD_FILE" "$t/campaign.password"
printf '%s\n' "$ARTIST_PASSWORD" >"$t/artist1.password"
chmod 600 "$t"/*.password

# conf NAME USER AFTER: a pledged configuration with its own database.
conf() {
	cat >"$t/$1.conf" <<CONF
[imap]
host = localhost
port = $IMAPS_PORT
tls = implicit
ca_file = $CA_FILE
user = $2
password_file = $t/$2.password
after = $3
[store]
database = $t/$1.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
[daemon]
lock_file = $t/$1.lock
log = stderr
CONF
}
conf gen campaign keep

echo "bench: generating $n messages" >&2
bash "$here/gen-mailbox.sh" "$build/pledgectl" "$t/gen.conf" "$t/gen" "$n" 200

# deliver USER COUNT: the first COUNT generated messages into USER's new/,
# written in tmp/ and renamed, as an MDA does; names sort in order so
# that UIDs follow them.
deliver() {
	local md=$MAIL_ROOT/$1
	ls "$t/gen" | head -n "$2" | (cd "$t/gen" && xargs cp -t "$md/tmp")
	chown -R "$MAIL_UID:$MAIL_GID" "$md/tmp"
	perl -e 'my ($md, $now) = @ARGV;
		for my $f (sort glob("$md/tmp/*.eml")) {
			my ($i) = $f =~ m{/(\d+)\.eml$};
			rename($f, sprintf("%s/new/%010d.%07d.bench", $md, $now, $i))
			    or die "rename $f: $!";
		}' "$md" "$(date +%s)"
}
echo "bench: delivering" >&2
deliver campaign "$n"
deliver artist1 "$small"
bytes=$(du -sb "$t/gen" | cut -f1)
rm -rf "$t/gen"
# One scan by dovecot, and the sizes and dates cached, so that neither
# tool pays for the first look at the maildir; it also reads every file
# once, so both find the page cache warm.
for u in campaign artist1; do
	doveadm fetch -u "$u" 'uid flags size.virtual date.received' \
	    mailbox INBOX all >/dev/null
done

cat >"$t/mbsyncrc" <<RC
FSync no

IMAPAccount bench
Host localhost
Port $IMAPS_PORT
User $USER
PassCmd "cat $PASSWORD_FILE"
SSLType IMAPS
CertificateFile $CA_FILE

IMAPStore remote
Account bench

MaildirStore local
Path $t/out/
Inbox $t/out/INBOX

Channel bench
Far :remote:INBOX
Near :local:INBOX
Sync Pull
Create Near
SyncState *
RC

# measure OUT COMMAND...: "seconds peak-KiB" into OUT; fails with the
# command.
measure() {
	local out=$1
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$out" "$@" >"$t/last.log" 2>&1 || {
		cat "$t/last.log" >&2
		return 1
	}
	tail -n 1 "$out" >"$out.1" && mv "$out.1" "$out"
}
run_mbsync() {
	rm -rf "$t/out"
	mkdir -p "$t/out"
	measure "$t/m.$1" mbsync -c "$t/mbsyncrc" -a
	local got
	got=$(find "$t/out/INBOX/new" "$t/out/INBOX/cur" -type f | wc -l)
	[ "$got" = "$n" ] || { echo "imap.sh: mbsync fetched $got of $n" >&2; exit 1; }
}
# run_pledged NAME OUT: a full pass with configuration NAME on a fresh
# database.
run_pledged() {
	rm -f "$t/$1.db" "$t/$1.db-wal" "$t/$1.db-shm" "$t/$1.db-journal"
	measure "$2" "$build/pledged" --config "$t/$1.conf" --once
}
decided() {
	sqlite3 "$t/$1.db" 'SELECT count(*) FROM audit'
}

conf large campaign keep
conf small artist1 keep
conf flag campaign flag

printf 'bench: %d messages, %.1f MB of messages; %d pairs\n' \
    "$n" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$pairs"
for ((k = 1; k <= pairs; k++)); do
	run_mbsync "$k"
	run_pledged large "$t/p.$k"
	got=$(decided large)
	[ "$got" = "$n" ] || { echo "imap.sh: pledged decided $got of $n" >&2; exit 1; }
	read -r ms mr <"$t/m.$k"
	read -r ps pr <"$t/p.$k"
	awk -v k="$k" -v ms="$ms" -v mr="$mr" -v ps="$ps" -v pr="$pr" 'BEGIN {
		printf "pair %d: mbsync %7.2f s %6.1f MiB   pledged %7.2f s %6.1f MiB   ratio %.3f\n",
		    k, ms, mr / 1024, ps, pr / 1024, ps / ms }'
	echo "$ps $ms" >>"$t/ratios"
done

# No-op passes: the same database again, nothing new.
measure "$t/noop.large" "$build/pledged" --config "$t/large.conf" --once
run_pledged small "$t/full.small"
[ "$(decided small)" = "$small" ] || { echo "imap.sh: small run incomplete" >&2; exit 1; }
measure "$t/noop.small" "$build/pledged" --config "$t/small.conf" --once
# Last, since it changes the mailbox: after = flag on a fresh database.
run_pledged flag "$t/full.flag"
[ "$(decided flag)" = "$n" ] || { echo "imap.sh: flag run incomplete" >&2; exit 1; }
flagged=$(doveadm search -u "$USER" mailbox INBOX keyword '$Pledged' | wc -l)
[ "$flagged" = "$n" ] || { echo "imap.sh: $flagged of $n flagged" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio=$(awk '{ print $1 / $2 }' "$t/ratios" | median)
mmed=$(awk '{ print $2 }' "$t/ratios" | median)
pmed=$(awk '{ print $1 }' "$t/ratios" | median)
rss_large=$(for ((k = 1; k <= pairs; k++)); do cut -d' ' -f2 "$t/p.$k"; done | median)
read -r _ rss_small <"$t/full.small"
read -r fs_small _ <"$t/full.small"
read -r nl_s nl_r <"$t/noop.large"
read -r ns_s ns_r <"$t/noop.small"
read -r fl_s fl_r <"$t/full.flag"

echo
printf '%-40s %12s %12s\n' "measure" "N=$small" "N=$n"
awk -v a="$fs_small" -v b="$pmed" 'BEGIN { printf "%-40s %10.2f s %10.2f s\n", "pledged --once, after = keep (median)", a, b }'
awk -v b="$mmed" 'BEGIN { printf "%-40s %12s %10.2f s\n", "mbsync, FSync no (median)", "-", b }'
awk -v b="$ratio" 'BEGIN { printf "%-40s %12s %12.3f\n", "ratio pledged/mbsync (median of pairs)", "-", b }'
awk -v b="$fl_s" 'BEGIN { printf "%-40s %12s %10.2f s\n", "pledged --once, after = flag", "-", b }'
awk -v a="$rss_small" -v b="$rss_large" 'BEGIN { printf "%-40s %8.1f MiB %8.1f MiB\n", "pledged peak RSS (full pass)", a / 1024, b / 1024 }'
awk -v b="$fl_r" 'BEGIN { printf "%-40s %12s %8.1f MiB\n", "pledged peak RSS, after = flag", "-", b / 1024 }'
awk -v a="$ns_s" -v b="$nl_s" 'BEGIN { printf "%-40s %10.2f s %10.2f s\n", "no-op pledged --once", a, b }'
awk -v a="$ns_r" -v b="$nl_r" 'BEGIN { printf "%-40s %8.1f MiB %8.1f MiB\n", "no-op peak RSS", a / 1024, b / 1024 }'
