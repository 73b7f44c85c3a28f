import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { jwksKeyFinder, parseJwks } from '../../src/identity/jwks.js';
import { parsePkToken } from '../../src/identity/pk-token.js';
import {
  MAX_CLOCK_SKEW_SECONDS,
  verifyPkToken,
  type VerifyPkTokenOptions,
} from '../../src/identity/verify-pk-token.js';
import { expectCode, loadVectors } from '../helpers.js';
import { createTestOp, GITHUB_ISSUER, issueFrom } from './test-op.js';

const V = loadVectors();

describe('verifyPkToken', () => {
  const op = createTestOp();
  const options: VerifyPkTokenOptions = { allowedIssuers: [GITHUB_ISSUER], findKey: op.findKey };

  describe('when a GitHub-style token is issued and verified', () => {
    const key = EphemeralKey.generate();
    let json: Buffer;
    beforeAll(async () => {
      json = (await issueFrom(op, { key, extraClaims: { att: 'ef'.repeat(32) } })).jsonBytes();
    });

    it('returns the identity, the claims, the CIC and the upk', async () => {
      const v = await verifyPkToken(json, options);
      expect(v).toMatchObject({
        issuer: GITHUB_ISSUER,
        subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        opAlg: 'GQ256',
        kid: op.kid,
        upk: { kty: 'EC', x: key.publicJwk.x, y: key.publicJwk.y },
      });
      expect(v.claims.repository).toBe('octo-org/octo-repo');
      expect(v.cic.extra).toEqual({ att: 'ef'.repeat(32) });
      expect(v.hash).toBe(parsePkToken(json).hash());
    });

    it('accepts the compact form too', async () => {
      await expect(verifyPkToken(parsePkToken(json).compact(), options)).resolves.toMatchObject({ opAlg: 'GQ256' });
    });

    it('passes the original kid and the jkt to the key finder', async () => {
      const calls: unknown[][] = [];
      await verifyPkToken(json, {
        ...options,
        findKey: async (...args) => {
          calls.push(args);
          return op.findKey(args[0], args[1]);
        },
      });
      expect(calls).toEqual([[GITHUB_ISSUER, op.kid, parsePkToken(json).op.header.jkt]]);
    });

    it('works with a JWKS-backed finder', async () => {
      const findKey = jwksKeyFinder({
        [GITHUB_ISSUER]: parseJwks(JSON.stringify({ keys: [createTestOp().jwk, op.jwk] })),
      });
      await expect(verifyPkToken(json, { ...options, findKey })).resolves.toMatchObject({ kid: op.kid });
    });
  });

  describe('when the expiry policy is chosen', () => {
    let json: Buffer;
    const iat = 1_700_000_000;
    beforeAll(async () => {
      json = (await issueFrom(op, { claims: { iat, exp: iat + 300 } })).jsonBytes();
    });
    const at = (s: number) => () => new Date(s * 1000);

    it('defaults to iat + 24 h (the exp claim is ignored)', async () => {
      await expect(verifyPkToken(json, { ...options, now: at(iat + 86_400) })).resolves.toBeDefined();
      await expectCode(() => verifyPkToken(json, { ...options, now: at(iat + 86_401) }), 'PKT_EXPIRED');
    });
    it('checks exp under {kind: "exp"}', async () => {
      await expect(
        verifyPkToken(json, { ...options, expiry: { kind: 'exp' }, now: at(iat + 300) }),
      ).resolves.toBeDefined();
      await expectCode(
        () => verifyPkToken(json, { ...options, expiry: { kind: 'exp' }, now: at(iat + 301) }),
        'PKT_EXPIRED',
      );
    });
    it('honours a custom max-age', async () => {
      await expectCode(
        () => verifyPkToken(json, { ...options, expiry: { kind: 'max-age', seconds: 60 }, now: at(iat + 61) }),
        'PKT_EXPIRED',
      );
    });
    it('never expires under {kind: "never"}', async () => {
      await expect(
        verifyPkToken(json, { ...options, expiry: { kind: 'never' }, now: at(iat + 10 * 365 * 86_400) }),
      ).resolves.toBeDefined();
    });
    it('refuses a zero max-age as a programming error', async () => {
      await expect(verifyPkToken(json, { ...options, expiry: { kind: 'max-age', seconds: 0 } })).rejects.toThrow(
        TypeError,
      );
    });
  });

  describe('when iat lies in the future', () => {
    const iat = 1_700_000_000;
    const at = (s: number) => () => new Date(s * 1000);
    let json: Buffer;
    beforeAll(async () => {
      json = (await issueFrom(op, { claims: { iat, exp: iat + 300 } })).jsonBytes();
    });
    it('accepts iat up to now plus MAX_CLOCK_SKEW_SECONDS', async () => {
      await expect(verifyPkToken(json, { ...options, now: at(iat - MAX_CLOCK_SKEW_SECONDS) })).resolves.toBeDefined();
    });
    it('throws PKT_ISSUED_IN_FUTURE one second later, under every expiry policy', async () => {
      for (const expiry of [undefined, { kind: 'exp' } as const, { kind: 'never' } as const]) {
        await expectCode(
          () => verifyPkToken(json, { ...options, expiry, now: at(iat - MAX_CLOCK_SKEW_SECONDS - 1) }),
          'PKT_ISSUED_IN_FUTURE',
        );
      }
    });
    it('honours a custom clockSkewSeconds', async () => {
      await expectCode(
        () => verifyPkToken(json, { ...options, clockSkewSeconds: 0, now: at(iat - 1) }),
        'PKT_ISSUED_IN_FUTURE',
      );
      await expect(verifyPkToken(json, { ...options, clockSkewSeconds: 0, now: at(iat) })).resolves.toBeDefined();
    });
    it('refuses a negative skew as a programming error', async () => {
      await expect(verifyPkToken(json, { ...options, clockSkewSeconds: -1 })).rejects.toThrow(TypeError);
    });
    it('throws PKT_ISSUED_IN_FUTURE for a token dated years ahead with the real clock', async () => {
      const future = Math.floor(Date.now() / 1000) + 3 * 365 * 86_400;
      const ahead = (await issueFrom(op, { claims: { iat: future, exp: future + 300 } })).jsonBytes();
      await expectCode(() => verifyPkToken(ahead, { ...options, expiry: { kind: 'never' } }), 'PKT_ISSUED_IN_FUTURE');
    });
    it('throws PKT_CLAIM_INVALID when iat is missing or not an integer, whatever the expiry policy', async () => {
      for (const bad of [undefined, 1.5, '1700000000', 0]) {
        const token = (await issueFrom(op, { claims: { iat: bad } })).jsonBytes();
        await expectCode(() => verifyPkToken(token, { ...options, expiry: { kind: 'never' } }), 'PKT_CLAIM_INVALID');
      }
    });
  });

  describe('when the issuer is not GitHub', () => {
    const other = createTestOp({ issuer: 'https://oidc.example.com' });
    const opts = { allowedIssuers: [other.issuer], findKey: other.findKey };
    it('expects the commitment in nonce by default', async () => {
      const json = (await issueFrom(other, { commitmentClaim: 'nonce' })).jsonBytes();
      await expect(verifyPkToken(json, opts)).resolves.toMatchObject({ issuer: other.issuer });
    });
    it('checks the client id when given', async () => {
      const json = (await issueFrom(other, { commitmentClaim: 'nonce', claims: { aud: 'my-client' } })).jsonBytes();
      await expect(verifyPkToken(json, { ...opts, clientId: 'my-client' })).resolves.toBeDefined();
      await expectCode(() => verifyPkToken(json, { ...opts, clientId: 'other-client' }), 'PKT_CLAIM_INVALID');
    });
    it('takes aud when told', async () => {
      const json = (await issueFrom(other, { commitmentClaim: 'aud' })).jsonBytes();
      await expectCode(() => verifyPkToken(json, opts), 'PKT_COMMITMENT_MISMATCH');
      await expect(verifyPkToken(json, { ...opts, commitmentClaim: 'aud' })).resolves.toBeDefined();
    });
  });

  describe.each([
    'https://token.actions.githubusercontent.com/octo-enterprise',
    'https://token.actions.octo.ghe.com',
    'https://ghes.example.com/_services/token',
  ])('when the issuer is the GitHub Actions issuer %s', (issuer) => {
    const gh = createTestOp({ issuer });
    const opts = { allowedIssuers: [gh.issuer], findKey: gh.findKey };
    it('expects the commitment in aud by default, as for GitHub.com', async () => {
      const json = (await issueFrom(gh, { commitmentClaim: 'aud' })).jsonBytes();
      await expect(verifyPkToken(json, opts)).resolves.toMatchObject({ issuer });
      const nonce = (await issueFrom(gh, { commitmentClaim: 'nonce' })).jsonBytes();
      await expectCode(() => verifyPkToken(nonce, opts), 'PKT_COMMITMENT_MISMATCH');
    });
  });

  describe('when the OP signature is RS256', () => {
    let json: Buffer;
    beforeAll(async () => {
      json = (await issueFrom(op, { gq: false })).jsonBytes();
    });
    it('is refused by default with PKT_GQ_REQUIRED', () =>
      expectCode(() => verifyPkToken(json, options), 'PKT_GQ_REQUIRED'));
    it('verifies when requireGq is false', async () => {
      await expect(verifyPkToken(json, { ...options, requireGq: false })).resolves.toMatchObject({
        opAlg: 'RS256',
        kid: op.kid,
      });
    });
  });

  describe('with the Go-made Google GQ token (openpubkey before v0.25.0)', () => {
    const g = V.google_gq_legacy;
    const opts: VerifyPkTokenOptions = {
      allowedIssuers: ['https://accounts.google.com'],
      findKey: async (_iss, kid) => (kid === g.jwk.kid ? g.jwk : undefined),
      commitmentClaim: 'nonce',
      expiry: { kind: 'never' },
      clientId: '992028499768-ce9juclb3vvckh23r83fjkmvf1lvjq18.apps.googleusercontent.com',
    };
    it('verifies under the legacy rule', async () => {
      const v = await verifyPkToken(g.compact, { ...opts, legacyGq: true });
      expect(v).toMatchObject({
        issuer: 'https://accounts.google.com',
        subject: '104852002444754136271',
        opAlg: 'GQ256',
        kid: g.jwk.kid,
      });
      expect(v.cic.extra).toEqual({ extra: 'yes' });
    });
    it('fails under the v0.25 rule with PKT_GQ_INVALID', () =>
      expectCode(() => verifyPkToken(g.compact, opts), 'PKT_GQ_INVALID'));
    it('fails under the default expiry with PKT_EXPIRED', () =>
      expectCode(() => verifyPkToken(g.compact, { ...opts, legacyGq: true, expiry: undefined }), 'PKT_EXPIRED'));
  });
});
