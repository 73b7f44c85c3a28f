/**
 * Recognising a signature the same signer identity already published, from the annotations the
 * signing run writes (written here by hand, in the documented annotation names).
 */
import { existingSignature, type ExpectedSigner } from '../../src/sign/referrer.js';
import type { Descriptor } from '../../src/oci/manifest.js';

const ISS = 'https://token.actions.githubusercontent.com';
const STATEMENT = `sha256:${'a'.repeat(64)}` as const;
const OTHER_STATEMENT = `sha256:${'b'.repeat(64)}`;
const WORKFLOW = 'acme/app/.github/workflows/release.yml@refs/heads/main';
const SUB = 'repo:acme/app:ref:refs/heads/main';

function referrer(n: number, annotations: Record<string, string>): Descriptor {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${n.toString(16).padStart(64, '0')}`,
    size: 500,
    artifactType: 'application/vnd.in-toto.provenance+dsse',
    annotations,
  } as Descriptor;
}

function signedBy(n: number, o: { iss?: string; sub?: string; workflow?: string; statement?: string }): Descriptor {
  return referrer(n, {
    'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v1',
    'dev.opk-attest.statement.digest': o.statement ?? STATEMENT,
    ...(o.iss === undefined ? {} : { 'dev.opk-attest.signer.issuer': o.iss }),
    ...(o.sub === undefined ? {} : { 'dev.opk-attest.signer.subject': o.sub }),
    'dev.opk-attest.signer.repository': 'acme/app',
    ...(o.workflow === undefined ? {} : { 'dev.opk-attest.signer.workflow': o.workflow }),
  });
}

const me: ExpectedSigner = {
  issuer: ISS,
  claims: { sub: SUB, repository: 'acme/app', job_workflow_ref: WORKFLOW, workflow_ref: WORKFLOW, run_id: '7' },
};

describe('existingSignature', () => {
  describe('when a referrer carries the statement digest and the same issuer, sub and workflow', () => {
    it('returns it, whatever other claims (run, sha) the tokens differ in', () => {
      const hit = signedBy(2, { iss: ISS, sub: SUB, workflow: WORKFLOW });
      expect(
        existingSignature(
          [signedBy(1, { iss: ISS, sub: SUB, workflow: WORKFLOW, statement: OTHER_STATEMENT }), hit],
          STATEMENT,
          me,
        ),
      ).toBe(hit);
    });
  });

  describe('when only the workflow_ref is known (no job_workflow_ref)', () => {
    it('matches the summary written from it', () => {
      const hit = signedBy(1, { iss: ISS, sub: SUB, workflow: WORKFLOW });
      expect(existingSignature([hit], STATEMENT, { issuer: ISS, claims: { sub: SUB, workflow_ref: WORKFLOW } })).toBe(
        hit,
      );
    });
  });

  describe.each([
    [
      'another workflow of the same repository',
      { iss: ISS, sub: SUB, workflow: 'acme/app/.github/workflows/qa.yml@refs/heads/main' },
    ],
    ['another ref (sub)', { iss: ISS, sub: 'repo:acme/app:ref:refs/heads/dev', workflow: WORKFLOW }],
    ['an environment job (sub)', { iss: ISS, sub: 'repo:acme/app:environment:qa', workflow: WORKFLOW }],
    ['another issuer', { iss: `${ISS}/acme-enterprise`, sub: SUB, workflow: WORKFLOW }],
    ['no issuer annotation', { sub: SUB, workflow: WORKFLOW }],
    ['no workflow annotation', { iss: ISS, sub: SUB }],
  ])('when the referrer was signed by %s', (_what, signer) => {
    it('returns undefined (that identity co-signs)', () => {
      expect(existingSignature([signedBy(1, signer)], STATEMENT, me)).toBeUndefined();
    });
  });

  describe('when the referrer has no annotations', () => {
    it('returns undefined', () => {
      expect(existingSignature([referrer(1, {})], STATEMENT, me)).toBeUndefined();
    });
  });
});
