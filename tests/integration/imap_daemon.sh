#!/bin/bash
# The long-running daemon: IDLE sees new mail within 5 seconds; SIGTERM
# ends it with 0; a restarted server is reconnected to and nothing is
# lost; a mailbox deleted and recreated (new UIDVALIDITY) with the same
# messages counts nothing twice.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"

mk() { printf 'From: %s@artists.example\r\nSubject: I pledge\r\nMessage-ID: <%s@x>\r\n\r\nin\r\n' "$1" "$1" >"$t/$1.eml"; }
rows() { sql 'SELECT count(*) FROM audit' 2>/dev/null || echo 0; }
has_rows() { [ "$(rows)" -ge "$1" ]; }
wait_rows() { wait_for "$2" has_rows "$1"; }
# The daemon logs "poll: idling" (--verbose) as it enters IDLE, and
# nothing more until the server speaks: IDLE after N rows are recorded is
# that line last, with N rows.
idle_after() {
	has_rows "$1" && tail -n 1 "$t/daemon.log" | grep -q 'poll: idling$'
}
has_log() { grep -q "$1" "$t/daemon.log"; }
wait_log() { wait_for "$2" has_log "$1"; }
plan 16

mk one; deliver "$t/one.eml"
"$PLEDGED" --config "$t/p.conf" --verbose 2>"$t/daemon.log" &
daemon_pid=$!
check "daemon takes the backlog" wait_rows 1 10
check "daemon enters IDLE" wait_for 10 idle_after 1
mk two; deliver "$t/two.eml"
check "IDLE: new mail recorded within 5 s" wait_rows 2 5
check "IDLE was used" grep -qi 'idling' "$t/daemon.log" || cat "$t/daemon.log" >&2

# dovecot restarted under the daemon: it reconnects, nothing is lost.
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/dovecot.sh" stop "$t/dc"
dc_start_again
mk three; deliver "$t/three.eml"
check "after a server restart: recovered" wait_rows 3 40

# SIGHUP re-reads the configuration; a broken one is refused and the
# running one kept.
kill -HUP "$daemon_pid"
check "SIGHUP: reloaded" wait_log 'configuration reloaded' 10
cp "$t/p.conf" "$t/p.conf.good"
echo "bogus = 1" >>"$t/p.conf"
kill -HUP "$daemon_pid"
check "SIGHUP with a broken file: kept running" wait_log 'not reloaded, keeping' 10
mv "$t/p.conf.good" "$t/p.conf"
mk four; deliver "$t/four.eml"
check "after the reloads: still recording" wait_rows 4 10
check "back in IDLE after the last message" wait_for 10 idle_after 4

start=$(date +%s)
kill -TERM "$daemon_pid"
rc=0; wait "$daemon_pid" || rc=$?
daemon_pid=
check "SIGTERM: exit 0" test "$rc" = 0
check "SIGTERM ends IDLE at once" test $(( $(date +%s) - start )) -le 3
check "each message once" test "$(sql 'SELECT count(*) FROM audit')" = 4

# A new mailbox under the old name, with the same messages.
write_conf "mailbox = Campaign"
doveadm mailbox create -u "$USER" Campaign
for m in one two three four; do doveadm save -u "$USER" -m Campaign <"$t/$m.eml"; done
"$PLEDGED" --config "$t/p.conf" --once 2>/dev/null
pledges=$(sql "SELECT count(*) FROM pledge")
uv1=$(sql "SELECT uidvalidity FROM mailbox_state WHERE mailbox = 'Campaign'")
doveadm mailbox delete -u "$USER" Campaign
doveadm mailbox create -u "$USER" Campaign
for m in one two three four; do doveadm save -u "$USER" -m Campaign <"$t/$m.eml"; done
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>/dev/null || rc=$?
uv2=$(sql "SELECT uidvalidity FROM mailbox_state WHERE mailbox = 'Campaign'")
check "recreated mailbox: exit 0" test "$rc" = 0
check "recreated mailbox: new UIDVALIDITY seen" test "$uv1" != "$uv2"
check "recreated mailbox: no pledge counted twice" test "$(sql "SELECT count(*) FROM pledge")" = "$pledges"
check "recreated mailbox: copies recorded as duplicates" \
    test "$(sql "SELECT count(*) FROM audit WHERE mailbox = 'Campaign' AND uidvalidity = $uv2 AND reason = 'duplicate'")" = 4
finish
