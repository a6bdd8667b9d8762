#!/bin/bash
# The sample campaign mailbox (contrib/testenv/sample-mail.sh) through
# pledged ingest: each message gets the decision the generator expects.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
base_conf >"$t/p.conf"
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/sample-mail.sh" "$PLEDGECTL" "$t/p.conf" "$t/mail" >"$t/expected"
(cd "$t/mail" && "$PLEDGED" --config "$t/p.conf" ingest *.eml) >"$t/got"
n=$(wc -l <"$t/expected")
plan $((n + 1))
check "at least 15 messages" test "$n" -ge 15
while read -r name want; do
	got=$(sed -n "s/^$name: //p" "$t/got" | sed 's/ rule [a-z-]*$//; s/ [^ ]*@[^ ]*$//')
	check "$name: $want (got '$got')" test "$got" = "$want"
done <"$t/expected"
finish
