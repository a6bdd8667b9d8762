// The node half of paseto_interop.sh: an independent PASETO v4.public
// implementation (panva's `paseto`, over Node's Web Crypto Ed25519) on the
// other side of our tokens and PASERK keys.  Keys cross over in two ways:
// by hand (PASERK bytes to a JWK, as any Ed25519 library would take them)
// and through the library's own PASERK import/export, so that both our
// token bytes and our key strings are checked.
//
// The library has no k4.pid (it needs BLAKE2b-264, which Node lacks), so
// BLAKE2b is written out below, checked against Node's blake2b512 and,
// when PLEDGED_VECTORS_DIR is set, against the official k4.pid vectors.
//
//   node paseto_interop.mjs selftest
//   node paseto_interop.mjs pid K4PUBLIC
//   node paseto_interop.mjs verify K4PUBLIC TOKEN EXPECT_JSON
//   node paseto_interop.mjs keygen SECRET_FILE      (prints {public, pid})
//   node paseto_interop.mjs sign SECRET_FILE CLAIMS_JSON TTL_SECONDS
//
// Each prints one result line, or a line starting "error:" and exits 1.
import { createHash, generateKeyPairSync, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { PublicProtocol } from 'paseto';
import {
  ExportPublicKeyFactory,
  ExportSecretKeyFactory,
  ImportPublicKeyFactory,
  ImportSecretKeyFactory,
  PublicKeyFromCryptoKey,
  SecretKeyFromCryptoKey,
  SignFactory,
  VerifyFactory,
} from 'paseto/v4/public';

const v4 = new PublicProtocol(
  SignFactory,
  VerifyFactory,
  ImportPublicKeyFactory,
  ExportPublicKeyFactory,
  ImportSecretKeyFactory,
  ExportSecretKeyFactory,
);
const subtle = webcrypto.subtle;

// ---- BLAKE2b (RFC 7693), unkeyed, on BigInt words: slow, and small. ----
const M64 = (1n << 64n) - 1n;
const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n, 0x510e527fade682d1n, 0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

function blake2b(data, outlen) {
  const h = IV.slice();
  h[0] ^= 0x01010000n ^ BigInt(outlen);
  const blocks = Math.max(1, Math.ceil(data.length / 128));
  let t = 0n;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 128, b * 128 + 128);
    const block = new Uint8Array(128);
    block.set(chunk);
    t += BigInt(chunk.length);
    const dv = new DataView(block.buffer);
    const m = [];
    for (let i = 0; i < 16; i++) m.push(dv.getBigUint64(i * 8, true));
    const v = [...h, ...IV];
    v[12] ^= t & M64;
    v[13] ^= t >> 64n;
    if (b === blocks - 1) v[14] ^= M64;
    const g = (a, bb, c, d, x, y) => {
      v[a] = (v[a] + v[bb] + x) & M64;
      v[d] = rotr(v[d] ^ v[a], 32n);
      v[c] = (v[c] + v[d]) & M64;
      v[bb] = rotr(v[bb] ^ v[c], 24n);
      v[a] = (v[a] + v[bb] + y) & M64;
      v[d] = rotr(v[d] ^ v[a], 16n);
      v[c] = (v[c] + v[d]) & M64;
      v[bb] = rotr(v[bb] ^ v[c], 63n);
    };
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
  }
  const out = new Uint8Array(64);
  const dv = new DataView(out.buffer);
  h.forEach((x, i) => dv.setBigUint64(i * 8, x, true));
  return out.subarray(0, outlen);
}

// ---- PASERK k4 by hand ----
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
function unb64u(s) {
  // Node's decoder is lenient; insist on the canonical form PASERK uses.
  const bytes = Buffer.from(s, 'base64url');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || b64u(bytes) !== s)
    throw new Error(`not canonical base64url: ${s}`);
  return bytes;
}
function publicBytes(paserk) {
  if (!paserk.startsWith('k4.public.')) throw new Error(`not k4.public: ${paserk}`);
  const pk = unb64u(paserk.slice('k4.public.'.length));
  if (pk.length !== 32) throw new Error(`k4.public of ${pk.length} bytes`);
  return pk;
}
// PASERK: k4.pid = "k4.pid." || b64u(BLAKE2b-264("k4.pid." || paserk)).
function pidOf(paserk) {
  publicBytes(paserk);
  const h = 'k4.pid.';
  return h + b64u(blake2b(Buffer.from(h + paserk, 'utf8'), 33));
}
async function publicKeyFromJwk(paserk) {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(publicBytes(paserk)) };
  const ck = await subtle.importKey('jwk', jwk, { name: 'Ed25519' }, true, ['verify']);
  return PublicKeyFromCryptoKey(ck);
}

function selftest() {
  for (const n of [0, 1, 3, 111, 127, 128, 129, 255, 256, 300]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
    const mine = b64u(blake2b(data, 64));
    const node = createHash('blake2b512').update(data).digest('base64url');
    if (mine !== node) throw new Error(`blake2b-512 of ${n} bytes differs from node`);
  }
  let vectors = 0;
  const dir = process.env.PLEDGED_VECTORS_DIR;
  if (dir) {
    const tests = JSON.parse(readFileSync(`${dir}/k4.pid.json`, 'utf8')).tests;
    for (const t of tests.filter((x) => !x['expect-fail'])) {
      const paserk = 'k4.public.' + b64u(Buffer.from(t.key, 'hex'));
      if (pidOf(paserk) !== t.paserk) throw new Error(`${t.name}: k4.pid differs`);
      vectors++;
    }
  }
  return `blake2b matches node's blake2b512; k4.pid vectors: ${vectors} passed`;
}

// ---- the checks ----
function same(what, got, want) {
  if (got !== want)
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

// A token of ours, through both key routes; then the claims and footer.
async function verify(paserk, token, expect) {
  const routes = [
    ['jwk', await publicKeyFromJwk(paserk)],
    ['paserk', await v4.ImportPublicKey(paserk)],
  ];
  same('library round-trips our k4.public', await v4.ExportPublicKey(routes[1][1]), paserk);
  let claims, footer;
  for (const [route, key] of routes) {
    const r = await v4.Verify(key, token, {
      issuer: expect.iss,
      subject: expect.sub,
      tokenIdentifier: expect.jti,
      requiredClaims: ['sub', 'phase', 'jti', 'exp', 'iat', 'iss'],
    });
    if (claims !== undefined)
      same(`claims by ${route}`, JSON.stringify(r.claims), JSON.stringify(claims));
    claims = r.claims;
    footer = Buffer.from(r.footer).toString('utf8');
  }
  same('sub', claims.sub, expect.sub);
  same('phase', claims.phase, expect.phase);
  same('jti', claims.jti, expect.jti);
  same('iss', claims.iss, expect.iss);
  if (!RFC3339.test(claims.exp) || !RFC3339.test(claims.iat))
    throw new Error(`exp/iat not RFC 3339: ${claims.exp} ${claims.iat}`);
  same('exp - iat', (Date.parse(claims.exp) - Date.parse(claims.iat)) / 1000, expect.ttl);
  same('footer', footer, JSON.stringify({ kid: pidOf(paserk) }));
  same('footer kid', JSON.parse(footer).kid, expect.kid);
  // Not vacuous: one flipped payload character must fail here too.
  const c = token[20] === 'A' ? 'B' : 'A';
  const bad = token.slice(0, 20) + c + token.slice(21);
  let rejected = false;
  await v4.Verify(routes[0][1], bad).catch(() => (rejected = true));
  if (!rejected) throw new Error('a tampered token verified');
  return `verified by jwk and paserk keys; claims ${JSON.stringify(claims)}; footer ${footer}`;
}

// A key pair made by Node; the k4.secret built by hand must be the one
// the library exports, and it is what pledged is given.
async function keygen(file) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const secret = 'k4.secret.' + b64u(Buffer.concat([unb64u(jwk.d), unb64u(jwk.x)]));
  const pub = 'k4.public.' + jwk.x;
  const ck = await subtle.importKey('jwk', jwk, { name: 'Ed25519' }, true, ['sign']);
  const sk = await SecretKeyFromCryptoKey(ck);
  same('library k4.secret', await v4.ExportSecretKey(sk), secret);
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return JSON.stringify({ public: pub, pid: pidOf(pub) });
}

// Sign as another issuer would: the library adds iat, and exp from the
// lifetime, in its own RFC 3339 form (with milliseconds).
async function sign(file, claims, ttl) {
  const secret = readFileSync(file, 'utf8').trim();
  const sk = await v4.ImportSecretKey(secret);
  const pub = 'k4.public.' + b64u(unb64u(secret.slice('k4.secret.'.length)).subarray(32));
  const footer = Buffer.from(JSON.stringify({ kid: pidOf(pub) }), 'utf8');
  return v4.Sign(sk, claims, { footer, expiresIn: ttl });
}

const [mode, ...args] = process.argv.slice(2);
try {
  let out;
  if (mode === 'selftest') out = selftest();
  else if (mode === 'pid') out = pidOf(args[0]);
  else if (mode === 'verify') out = await verify(args[0], args[1], JSON.parse(args[2]));
  else if (mode === 'keygen') out = await keygen(args[0]);
  else if (mode === 'sign') out = await sign(args[0], JSON.parse(args[1]), Number(args[2]));
  else throw new Error(`unknown mode ${mode}`);
  console.log(out);
} catch (e) {
  console.log(`error: ${e.message ?? e}`);
  process.exit(1);
}
