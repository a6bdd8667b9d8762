#!/bin/bash
# The manual pages render without a single warning from groff (through
# man-db, as a user would read them) at several terminal widths, and pass
# mandoc's linter.  Any output on standard error is a failure: groff warns
# about bad macros and escapes, and about words that cannot fit a line.
# Every option and subcommand of the contract appears in its page.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
need_cmd man mandoc
src=$PLEDGED_SOURCE_DIR
pages="pledged.8 pledgectl.1 pledged.conf.5"

# renders PAGE WIDTH: man-db formats it, nothing on stderr, a NAME section.
renders() {
	MANWIDTH=$2 man --warnings -l "$src/contrib/man/$1" >"$t/out" 2>"$t/err" ||
	    { echo "    man exited non-zero"; return 1; }
	[ ! -s "$t/err" ] || { sed 's/^/    /' "$t/err"; return 1; }
	grep -q NAME "$t/out" || { echo "    no NAME section"; return 1; }
}
# The section in the .TH line must match the file name's, or man(1) and
# the install rules file the page in the wrong place.
th_section() {
	awk -v s="${1##*.}" '$1 == ".TH" { found = ($3 == s) } END { exit !found }' \
	    "$src/contrib/man/$1"
}
lints() {
	mandoc -T lint -W warning "$src/contrib/man/$1" >"$t/err" 2>&1 &&
	    [ ! -s "$t/err" ] || { sed 's/^/    /' "$t/err"; return 1; }
}
# mentions PAGE WORD: roff writes "-" as "\-"; compare literally.
mentions() {
	grep -qF -e "$(printf '%s' "$2" | sed 's/-/\\-/g')" "$src/contrib/man/$1"
}
check_mentions() {
	local page=$1 word
	shift
	for word in "$@"; do
		check "$page mentions $word" mentions "$page" "$word"
	done
}

words_8=(--config --once --dry-run --check-config --verbose \
    --help --version ingest SIGTERM SIGINT SIGHUP flock "EXIT STATUS" \
    64 65 66 69 73 74 75 77 78)
words_1=(keygen issue send stats list show export review \
    report forget --out --phase --to --expires --all-pledged --outbox \
    --resend --json --state --what --format --approve --reject --html \
    --confirmed-only --dry-run --preview-dir --decline --message --by \
    import add link unlink exclude include fix-address "EXIT STATUS")
words_5=("SECTION [imap]" "SECTION [store]" \
    "SECTION [tokens]" "SECTION [daemon]" "SECTION [smtp]" \
    port tls ca_file user password_file mailbox after processed_mailbox \
    review_mailbox batch max_message_bytes timeout authserv_id database \
    campaign public_keys secret_key_file clock_skew pledge_keywords \
    withdraw_keywords yes_keywords no_keywords require_dmarc auto_confirm \
    poll_interval idle lock_file log from rate_per_minute \
    sender-mismatch multiple-tokens unclear unauthenticated bad-signature \
    unknown-key malformed-token expired not-yet-valid wrong-campaign \
    replayed too-large unparseable auto-reply bounce duplicate other)

# Per page: three widths, the section, the linter; then the words.
plan $((3 * 5 + ${#words_8[@]} + ${#words_1[@]} + ${#words_5[@]}))
for page in $pages; do
	for width in 60 80 132; do
		check "$page renders without warnings at width $width" renders "$page" "$width"
	done
	check "$page: .TH section is ${page##*.}" th_section "$page"
	check "$page passes mandoc -T lint" lints "$page"
done
check_mentions pledged.8 "${words_8[@]}"
check_mentions pledgectl.1 "${words_1[@]}"
check_mentions pledged.conf.5 "${words_5[@]}"

finish
