/**
 * OpenPubkey core throughput: GQ256 sign and verify, whole PK token verification, next to a
 * plain RS256 JWT verification by jose on the same machine (the cost a GQ token adds over the
 * ID token it replaces). A naive bigint GQ verification (square-and-multiply for S^v and G^R in
 * every round, ~670 modular products) shows what `verifyGqToken`'s arithmetic buys: S^v is the
 * RSA public operation, done by OpenSSL, and G^R uses a comb table of G shared by all rounds
 * (~124 bigint products in all).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { EphemeralKey } from '../src/identity/ephemeral-key.js';
import { createGqToken, decodeGqToken, encodePkcs1v15Sha256, gqParams, verifyGqToken } from '../src/identity/gq256.js';
import { issuePkToken } from '../src/identity/issue-pk-token.js';
import { bytesToBigInt } from '../src/identity/modular.js';
import { verifyPkToken } from '../src/identity/verify-pk-token.js';
import { opsPerSecond, report } from './util.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pub = publicKey.export({ format: 'jwk' });
const kid = createHash('sha1')
  .update(publicKey.export({ format: 'der', type: 'spki' }))
  .digest('hex')
  .toUpperCase();
const jwk = { kty: 'RSA', n: pub.n, e: pub.e, kid, alg: 'RS256', use: 'sig' };
const findKey = async (iss: string, k: string | undefined) => (iss === ISSUER && k === kid ? jwk : undefined);

const mint = (aud: string): Promise<string> => {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
    aud,
    iat,
    nbf: iat - 600,
    exp: iat + 300,
  })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid })
    .sign(privateKey);
};

const idToken = await mint('sigstore');
const gqToken = createGqToken(idToken, jwk);
const pkt = await issuePkToken({
  requestIdToken: mint,
  commitmentClaim: 'aud',
  key: EphemeralKey.generate(),
  findKey,
  gq: true,
});
const pktJson = pkt.jsonBytes();
const verifyOptions = { allowedIssuers: [ISSUER], findKey };

/** GQ verification written the obvious way, in bigint: the reference the optimised path is measured against. */
function naiveGqVerify(token: string): boolean {
  const gq = decodeGqToken(token);
  const n = bytesToBigInt(Buffer.from(pub.n!, 'base64url'));
  const p = gqParams(n, 65537n);
  const proof = Buffer.from(gq.jws.signature, 'base64url');
  const G = bytesToBigInt(encodePkcs1v15Sha256(Buffer.from(`${gq.originalHeaderSegment}.${gq.jws.payload}`), p.nBytes));
  const pow = (b: bigint, e: bigint): bigint => {
    let acc = 1n;
    for (let x = e, base = b % n; x > 0n; x >>= 1n, base = (base * base) % n) if (x & 1n) acc = (acc * base) % n;
    return acc;
  };
  const r = proof.subarray(0, p.t * p.vBytes);
  const w: Buffer[] = [];
  for (let i = 0; i < p.t; i++) {
    const s = bytesToBigInt(proof.subarray(r.length + i * p.nBytes, r.length + (i + 1) * p.nBytes));
    const ri = bytesToBigInt(r.subarray(i * p.vBytes, (i + 1) * p.vBytes));
    w.push(Buffer.from(((pow(s, p.v) * pow(G, ri)) % n).toString(16).padStart(p.nBytes * 2, '0'), 'hex'));
  }
  const m = Buffer.from(`${gq.jws.protected}.${gq.jws.payload}`);
  return createHash('shake256', { outputLength: r.length })
    .update(Buffer.concat([...w, m]))
    .digest()
    .equals(r);
}
if (!naiveGqVerify(gqToken)) throw new Error('naive GQ verification disagrees');

const rs256 = await opsPerSecond(() => jwtVerify(idToken, publicKey), 2000);
const gqSign = await opsPerSecond(() => createGqToken(idToken, jwk), 2000);
const gqVerify = await opsPerSecond(() => verifyGqToken(gqToken, jwk), 2000);
const naive = await opsPerSecond(() => naiveGqVerify(gqToken), 2000);
const pktVerify = await opsPerSecond(() => verifyPkToken(pktJson, verifyOptions), 2000);

report('jose RS256 JWT verify (RSA-2048)', rs256, 'ops/s');
report('GQ256 sign (createGqToken, RSA-2048, t=16)', gqSign, 'ops/s');
report('GQ256 verify (verifyGqToken)', gqVerify, 'ops/s');
report('GQ256 verify, naive bigint square-and-multiply', naive, 'ops/s');
report('PK token verify (parse, CIC, GQ256, commit)', pktVerify, 'ops/s');
report('ratio RS256 verify / GQ256 verify', rs256 / gqVerify, 'x');
report('ratio RS256 verify / PK token verify', rs256 / pktVerify, 'x');
report('speed-up of GQ256 verify over naive bigint', gqVerify / naive, 'x');
report('GQ256 verify latency', 1000 / gqVerify, 'ms');
