/** Hostile and broken tokens and URLs for the providers' token check and endpoint parsing. */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { MAX_OIDC_RESPONSE_BYTES } from '../../../src/core/limits.js';
import { checkIdToken, decodeIdToken, type IdTokenExpectation } from '../../../src/identity/oidc/index.js';
import { secureUrl } from '../../../src/identity/oidc/transport.js';
import { expectCode } from '../../helpers.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const c = randomBytes(32).toString('base64url');
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

let key: CryptoKey;
let good: string;
beforeAll(async () => {
  key = (await generateKeyPair('RS256')).privateKey;
  good = await sign({});
});

function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: c, sub: 'repo:o/r:ref:refs/heads/main', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

const expectation: IdTokenExpectation = { what: 'test token', commitmentClaim: 'aud', commitment: c, issuer: ISSUER };
const check =
  (raw: string, o: Partial<IdTokenExpectation> = {}) =>
  () =>
    checkIdToken(raw, { ...expectation, ...o });
const withSegment = (raw: string, i: number, seg: string): string =>
  raw
    .split('.')
    .map((s, j) => (j === i ? seg : s))
    .join('.');

describe('checkIdToken', () => {
  describe('when the token is well formed and bound to the commitment', () => {
    it('returns header and payload', () => {
      expect(checkIdToken(good, expectation)).toMatchObject({
        header: { alg: 'RS256' },
        payload: { aud: c, iss: ISSUER },
      });
    });
  });

  describe('when truncated', () => {
    it.each([
      ['two segments', () => good.split('.').slice(0, 2).join('.')],
      ['an empty signature', () => withSegment(good, 2, '')],
      ['a cut payload', () => withSegment(good, 1, good.split('.')[1]!.slice(0, 10))],
      ['nothing', () => ''],
    ])('throws OIDC_TOKEN_INVALID for %s', (_label, make) => expectCode(check(make()), 'OIDC_TOKEN_INVALID'));
  });

  describe('when tampered', () => {
    it.each([
      ['a payload that is not JSON', () => withSegment(good, 1, b64('not json'))],
      ['a payload that is a JSON array', () => withSegment(good, 1, b64([c]))],
      ['a header that is a string', () => withSegment(good, 0, b64('"RS256"'))],
      ['padded base64url', () => withSegment(good, 1, `${good.split('.')[1]}=`)],
      ['standard base64 characters', () => withSegment(good, 1, `+${good.split('.')[1]!.slice(1)}`)],
      ['four segments (JWE-like)', () => `${good}.AAAA`],
    ])('throws OIDC_TOKEN_INVALID for %s', (_label, make) => expectCode(check(make()), 'OIDC_TOKEN_INVALID'));
  });

  describe('when oversized', () => {
    it('throws OIDC_TOKEN_INVALID past MAX_OIDC_RESPONSE_BYTES', () =>
      expectCode(check(withSegment(good, 1, 'A'.repeat(MAX_OIDC_RESPONSE_BYTES))), 'OIDC_TOKEN_INVALID'));
  });

  describe('when the algorithm is not RS256 (algorithm confusion)', () => {
    it.each(['none', 'HS256', 'GQ256', 'ES256', 'PS256'])('throws OIDC_TOKEN_INVALID for alg %s', (alg) =>
      expectCode(check(withSegment(good, 0, b64({ alg, typ: 'JWT' }))), 'OIDC_TOKEN_INVALID'),
    );

    it('throws OIDC_TOKEN_INVALID when alg is missing', () =>
      expectCode(check(withSegment(good, 0, b64({ typ: 'JWT' }))), 'OIDC_TOKEN_INVALID'));
  });

  describe('when issued by another issuer (wrong key holder)', () => {
    it('throws OIDC_TOKEN_INVALID', async () =>
      expectCode(check(await sign({ iss: 'https://evil.example' })), 'OIDC_TOKEN_INVALID'));
    it('throws OIDC_TOKEN_INVALID when iss is missing', async () =>
      expectCode(check(await sign({ iss: undefined })), 'OIDC_TOKEN_INVALID'));
  });

  describe('when bound to another commitment (wrong subject)', () => {
    it.each([
      ['another commitment', randomBytes(32).toString('base64url')],
      ['a list containing the commitment', [c]],
      ['the commitment with a prefix', `OPENPUBKEY-PKTOKEN:${c}`],
      ['no aud', undefined],
    ])('throws OIDC_TOKEN_INVALID for %s', async (_label, aud) =>
      expectCode(check(await sign({ aud })), 'OIDC_TOKEN_INVALID'),
    );

    it('checks nonce, not aud, for nonce providers', async () => {
      const raw = await sign({ aud: 'client', nonce: 'other' });
      await expectCode(check(raw, { commitmentClaim: 'nonce' }), 'OIDC_TOKEN_INVALID');
      expect(
        checkIdToken(await sign({ aud: 'client', nonce: c }), { ...expectation, commitmentClaim: 'nonce' }).payload
          .nonce,
      ).toBe(c);
    });
  });

  describe('when replayed after it expired', () => {
    it('throws OIDC_TOKEN_INVALID', async () => {
      const raw = await sign({});
      const exp = checkIdToken(raw, expectation).payload.exp as number;
      await expectCode(check(raw, { now: exp + 3600 }), 'OIDC_TOKEN_INVALID');
    });

    it('throws OIDC_TOKEN_INVALID when exp is not a number', () =>
      expectCode(check(withSegment(good, 1, b64({ iss: ISSUER, aud: c, exp: 'tomorrow' }))), 'OIDC_TOKEN_INVALID'));
  });
});

describe('decodeIdToken', () => {
  describe('when the segments decode', () => {
    it('does not check claims', () => {
      const raw = `${b64({ alg: 'none' })}.${b64({})}.sig`;
      expect(decodeIdToken(raw, 'x')).toEqual({ header: { alg: 'none' }, payload: {} });
    });
  });
});

describe('secureUrl', () => {
  describe('when the URL is https or loopback http', () => {
    it.each(['https://idp.example.com', 'http://127.0.0.1:8080/x', 'http://localhost:1/', 'http://[::1]:9/'])(
      'accepts %s',
      (u) => {
        expect(secureUrl(u, 'issuer').href).toBe(new URL(u).href);
      },
    );
  });

  describe('when the URL is insecure or malformed', () => {
    it.each([
      'http://idp.example.com',
      'http://127.0.0.1.nip.io/',
      'http://10.0.0.1/',
      'ftp://127.0.0.1/',
      'file:///etc/passwd',
      'https://user:pass@idp.example.com',
      'not a url',
      '',
    ])('throws OIDC_NOT_CONFIGURED for %s', (u) => expectCode(() => secureUrl(u, 'issuer'), 'OIDC_NOT_CONFIGURED'));
  });
});
