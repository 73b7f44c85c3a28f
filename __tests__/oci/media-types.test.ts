import { createHash } from 'node:crypto';
import {
  MANIFEST_ACCEPT,
  OCI_EMPTY_DATA,
  OCI_EMPTY_DIGEST,
  OCI_EMPTY_SIZE,
  referrersTag,
} from '../../src/oci/media-types.js';

describe('referrersTag', () => {
  describe('when given a sha256 digest', () => {
    it('returns sha256-<hex>', () =>
      expect(referrersTag(`sha256:${'ab'.repeat(32)}`)).toBe(`sha256-${'ab'.repeat(32)}`));
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
      for (const t of [
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
      ]) {
        expect(MANIFEST_ACCEPT.split(', ')).toContain(t);
      }
    });
  });
});
