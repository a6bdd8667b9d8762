#!/bin/bash
# pledged --check-config end to end: exit codes 0, 78 and 77 and what the
# user reads on standard error for each.
set -u
: "${PLEDGED:?path of the pledged binary}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/pledged-checkconfig-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail=0

# expect NAME WANT_STATUS WANT_STDERR_SUBSTRING CONFIG
expect() {
	local name=$1 want=$2 pattern=$3 conf=$4 rc
	"$PLEDGED" --config "$conf" --check-config >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want" >&2
		cat "$dir/err" >&2
		fail=1
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$dir/err"; then
		echo "FAIL $name: stderr lacks '$pattern':" >&2
		cat "$dir/err" >&2
		fail=1
	else
		echo "ok $name"
	fi
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
if ! grep -qxF "$dir/good.conf: ok" "$dir/out"; then
	echo "FAIL good: stdout is not '$dir/good.conf: ok'" >&2
	fail=1
fi

{ cat "$dir/good.conf"; printf 'colour = blue\n'; } >"$dir/unknown.conf"
line=$(wc -l <"$dir/unknown.conf")
expect unknown-key 78 "$dir/unknown.conf:$line: unknown key 'colour' in [tokens]" \
	"$dir/unknown.conf"

expect missing-file 78 "$dir/absent.conf: No such file or directory" \
	"$dir/absent.conf"

sed '/^\[tokens\]/,$d' "$dir/good.conf" >"$dir/notokens.conf"
expect missing-key 78 "$dir/notokens.conf: [tokens] campaign is required" \
	"$dir/notokens.conf"

# A digest needs a way out: [notify] to without [smtp] is a mistake.
{ cat "$dir/good.conf"; printf '[notify]\nto = org@example.org\n'; } >"$dir/notify.conf"
expect notify-without-smtp 78 "$dir/notify.conf: [smtp] host is required" \
	"$dir/notify.conf"

chmod 640 "$dir/imap.password"
expect group-readable 77 \
	"$dir/imap.password: readable by group or others (mode 0640); chmod 600 it" \
	"$dir/good.conf"

rm "$dir/imap.password"
expect missing-password 78 "$dir/imap.password: No such file or directory" \
	"$dir/good.conf"

exit $fail
