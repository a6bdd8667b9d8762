#!/bin/bash
# pledgectl keygen and issue, as an organizer runs them: a key pair into a
# 0600 file that is never overwritten, a token printed and recorded.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 12

out=$("$PLEDGECTL" keygen --out "$t/own.key")
pub=$(printf '%s\n' "$out" | sed -n 's/^public_keys = //p')
check "keygen prints a k4.public" grep -q '^k4\.public\.' <<<"$pub"
check "keygen prints a k4.pid" grep -q '^# key id: k4\.pid\.' <<<"$out"
check "secret file is 0600" test "$(stat -c %a "$t/own.key")" = 600
check "secret file holds a k4.secret" grep -q '^k4\.secret\.' "$t/own.key"
before=$(cat "$t/own.key")
rc=0; "$PLEDGECTL" keygen --out "$t/own.key" >/dev/null 2>&1 || rc=$?
check "keygen refuses to overwrite (73)" test "$rc" = 73
check "existing key unchanged" test "$(cat "$t/own.key")" = "$before"

cat >"$t/p.conf" <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/own.key
CONF
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to Artist@Example.ORG --expires 7d 2>/dev/null)
check "issue prints a v4.public token" grep -q '^v4\.public\.' <<<"$tok"
row=$(sqlite3 "$t/p.db" "SELECT a.address, t.phase, t.state, t.token = '$tok',
    t.expires_at - t.issued_at FROM token t JOIN artist a ON a.id = t.artist_id")
check "token recorded for the lower-cased artist" test "$row" = "artist@example.org|2|issued|1|604800"
jti=$(sqlite3 "$t/p.db" "SELECT jti FROM token")
check "jti is 26 lower-case base32 characters" grep -Eq '^[a-z2-7]{26}$' <<<"$jti"

rc=0; "$PLEDGECTL" --config "$t/p.conf" issue --phase 3 --to a@b.c 2>/dev/null || rc=$?
check "bad phase is a usage error (64)" test "$rc" = 64
rc=0; "$PLEDGECTL" --config "$t/p.conf" issue --phase 1 --to 'not an address' 2>/dev/null || rc=$?
check "bad address is a usage error (64)" test "$rc" = 64
chmod 640 "$t/own.key"
rc=0; "$PLEDGECTL" --config "$t/p.conf" issue --phase 1 --to a@b.c 2>/dev/null || rc=$?
check "group-readable key refused (77)" test "$rc" = 77

finish
