#!/bin/bash
# pledged --check-config end to end: exit codes 0, 78 and 77 and what the
# user reads on standard error for each.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 7
dir=$t

# exits_with WANT_STATUS WANT_STDERR_SUBSTRING CONFIG
exits_with() {
	local want=$1 pattern=$2 conf=$3 rc=0
	"$PLEDGED" --config "$conf" --check-config >"$dir/out" 2>"$dir/err" ||
	    rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "    exit $rc, want $want:"
		sed 's/^/    /' "$dir/err"
		return 1
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$dir/err"; then
		echo "    stderr lacks '$pattern':"
		sed 's/^/    /' "$dir/err"
		return 1
	fi
}
# expect NAME WANT_STATUS WANT_STDERR_SUBSTRING CONFIG
expect() {
	local name=$1
	shift
	check "$name" exits_with "$@"
}

printf 'secret\n' >"$dir/imap.password"
chmod 600 "$dir/imap.password"
cat >"$dir/good.conf" <<CONF
# A minimal configuration for the polling daemon.
[imap]
host = imap.example.org
user = pledges@example.org
password_file = $dir/imap.password

[store]
database = $dir/pledges.db

[tokens]
campaign = nomusicforice
public_keys = k4.public.AAAA
CONF

expect good 0 "" "$dir/good.conf"
check "good: stdout is '$dir/good.conf: ok'" grep -qxF "$dir/good.conf: ok" "$dir/out"

{ cat "$dir/good.conf"; printf 'colour = blue\n'; } >"$dir/unknown.conf"
line=$(wc -l <"$dir/unknown.conf")
expect unknown-key 78 "$dir/unknown.conf:$line: unknown key 'colour' in [tokens]" \
	"$dir/unknown.conf"

expect missing-file 78 "$dir/absent.conf: No such file or directory" \
	"$dir/absent.conf"

sed '/^\[tokens\]/,$d' "$dir/good.conf" >"$dir/notokens.conf"
expect missing-key 78 "$dir/notokens.conf: [tokens] campaign is required" \
	"$dir/notokens.conf"

chmod 640 "$dir/imap.password"
expect group-readable 77 \
	"$dir/imap.password: readable by group or others (mode 0640); chmod 600 it" \
	"$dir/good.conf"

rm "$dir/imap.password"
expect missing-password 78 "$dir/imap.password: No such file or directory" \
	"$dir/good.conf"

finish
