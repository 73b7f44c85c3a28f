/**
 * The run's ephemeral ES256 key. It is generated in memory, held as a non-exported
 * `KeyObject`, never serialised except its public half, and never logged.
 */
import { createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject, type JsonWebKey } from 'node:crypto';
import { sha256 } from '../core/digest.js';
import { P256PublicKey } from '../core/ecdsa-p256.js';

/** The public JWK of an ES256 key as OpenPubkey's CIC carries it (`upk`, with `alg`). */
export interface Es256PublicJwk {
  alg: 'ES256';
  crv: 'P-256';
  kty: 'EC';
  x: string;
  y: string;
}

const keys = new WeakMap<EphemeralKey, KeyObject>();

/** A fresh P-256 key for one signing run. */
export class EphemeralKey {
  /** Public key as a JWK with `alg: "ES256"` (the CIC `upk`). */
  readonly publicJwk: Es256PublicJwk;
  /** DER SubjectPublicKeyInfo of the public key. */
  readonly spkiDer: Buffer;
  /** Lowercase hex SHA-256 of the SPKI DER: the DSSE `keyid`. */
  readonly keyid: string;

  private constructor(privateKey: KeyObject) {
    keys.set(this, privateKey);
    const pub = createPublicKey(privateKey);
    const jwk = pub.export({ format: 'jwk' }) as JsonWebKey;
    this.publicJwk = { alg: 'ES256', crv: 'P-256', kty: 'EC', x: jwk.x!, y: jwk.y! };
    this.spkiDer = pub.export({ format: 'der', type: 'spki' });
    this.keyid = sha256(this.spkiDer).toString('hex');
  }

  /** Generates a new key in memory. */
  static generate(): EphemeralKey {
    return new EphemeralKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  }

  /** ECDSA P-256 over SHA-256(data), ASN.1 DER encoded (DSSE, Rekor). */
  signDer(data: Uint8Array): Buffer {
    return nodeSign('sha256', data, { key: keys.get(this)!, dsaEncoding: 'der' });
  }

  /** ECDSA P-256 over SHA-256(data), raw r‖s (64 bytes; JWS ES256). */
  signJose(data: Uint8Array): Buffer {
    return nodeSign('sha256', data, { key: keys.get(this)!, dsaEncoding: 'ieee-p1363' });
  }

  /** Never serialise the key: JSON and inspection show only the public half. */
  toJSON(): { keyid: string } {
    return { keyid: this.keyid };
  }
}

/**
 * Verifies an ECDSA P-256/SHA-256 signature by a public JWK. Returns false (never throws)
 * for a malformed key or signature: callers turn false into their own coded error.
 * @param encoding - `der` (DSSE, Rekor) or `jose` (raw r‖s, JWS)
 */
export function verifyEs256(
  jwk: { kty?: string; crv?: string; x?: string; y?: string },
  data: Uint8Array,
  sig: Uint8Array,
  encoding: 'der' | 'jose',
): boolean {
  return es256Verifier(jwk)(data, sig, encoding);
}

/**
 * `verifyEs256` with the key imported once, for checking many signatures by one key (a run's
 * envelopes): importing a JWK costs more than the verification itself.
 * @returns a function with `verifyEs256`'s contract (false, never a throw, for a malformed key or signature)
 */
export function es256Verifier(jwk: {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
}): (data: Uint8Array, sig: Uint8Array, encoding: 'der' | 'jose') => boolean {
  let key: P256PublicKey | undefined;
  try {
    key = P256PublicKey.fromJwk(jwk);
  } catch {
    // A key that is not a point on P-256 verifies nothing.
    key = undefined;
  }
  return (data, sig, encoding) => key?.verify(data, sig, encoding === 'der' ? 'der' : 'raw') ?? false;
}

/**
 * Hex SHA-256 of the SPKI DER of a P-256 public JWK (the DSSE keyid of that key).
 * @throws CoreError CORE_KEY_INVALID when the coordinates are not a point on P-256
 */
export function keyidOfJwk(jwk: { x?: string; y?: string }): string {
  return sha256(P256PublicKey.fromJwk(jwk).spkiDer).toString('hex');
}
