# Shared by the shell tests (source it from bash): a temporary directory
# $t removed at exit, check and finish for the counts, and a key pair with
# the configuration every pledged command needs.
set -eu
t=$(mktemp -d /tmp/pledged-it-XXXXXX)
chmod 755 "$t" # dovecot's mail user must be able to traverse it
pass=0 fail=0
at_exit=:
trap 'eval "$at_exit"; rm -rf "$t"' EXIT

# check DESCRIPTION COMMAND...: count a pass, or say what failed.
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $what" >&2
		fail=$((fail + 1))
	fi
}

# The closing line ctest's output is read for; fails the test on failure.
finish() {
	echo "$(basename "$0" .sh): $pass passed, $fail failed"
	test "$fail" = 0
}

# A key pair in $t/k.key; the public key in $pub.
pub=$("$PLEDGECTL" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')

# The [store], [tokens] and [daemon] sections, on standard output.
base_conf() {
	cat <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
[daemon]
lock_file = $t/lock
log = stderr
poll_interval = 1
CONF
}

sql() { sqlite3 "$t/p.db" "$@"; }
# The ledger as text: the whole store but its record of passes
# (bookkeeping that every run adds to, by design).
ledger_dump() { sql .dump | grep -v '^INSERT INTO pass '; }
