#!/bin/bash
# The sample campaign mailbox (contrib/testenv/sample-mail.sh) through
# pledged ingest: each message gets the decision the generator expects.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
base_conf >"$t/p.conf"
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/sample-mail.sh" "$PLEDGECTL" "$t/p.conf" "$t/mail" >"$t/expected"
(cd "$t/mail" && "$PLEDGED" --config "$t/p.conf" ingest *.eml) >"$t/got"
while read -r name want; do
	got=$(sed -n "s/^$name: //p" "$t/got" | sed 's/ rule [a-z-]*$//; s/ [^ ]*@[^ ]*$//')
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
		echo "FAIL: $name: got '$got', want '$want'" >&2; fail=$((fail + 1)); fi
done <"$t/expected"
check "at least 15 messages" test "$pass" -ge 15
finish
