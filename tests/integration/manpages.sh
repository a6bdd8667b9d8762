#!/bin/sh
# The manual pages render without a single warning from groff (through
# man-db, as a user would read them) at several terminal widths, and, where
# mandoc is installed, pass its linter too.  Any output on standard error is
# a failure: groff warns about bad macros and escapes, and about words that
# cannot fit a line.
set -eu

src=${PLEDGED_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pages="pledged.8 pledgectl.1 pledged.conf.5"
fail=0
checked=0

if ! command -v man >/dev/null 2>&1; then
	echo "manpages: skipped: man(1) is not installed"
	exit 0
fi

for page in $pages; do
	f=$src/contrib/man/$page
	if [ ! -f "$f" ]; then
		echo "FAIL $page: missing"
		fail=$((fail + 1))
		continue
	fi
	for width in 60 80 132; do
		checked=$((checked + 1))
		if ! MANWIDTH=$width man --warnings -l "$f" >"$tmp/out" 2>"$tmp/err"; then
			echo "FAIL $page (width $width): man exited non-zero"
			fail=$((fail + 1))
		elif [ -s "$tmp/err" ]; then
			echo "FAIL $page (width $width): warnings:"
			sed 's/^/    /' "$tmp/err"
			fail=$((fail + 1))
		elif ! grep -q NAME "$tmp/out"; then
			echo "FAIL $page (width $width): no NAME section in the output"
			fail=$((fail + 1))
		else
			echo "ok   $page renders without warnings at width $width"
		fi
	done
	# The section in the .TH line must match the file name's, or
	# man(1) and the install rules file the page in the wrong place.
	checked=$((checked + 1))
	sect=${page##*.}
	if awk -v s="$sect" '$1 == ".TH" { found = ($3 == s) } END { exit !found }' "$f"; then
		echo "ok   $page: .TH section is $sect"
	else
		echo "FAIL $page: .TH section is not $sect"
		fail=$((fail + 1))
	fi
	if command -v mandoc >/dev/null 2>&1; then
		checked=$((checked + 1))
		if mandoc -T lint -W warning "$f" >"$tmp/err" 2>&1 && [ ! -s "$tmp/err" ]; then
			echo "ok   $page passes mandoc -T lint"
		else
			echo "FAIL $page: mandoc -T lint:"
			sed 's/^/    /' "$tmp/err"
			fail=$((fail + 1))
		fi
	fi
done

# Every option and subcommand of the contract appears in its page.
check_mentions() {
	page=$1
	shift
	missing=0
	for word in "$@"; do
		checked=$((checked + 1))
		# roff writes "-" as "\-"; compare literally.
		pat=$(printf '%s' "$word" | sed 's/-/\\-/g')
		if ! grep -qF -e "$pat" "$src/contrib/man/$page"; then
			echo "FAIL $page does not mention $word"
			missing=$((missing + 1))
		fi
	done
	fail=$((fail + missing))
	[ "$missing" -eq 0 ] && echo "ok   $page mentions all $# expected words"
	return 0
}
check_mentions pledged.8 --config --once --dry-run --check-config --verbose \
    --help --version ingest SIGTERM SIGINT SIGHUP flock "EXIT STATUS" \
    64 65 66 69 73 74 75 77 78
check_mentions pledgectl.1 keygen issue send stats list show export review \
    report forget --out --phase --to --expires --all-pledged --outbox \
    --resend --json --state --what --format --approve --reject --html \
    --confirmed-only --dry-run --preview-dir --decline --message --by \
    import add link unlink exclude include fix-address "EXIT STATUS"
check_mentions pledged.conf.5 "SECTION [imap]" "SECTION [store]" \
    "SECTION [tokens]" "SECTION [daemon]" "SECTION [smtp]" \
    port tls ca_file user password_file mailbox after processed_mailbox \
    review_mailbox batch max_message_bytes timeout authserv_id database \
    campaign public_keys secret_key_file clock_skew pledge_keywords \
    withdraw_keywords yes_keywords no_keywords require_dmarc auto_confirm \
    poll_interval idle lock_file log from rate_per_minute \
    sender-mismatch multiple-tokens unclear unauthenticated bad-signature \
    unknown-key malformed-token expired not-yet-valid wrong-campaign \
    replayed too-large unparseable auto-reply bounce duplicate other

if [ "$fail" -ne 0 ]; then
	echo "manpages: $fail of $checked checks failed"
	exit 1
fi
echo "manpages: all $checked checks passed"
