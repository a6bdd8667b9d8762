#!/bin/bash
# Shell completion (contrib/completion): bash completes the commands, each
# command's options and their fixed values; every command of
# "pledgectl --help" and every option of each "pledgectl COMMAND --help"
# is known to both the bash and the zsh completion, so they cannot drift
# from the programs; the zsh file parses.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 157
comp=$PLEDGED_SOURCE_DIR/contrib/completion

# complete WORDS...: what bash offers for the last word.
complete_bash() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		case $1 in pledged) _pledged ;; *) _pledgectl ;; esac
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' _ "$comp/pledgectl.bash" "$@"
}

check "bash: commands starting with st" test "$(complete_bash pledgectl st)" = "stats status "
check "bash: after --config FILE" test "$(complete_bash pledgectl --config /x di)" = "digest "
check "bash: status options" test "$(complete_bash pledgectl status --)" = "--help --json "
check "bash: digest options" test "$(complete_bash pledgectl digest --d)" = "--dry-run "
check "bash: list --state values" test "$(complete_bash pledgectl list --state con)" = "confirmed "
check "bash: export --what values" test "$(complete_bash pledgectl export --what m)" = "messages "
check "bash: --phase values" test "$(complete_bash pledgectl send --phase '')" = "1 2 "
check "bash: pledged options" test "$(complete_bash pledged --on)" = "--once "
check "bash: pledged ingest" test "$(complete_bash pledged in)" = "ingest "

if command -v zsh >/dev/null; then
	check "zsh: the completion parses" zsh -n "$comp/_pledgectl"
else
	echo "zsh not installed: its syntax check skipped"
fi

# Every command and option of the programs, in both files.
cmds=$("$PLEDGECTL" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
check "pledgectl --help lists commands" test -n "$cmds"
for c in $cmds; do
	check "bash knows $c" grep -qw "$c" <(complete_bash pledgectl '')
	check "zsh knows $c" grep -q "'$c:" "$comp/_pledgectl"
	opts=$("$PLEDGECTL" "$c" --help | head -n 3 | grep -o -- '--[a-z-]*' | sort -u)
	for o in $opts; do
		check "bash: $c $o" grep -qw -- "$o" <(complete_bash pledgectl "$c" --)
		check "zsh: $c $o" grep -qE -- "['\)]$o\[" <(sed -n "/^	$c)/,/;;/p" "$comp/_pledgectl")
	done
done
for o in $("$PLEDGED" --help | grep -o -- '--[a-z-]*' | sort -u); do
	check "bash: pledged $o" grep -qw -- "$o" <(complete_bash pledged --)
	check "zsh: pledged $o" grep -q -- "$o" "$comp/_pledgectl"
done
finish
