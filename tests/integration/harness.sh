#!/bin/bash
# Every shell test keeps the rules of the harness: it sources common.bash
# (directly or through imaplib.bash), declares a plan and ends with
# finish, so its closing line and its count can be trusted; it never
# sleeps (wait_for waits for an event); it reads nothing outside the
# repository.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
dir=$PLEDGED_SOURCE_DIR/tests/integration
scripts=("$dir"/*.sh)
plan $((5 * ${#scripts[@]}))

sources_harness() {
	grep -qE '^\. "\$PLEDGED_SOURCE_DIR/tests/integration/(common|imaplib)\.bash"$' "$1"
}
has_plan() { grep -qE '^[[:space:]]*plan ' "$1"; }
ends_with_finish() { [ "$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)" = finish ]; }
# A sleep command ("sleep 1", "sleep $n"; the word in a comment or a
# description is fine): wait_for waits.
no_sleep() {
	! sed 's/#.*//' "$1" | grep -qE '(^|[^[:alnum:]_"-])slee[p][[:space:]]+[0-9$]'
}
# No path above the repository, such as a shared folder beside it.
inside_repo() { ! grep -nE '\.\./\.\./\.\.|\.\./shared|/wor[k]/' "$1"; }

for s in "${scripts[@]}"; do
	n=$(basename "$s")
	check "$n sources common.bash" sources_harness "$s"
	check "$n has a plan" has_plan "$s"
	check "$n ends with finish" ends_with_finish "$s"
	check "$n does not sleep" no_sleep "$s"
	check "$n reads only the repository" inside_repo "$s"
done
finish
