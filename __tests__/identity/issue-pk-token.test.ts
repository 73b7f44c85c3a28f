import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { issuePkToken } from '../../src/identity/issue-pk-token.js';
import { discoveryKeyFinder } from '../../src/identity/jwks.js';
import { githubActionsProvider } from '../../src/identity/oidc/github.js';
import { verifyPkToken } from '../../src/identity/verify-pk-token.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { expectCode } from '../helpers.js';
import { createTestOp, GITHUB_ISSUER } from './test-op.js';

describe('issuePkToken', () => {
  const op = createTestOp();

  describe('when the OP returns a token with the commitment in aud', () => {
    it('asks once with the CIC commitment, converts to GQ256 and drops the RS256 signature', async () => {
      const requested: string[] = [];
      const issued: string[] = [];
      const key = EphemeralKey.generate();
      const pkt = await issuePkToken({
        requestIdToken: async (c) => {
          requested.push(c);
          const t = await op.mint({ aud: c });
          issued.push(t);
          return t;
        },
        commitmentClaim: 'aud',
        key,
        extraClaims: { att: '01'.repeat(32) },
        findKey: op.findKey,
        gq: true,
      });
      expect(requested).toEqual([pkt.claims.aud]);
      expect(pkt.op.header.alg).toBe('GQ256');
      expect(pkt.cic.header).toMatchObject({ att: '01'.repeat(32), upk: { x: key.publicJwk.x } });
      const rsaSignature = issued[0]!.split('.')[2]!;
      expect(pkt.jsonBytes().toString()).not.toContain(rsaSignature);
      expect(pkt.compact()).not.toContain(rsaSignature);
      await expect(verifyPkToken(pkt, { allowedIssuers: [GITHUB_ISSUER], findKey: op.findKey })).resolves.toMatchObject(
        { opAlg: 'GQ256' },
      );
    });
  });

  describe('when the OP ignores the requested audience', () => {
    it('throws PKT_COMMITMENT_MISMATCH', () =>
      expectCode(
        () =>
          issuePkToken({
            requestIdToken: () => op.mint({ aud: 'sigstore' }),
            commitmentClaim: 'aud',
            key: EphemeralKey.generate(),
            findKey: op.findKey,
            gq: true,
          }),
        'PKT_COMMITMENT_MISMATCH',
      ));
  });

  describe('when the commitment is expected in nonce', () => {
    it('checks nonce', async () => {
      const pkt = await issuePkToken({
        requestIdToken: (c) => op.mint({ nonce: c }),
        commitmentClaim: 'nonce',
        key: EphemeralKey.generate(),
        findKey: op.findKey,
        gq: true,
      });
      expect(pkt.claims.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('when the key finder does not know the kid', () => {
    it('throws PKT_KID_UNKNOWN', () =>
      expectCode(
        () =>
          issuePkToken({
            requestIdToken: (c) => op.mint({ aud: c }),
            commitmentClaim: 'aud',
            key: EphemeralKey.generate(),
            findKey: async () => undefined,
            gq: true,
          }),
        'PKT_KID_UNKNOWN',
      ));
  });

  describe('when the token is signed by another key than the JWKS names', () => {
    it('throws PKT_OP_SIGNATURE_INVALID', async () => {
      const impostor = createTestOp();
      for (const gq of [true, false]) {
        await expectCode(
          () =>
            issuePkToken({
              requestIdToken: (c) => impostor.mint({ aud: c }, { kid: op.kid }),
              commitmentClaim: 'aud',
              key: EphemeralKey.generate(),
              findKey: op.findKey,
              gq,
            }),
          'PKT_OP_SIGNATURE_INVALID',
        );
      }
    });
  });

  describe('when the token is not an RS256 JWT', () => {
    it('throws PKT_MALFORMED for garbage', () =>
      expectCode(
        () =>
          issuePkToken({
            requestIdToken: async () => 'not-a-jwt',
            commitmentClaim: 'aud',
            key: EphemeralKey.generate(),
            findKey: op.findKey,
            gq: true,
          }),
        'PKT_MALFORMED',
      ));
  });

  describe('when the provider fails', () => {
    it('passes its error through', async () => {
      const failure = Object.assign(new Error('no token'), { code: 'OIDC_NOT_CONFIGURED' });
      await expectCode(
        () =>
          issuePkToken({
            requestIdToken: async () => {
              throw failure;
            },
            commitmentClaim: 'aud',
            key: EphemeralKey.generate(),
            findKey: op.findKey,
            gq: true,
          }),
        'OIDC_NOT_CONFIGURED',
      );
    });
  });

  describe('with the GitHub Actions provider against a loopback token endpoint', () => {
    let oidc: GithubOidc;
    beforeAll(async () => {
      oidc = await startGithubOidc();
    });
    afterAll(() => oidc.close());

    it('issues a token that verifies against the live JWKS found by discovery', async () => {
      const provider = githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => undefined,
        http: { attempts: 1 },
      });
      const findKey = discoveryKeyFinder({ attempts: 1 });
      const pkt = await issuePkToken({
        requestIdToken: (c) => provider.requestIdToken(c),
        commitmentClaim: 'aud',
        key: EphemeralKey.generate(),
        findKey,
        gq: true,
      });
      expect(oidc.audiences).toEqual([pkt.claims.aud]);
      const v = await verifyPkToken(pkt.jsonBytes(), {
        allowedIssuers: [oidc.issuer],
        findKey,
        commitmentClaim: 'aud',
      });
      expect(v).toMatchObject({
        issuer: oidc.issuer,
        subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        kid: oidc.currentKey().kid,
      });
      expect(v.claims.job_workflow_ref).toBe('octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main');
    });
  });
});
