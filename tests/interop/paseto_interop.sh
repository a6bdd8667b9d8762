#!/bin/bash
# Our PASETO v4.public tokens and PASERK k4 keys against an independent
# implementation, as a user would check: panva's `paseto` from the npm
# registry, in a temporary directory outside the tree.  Not run by ctest:
# it needs node, npm and the registry.
#
#   tests/interop/paseto_interop.sh [PLEDGECTL]
#
# PLEDGECTL defaults to build/pledgectl; PASETO_NPM (default paseto@4)
# picks the package version.  Prints PASS/FAIL per check, exits 1 on any
# failure, 2 when the tools or the package are missing.
#
# 1. pledgectl keygen + issue -> node verifies (key by JWK and by PASERK),
#    checks the claims, the footer and the kid (k4.pid computed in node).
# 2. node makes a key pair and signs -> pledgectl verify says ok with the
#    same claims; tampered -> bad-signature.
# 3. node's k4.secret given to pledgectl issue -> node verifies.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
PLEDGECTL=$(realpath "${1:-${PLEDGECTL:-$src/build/pledgectl}}")
export PLEDGED_VECTORS_DIR=$src/tests/data/vectors
pkg=${PASETO_NPM:-paseto@4}

for tool in node npm sqlite3; do
	command -v $tool >/dev/null || { echo "paseto_interop: $tool is needed" >&2; exit 2; }
done
[ -x "$PLEDGECTL" ] || { echo "paseto_interop: no $PLEDGECTL; build first" >&2; exit 2; }

t=$(mktemp -d /tmp/paseto-interop-XXXXXX)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
check() { # description, command...
	local what=$1; shift
	if "$@"; then echo "PASS: $what"; pass=$((pass + 1))
	else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
js() { node "$t/npm/paseto_interop.mjs" "$@"; }
# node's answer is one line; a failure is "error: ..." and exit 1.
js_ok() { # description, mode, args...
	local what=$1; shift
	local out; out=$(js "$@" 2>&1)
	local rc=$?
	printf '      %s\n' "$out"
	check "$what" test "$rc" = 0
}
claim() { printf '%s\n' "$1" | sed -n "s/^$2: //p"; }

mkdir "$t/npm" && cd "$t/npm" || exit 2
if ! { npm init -y && npm install --no-audit --no-fund "$pkg"; } >"$t/npm.log" 2>&1; then
	cat "$t/npm.log" >&2
	echo "paseto_interop: npm install $pkg failed" >&2
	exit 2
fi
cp "$here/paseto_interop.mjs" "$t/npm/"
echo "node $(node --version), $(node -p 'const p = require("./node_modules/paseto/package.json"); p.name + "@" + p.version')"
cd "$t" || exit 2

js_ok "node's BLAKE2b and k4.pid are sound" selftest

# --- 1. pledged signs, node verifies ---
keys=$("$PLEDGECTL" keygen --out "$t/k.key")
pub=$(printf '%s\n' "$keys" | sed -n 's/^public_keys = //p')
pid=$(printf '%s\n' "$keys" | sed -n 's/^# key id: //p')
check "node computes the k4.pid pledgectl printed" test "$(js pid "$pub")" = "$pid"
cat >"$t/p.conf" <<CONF
[store]
database = $t/p.db
[tokens]
campaign = nomusicforice
public_keys = $pub
secret_key_file = $t/k.key
CONF
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to artist@example.org --expires 14d 2>/dev/null)
jti=$(sqlite3 "$t/p.db" "SELECT jti FROM token")
expect=$(printf '{"sub":"artist@example.org","phase":2,"jti":"%s","iss":"nomusicforice","kid":"%s","ttl":1209600}' "$jti" "$pid")
js_ok "pledged's token verifies in node, claims and kid as issued" verify "$pub" "$tok" "$expect"

# --- 2. node signs, pledged verifies ---
nkeys=$(js keygen "$t/node.key") || { echo "FAIL: node keygen: $nkeys"; exit 1; }
npub=$(node -p 'JSON.parse(process.argv[1]).public' "$nkeys")
npid=$(node -p 'JSON.parse(process.argv[1]).pid' "$nkeys")
check "node's k4.secret is 0600 as pledged requires" test "$(stat -c %a "$t/node.key")" = 600
cat >"$t/n.conf" <<CONF
[store]
database = $t/n.db
[tokens]
campaign = nomusicforice
public_keys = $pub, $npub
secret_key_file = $t/node.key
CONF
njti=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
claims=$(printf '{"sub":"singer@example.net","phase":1,"jti":"%s","iss":"nomusicforice"}' "$njti")
ntok=$(js sign "$t/node.key" "$claims" 604800)
check "node signs a v4.public token" grep -q '^v4\.public\.' <<<"$ntok"
rc=0; out=$("$PLEDGECTL" --config "$t/n.conf" verify "$ntok" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/      /'
check "pledgectl verify: ok (exit 0)" test "$rc:$(printf '%s\n' "$out" | head -n 1)" = 0:ok
check "sub" test "$(claim "$out" sub)" = singer@example.net
check "phase" test "$(claim "$out" phase)" = 1
check "jti (another issuer's form)" test "$(claim "$out" jti)" = "$njti"
check "kid is node's k4.pid" test "$(claim "$out" kid)" = "$npid"
iat=$(claim "$out" iat) exp=$(claim "$out" exp)
check "exp - iat is the lifetime" test $(($(date -d "$exp" +%s) - $(date -d "$iat" +%s))) = 604800
check "iat is now" test $(($(date +%s) - $(date -d "$iat" +%s))) -lt 60
c=${ntok:20:1}; [ "$c" = A ] && r=B || r=A
rc=0; out=$("$PLEDGECTL" --config "$t/n.conf" verify "${ntok:0:20}$r${ntok:21}" 2>&1) || rc=$?
check "tampered node token: 65 bad-signature" test "$rc:$(printf '%s\n' "$out" | head -n 1)" = 65:bad-signature
sed -i "s/^campaign = .*/campaign = othercampaign/" "$t/n.conf"
rc=0; out=$("$PLEDGECTL" --config "$t/n.conf" verify "$ntok" 2>&1) || rc=$?
check "node token, other campaign: 65 wrong-campaign" test "$rc:$(printf '%s\n' "$out" | head -n 1)" = 65:wrong-campaign
sed -i "s/^campaign = .*/campaign = nomusicforice/" "$t/n.conf"

# --- 3. node's k4.secret in pledged, node verifies ---
tok3=$("$PLEDGECTL" --config "$t/n.conf" issue --phase 1 --to singer@example.net --expires 3d 2>"$t/issue.err")
check "pledgectl issue takes node's k4.secret" grep -q '^v4\.public\.' <<<"$tok3"
jti3=$(sqlite3 "$t/n.db" "SELECT jti FROM token")
expect=$(printf '{"sub":"singer@example.net","phase":1,"jti":"%s","iss":"nomusicforice","kid":"%s","ttl":259200}' "$jti3" "$npid")
js_ok "token signed by pledged with node's key verifies in node" verify "$npub" "$tok3" "$expect"

echo "paseto_interop: $pass passed, $fail failed"
[ "$fail" = 0 ] && echo PASS || echo FAIL
test "$fail" = 0
