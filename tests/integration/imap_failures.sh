#!/bin/bash
# What goes wrong with servers: wrong CA and wrong host name are refused
# before LOGIN with a clear reason and nothing recorded; a bad password is
# 77; the wrong TLS mode for a port is named; a server that stops
# answering costs one timeout (75), not a hang; a
# server that is down is 69; two runs at once: one exits 75 at once.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"

printf 'From: a@artists.example\r\nSubject: I pledge\r\nMessage-ID: <a@x>\r\n\r\nin\r\n' >"$t/a.eml"
deliver "$t/a.eml"
logins() { grep -c 'Login: user=<' "$LOG" 2>/dev/null || true; }
plan 20

# Wrong CA.
IMAP_CA=$OTHER_CA_FILE write_conf
before=$(logins)
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "wrong CA: exit 69" test "$rc" = 69
check "wrong CA: the reason is named" grep -qi 'certificate' "$t/err"
check "wrong CA: no LOGIN sent" test "$(logins)" = "$before"
check "wrong CA: nothing recorded" test "$(sql 'SELECT count(*) FROM audit' 2>/dev/null || echo 0)" = 0

# Wrong host name: the test CA's certificate for another name.
IMAP_HOST=$WRONG_NAME_HOST write_conf
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "wrong name: refused" test "$rc" = 69
check "wrong name: the reason is named" grep -qiE 'certificate|name' "$t/err"
check "wrong name: no LOGIN sent" test "$(logins)" = "$before"

# The wrong TLS mode for the port: the log names the likely cause.
IMAP_TIMEOUT=2 write_conf
sed -i "s/^port = .*/port = $IMAP_PORT/" "$t/p.conf"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "implicit TLS to the STARTTLS port: not 0" test "$rc" != 0
check "implicit TLS to the STARTTLS port: the cause named" grep -q "if this port speaks plain IMAP and offers STARTTLS (usually 143), set tls = starttls" "$t/err"
IMAP_TIMEOUT=2 write_conf
sed -i "s/^tls = .*/tls = starttls/" "$t/p.conf"
rc=0; timeout 60 "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "STARTTLS to the implicit-TLS port: not 0" test "$rc" != 0
check "STARTTLS to the implicit-TLS port: the cause named" grep -q "expects TLS from the first byte (usually port 993) sends no greeting: if this is one, set tls = implicit" "$t/err"

# A server that stops answering: one timeout, exit 75, nothing recorded.
IMAP_TIMEOUT=2 write_conf
kill -STOP "$DOVECOT_PID"
pkill -STOP -P "$DOVECOT_PID" 2>/dev/null || :
start=$(date +%s)
rc=0; timeout 60 "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
took=$(( $(date +%s) - start ))
pkill -CONT -P "$DOVECOT_PID" 2>/dev/null || :
kill -CONT "$DOVECOT_PID"
check "stopped server: exit 75 (got $rc)" test "$rc" = 75
check "stopped server: no hang (${took}s)" test "$took" -le 15

# Two runs at once: the second exits 75 at once and quietly.  The first
# holds the lock (its PID in the lock file) while the stopped server
# keeps it waiting, well within its timeout.
IMAP_TIMEOUT=30 write_conf
kill -STOP "$DOVECOT_PID"
"$PLEDGED" --config "$t/p.conf" --once 2>/dev/null &
first=$!
locked_by() { [ "$(cat "$t/lock" 2>/dev/null)" = "$1" ]; }
wait_for 10 locked_by "$first" || fatal "the first run never took the lock"
rc=0; "$PLEDGED" --config "$t/p.conf" --once >"$t/out2" 2>&1 || rc=$?
kill -CONT "$DOVECOT_PID"
wait "$first" || :
check "second concurrent run exits 75" test "$rc" = 75
check "second concurrent run is quiet" test ! -s "$t/out2"

# The real run records the message once.
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err3" || rc=$?
[ "$rc" = 0 ] || cat "$t/err3" >&2
check "after all that: recorded once" test "$(sql 'SELECT count(*) FROM audit')" = 1

# Last, as failed logins slow the next ones from the same address.
# Bad password.
write_conf
echo wrong >"$t/bad.password"; chmod 600 "$t/bad.password"
sed -i "s#^password_file = .*#password_file = $t/bad.password#" "$t/p.conf"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "bad password: exit 77" test "$rc" = 77
check "bad password: never printed" sh -c "! grep -q wrong '$t/err'"
chmod 644 "$t/imap.password"
write_conf
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/err" || rc=$?
check "group-readable password file: exit 77" test "$rc" = 77
chmod 600 "$t/imap.password"

# A server that is down: 69.
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/dovecot.sh" stop "$t/dc"
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
check "server down: exit 69" test "$rc" = 69
finish
