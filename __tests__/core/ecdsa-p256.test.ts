import { generateKeyPairSync, sign, type JsonWebKey } from 'node:crypto';
import { P256PublicKey, P256_SPKI_PREFIX } from '../../src/core/ecdsa-p256.js';
import { CoreError } from '../../src/core/errors.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = publicKey.export({ format: 'der', type: 'spki' });
const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
const data = Buffer.from('the PAE');
const der = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof CoreError ? err.code : `not a CoreError: ${String(err)}`;
  }
  return undefined;
}

describe('P256PublicKey', () => {
  describe('when the key is an uncompressed P-256 SPKI or its JWK', () => {
    it('verifies DER and raw signatures over SHA-256(data), from either import', () => {
      for (const key of [P256PublicKey.fromSpki(spki), P256PublicKey.fromJwk({ x: jwk.x, y: jwk.y })]) {
        expect(key.spkiDer.equals(spki)).toBe(true);
        expect(key.verify(data, der, 'der')).toBe(true);
        expect(key.verify(data, raw, 'raw')).toBe(true);
      }
    });

    it('returns false, never throws, for other data, a swapped encoding or garbage signature bytes', () => {
      const key = P256PublicKey.fromSpki(spki);
      expect(key.verify(Buffer.from('other'), der, 'der')).toBe(false);
      expect(key.verify(data, der, 'raw')).toBe(false);
      expect(key.verify(data, raw, 'der')).toBe(false);
      expect(key.verify(data, Buffer.from([0x30, 0x02, 0x01]), 'der')).toBe(false);
      expect(key.verify(data, Buffer.concat([raw, Buffer.from([0])]), 'raw')).toBe(false);
      expect(key.verify(data, Buffer.alloc(0), 'der')).toBe(false);
    });
  });

  describe('when the SPKI is not the one accepted form', () => {
    it('throws CORE_KEY_INVALID for a compressed point, another curve, another key type and a truncated key', () => {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
      const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
      // The same point, compressed: a valid P-256 key, but not the one spelling a keyid or log ID hashes.
      const squeezed = Buffer.concat([
        Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
        Buffer.from([0x02 | (spki.at(-1)! & 1)]),
        spki.subarray(P256_SPKI_PREFIX.length, P256_SPKI_PREFIX.length + 32),
      ]);
      for (const bad of [squeezed, p384, ed25519, spki.subarray(0, spki.length - 1)]) {
        expect(codeOf(() => P256PublicKey.fromSpki(bad))).toBe('CORE_KEY_INVALID');
      }
    });

    it('throws CORE_KEY_INVALID for coordinates that are not a point on P-256', () => {
      const offCurve = Buffer.from(spki);
      offCurve[offCurve.length - 1]! ^= 1;
      expect(codeOf(() => P256PublicKey.fromSpki(offCurve))).toBe('CORE_KEY_INVALID');
      expect(codeOf(() => P256PublicKey.fromJwk({ x: jwk.x, y: jwk.x }))).toBe('CORE_KEY_INVALID');
      expect(codeOf(() => P256PublicKey.fromJwk({}))).toBe('CORE_KEY_INVALID');
    });
  });
});
