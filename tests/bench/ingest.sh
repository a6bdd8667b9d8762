#!/bin/bash
# Benchmark: pledged ingest over a generated mailbox of N messages (default
# 10000) and of N/10, reporting messages/s, MB/s and peak RSS for each, so
# that RSS can be seen to stay flat as the input grows tenfold.
#
#   tests/bench/ingest.sh [BUILD_DIR] [N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
n=${2:-10000}
t=$(mktemp -d /tmp/pledged-bench-XXXXXX)
trap 'rm -rf "$t"' EXIT

pub=$("$build/pledgectl" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')
for db in small large; do
cat >"$t/$db.conf" <<CONF
[store]
database = $t/$db.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
[daemon]
lock_file = $t/lock
CONF
done
echo "bench: generating $n messages" >&2
bash "$here/gen-mailbox.sh" "$build/pledgectl" "$t/large.conf" "$t/mail" "$n"
cp "$t/large.db" "$t/small.db"
mkdir "$t/mail-small"
ls "$t/mail" | head -n $((n / 10)) | (cd "$t/mail" && xargs cp -t "$t/mail-small")

run() { # name conf dir
	local bytes count
	bytes=$(du -sb "$3" | cut -f1)
	count=$(ls "$3" | wc -l)
	sync
	/usr/bin/time -f '%e %M' -o "$t/time" \
	    sh -c "cd '$3' && ls | xargs '$build/pledged' --config '$2' ingest >/dev/null" || true
	read -r secs rss <"$t/time"
	awk -v n="$count" -v b="$bytes" -v s="$secs" -v r="$rss" -v name="$1" 'BEGIN {
		printf "%-6s %7d msgs %8.1f MB %7.2f s %8.0f msgs/s %7.1f MB/s peak RSS %6.1f MiB\n",
		    name, n, b / 1e6, s, n / s, b / 1e6 / s, r / 1024 }'
}
run small "$t/small.conf" "$t/mail-small"
run large "$t/large.conf" "$t/mail"
