/**
 * JWS signature checks for the algorithms OpenPubkey uses outside GQ256: RS256 (OP ID tokens,
 * RSA user keys), ES256 (ephemeral user keys, raw r‖s per RFC 7518) and EdDSA (Ed25519).
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { importPublicJwk, type PublicJwk } from './jwk.js';

/** JWS algorithms accepted for CIC, OSM and (RS256 only) OP signatures. */
export type JwsAlg = 'RS256' | 'ES256' | 'EdDSA';

/** Whether `alg` is one of the JWS algorithms we verify. */
export function isJwsAlg(alg: unknown): alg is JwsAlg {
  return alg === 'RS256' || alg === 'ES256' || alg === 'EdDSA';
}

/** Whether the key type is the one the algorithm needs (RS256 ↔ RSA, ES256 ↔ P-256, EdDSA ↔ Ed25519). */
export function keyFitsAlg(jwk: PublicJwk, alg: JwsAlg): boolean {
  return (
    (alg === 'RS256' && jwk.kty === 'RSA') ||
    (alg === 'ES256' && jwk.kty === 'EC') ||
    (alg === 'EdDSA' && jwk.kty === 'OKP')
  );
}

/**
 * Verifies a JWS signature over `signingInput` (`header.payload`, ASCII).
 * Returns false, never throws, for a wrong-length or invalid signature or a key that does not
 * fit the algorithm: callers turn false into their own coded error.
 * @param alg - the JWS algorithm the caller has already decided to accept
 * @param jwk - a key checked by `parsePublicJwk`
 * @param signingInput - the exact bytes that were signed
 * @param signature - the decoded signature
 */
export function verifyJwsSignature(
  alg: JwsAlg,
  jwk: PublicJwk,
  signingInput: string | Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!keyFitsAlg(jwk, alg)) return false;
  const data = typeof signingInput === 'string' ? Buffer.from(signingInput, 'latin1') : signingInput;
  try {
    const key = importPublicJwk(jwk);
    switch (alg) {
      case 'RS256':
        // OpenSSL requires the signature to be exactly the modulus length.
        return nodeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'ES256':
        return signature.length === 64 && nodeVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return signature.length === 64 && nodeVerify(null, data, key, signature);
    }
  } catch {
    // Node throws on some malformed signatures; a signature Node cannot parse is not valid.
    return false;
  }
}
