import { createHash } from 'node:crypto';
import {
  DSSE_ARTIFACT_TYPE, DSSE_CYCLONEDX_ARTIFACT_TYPE, DSSE_PROVENANCE_ARTIFACT_TYPE, DSSE_SPDX_ARTIFACT_TYPE, DSSE_VSA_ARTIFACT_TYPE,
  MANIFEST_ACCEPT, OCI_EMPTY_DATA, OCI_EMPTY_DIGEST, OCI_EMPTY_SIZE, dsseArtifactType, referrersTag,
} from '../../src/oci/media-types.js';

describe('dsseArtifactType', () => {
  describe('when the predicate type is a known kind, any version', () => {
    it.each([
      ['https://spdx.dev/Document', DSSE_SPDX_ARTIFACT_TYPE],
      ['https://spdx.dev/Document/v2.3', DSSE_SPDX_ARTIFACT_TYPE],
      ['https://cyclonedx.org/bom', DSSE_CYCLONEDX_ARTIFACT_TYPE],
      ['https://cyclonedx.org/bom/v1.5', DSSE_CYCLONEDX_ARTIFACT_TYPE],
      ['https://slsa.dev/provenance/v0.2', DSSE_PROVENANCE_ARTIFACT_TYPE],
      ['https://slsa.dev/provenance/v1', DSSE_PROVENANCE_ARTIFACT_TYPE],
      ['https://slsa.dev/verification_summary/v1', DSSE_VSA_ARTIFACT_TYPE],
    ])('maps %s to %s', (p, want) => expect(dsseArtifactType(p)).toBe(want));
  });
  describe('when the predicate type only looks like a known kind', () => {
    it.each(['https://spdx.dev/DocumentX', 'https://slsa.dev/provenancex/v1', 'http://slsa.dev/provenance/v1', 'https://example.com/custom/v1', ''])(
      'maps %j to the generic type', (p) => expect(dsseArtifactType(p)).toBe(DSSE_ARTIFACT_TYPE));
  });
});

describe('referrersTag', () => {
  describe('when given a sha256 digest', () => {
    it('returns sha256-<hex>', () => expect(referrersTag(`sha256:${'ab'.repeat(32)}`)).toBe(`sha256-${'ab'.repeat(32)}`));
  });
});

describe('constants', () => {
  describe('the OCI empty descriptor', () => {
    it('matches its content', () => {
      expect(`sha256:${createHash('sha256').update(OCI_EMPTY_DATA).digest('hex')}`).toBe(OCI_EMPTY_DIGEST);
      expect(Buffer.byteLength(OCI_EMPTY_DATA)).toBe(OCI_EMPTY_SIZE);
    });
  });
  describe('the manifest Accept header', () => {
    it('lists the OCI and Docker types explicitly (distribution 2.8 needs them)', () => {
      for (const t of ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json']) {
        expect(MANIFEST_ACCEPT.split(', ')).toContain(t);
      }
    });
  });
});
