/**
 * The test log's signature check (fakes/rekor-hashedrekord.ts) is what lets a bad entry be
 * refused, so it must accept exactly what Rekor accepts: checked against @noble/curves' own ECDSA
 * verification over valid, tampered and crafted signatures, including the cases the check hands
 * to noble's point arithmetic (u1 = 0, u2·Q = ±Q).
 */
import { createPublicKey } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { canonicalizeHashedRekord } from '../fakes/rekor-hashedrekord.js';

const Fn = p256.Point.Fn;
type Point = ReturnType<typeof p256.Point.fromBytes>;

interface Key {
  secret: Uint8Array;
  point: Point;
  raw: Uint8Array;
  pem: string;
}

function newKey(): Key {
  const secret = p256.utils.randomSecretKey();
  const raw = p256.getPublicKey(secret, false);
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(raw.subarray(1, 33)).toString('base64url'),
    y: Buffer.from(raw.subarray(33)).toString('base64url'),
  };
  const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { secret, point: p256.Point.fromBytes(raw), raw, pem };
}

/** Whether the test log accepts the entry. */
function logAccepts(key: Key, digest: Uint8Array, der: Uint8Array): boolean {
  try {
    canonicalizeHashedRekord({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: Buffer.from(digest).toString('hex') } },
        signature: {
          content: Buffer.from(der).toString('base64'),
          publicKey: { content: Buffer.from(key.pem).toString('base64') },
        },
      },
    });
    return true;
  } catch {
    return false;
  }
}

function nobleAccepts(key: Key, digest: Uint8Array, der: Uint8Array): boolean {
  try {
    return p256.verify(der, digest, key.raw, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

const derOf = (r: bigint, s: bigint) => new p256.Signature(r, s).toBytes('der');
const bytes32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const random32 = () => p256.utils.randomSecretKey();
/** A random nonzero scalar mod n. */
const randomScalar = () => Fn.create(BigInt(`0x${Buffer.from(random32()).toString('hex')}`)) || 1n;

/** A valid signature made for given u1 and u2: R = u1·G + u2·Q, r = x(R), s = r / u2, e = u1·s. */
function crafted(key: Key, u1: bigint, u2: bigint): { digest: Uint8Array; der: Uint8Array } {
  const R = (u1 === 0n ? key.point.multiply(u2) : p256.Point.BASE.multiply(u1).add(key.point.multiply(u2))).toAffine();
  const r = Fn.create(R.x);
  const s = Fn.div(r, u2);
  return { digest: bytes32(Fn.mul(u1, s)), der: derOf(r, s) };
}

describe('the test log’s check of a hashedrekord signature', () => {
  const key = newKey();
  const other = newKey();

  it('accepts valid signatures, high s included, as noble does', () => {
    for (let i = 0; i < 40; i++) {
      const digest = random32();
      const sig = p256.sign(digest, key.secret, { prehash: false });
      for (const der of [sig.toBytes('der'), derOf(sig.r, Fn.neg(sig.s))]) {
        expect([logAccepts(key, digest, der), nobleAccepts(key, digest, der)]).toEqual([true, true]);
      }
    }
  });

  it('refuses tampered digests, tampered r or s, another key and random signatures, as noble does', () => {
    for (let i = 0; i < 40; i++) {
      const digest = random32();
      const sig = p256.sign(digest, key.secret, { prehash: false });
      const flipped = Uint8Array.from(digest);
      flipped[i % 32]! ^= 1 << (i % 8);
      const cases: Array<[Key, Uint8Array, Uint8Array]> = [
        [key, flipped, sig.toBytes('der')],
        [key, digest, derOf(Fn.add(sig.r, 1n), sig.s)],
        [key, digest, derOf(sig.r, Fn.add(sig.s, 1n))],
        [other, digest, sig.toBytes('der')],
        [key, digest, derOf(randomScalar(), sig.s)],
      ];
      for (const [k, d, der] of cases) expect([logAccepts(k, d, der), nobleAccepts(k, d, der)]).toEqual([false, false]);
    }
  });

  it('decides crafted signatures (u1 = 0, u2 = ±1, and a generic one) as noble does', () => {
    const u = randomScalar;
    const edges = [crafted(key, 0n, u()), crafted(key, u(), 1n), crafted(key, u(), Fn.neg(1n)), crafted(key, u(), u())];
    for (const { digest, der } of edges) {
      expect([logAccepts(key, digest, der), nobleAccepts(key, digest, der)]).toEqual([true, true]);
      expect(logAccepts(other, digest, der)).toBe(nobleAccepts(other, digest, der));
    }
  });

  it('refuses malformed DER, r or s of zero, and a digest of the wrong length', () => {
    const digest = random32();
    const sig = p256.sign(digest, key.secret, { prehash: false });
    const der = sig.toBytes('der');
    expect(logAccepts(key, digest, der.subarray(0, der.length - 1))).toBe(false);
    expect(logAccepts(key, digest, Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]))).toBe(false);
    expect(logAccepts(key, digest, Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00]))).toBe(false);
    expect(logAccepts(key, digest.subarray(0, 31), der)).toBe(false);
  });
});
