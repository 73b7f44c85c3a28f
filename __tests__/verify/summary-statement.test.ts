import { parseStatement } from '../../src/attest/index.js';
import type { Digest } from '../../src/core/digest.js';
import type { Policy } from '../../src/policy/index.js';
import { verificationSummary, type VerifyReport } from '../../src/verify/index.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const policy: Policy = {
  rules: [
    {
      scope: '**',
      signers: [{ name: 'ci', issuer: 'https://issuer', claims: {} }],
      threshold: 1,
      require: [],
      transparencyLog: 'required',
      level: 'enforce',
    },
  ],
  revoked: { digests: [], signers: [] },
};

function report(passed: boolean): VerifyReport {
  const signature = (c: string) => ({
    artifactDigest: d(c),
    predicateType: 'https://spdx.dev/Document',
    signer: { issuer: 'https://issuer', subject: 's' },
    claims: {},
    logIndex: 1,
  });
  return {
    image: `reg.example/acme/app@${d('a')}`,
    digest: d('a'),
    level: 'enforce',
    passed,
    platforms: [
      {
        platform: 'linux/amd64',
        digest: d('b'),
        signatures: [signature('c')],
        rejected: [],
        verdict: undefined,
        passed,
      },
      {
        platform: 'linux/arm64',
        digest: d('e'),
        signatures: [signature('f')],
        rejected: [],
        verdict: undefined,
        passed,
      },
    ],
  };
}

describe('verificationSummary', () => {
  describe('when the image passed', () => {
    const vsa = parseStatement(
      verificationSummary(report(true), { policy, policyUri: 'https://trust.example', now: new Date(0) }),
    );
    const predicate = JSON.parse(vsa.raw.toString()).predicate;

    it('is an in-toto statement about the image and each platform manifest', () => {
      expect(vsa.predicateType).toBe('https://slsa.dev/verification_summary/v1');
      expect(vsa.subjects.map((s) => s.digest['sha256'])).toEqual(['a', 'b', 'e'].map((c) => c.repeat(64)));
    });
    it('says PASSED, names the policy by digest and lists the attestations checked', () => {
      expect(predicate.verificationResult).toBe('PASSED');
      expect(predicate.policy.uri).toBe('https://trust.example');
      expect(predicate.policy.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(predicate.inputAttestations.map((a: { digest: { sha256: string } }) => a.digest.sha256)).toEqual([
        'c'.repeat(64),
        'f'.repeat(64),
      ]);
      expect(predicate.timeVerified).toBe('1970-01-01T00:00:00.000Z');
    });
  });

  describe('when the image failed', () => {
    it('says FAILED', () => {
      const vsa = verificationSummary(report(false), { policy, policyUri: 'x' });
      expect(JSON.parse(vsa.toString()).predicate.verificationResult).toBe('FAILED');
    });
  });
});
