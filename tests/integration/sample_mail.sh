#!/bin/bash
# The sample campaign mailbox (contrib/testenv/sample-mail.sh) through
# pledged ingest: each message gets the decision the generator expects.
set -eu
t=$(mktemp -d /tmp/pledged-sample-XXXXXX)
trap 'rm -rf "$t"' EXIT
pub=$("$PLEDGECTL" keygen --out "$t/k.key" | sed -n 's/^public_keys = //p')
cat >"$t/p.conf" <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
[daemon]
lock_file = $t/lock
CONF
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/sample-mail.sh" "$PLEDGECTL" "$t/p.conf" "$t/mail" >"$t/expected"
(cd "$t/mail" && "$PLEDGED" --config "$t/p.conf" ingest *.eml) >"$t/got"
pass=0 fail=0
while read -r name want; do
	got=$(sed -n "s/^$name: //p" "$t/got" | sed 's/ [^ ]*@[^ ]*$//')
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
		echo "FAIL: $name: got '$got', want '$want'" >&2; fail=$((fail + 1)); fi
done <"$t/expected"
echo "sample_mail: $pass passed, $fail failed"
test "$fail" = 0 && test "$pass" -ge 15
