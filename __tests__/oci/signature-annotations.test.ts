import {
  decodeSignatureAnnotations,
  encodeSignatureAnnotations,
  signerSummary,
} from '../../src/oci/signature-annotations.js';

describe('signerSummary', () => {
  it('prefers job_workflow_ref, drops empty claims', () => {
    expect(
      signerSummary({
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'repo:acme/app:ref:refs/heads/main',
        repository: '',
        workflow_ref: 'acme/app/.github/workflows/a.yml@refs/heads/main',
        job_workflow_ref: 'acme/wf/.github/workflows/sign.yml@v1',
      }),
    ).toEqual({
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:acme/app:ref:refs/heads/main',
      workflow: 'acme/wf/.github/workflows/sign.yml@v1',
    });
  });
});

describe('encodeSignatureAnnotations / decodeSignatureAnnotations', () => {
  const written = {
    predicateType: 'https://spdx.dev/Document',
    created: '2026-01-01T00:00:00Z',
    statementDigest: `sha256:${'a'.repeat(64)}`,
    signer: { issuer: 'https://issuer.example', subject: 'me', repository: 'acme/app', workflow: 'w@v1' },
  };

  it('round-trips what the signer writes, under the documented keys', () => {
    const a = encodeSignatureAnnotations(written);
    expect(a['in-toto.io/predicate-type']).toBe(written.predicateType);
    expect(a['dev.opk-attest.signer.workflow']).toBe('w@v1');
    expect(decodeSignatureAnnotations(a)).toEqual(written);
  });

  it('leaves out optional signer fields when empty and decodes a foreign artifact to what it has', () => {
    const a = encodeSignatureAnnotations({ ...written, signer: { issuer: 'i', subject: 's' } });
    expect(Object.keys(a)).not.toContain('dev.opk-attest.signer.repository');
    expect(decodeSignatureAnnotations({ 'in-toto.io/predicate-type': 'x', other: 'y' })).toEqual({
      predicateType: 'x',
      signer: {},
    });
    expect(decodeSignatureAnnotations(undefined)).toEqual({ signer: {} });
  });
});
