#!/bin/sh
# The part of contrib/package-test.sh that runs inside the throwaway
# Debian 12 root (chroot), as root, one phase per call.  Each phase prints
# "ok ..." or "FAIL ..." lines and exits with the number of failures.
#
#   package-test-root.sh install DEB        install beside Exim, check it
#   package-test-root.sh configure PORT USER  the configuration, a key
#   package-test-root.sh mail               the sample campaign, in $PT/mail
#   package-test-root.sh once               the root trap, then the timer's
#                                            command as pledged
#   package-test-root.sh organizer N        stats/list/export/report as a
#                                            member of group pledged while
#                                            the daemon writes, until N
#                                            messages are recorded
#   package-test-root.sh purge              remove, purge, what stays
#
# $PT (default /tmp/pt) holds the .deb, these scripts, the test CA and the
# IMAP password that the outer script copied in.
set -u
PT=${PT:-/tmp/pt}
conf=/etc/pledged/pledged.conf
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
as_pledged() { runuser -u pledged -- "$@"; }
as_organizer() { runuser -u organizer -- "$@"; }
mode_owner() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }

phase_install() {
	deb=$1
	if ! apt-get update >"$PT/update.log" 2>&1; then
		cat "$PT/update.log"
		bad "apt-get update in the root"
	fi
	dpkg-query -W -f='${Package}\n' | sort >"$PT/before"
	# What apt would do, said before doing it: nothing may be removed.
	apt-get install --simulate --no-install-recommends "$deb" \
	    >"$PT/simulate" 2>&1 || true
	if grep -q '^Remv ' "$PT/simulate"; then
		bad "apt would remove: $(sed -n 's/^Remv \([^ ]*\).*/\1/p' "$PT/simulate" | tr '\n' ' ')"
	else
		ok "apt's plan for the .deb removes nothing"
	fi
	if apt-get install -y --no-remove --no-install-recommends "$deb" \
	    >"$PT/install.log" 2>&1; then
		ok "apt-get install --no-remove ./$(basename "$deb")"
	else
		cat "$PT/install.log"
		bad "apt-get install failed"
		return
	fi
	dpkg-query -W -f='${Package}\n' | sort >"$PT/after"
	gone=$(comm -23 "$PT/before" "$PT/after" | tr '\n' ' ')
	if [ -z "$gone" ]; then
		ok "no package was removed ($(comm -13 "$PT/before" "$PT/after" | wc -l) added)"
	else
		bad "packages removed: $gone"
	fi
	if dpkg-query -W -f='${Status}' exim4-daemon-light 2>/dev/null |
	    grep -q 'ok installed' &&
	    grep -q "dc_eximconfig_configtype='local'" \
		/etc/exim4/update-exim4.conf.conf; then
		ok "Exim (local delivery only) is still installed"
	else
		bad "Exim is no longer installed"
	fi

	if getent passwd pledged >/dev/null && getent group pledged >/dev/null; then
		ok "system user and group pledged exist"
	else
		bad "no user or group pledged"
	fi
	for spec in "/var/lib/pledged 2770 pledged:pledged" \
	    "/etc/pledged 750 root:pledged" "/run/pledged 750 pledged:pledged"; do
		set -- $spec
		got=$(mode_owner "$1")
		if [ "$got" = "$2 $3" ]; then ok "$1 is $2 $3"; else bad "$1 is $got, expected $2 $3"; fi
	done
	for f in /usr/sbin/pledged /usr/bin/pledgectl \
	    /usr/share/man/man8/pledged.8.gz /usr/share/man/man1/pledgectl.1.gz \
	    /usr/share/man/man5/pledged.conf.5.gz \
	    /usr/share/doc/pledged/copyright /usr/share/doc/pledged/changelog.gz \
	    /lib/systemd/system/pledged.service \
	    /lib/systemd/system/pledged-once.service \
	    /lib/systemd/system/pledged.timer \
	    /etc/pledged/pledged.conf.sample; do
		if [ -e "$f" ]; then ok "$f installed"; else bad "$f missing"; fi
	done
	if grep -qxF /etc/pledged/pledged.conf.sample /var/lib/dpkg/info/pledged.conffiles; then
		ok "the sample configuration is a conffile"
	else
		bad "the sample configuration is not a conffile"
	fi
	if ls /etc/systemd/system/*.wants/pledged* >/dev/null 2>&1; then
		bad "postinst enabled a pledged unit"
	else
		ok "no pledged unit enabled"
	fi
	version=$(dpkg-query -W -f='${Version}' pledged)
	out=$(/usr/sbin/pledged --version 2>&1)
	if [ "$out" = "pledged $version" ]; then ok "pledged --version: $out"; else bad "pledged --version: '$out'"; fi
	# A reinstall is what an upgrade does to the scripts: it must work.
	if apt-get install -y --reinstall --no-remove "$deb" >>"$PT/install.log" 2>&1; then
		ok "reinstall (the upgrade path of the maintainer scripts)"
	else
		bad "reinstall failed"
	fi
}

# README "First configuration", step by step, with the test server.
phase_configure() {
	port=$1 user=$2
	install -m 0600 -o pledged -g pledged "$PT/imap.password" /etc/pledged/imap.password
	install -m 0644 "$PT/ca.pem" /etc/pledged/ca.pem
	pledgectl keygen --out /etc/pledged/campaign.key >"$PT/keygen" 2>&1
	chown pledged: /etc/pledged/campaign.key
	key=$(sed -n 's/^public_keys = //p' "$PT/keygen")
	sed -e "s#^host = imap.example.org#host = localhost#" \
	    -e "s#^port = 993#port = $port#" \
	    -e "s#^ca_file =\$#ca_file = /etc/pledged/ca.pem#" \
	    -e "s#^user = pledges@example.org#user = $user#" \
	    -e "s#^public_keys = .*#public_keys = $key#" \
	    -e "s#^secret_key_file =\$#secret_key_file = /etc/pledged/campaign.key#" \
	    -e "s#^log = syslog#log = stderr#" \
	    -e "s#^poll_interval = 60#poll_interval = 1#" \
	    /etc/pledged/pledged.conf.sample >"$conf"
	chown root:pledged "$conf"
	chmod 0640 "$conf"
	rc=0
	out=$(as_pledged pledged --check-config 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "pledged --check-config (as pledged) accepts the configuration"
	else
		bad "pledged --check-config exited $rc: $out"
	fi
	# The sample as it is: its placeholder keys are errors.
	rc=0
	pledged --config /etc/pledged/pledged.conf.sample --check-config >/dev/null 2>"$PT/err" || rc=$?
	if [ "$rc" -eq 78 ] && grep -q "sample's placeholder" "$PT/err"; then
		ok "--check-config on the untouched sample: 78, the placeholder named"
	else
		bad "--check-config on the sample exited $rc: $(cat "$PT/err")"
	fi
	# A password the running user cannot read is named, as root too.
	chown root /etc/pledged/imap.password
	rc=0
	pledged --check-config >/dev/null 2>"$PT/err" || rc=$?
	if [ "$rc" -eq 77 ] && grep -q "imap.password" "$PT/err"; then
		ok "--check-config as root names a password file pledged cannot use (77)"
	else
		bad "--check-config with root's password file exited $rc: $(cat "$PT/err")"
	fi
	chown pledged /etc/pledged/imap.password
}

phase_mail() {
	rm -rf "$PT/mail"
	install -d -o pledged -g pledged "$PT/mail"
	as_pledged sh "$PT/testenv/sample-mail.sh" /usr/bin/pledgectl "$conf" \
	    "$PT/mail" >/dev/null
	ok "sample campaign written ($(ls "$PT/mail" | wc -l) messages)"
}

# The root trap: an administrator runs the README's commands as root.
phase_once() {
	rc=0
	pledged --once >"$PT/once-root" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then ok "pledged --once as root: 0"; else cat "$PT/once-root"; bad "pledged --once as root exited $rc"; fi
	rc=0
	pledgectl stats >/dev/null 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then ok "pledgectl stats as root: 0"; else bad "pledgectl stats as root exited $rc"; fi
	rootfiles=$(find /var/lib/pledged /run/pledged -user root 2>/dev/null | tr '\n' ' ')
	if [ -z "$rootfiles" ]; then
		ok "no file of root's in /var/lib/pledged or /run/pledged"
	else
		bad "root-owned files: $rootfiles"
	fi
	others=$(find /var/lib/pledged /run/pledged -type f -perm /o=rwx | tr '\n' ' ')
	if [ -z "$others" ]; then ok "no store file open to other users"; else bad "open to others: $others"; fi
	# The timer's command, as the timer runs it.
	cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/pledged-once.service)
	rc=0
	as_pledged $cmd >"$PT/once-pledged" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "then the timer's command as pledged: 0 ($cmd)"
	else
		cat "$PT/once-pledged"
		bad "the timer's command as pledged exited $rc"
	fi
	stats=$(as_pledged pledgectl stats --json 2>&1)
	case $stats in
	*'"pledged":4'*'"confirmed_phase2":2'* | *'"pledged": 4'*'"confirmed_phase2": 2'*)
		ok "pledgectl stats counts the pledges and confirmations" ;;
	*) bad "pledgectl stats: $stats" ;;
	esac
}

# An organizer, not root, in group pledged, while the daemon writes.
phase_organizer() {
	want=$1
	getent passwd organizer >/dev/null ||
	    useradd --no-create-home --shell /bin/sh organizer
	adduser --quiet organizer pledged
	install -d -o organizer "$PT/www"
	as_pledged pledged -d >"$PT/daemon.log" 2>&1 &
	daemon=$!
	# The daemon's first pass on record before the organizer starts, so
	# that the check is about reading while the daemon writes.
	i=0
	until as_pledged pledgectl status --json 2>/dev/null |
	    grep -q '"kind":"daemon"' || [ "$i" -ge 300 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	n=0 errs=0 rounds=0
	while [ "$rounds" -lt 600 ]; do
		rounds=$((rounds + 1))
		for c in "stats" "list" "export --what messages --format csv" \
		    "report --html $PT/www/report.html"; do
			# shellcheck disable=SC2086
			as_organizer pledgectl $c >/dev/null 2>>"$PT/organizer.err" ||
			    errs=$((errs + 1))
		done
		n=$(as_organizer pledgectl export --what messages --format csv 2>/dev/null | tail -n +2 | wc -l)
		[ "$n" -ge "$want" ] && break
		sleep 0.1
	done
	kill "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
	if [ "$n" -ge "$want" ]; then
		ok "the daemon recorded the new mail ($n messages) while the organizer read"
	else
		cat "$PT/daemon.log"
		bad "the daemon recorded $n of $want messages"
	fi
	if [ "$errs" -eq 0 ]; then
		ok "organizer's stats/list/export/report: $((rounds * 4)) runs, all 0"
	else
		bad "organizer's commands failed $errs times: $(sort -u "$PT/organizer.err" | head -3)"
	fi
	if [ -s "$PT/www/report.html" ]; then ok "organizer's report written"; else bad "no report"; fi
	if as_organizer flock -n /run/pledged/pledged.lock true 2>/dev/null; then
		bad "an organizer can hold the daemon's lock"
	else
		ok "an organizer cannot hold the daemon's lock ($(stat -c '%a %U' /run/pledged/pledged.lock))"
	fi
}

phase_purge() {
	if apt-get remove -y pledged >"$PT/remove.log" 2>&1 &&
	    [ ! -e /usr/sbin/pledged ] && [ ! -e /lib/systemd/system/pledged.service ] &&
	    [ -e /etc/pledged/pledged.conf.sample ]; then
		ok "remove: binaries and units gone, conffile kept"
	else
		cat "$PT/remove.log"
		bad "remove"
	fi
	apt-get purge -y pledged >"$PT/purge.log" 2>&1
	if [ ! -e /etc/pledged/pledged.conf.sample ] && [ ! -e /run/pledged ]; then
		ok "purge: the conffile and /run/pledged are gone"
	else
		bad "purge left the conffile or /run/pledged"
	fi
	if [ -f /var/lib/pledged/pledges.db ] &&
	    grep -q "purge kept /var/lib/pledged (the ledger)" "$PT/purge.log"; then
		ok "purge kept the ledger and said so"
	else
		cat "$PT/purge.log"
		bad "purge: ledger or message missing"
	fi
	if dpkg-query -W -f='${Status}' exim4-daemon-light | grep -q 'ok installed'; then
		ok "Exim still installed after purge"
	else
		bad "Exim gone after purge"
	fi
}

phase=$1
shift
"phase_$phase" "$@"
exit "$fail"
