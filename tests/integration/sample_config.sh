#!/bin/sh
# The sample configuration, the manual page pledged.conf(5) and the
# configuration block of DESIGN.md name the same sections and keys: a key
# added to one and forgotten in another fails here.  The sample and the
# page may add the documented extensions (listed below) to DESIGN's set.
set -eu

src=${PLEDGED_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${PLEDGED_SHARED_DIR:-$src/../shared}
sample=$src/contrib/pledged.conf.sample
page=$src/contrib/man/pledged.conf.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
checked=0
extensions="smtp.ca_file smtp.timeout smtp.templates tokens.intent_phrases"

# "section.key" for every key line of an INI text on stdin.
ini_keys() {
	awk '
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/^\[/ { s = $0; gsub(/[][ \t]/, "", s); next }
	/=/ { k = $0; sub(/[ \t]*=.*/, "", k); gsub(/[ \t]/, "", k)
	      print s "." k }'
}

ini_keys <"$sample" | sort >"$tmp/sample"
# Sections of the page: ".SH SECTION [name]"; keys: ".BR key " (...)"".
awk '
/^\.SH SECTION \[/ { s = $3; gsub(/[][]/, "", s); next }
/^\.SH/ { s = "" }
s != "" && /^\.BR [a-z_]+ " \(/ { print s "." $2 }' "$page" | sort >"$tmp/page"

compare() { # name-a file-a name-b file-b
	checked=$((checked + 1))
	if cmp -s "$2" "$4"; then
		echo "ok   $1 and $3 name the same $(wc -l <"$2") keys"
	else
		echo "FAIL $1 and $3 differ (< only in $1, > only in $3):"
		diff "$2" "$4" | grep '^[<>]' | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}
compare sample "$tmp/sample" pledged.conf.5 "$tmp/page"

design=$shared/DESIGN.md
if [ -f "$design" ]; then
	# The first fenced block after "## Configuration".
	awk '
	/^## Configuration/ { c = 1; next }
	c && /^```/ { if (in_block) exit; in_block = 1; next }
	in_block { print }' "$design" | ini_keys >"$tmp/design.raw"
	{ cat "$tmp/design.raw"; for e in $extensions; do echo "$e"; done; } |
	    sort >"$tmp/design"
	compare "DESIGN.md (+ $extensions)" "$tmp/design" sample "$tmp/sample"
else
	echo "     DESIGN.md not found in $shared: comparison skipped"
fi

# Every value in the sample parses as the page says: no key repeated.
checked=$((checked + 1))
dups=$(uniq -d "$tmp/sample")
if [ -z "$dups" ]; then
	echo "ok   no key appears twice in the sample"
else
	echo "FAIL keys repeated in the sample: $dups"
	fail=$((fail + 1))
fi

if [ "$fail" -ne 0 ]; then
	echo "sample_config: $fail of $checked checks failed"
	exit 1
fi
echo "sample_config: all $checked checks passed"
