/**
 * ECDSA P-256 with SHA-256 public keys: the one place a P-256 key is imported and a signature
 * by it checked (DSSE signatures by the run's key, the PK token certificate's self-signature,
 * the log's SETs and checkpoints). Keys are accepted in one form only — named curve P-256,
 * uncompressed point, as Go and Node write it — checked before OpenSSL sees the bytes, so a log
 * ID or keyid (a hash of the SPKI) has one spelling and other key types never reach a decoder.
 */
import { createPublicKey, verify as nodeVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bytesEqual } from './digest.js';
import { CoreError } from './errors.js';

/** The DER prefix of a P-256 SubjectPublicKeyInfo with an uncompressed point; 64 coordinate bytes follow. */
export const P256_SPKI_PREFIX: Buffer = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');

/** How a signature is encoded: ASN.1 DER (DSSE, X.509, Rekor) or raw r‖s (JWS ES256). */
export type EcdsaEncoding = 'der' | 'raw';

/** An ECDSA P-256 public key. */
export class P256PublicKey {
  /** DER SubjectPublicKeyInfo (named curve, uncompressed point). */
  readonly spkiDer: Buffer;
  readonly #key: KeyObject;

  private constructor(key: KeyObject, spkiDer: Buffer) {
    this.#key = key;
    this.spkiDer = spkiDer;
  }

  /**
   * Imports a DER SubjectPublicKeyInfo.
   * @param what - names the key in the message
   * @throws CoreError CORE_KEY_INVALID (not P-256 in the uncompressed form, or not a point on the curve)
   */
  static fromSpki(spkiDer: Uint8Array, what = 'public key'): P256PublicKey {
    const der = Buffer.from(spkiDer);
    if (
      der.length !== P256_SPKI_PREFIX.length + 64 ||
      !bytesEqual(der.subarray(0, P256_SPKI_PREFIX.length), P256_SPKI_PREFIX)
    ) {
      throw new CoreError({
        code: 'CORE_KEY_INVALID',
        message: `${what}: not an ECDSA P-256 key in uncompressed SubjectPublicKeyInfo form`,
      });
    }
    try {
      return new P256PublicKey(createPublicKey({ key: der, format: 'der', type: 'spki' }), der);
    } catch (err) {
      throw new CoreError({ code: 'CORE_KEY_INVALID', cause: err, message: `${what}: not a point on P-256` });
    }
  }

  /**
   * Imports the coordinates of a P-256 public JWK (`kty`, `crv` and `alg` are the caller's to check).
   * @throws CoreError CORE_KEY_INVALID (coordinates missing or not a point on P-256)
   */
  static fromJwk(jwk: { x?: string; y?: string }, what = 'public JWK'): P256PublicKey {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JsonWebKey, format: 'jwk' });
    } catch (err) {
      throw new CoreError({ code: 'CORE_KEY_INVALID', cause: err, message: `${what}: not a point on P-256` });
    }
    return new P256PublicKey(key, key.export({ format: 'der', type: 'spki' }));
  }

  /**
   * Verifies an ECDSA signature over SHA-256(data). Never throws: signature bytes that do not
   * parse are simply not a valid signature, and the caller raises its own code.
   */
  verify(data: Uint8Array, signature: Uint8Array, encoding: EcdsaEncoding): boolean {
    if (encoding === 'raw' && signature.length !== 64) return false;
    try {
      return nodeVerify(
        'sha256',
        data,
        { key: this.#key, dsaEncoding: encoding === 'der' ? 'der' : 'ieee-p1363' },
        signature,
      );
    } catch {
      // Unparseable signature bytes: not a valid signature.
      return false;
    }
  }
}
