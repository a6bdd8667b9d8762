# Shared by the tests/integration/imap_*.sh end-to-end tests: a private
# dovecot (contrib/testenv/dovecot.sh) in $t/dc, a key pair, a
# configuration, and helpers to deliver mail and to check results.  Source
# it from bash after nothing else: it sources common.bash.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
server_start dovecot "$t/dc"
on_exit '[ -z "${daemon_pid:-}" ] || kill "$daemon_pid" 2>/dev/null || :'
. "$t/dc/env"
doveadm() { command doveadm -c "$CONF" "$@"; }

cp "$PASSWORD_FILE" "$t/imap.password"
chmod 600 "$t/imap.password"

# write_conf [extra [imap] lines...]
write_conf() {
	{
		echo "[imap]"
		echo "host = ${IMAP_HOST:-localhost}"
		echo "port = $IMAPS_PORT"
		echo "tls = implicit"
		echo "ca_file = ${IMAP_CA:-$CA_FILE}"
		echo "user = $USER"
		echo "password_file = $t/imap.password"
		echo "timeout = ${IMAP_TIMEOUT:-5}"
		for l in "$@"; do echo "$l"; done
		base_conf
	} >"$t/p.conf"
}
write_conf

# deliver FILE... into the campaign INBOX, in order (UIDs follow names).
seq_no=0
deliver() {
	local f
	for f in "$@"; do
		seq_no=$((seq_no + 1))
		local name
		name=$(printf '%010d.%06d.pledgedtest' "$(date +%s)" "$seq_no")
		cp "$f" "$MAILDIR/tmp/$name"
		chown "$MAIL_UID:$MAIL_GID" "$MAILDIR/tmp/$name"
		mv "$MAILDIR/tmp/$name" "$MAILDIR/new/$name"
	done
}

# sample: the sample campaign mailbox into $t/mail, expectations in
# $t/expected (one "NAME DECISION" line per message, in UID order).
sample() {
	sh "$PLEDGED_SOURCE_DIR/contrib/testenv/sample-mail.sh" "$PLEDGECTL" \
	    "$t/p.conf" "$t/mail" >"$t/expected"
}


# The decisions recorded for mailbox $1, one "outcome[/reason][ phase N]"
# per UID in UID order.
decisions() {
	sql "SELECT outcome || coalesce('/' || reason, '') ||
	    coalesce(' phase ' || phase, '') FROM audit WHERE mailbox = '$1'
	    ORDER BY uid"
}
expected_decisions() {
	sed 's/^[^ ]* //' "$t/expected"
}
# UIDs of mailbox $1 that carry keyword $2.
uids_with() {
	doveadm fetch -u "$USER" 'uid flags' mailbox "$1" 2>/dev/null |
	    awk -v kw="$2" '/^uid:/ { uid = $2 } /^flags:/ { for (i = 2; i <= NF; i++) if ($i == kw) print uid }'
}
count_in() {
	doveadm search -u "$USER" mailbox "$1" all 2>/dev/null | wc -l
}

# Start the stopped dovecot again on the same configuration and ports,
# waiting until it answers (ports may linger a moment after a stop).
dc_start_again() {
	wait_for 10 dovecot -c "$CONF" 2>/dev/null || return 1
	wait_for 5 eval '(exec 3<>"/dev/tcp/127.0.0.1/$IMAPS_PORT") 2>/dev/null'
}
