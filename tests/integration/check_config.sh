#!/bin/bash
# pledged --check-config end to end: for each misconfiguration, the exact
# text on standard error and the exit code (0 ok, 78 configuration, 77
# permission, 66 a file that does not exist), as pledged(8) says.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 19
dir=$t

# exits_with WANT_STATUS WANT_STDERR CONFIG: WANT_STDERR is the whole of
# standard error (lines joined by '|'), or "" for nothing at all.
exits_with() {
	local want=$1 text=$2 conf=$3 rc=0 got
	"$PLEDGED" --config "$conf" --check-config >"$dir/out" 2>"$dir/err" ||
	    rc=$?
	got=$(paste -sd'|' "$dir/err")
	if [ "$rc" -ne "$want" ]; then
		echo "    exit $rc, want $want:"
		sed 's/^/    /' "$dir/err"
		return 1
	elif [ "$got" != "$text" ]; then
		echo "    stderr is:"
		echo "      $got"
		echo "    want:"
		echo "      $text"
		return 1
	fi
}
# expect NAME WANT_STATUS WANT_STDERR CONFIG
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
public_keys = $pub
CONF
g=$dir/good.conf

expect good 0 "" "$g"
check "good: stdout is '$g: ok'" grep -qxF "$g: ok" "$dir/out"

{ cat "$g"; printf 'colour = blue\n'; } >"$dir/unknown.conf"
line=$(wc -l <"$dir/unknown.conf")
expect unknown-key 78 "$dir/unknown.conf:$line: unknown key 'colour' in [tokens]" \
	"$dir/unknown.conf"

expect missing-config 66 "$dir/absent.conf: No such file or directory" \
	"$dir/absent.conf"

sed '/^\[tokens\]/,$d' "$g" >"$dir/notokens.conf"
expect missing-key 78 "$dir/notokens.conf: [tokens] campaign is required|$dir/notokens.conf: [tokens] public_keys (or secret_key_file) is required" \
	"$dir/notokens.conf"

# A digest needs a way out: [notify] to without [smtp] is a mistake.
{ cat "$g"; printf '[notify]\nto = org@example.org\n'; } >"$dir/notify.conf"
expect notify-without-smtp 78 "$dir/notify.conf: [smtp] host is required|$dir/notify.conf: [smtp] from is required" \
	"$dir/notify.conf"

# The sample's placeholder keys are errors, named as such.
sed "s#^public_keys = .*#public_keys = k4.public.REPLACE-WITH-YOUR-PUBLIC-KEY, k4.public.AN-OLDER-KEY-DURING-ROTATION#" "$g" >"$dir/placeholder.conf"
expect placeholder-key 78 "$dir/placeholder.conf:12: [tokens] public_keys: 'k4.public.REPLACE-WITH-YOUR-PUBLIC-KEY' is the sample's placeholder: paste the public_keys line that pledgectl keygen printed|$dir/placeholder.conf:12: [tokens] public_keys: 'k4.public.AN-OLDER-KEY-DURING-ROTATION' is the sample's placeholder: paste the public_keys line that pledgectl keygen printed" \
	"$dir/placeholder.conf"
sed "s#^public_keys = .*#public_keys = k4.public.AAAA#" "$g" >"$dir/badkey.conf"
expect bad-key 78 "$dir/badkey.conf:12: [tokens] public_keys: 'k4.public.AAAA' is not a valid k4.public PASERK" \
	"$dir/badkey.conf"

# require_dmarc without authserv_id would hold every pledge.
{ cat "$g"; printf 'require_dmarc = yes\n'; } >"$dir/dmarc.conf"
expect dmarc-without-authserv-id 78 "$dir/dmarc.conf:13: require_dmarc = yes needs [imap] authserv_id (the id your mail server writes in Authentication-Results); without it every pledge would be held for review" \
	"$dir/dmarc.conf"
sed 's#^\[imap\]#[imap]\nauthserv_id = mx.example.org#' "$dir/dmarc.conf" >"$dir/dmarc-ok.conf"
expect dmarc-with-authserv-id 0 "" "$dir/dmarc-ok.conf"

# A secret file: mode, then a missing one (FILE:LINE and the key).
chmod 640 "$dir/imap.password"
expect group-readable 77 \
	"$g:5: [imap] password_file: $dir/imap.password: readable by group or others (mode 0640); chmod 600 it" \
	"$g"
rm "$dir/imap.password"
expect missing-password 66 \
	"$g:5: [imap] password_file: $dir/imap.password: No such file or directory" \
	"$g"
printf 'secret\n' >"$dir/imap.password"
chmod 600 "$dir/imap.password"

# [smtp] is checked only where pledged uses it: with auto_confirm.
cat >>"$g" <<CONF
secret_key_file = $dir/k.key
[smtp]
host = smtp.example.org
user = pledges@example.org
password_file = $dir/smtp.password
from = NoMusicForICE <pledges@example.org>
CONF
expect smtp-unused 0 "" "$g"
sed 's#^secret_key_file#auto_confirm = yes\nsecret_key_file#' "$g" >"$dir/auto.conf"
expect smtp-used-missing-password 66 \
	"$dir/auto.conf:18: [smtp] password_file: $dir/smtp.password: No such file or directory" \
	"$dir/auto.conf"
printf 'secret\n' >"$dir/smtp.password"
chmod 600 "$dir/smtp.password"
expect smtp-used 0 "" "$dir/auto.conf"
grep -v '^host = smtp' "$dir/auto.conf" >"$dir/nohost.conf"
expect smtp-used-no-host 78 "$dir/nohost.conf: [smtp] host is required" \
	"$dir/nohost.conf"

# Every template placeholder is checked where the daemon sends requests.
mkdir "$dir/tpl"
printf 'Subject: Please confirm, {nmae}\n\nHello,\n\n{token}\n' >"$dir/tpl/request-phase1.txt"
{ cat "$dir/auto.conf"; printf 'templates = %s\n' "$dir/tpl"; } >"$dir/tpl.conf"
expect template-placeholder 78 \
	"pledged: $dir/tpl/request-phase1.txt:1: unknown placeholder {nmae} (known: {name} {address} {token} {ref} {expires} {campaign} {phase}; '{{' for a brace)" \
	"$dir/tpl.conf"
{ cat "$dir/auto.conf"; printf 'templates = %s\n' "$dir/none"; } >"$dir/notpl.conf"
expect template-dir-missing 66 \
	"$dir/notpl.conf:20: [smtp] templates: $dir/none: No such file or directory" \
	"$dir/notpl.conf"

# A TLS mode that does not fit the port: a warning naming the cause.
sed 's#^\[imap\]#[imap]\ntls = implicit\nport = 143#' "$dir/good.conf" >"$dir/tls.conf"
sed -i '/^\[smtp\]/,$d; /^secret_key_file/d' "$dir/tls.conf"
expect implicit-tls-to-143 0 \
	"$dir/tls.conf:3: warning: port 143 is plain IMAP, upgraded with STARTTLS: set tls = starttls, or port = 993 for implicit TLS" \
	"$dir/tls.conf"

finish
