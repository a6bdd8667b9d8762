#!/bin/bash
# pledgectl verify, as an organizer checks a token an artist forwards: the
# outcome first, then the claims; exit 0 for ok, 65 for a token that fails.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 31
verify() { # config, args...: sets out and rc
	local conf=$1; shift
	rc=0; out=$("$PLEDGECTL" --config "$conf" verify "$@" 2>"$t/err") || rc=$?
}
line1() { printf '%s\n' "$out" | head -n 1; }
claim() { printf '%s\n' "$out" | sed -n "s/^$1: //p"; }

keys=$("$PLEDGECTL" keygen --out "$t/own.key")
pub=$(printf '%s\n' "$keys" | sed -n 's/^public_keys = //p')
pid=$(printf '%s\n' "$keys" | sed -n 's/^# key id: //p')
conf() { # file, campaign, public_keys
	printf '[store]\ndatabase = %s/p.db\n[tokens]\ncampaign = %s\npublic_keys = %s\nsecret_key_file = %s/own.key\n' \
	    "$t" "$2" "$3" "$t" >"$1"
}
conf "$t/p.conf" nomusicforice "$pub"
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to Artist@Example.ORG --expires 7d 2>/dev/null)
jti=$(sqlite3 "$t/p.db" "SELECT jti FROM token")
iat=$(sqlite3 "$t/p.db" "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', issued_at, 'unixepoch') FROM token")
exp=$(sqlite3 "$t/p.db" "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', expires_at, 'unixepoch') FROM token")

verify "$t/p.conf" "$tok"
check "issued token: exit 0" test "$rc" = 0
check "issued token: ok" test "$(line1)" = ok
check "sub" test "$(claim sub)" = artist@example.org
check "phase" test "$(claim phase)" = 2
check "jti as recorded" test "$(claim jti)" = "$jti"
check "iat as recorded" test "$(claim iat)" = "$iat"
check "exp as recorded" test "$(claim exp)" = "$exp"
check "kid is the key's k4.pid" test "$(claim kid)" = "$pid"
check "seven lines in all" test "$(printf '%s\n' "$out" | wc -l)" = 7

rc=0; out=$(printf '  %s\r\n' "$tok" | "$PLEDGECTL" --config "$t/p.conf" verify - 2>/dev/null) || rc=$?
check "from standard input, pasted with blanks: ok" test "$rc:$(line1)" = 0:ok

# Change one character inside the signed payload; never the last one of
# the body, whose unused bits would make the token non-canonical instead.
c=${tok:20:1}; [ "$c" = A ] && r=B || r=A
verify "$t/p.conf" "${tok:0:20}$r${tok:21}"
check "tampered: 65 bad-signature" test "$rc:$(line1)" = 65:bad-signature
check "tampered: no claims shown" test "$(printf '%s\n' "$out" | wc -l)" = 1

verify "$t/p.conf" --at 2999-01-01T00:00:00Z "$tok"
check "far future: 65 expired" test "$rc:$(line1)" = 65:expired
check "expired still shows whose it is" test "$(claim sub)" = artist@example.org
verify "$t/p.conf" --at 0 "$tok"
check "before iat: 65 not-yet-valid" test "$rc:$(line1)" = 65:not-yet-valid
verify "$t/p.conf" --at "$(( $(date +%s) + 3600 ))" "$tok"
check "--at Unix seconds within the week: ok" test "$rc:$(line1)" = 0:ok

verify "$t/p.conf" "v4.public.not-a-token"
check "garbage: 65 malformed-token" test "$rc:$(line1)" = 65:malformed-token
verify "$t/p.conf" "v2.${tok#v4.}"
check "another version: 65 malformed-token" test "$rc:$(line1)" = 65:malformed-token

conf "$t/other.conf" anothercampaign "$pub"
verify "$t/other.conf" "$tok"
check "another campaign: 65 wrong-campaign" test "$rc:$(line1)" = 65:wrong-campaign
other=$("$PLEDGECTL" keygen --out "$t/k2.key" | sed -n 's/^public_keys = //p')
conf "$t/rotated.conf" nomusicforice "$other"
verify "$t/rotated.conf" "$tok"
check "kid of a key not configured: 65 unknown-key" test "$rc:$(line1)" = 65:unknown-key
conf "$t/both.conf" nomusicforice "$other, $pub"
verify "$t/both.conf" "$tok"
check "old key still listed after rotation: ok" test "$rc:$(line1)" = 0:ok

conf "$t/nokeys.conf" nomusicforice ""
verify "$t/nokeys.conf" "$tok"
check "no public_keys: 78" test "$rc" = 78
check "no public_keys: says so" grep -q 'public_keys is required' "$t/err"
conf "$t/badkey.conf" nomusicforice "k4.public.AAAA"
verify "$t/badkey.conf" "$tok"
check "a bad public key: 78" test "$rc" = 78
verify "$t/p.conf"
check "no token: 64" test "$rc" = 64
verify "$t/p.conf" "$tok" "$tok"
check "two tokens: 64" test "$rc" = 64
verify "$t/p.conf" --at yesterday "$tok"
check "bad --at: 64" test "$rc" = 64

# --json: the same verdict and claims, one object (pledgectl(1)).
verify "$t/p.conf" --json "$tok"
check "--json: ok" test "$rc" = 0
check "--json: members in order" test "$(printf '%s' "$out" | sed 's/"claims":{.*}/"claims":X/' | grep -o '"[a-z_]*":' | tr -d '":\n')" = "resultvalidatclaims"
check "--json: valid, with the claims" grep -q '"result":"ok","valid":true,"at":"[0-9T:Z-]*","claims":{"sub":"artist@example.org","phase":2,"jti":"[a-z2-7]*","exp":"[0-9T:Z-]*","iat":' <<<"$out"
verify "$t/p.conf" --json "v4.public.AAAA"
check "--json: a failing token: 65, and its reason" test "$rc:$(grep -o '"result":"[a-z-]*","valid":false' <<<"$out")" = '65:"result":"malformed-token","valid":false'

finish
