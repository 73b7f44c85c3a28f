/**
 * The fake log's hashedrekord handling, done as Rekor does it: validate the proposal, verify the
 * ECDSA P-256 signature over the given digest (in @noble/curves' point arithmetic, since Node only
 * verifies messages it hashes itself), and canonicalise the body with the key or certificate
 * re-encoded as Go's PEM encoder writes it. Independent of `src/`.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
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
  if (!verifyPrehashed(key.point, Buffer.from(hash.value, 'hex'), signature))
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
  point: CurvePoint;
  canonicalPem: string;
  uses: number;
}

/** Parsed submitter keys by their exact PEM text: a signing run logs all its envelopes with one
 *  certificate, so it is parsed once and its point gets a precomputed table from its second use. */
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
    const point = p256.Point.fromBytes(
      Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
    );
    key = { point, canonicalPem, uses: 0 };
    if (submitterKeys.size >= MAX_CACHED_KEYS) submitterKeys.delete(submitterKeys.keys().next().value!);
    submitterKeys.set(pem, key);
  }
  if (++key.uses === 2) key.point.precompute(4, false);
  return key;
}

/**
 * ECDSA verification of a DER signature over `digest` itself (not hashed again): u1·G + u2·Q has
 * x ≡ r (mod n), in @noble/curves' field and point arithmetic. Any s is accepted, as Go's
 * ecdsa.Verify does. (`p256.verify` would re-parse the key and skip its precomputed table.)
 */
function verifyPrehashed(q: CurvePoint, digest: Buffer, der: Buffer): boolean {
  if (digest.length !== 32) return false;
  try {
    const { r, s } = p256.Signature.fromBytes(der, 'der');
    const n = p256.Point.Fn;
    const w = n.inv(s);
    const e = n.create(BigInt(`0x${digest.toString('hex')}`));
    const sum = p256.Point.BASE.multiplyUnsafe(n.mul(e, w)).add(q.multiplyUnsafe(n.mul(r, w)));
    return !sum.is0() && n.create(sum.toAffine().x) === r;
  } catch {
    // A malformed signature (bad DER, r or s out of range) is an invalid signature, as Rekor reports it.
    return false;
  }
}
