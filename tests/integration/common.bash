# The harness of every shell test (tests/integration/*.sh); source it from
# bash first thing.  It gives:
#
#   $t                  a temporary directory, removed at exit (0755: the
#                       private servers' mail user must traverse it)
#   plan N              the number of checks the test will make
#   check DESC CMD...   one check: "ok   DESC", or "FAIL DESC" and a failure
#   fatal MSG           stop here (a step the rest depends on failed)
#   skip REASON         the test cannot run on this machine: exit 77, which
#                       ctest reports as skipped (and CI fails on)
#   need_root, need_cmd CMD...      skip unless root / unless CMD exists
#   need_fault_hooks PROG...        skip unless PROG has the crash tests'
#                       fault hooks (CMake option PLEDGED_TEST_HOOKS)
#   wait_for SECS CMD...            wait for an event (CMD succeeds)
#   on_exit CMD         run CMD (a string) at exit, before $t goes
#   server_start KIND DIR, server_stop KIND DIR
#                       a private dovecot (KIND dovecot) or submission
#                       server and opensmtpd (KIND submission) from
#                       contrib/testenv/, stopped at exit
#   finish              the closing line "NAME: N passed, N failed"; fails
#                       the test on a failure or when the number of checks
#                       made is not the plan
#   $pub, base_conf, sql    a key pair in $t/k.key (when $PLEDGECTL is set),
#                       the [store] [tokens] [daemon] sections, sqlite3 on
#                       $t/p.db
#
# Tests never sleep and then assert: a test that waits, waits for an event
# (a row, a log line, a file, a PID) with wait_for, and a negative ("nothing
# was sent") is read from the server's own record after the work is known
# to be done.
set -eu
: "${PLEDGED_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
test_name=$(basename "$0" .sh)
t=$(mktemp -d "/tmp/pledged-$test_name-XXXXXX")
chmod 755 "$t"
pass=0 fail=0 planned=
at_exit=:
trap 'eval "$at_exit"; rm -rf "$t"' EXIT

on_exit() {
	at_exit="$1; $at_exit"
}

plan() {
	planned=$1
}

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		fail=$((fail + 1))
	fi
}

fatal() {
	echo "FAIL $test_name: $*"
	echo "$test_name: $pass passed, $((fail + 1)) failed"
	exit 1
}

# 77 is ctest's SKIP_RETURN_CODE for every test (CMakeLists.txt).
skip() {
	echo "$test_name: skipped: $*"
	exit 77
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root for the private servers"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 when
# SECONDS pass first.  The harness's only sleep: it waits for something
# to happen, never proves that something did not.
wait_for() {
	local limit=$(($1 * 10)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ "$i" -le "$limit" ] || return 1
		sleep 0.1
	done
}

# past EPOCH: the clock has gone beyond EPOCH (for wait_for, when a test
# needs a token to expire).
past() {
	[ "$(date +%s)" -gt "$1" ]
}

# need_fault_hooks PROGRAM...: skip unless built with PLEDGED_TEST_HOOKS.
# Read from the binary itself: the hooks' variable names are in it only
# then.
need_fault_hooks() {
	local p
	for p in "$@"; do
		grep -qaF PLEDGED_FAULT "$p" ||
		    skip "$p has no fault hooks (build with -DPLEDGED_TEST_HOOKS=ON)"
	done
}

server_start() { # dovecot|submission DIR
	need_root
	case $1 in
	dovecot) need_cmd dovecot doveadm ;;
	submission)
		need_cmd smtpd
		[ -x /usr/lib/dovecot/submission ] ||
		    skip "dovecot-submissiond is not installed"
		;;
	esac
	on_exit "server_stop $1 '$2'"
	PLEDGED_TEST_OWNER_PID=$$ sh "$PLEDGED_SOURCE_DIR/contrib/testenv/$1.sh" \
	    start "$2" >/dev/null || fatal "$1.sh start failed"
}

server_stop() { # dovecot|submission DIR
	sh "$PLEDGED_SOURCE_DIR/contrib/testenv/$1.sh" stop "$2" >/dev/null 2>&1
}

finish() {
	echo "$test_name: $pass passed, $fail failed"
	if [ -z "$planned" ]; then
		echo "FAIL $test_name: no plan"
		return 1
	fi
	if [ $((pass + fail)) != "$planned" ]; then
		echo "FAIL $test_name: $((pass + fail)) checks made, $planned planned"
		return 1
	fi
	test "$fail" = 0
}

sql() { sqlite3 "$t/p.db" "$@"; }

# A key pair in $t/k.key; the public key in $pub.
pub=
if [ -n "${PLEDGECTL:-}" ]; then
	pub=$("$PLEDGECTL" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')
fi

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

# The ledger as text: the whole store but its record of passes
# (bookkeeping that every run adds to, by design).
