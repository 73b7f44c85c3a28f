/** judge: the policy's answer for one signer identity seen in the log, and the reason it names. */
import { judge } from '../../src/monitor/judge.js';
import type { Policy } from '../../src/policy/index.js';

const ISS = 'https://token.actions.githubusercontent.com';
const REL = 'acme/app/.github/workflows/release.yml@refs/heads/main';
const policy = (revoked: string[] = []): Policy => ({
  rules: [
    {
      scope: 'ghcr.io/acme/**',
      threshold: 1,
      require: [],
      transparencyLog: 'required',
      level: 'enforce',
      signers: [
        {
          name: 'release',
          issuer: ISS,
          claims: { repository: 'acme/app', job_workflow_ref: REL, ref: 'refs/heads/main' },
        },
      ],
    },
    {
      scope: 'ghcr.io/acme/tools/**',
      threshold: 1,
      require: [],
      transparencyLog: 'required',
      level: 'enforce',
      signers: [{ name: 'tools', issuer: ISS, claims: { repository: 'acme/tools' } }],
    },
  ],
  revoked: { digests: [], signers: revoked },
});
const claims = (o: Record<string, unknown> = {}) => ({
  repository: 'acme/app',
  job_workflow_ref: REL,
  ref: 'refs/heads/main',
  ...o,
});

describe('judge', () => {
  describe('when a signer rule of any policy rule matches', () => {
    it('allows it and names the signer', () => {
      expect(judge(policy(), ISS, claims())).toEqual({ allowed: true, signers: ['release'] });
      expect(judge(policy(), ISS, { repository: 'acme/tools' })).toEqual({ allowed: true, signers: ['tools'] });
    });
  });
  describe('when the workflow differs', () => {
    it('says unknown-workflow', () =>
      expect(
        judge(policy(), ISS, claims({ job_workflow_ref: 'acme/app/.github/workflows/x.yml@refs/heads/main' })),
      ).toMatchObject({
        allowed: false,
        reason: 'unknown-workflow',
      }));
  });
  describe('when the ref differs', () => {
    it('says unknown-ref', () =>
      expect(judge(policy(), ISS, claims({ ref: 'refs/heads/feature' }))).toMatchObject({
        allowed: false,
        reason: 'unknown-ref',
      }));
  });
  describe('when the repository differs', () => {
    it('says unknown-repository, naming the claim', () => {
      const j = judge(
        policy(),
        ISS,
        claims({ repository: 'acme/evil', job_workflow_ref: 'acme/evil/x.yml@refs/heads/main' }),
      );
      expect(j).toMatchObject({ allowed: false, reason: 'unknown-repository' });
      expect(j.allowed === false && j.detail).toContain('"acme/evil"');
    });
  });
  describe('when the claim is missing or not a string', () => {
    it('does not match', () => {
      expect(judge(policy(), ISS, claims({ ref: undefined }))).toMatchObject({ allowed: false, reason: 'unknown-ref' });
      expect(judge(policy(), ISS, claims({ ref: ['refs/heads/main'] }))).toMatchObject({ allowed: false });
    });
  });
  describe('when the issuer is not in any signer rule', () => {
    it('says unknown-issuer', () =>
      expect(judge(policy(), 'https://other.example', claims())).toMatchObject({
        allowed: false,
        reason: 'unknown-issuer',
      }));
  });
  describe('when the only matching signer rule is revoked', () => {
    it('says revoked-signer', () =>
      expect(judge(policy(['release']), ISS, claims())).toMatchObject({ allowed: false, reason: 'revoked-signer' }));
  });
});
