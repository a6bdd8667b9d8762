#!/bin/bash
# The sample configuration and the manual page pledged.conf(5) name the
# same sections and keys: a key added to one and forgotten in the other
# fails here.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 3
sample=$PLEDGED_SOURCE_DIR/contrib/pledged.conf.sample
page=$PLEDGED_SOURCE_DIR/contrib/man/pledged.conf.5

# "section.key" for every key line of an INI text on stdin.
ini_keys() {
	awk '
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/^\[/ { s = $0; gsub(/[][ \t]/, "", s); next }
	/=/ { k = $0; sub(/[ \t]*=.*/, "", k); gsub(/[ \t]/, "", k)
	      print s "." k }'
}

ini_keys <"$sample" | sort >"$t/sample"
# Sections of the page: ".SH SECTION [name]"; keys: ".BR key " (...)"".
awk '
/^\.SH SECTION \[/ { s = $3; gsub(/[][]/, "", s); next }
/^\.SH/ { s = "" }
s != "" && /^\.BR [a-z_]+ " \(/ { print s "." $2 }' "$page" | sort >"$t/page"

same_keys() { # file-a file-b
	cmp -s "$1" "$2" && return 0
	echo "    differ (< only in the sample, > only in the page):"
	diff "$1" "$2" | grep '^[<>]' | sed 's/^/    /'
	return 1
}
no_repeats() {
	local dups
	dups=$(uniq -d "$1")
	[ -z "$dups" ] || { echo "    repeated: $dups"; return 1; }
}
# An empty list on both sides would compare equal: a broken parser must
# not pass.
check "the page documents keys ($(wc -l <"$t/page"))" test -s "$t/page"
check "sample and pledged.conf.5 name the same keys" same_keys "$t/sample" "$t/page"
check "no key appears twice in the sample" no_repeats "$t/sample"
finish
