import { generateKeyPairSync } from 'node:crypto';
import { jwkThumbprint, parsePublicJwk } from '../../src/identity/jwk.js';
import { expectCode, loadVectors } from '../helpers.js';

const V = loadVectors();

describe('jwkThumbprint', () => {
  const cases: { name: string; jwk: Record<string, string>; expected: string }[] = V.jkt;
  describe.each(cases.map((c) => [c.name, c] as const))('for %s', (_name, c) => {
    it('reproduces the RFC 7638 thumbprint', () => {
      expect(jwkThumbprint(parsePublicJwk(c.jwk, 'key', 'PKT_JWKS_INVALID'))).toBe(c.expected);
    });
  });

  describe('for the Google key of the legacy GQ token', () => {
    it('equals the jkt in its GQ header', () => {
      const g = V.google_gq_legacy;
      expect(jwkThumbprint(parsePublicJwk(g.jwk, 'key', 'PKT_JWKS_INVALID'))).toBe(g.expected_jkt);
    });
  });

  describe('when n carries a leading zero octet', () => {
    it('hashes the minimal encoding, as Go does from the big integer', () => {
      const c = V.jkt[0];
      const padded = Buffer.concat([Buffer.alloc(1), Buffer.from(c.jwk.n, 'base64url')]).toString('base64url');
      expect(jwkThumbprint(parsePublicJwk({ ...c.jwk, n: padded }, 'key', 'PKT_JWKS_INVALID'))).toBe(c.expected);
    });
  });

  describe('for an EC key', () => {
    it('hashes {"crv","kty","x","y"} (RFC 7638 §3.2)', async () => {
      const jwk = { kty: 'EC', crv: 'P-256', x: V.cic_headers[0].cic.upk.x, y: V.cic_headers[0].cic.upk.y };
      const { calculateJwkThumbprint } = await import('jose');
      expect(jwkThumbprint(parsePublicJwk(jwk, 'key', 'PKT_CIC_INVALID'))).toBe(await calculateJwkThumbprint(jwk));
    });
  });
});

describe('parsePublicJwk', () => {
  const rsa = V.jkt[0].jwk;
  const ec = V.cic_headers[0].cic.upk;
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });

  it('accepts an Ed25519 key', () => {
    expect(parsePublicJwk(ed, 'key', 'PKT_CIC_INVALID')).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  describe.each([
    ['not an object', 'key'],
    ['an unknown kty', { kty: 'oct', k: 'AAAA' }],
    ['a private member', { ...rsa, d: 'AAAA' }],
    ['an RSA modulus under 2048 bits', small],
    ['an even exponent', { ...rsa, e: 'AQAA' }],
    ['an exponent of 1', { ...rsa, e: 'AQ' }],
    ['a P-384 curve', { ...ec, crv: 'P-384' }],
    ['an x of the wrong length', { ...ec, x: 'AAAA' }],
    ['a point off the curve', { ...ec, y: ec.x }],
    ['a non-string kid', { ...rsa, kid: 7 }],
  ])('when given %s', (_what, value) => {
    it('throws the code it was given', () =>
      expectCode(() => parsePublicJwk(value, 'key', 'PKT_JWKS_INVALID'), 'PKT_JWKS_INVALID'));
  });

  describe('when n is not canonical base64url', () => {
    it('throws PKT_BASE64_INVALID', () =>
      expectCode(() => parsePublicJwk({ ...rsa, n: `${rsa.n}=` }, 'key', 'PKT_JWKS_INVALID'), 'PKT_BASE64_INVALID'));
  });
});
