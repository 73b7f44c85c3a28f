import { createHash } from 'node:crypto';
import {
  descriptorOf,
  encodeManifest,
  isIndex,
  parseImageManifest,
  parseIndex,
  parseManifest,
} from '../../src/oci/manifest.js';
import { expectCode } from '../helpers.js';

const D = (c: string) => `sha256:${createHash('sha256').update(c).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const manifest = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('l'), size: 20, annotations: { a: 'b' } },
  ],
};
const index = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    {
      mediaType: OCI_MANIFEST,
      digest: D('m'),
      size: 30,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
  ],
};
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseManifest', () => {
  describe('when given an OCI image manifest', () => {
    it('returns the typed manifest with its layers', () => {
      const m = parseManifest(bytes(manifest));
      expect(isIndex(m)).toBe(false);
      expect(parseImageManifest(bytes(manifest)).layers[0]!.annotations).toEqual({ a: 'b' });
    });
  });

  describe('when given an OCI index', () => {
    it('returns the index with platforms', () => {
      const m = parseIndex(bytes(index));
      expect(m.manifests[0]!.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    });
  });

  describe('when given Docker schema-2 types', () => {
    it('accepts a manifest and a manifest list', () => {
      expect(parseManifest(bytes({ ...manifest, mediaType: DOCKER_MANIFEST })).mediaType).toBe(DOCKER_MANIFEST);
      expect(isIndex(parseManifest(bytes({ ...index, mediaType: DOCKER_LIST })))).toBe(true);
    });
  });

  describe('when the document omits mediaType', () => {
    it('takes it from the Content-Type', () => {
      const { mediaType: _m, ...bare } = index;
      expect(parseManifest(bytes(bare), { contentType: `${OCI_INDEX}; charset=utf-8` }).mediaType).toBe(OCI_INDEX);
    });
    it('infers it from the shape when the Content-Type says nothing (umoci)', () => {
      const { mediaType: _m, ...bare } = manifest;
      expect(parseManifest(bytes(bare), { contentType: 'application/octet-stream' }).mediaType).toBe(OCI_MANIFEST);
    });
  });

  describe('when an artifact manifest has subject and artifactType', () => {
    it('keeps them', () => {
      const art = {
        ...manifest,
        artifactType: 'application/vnd.in-toto+dsse',
        subject: { mediaType: OCI_MANIFEST, digest: D('s'), size: 5 },
      };
      const m = parseImageManifest(bytes(art));
      expect(m.subject?.digest).toBe(D('s'));
      expect(m.artifactType).toBe('application/vnd.in-toto+dsse');
    });
  });

  describe('when a descriptor carries fields we do not model', () => {
    it('keeps them so re-encoding is faithful', () => {
      const withExtra = { ...index, manifests: [{ ...index.manifests[0], 'x-future': { k: 1 } }] };
      const m = parseIndex(bytes(withExtra));
      expect(encodeManifest(m).toString()).toBe(JSON.stringify(withExtra));
    });
  });
});

describe('descriptorOf', () => {
  describe('when given bytes and extra fields', () => {
    it('computes digest and size', () => {
      expect(descriptorOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json', { artifactType: 'a/b' })).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
        artifactType: 'a/b',
      });
    });
  });
});

describe('parseIndex', () => {
  describe('when given an image manifest', () => {
    it('throws OCI_MANIFEST_INVALID', () => expectCode(() => parseIndex(bytes(manifest)), 'OCI_MANIFEST_INVALID'));
  });
});

describe('parseImageManifest', () => {
  describe('when given an index', () => {
    it('throws OCI_MANIFEST_INVALID', () => expectCode(() => parseImageManifest(bytes(index)), 'OCI_MANIFEST_INVALID'));
  });
});
