/**
 * The fake log's hashedrekord handling, done as Rekor does it: validate the proposal, verify the
 * ECDSA P-256 signature over the given digest (OpenSSL's scalar multiplications by way of ECDH,
 * since Node verifies only messages it hashes itself), and canonicalise the body with the key or
 * certificate re-encoded as Go's PEM encoder writes it. Independent of `src/`.
 */
import { createECDH, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

// ---------------------------------------------------------------------------------------
// hashedrekord: validate, check the signature, canonicalise as Rekor does
// ---------------------------------------------------------------------------------------

/** Validates a proposed hashedrekord, checks its signature, and returns Rekor's canonical body. */
export function canonicalizeHashedRekord(e: unknown): { canonical: Buffer; hashHex: string } {
  const p = e as {
    apiVersion?: unknown;
    kind?: unknown;
    spec?: {
      data?: { hash?: { algorithm?: unknown; value?: unknown } };
      signature?: { content?: unknown; publicKey?: { content?: unknown } };
    };
  };
  if (p?.kind !== 'hashedrekord' || p.apiVersion !== '0.0.1') throw new Error('only hashedrekord 0.0.1 is supported');
  const hash = p.spec?.data?.hash;
  if (hash?.algorithm !== 'sha256' || typeof hash.value !== 'string' || !/^[0-9a-f]{64}$/.test(hash.value))
    throw new Error('spec.data.hash must be sha256 with 64 lowercase hex');
  const sigB64 = p.spec?.signature?.content;
  const keyB64 = p.spec?.signature?.publicKey?.content;
  if (typeof sigB64 !== 'string' || typeof keyB64 !== 'string')
    throw new Error('spec.signature.content and publicKey.content are required');
  const signature = Buffer.from(sigB64, 'base64');
  const pem = Buffer.from(keyB64, 'base64').toString('utf8');
  const key = submitterKey(pem);
  if (!verifyPrehashed(key, Buffer.from(hash.value, 'hex'), signature))
    throw new Error('verifying signature: invalid signature when validating ASN.1 encoded signature');
  const canonicalKeyPem = key.canonicalPem;
  const canonical = canonicalJson({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: hash.value } },
      signature: {
        content: signature.toString('base64'),
        publicKey: { content: Buffer.from(canonicalKeyPem).toString('base64') },
      },
    },
  });
  return { canonical: Buffer.from(canonical), hashHex: hash.value };
}

function goPem(der: Buffer, label: string): string {
  const b64 = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** RFC 8785 for the values this log handles (strings, safe integers, objects). */
export function canonicalJson(v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------
// ECDSA P-256 verification over a given digest (Rekor verifies hashedrekord signatures this way)
// ---------------------------------------------------------------------------------------

type CurvePoint = ReturnType<typeof p256.Point.fromBytes>;
interface SubmitterKey {
  /** The uncompressed point (0x04 ‖ x ‖ y), as ECDH takes a peer's key. */
  raw: Buffer;
  x: bigint;
  y: bigint;
  point: CurvePoint;
  canonicalPem: string;
}

/** Parsed submitter keys by their exact PEM text: a signing run logs all its envelopes with one
 *  certificate, so it is parsed once. */
const submitterKeys = new Map<string, SubmitterKey>();
const MAX_CACHED_KEYS = 64;

function submitterKey(pem: string): SubmitterKey {
  let key = submitterKeys.get(pem);
  if (key === undefined) {
    let publicKey: KeyObject;
    let canonicalPem: string;
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      const cert = new X509Certificate(pem);
      publicKey = cert.publicKey;
      canonicalPem = goPem(cert.raw, 'CERTIFICATE');
    } else {
      publicKey = createPublicKey(pem);
      canonicalPem = goPem(publicKey.export({ format: 'der', type: 'spki' }), 'PUBLIC KEY');
    }
    const jwk = publicKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('only ECDSA P-256 keys are supported');
    const [x, y] = [Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')];
    const raw = Buffer.concat([Buffer.from([4]), x, y]);
    key = { raw, x: toBig(x), y: toBig(y), point: p256.Point.fromBytes(raw), canonicalPem };
    if (submitterKeys.size >= MAX_CACHED_KEYS) submitterKeys.delete(submitterKeys.keys().next().value!);
    submitterKeys.set(pem, key);
  }
  return key;
}

const Fp = p256.Point.Fp;
const Fn = p256.Point.Fn;

/**
 * ECDSA verification of a DER signature over `digest` itself (not hashed again), as Go's
 * ecdsa.Verify does it (any s is accepted): R = u1·G + u2·Q with w = s⁻¹, u1 = e·w, u2 = r·w
 * (mod n) must have x(R) ≡ r (mod n).
 *
 * Node verifies only messages it hashes itself, so the scalar multiplications are OpenSSL's, by
 * way of ECDH: a private key k gives k·G whole, and a shared secret with Q gives x(k·Q) only. The
 * y of B = u2·Q follows from x(B), x(B + Q) and x(B − Q): on y² = x³ + ax + b, x(B+Q) − x(B−Q)
 * = −4·y_B·y_Q / (x_Q − x_B)². Then R = u1·G + B in affine arithmetic: ~1 ms, against ~5 in
 * @noble/curves' point arithmetic, which remains for the cases this way cannot take (u1 = 0,
 * B = ±Q).
 */
function verifyPrehashed(q: SubmitterKey, digest: Buffer, der: Buffer): boolean {
  if (digest.length !== 32) return false;
  let r: bigint;
  let s: bigint;
  try {
    ({ r, s } = p256.Signature.fromBytes(der, 'der'));
  } catch {
    // A malformed signature (bad DER, r or s out of range) is an invalid signature, as Rekor reports it.
    return false;
  }
  const w = Fn.inv(s);
  const u1 = Fn.mul(Fn.create(toBig(digest)), w);
  const u2 = Fn.mul(r, w);
  const xB = xOfMultiple(q, u2);
  const [xS, xD] = [xOfMultiple(q, Fn.add(u2, 1n)), xOfMultiple(q, Fn.sub(u2, 1n))];
  if (u1 === 0n || xB === undefined || xS === undefined || xD === undefined || xB === q.x)
    return verifyInNoble(q.point, u1, u2, r);
  const dx = Fp.sub(q.x, xB);
  const yB = Fp.neg(Fp.div(Fp.mul(Fp.sub(xS, xD), Fp.sqr(dx)), Fp.mul(4n, q.y)));
  const A = multipleOfG(u1);
  const R = addAffine(A, { x: xB, y: yB });
  return R !== undefined && Fn.create(R.x) === r;
}

/** x(k·Q) from OpenSSL (an ECDH shared secret); undefined for k = 0 (k·Q is the point at infinity). */
function xOfMultiple(q: SubmitterKey, k: bigint): bigint | undefined {
  if (k === 0n) return undefined;
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(toBytes(k));
  return toBig(ecdh.computeSecret(q.raw));
}

/** k·G from OpenSSL (an ECDH public key), k ≠ 0. */
function multipleOfG(k: bigint): { x: bigint; y: bigint } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(toBytes(k));
  const pub = ecdh.getPublicKey();
  return { x: toBig(pub.subarray(1, 33)), y: toBig(pub.subarray(33)) };
}

/** P + Q in affine coordinates; undefined for the point at infinity. */
function addAffine(p: { x: bigint; y: bigint }, q: { x: bigint; y: bigint }): { x: bigint; y: bigint } | undefined {
  let slope: bigint;
  if (p.x === q.x) {
    if (p.y !== q.y || p.y === 0n) return undefined; // P + (−P)
    slope = Fp.div(Fp.add(Fp.mul(3n, Fp.sqr(p.x)), p256.CURVE.a), Fp.mul(2n, p.y)); // doubling
  } else slope = Fp.div(Fp.sub(q.y, p.y), Fp.sub(q.x, p.x));
  const x = Fp.sub(Fp.sub(Fp.sqr(slope), p.x), q.x);
  return { x, y: Fp.sub(Fp.mul(slope, Fp.sub(p.x, x)), p.y) };
}

function verifyInNoble(q: CurvePoint, u1: bigint, u2: bigint, r: bigint): boolean {
  const sum = p256.Point.BASE.multiplyUnsafe(u1).add(q.multiplyUnsafe(u2));
  return !sum.is0() && Fn.create(sum.toAffine().x) === r;
}

function toBig(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
}

function toBytes(k: bigint): Buffer {
  return Buffer.from(k.toString(16).padStart(64, '0'), 'hex');
}
