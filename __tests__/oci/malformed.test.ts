/**
 * Hostile registry content: malformed, truncated, oversized, ambiguous and lying manifests,
 * non-JSON and HTML bodies, indexes pointing to missing children, tampered attestation
 * indexes. Each must end in a coded error, and nothing may be written on the way.
 */
import { createHash } from 'node:crypto';
import { findAttestations } from '../../src/oci/attestations.js';
import { getManifest, putManifest } from '../../src/oci/content-manifests.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { listReferrers, publishReferrer } from '../../src/oci/referrers.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { expectCode } from '../helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const D = (c: string | Buffer) => `sha256:${createHash('sha256').update(c).digest('hex')}`;
const desc = (c: string, mediaType = 'application/octet-stream') => ({ mediaType, digest: D(c), size: 1 });
const good = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: desc('c', 'application/vnd.oci.image.config.v1+json'),
  layers: [desc('l')],
};
const js = (v: unknown) => Buffer.from(JSON.stringify(v));
const bad = (v: unknown) =>
  expectCode(
    () => parseManifest(typeof v === 'string' || Buffer.isBuffer(v) ? Buffer.from(v as string) : js(v)),
    'OCI_MANIFEST_INVALID',
  );

describe('parseManifest', () => {
  describe('when the body is not JSON', () => {
    it.each([
      ['an HTML page', '<!doctype html><html><body>login</body></html>'],
      ['truncated JSON', JSON.stringify(good).slice(0, 40)],
      ['an empty body', ''],
      ['a JSON array', '[]'],
      ['a JSON string', '"manifest"'],
      ['a UTF-8 BOM before the JSON', `\ufeff${JSON.stringify(good)}`],
    ])('throws OCI_MANIFEST_INVALID for %s', (_n, body) => bad(body));
    it('throws OCI_MANIFEST_INVALID for invalid UTF-8', () =>
      bad(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])));
  });

  describe('when the document is over MAX_MANIFEST_BYTES', () => {
    it('throws OCI_TOO_LARGE before parsing', () =>
      expectCode(() => parseManifest(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)), 'OCI_TOO_LARGE'));
  });

  describe('when the media type is wrong or ambiguous', () => {
    it.each([
      ['schemaVersion 1', { ...good, schemaVersion: 1 }],
      [
        'a Docker schema 1 media type',
        { ...good, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
      ],
      ['the withdrawn artifact manifest', { ...good, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }],
      ['a non-string mediaType', { ...good, mediaType: 7 }],
      ['an index carrying layers', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], layers: [] }],
      ['a manifest carrying manifests', { ...good, manifests: [] }],
      ['no mediaType and both shapes', { schemaVersion: 2, manifests: [], config: good.config }],
      ['no mediaType and neither shape', { schemaVersion: 2 }],
      ['schemaVersion missing', { ...good, schemaVersion: undefined }],
      ['schemaVersion as a string', { ...good, schemaVersion: '2' }],
    ])('throws OCI_MANIFEST_INVALID for %s', (_n, doc) => bad(doc));

    it('throws OCI_MANIFEST_INVALID when the Content-Type contradicts the document', () =>
      expectCode(() => parseManifest(js(good), { contentType: OCI_INDEX }), 'OCI_MANIFEST_INVALID'));
  });

  describe('when a descriptor is malformed', () => {
    const withConfig = (config: unknown) => ({ ...good, config });
    it.each([
      ['an uppercase digest', withConfig({ ...good.config, digest: good.config.digest.toUpperCase() })],
      ['a sha512 digest', withConfig({ ...good.config, digest: `sha512:${'a'.repeat(128)}` })],
      ['a short digest', withConfig({ ...good.config, digest: good.config.digest.slice(0, 20) })],
      ['a missing digest', withConfig({ mediaType: 'a/b', size: 1 })],
      ['a negative size', withConfig({ ...good.config, size: -1 })],
      ['a fractional size', withConfig({ ...good.config, size: 1.5 })],
      ['a size past 2^53', withConfig({ ...good.config, size: 2 ** 60 })],
      ['a string size', withConfig({ ...good.config, size: '1' })],
      ['a media type without subtype', withConfig({ ...good.config, mediaType: 'text' })],
      ['non-string annotations', withConfig({ ...good.config, annotations: { a: 1 } })],
      ['annotations as an array', withConfig({ ...good.config, annotations: ['a'] })],
      ['a platform without os', withConfig({ ...good.config, platform: { architecture: 'amd64' } })],
      ['urls that are not strings', withConfig({ ...good.config, urls: [1] })],
      ['a config that is null', withConfig(null)],
      ['layers that is an object', { ...good, layers: {} }],
      ['a malformed subject', { ...good, subject: { digest: 'sha256:zz' } }],
      ['a malformed artifactType', { ...good, artifactType: 'not a type' }],
      [
        'a subject on a Docker manifest',
        { ...good, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', subject: desc('s') },
      ],
    ])('throws OCI_MANIFEST_INVALID for %s', (_n, doc) => bad(doc));

    it('names every bad field in one error', async () => {
      const doc = { ...good, config: { mediaType: 'x', digest: 'y', size: -1 } };
      expect(() => parseManifest(js(doc))).toThrow(/config\.mediaType.*config\.digest.*config\.size/);
    });
  });

  describe('when an index lists more manifests than the cap', () => {
    it('throws OCI_MANIFEST_INVALID', () => {
      const manifests = Array.from({ length: 1025 }, (_, i) => desc(String(i), OCI_MANIFEST));
      return bad({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    });
  });
});

describe('registry content', () => {
  let reg: OciRegistry;
  let t: ClosableTransport;
  beforeAll(async () => {
    reg = await startOciRegistry();
    t = createTransport(reg.host, { backoffMs: 5 });
  });
  afterAll(async () => {
    await t.close();
    await reg.close();
  });

  describe('getManifest', () => {
    describe('when the manifest served under a digest hashes to something else', () => {
      it('throws OCI_DIGEST_MISMATCH', async () => {
        const lie = reg.seedManifest('bad/app', js({ ...good, annotations: { evil: 'yes' } }), OCI_MANIFEST, {
          digest: D(js(good)),
        });
        await expectCode(() => getManifest(t, 'bad/app', lie), 'OCI_DIGEST_MISMATCH');
      });
    });

    describe('when a tag is served with a lying Docker-Content-Digest', () => {
      it('throws OCI_DIGEST_MISMATCH', async () => {
        reg.seedManifest('bad/app', js(good), OCI_MANIFEST, { tag: 'lying', digest: D('other') });
        await expectCode(() => getManifest(t, 'bad/app', 'lying'), 'OCI_DIGEST_MISMATCH');
      });
    });

    describe('when the manifest is over 4 MiB', () => {
      it('throws OCI_TOO_LARGE', async () => {
        const huge = js({ ...good, annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } });
        reg.seedManifest('bad/app', huge, OCI_MANIFEST, { tag: 'huge' });
        await expectCode(() => getManifest(t, 'bad/app', 'huge'), 'OCI_TOO_LARGE');
      });
    });

    describe('when the body is not JSON', () => {
      it('throws OCI_MANIFEST_INVALID', async () => {
        reg.seedManifest('bad/app', Buffer.from('definitely not json'), OCI_MANIFEST, { tag: 'text' });
        await expectCode(() => getManifest(t, 'bad/app', 'text'), 'OCI_MANIFEST_INVALID');
      });
    });

    describe('when a proxy answers 200 with an HTML page', () => {
      it('throws OCI_MANIFEST_INVALID', async () => {
        reg.seedManifest('bad/app', js(good), OCI_MANIFEST, { tag: 'v1' });
        reg.inject({ kind: 'html', match: { path: '/manifests/v1' } });
        await expectCode(() => getManifest(t, 'bad/app', 'v1'), 'OCI_MANIFEST_INVALID');
      });
    });
  });

  describe('putManifest', () => {
    describe('when the bytes are malformed or oversized', () => {
      it('sends nothing', async () => {
        const before = reg.requests.length;
        await expectCode(
          () => putManifest(t, 'bad/put', Buffer.from('{"schemaVersion":2'), OCI_MANIFEST, 'v1'),
          'OCI_MANIFEST_INVALID',
        );
        await expectCode(
          () => putManifest(t, 'bad/put', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), OCI_MANIFEST, 'v1'),
          'OCI_TOO_LARGE',
        );
        expect(reg.requests.length).toBe(before);
      });
    });
  });

  describe('findAttestations', () => {
    describe('when the index points to a missing platform manifest', () => {
      it('throws OCI_NOT_FOUND', async () => {
        const img = await pushBuildkitImage(t, { repository: 'bad/missing' });
        reg.remove('bad/missing', img.platforms[1]!.manifest.digest);
        await expectCode(() => findAttestations(t, 'bad/missing', 'v1'), 'OCI_NOT_FOUND');
      });
    });

    describe('when the index points to a missing attestation manifest', () => {
      it('throws OCI_NOT_FOUND', async () => {
        const img = await pushBuildkitImage(t, { repository: 'bad/missing-att' });
        reg.remove('bad/missing-att', img.platforms[0]!.attestation!.digest);
        await expectCode(() => findAttestations(t, 'bad/missing-att', 'v1'), 'OCI_NOT_FOUND');
      });
    });

    describe('when the index gives a wrong size for a platform manifest', () => {
      it('throws OCI_SIZE_MISMATCH', async () => {
        const img = await pushBuildkitImage(t, { repository: 'bad/size' });
        const index = JSON.parse(img.bytes.toString());
        index.manifests[0].size += 1;
        await putManifest(t, 'bad/size', js(index), OCI_INDEX, 'tampered');
        await expectCode(() => findAttestations(t, 'bad/size', 'tampered'), 'OCI_SIZE_MISMATCH');
      });
    });

    describe("when an attestation manifest's subject disagrees with its annotation", () => {
      it('throws OCI_ATTESTATION_INVALID', async () => {
        const img = await pushBuildkitImage(t, { repository: 'bad/subject', attestations: 'oci-artifact' });
        const index = JSON.parse(img.bytes.toString());
        const att = index.manifests.find(
          (m: { annotations?: Record<string, string> }) => m.annotations?.['vnd.docker.reference.type'],
        );
        att.annotations['vnd.docker.reference.digest'] = img.platforms[1]!.manifest.digest;
        await putManifest(t, 'bad/subject', js(index), OCI_INDEX, 'tampered');
        await expectCode(() => findAttestations(t, 'bad/subject', 'tampered'), 'OCI_ATTESTATION_INVALID');
      });
    });

    describe('when the image does not exist', () => {
      it('throws OCI_NOT_FOUND', () => expectCode(() => findAttestations(t, 'bad/nothing', 'v1'), 'OCI_NOT_FOUND'));
    });
  });

  describe('publishReferrer', () => {
    describe('when the fallback tag holds something other than an index', () => {
      it('throws OCI_MANIFEST_INVALID and writes nothing', async () => {
        reg.options.referrersApi = false;
        try {
          const img = await pushBuildkitImage(t, { repository: 'bad/tag', single: true });
          const tag = `sha256-${img.digest.slice(7)}`;
          await putManifest(t, 'bad/tag', img.bytes, OCI_MANIFEST, tag);
          const subject = { mediaType: OCI_MANIFEST, digest: img.digest as `sha256:${string}`, size: img.bytes.length };
          const req = {
            repository: 'bad/tag',
            subject,
            artifactType: 'application/vnd.in-toto+dsse',
            layers: [{ mediaType: 'application/vnd.in-toto+dsse', data: Buffer.from('{}') }],
          };
          const writes = () => reg.requests.filter((r) => ['PUT', 'POST', 'PATCH'].includes(r.method)).length;
          const before = writes();
          await expectCode(() => publishReferrer(t, req, { settleMs: 1, backoffMs: 1 }), 'OCI_MANIFEST_INVALID');
          expect(writes()).toBe(before);
          expect(reg.manifest('bad/tag', tag)!.equals(img.bytes)).toBe(true);
          await expectCode(() => listReferrers(t, 'bad/tag', subject.digest), 'OCI_MANIFEST_INVALID');
        } finally {
          reg.options.referrersApi = true;
        }
      });
    });

    describe('when the referrers API answers 200 with an HTML page', () => {
      it('treats the registry as having no API and reads the (absent) fallback tag', async () => {
        const img = await pushBuildkitImage(t, { repository: 'bad/pages', single: true });
        reg.inject({ kind: 'html', match: { path: '/referrers/' } });
        const list = await listReferrers(t, 'bad/pages', img.digest as `sha256:${string}`);
        expect(list).toEqual({
          repository: 'bad/pages',
          subject: img.digest,
          via: 'tag',
          referrers: [],
          tagRead: { tag: undefined },
        });
      });
    });

    describe('when a later referrers API page is not an OCI index', () => {
      it('throws OCI_MANIFEST_INVALID', async () => {
        reg.options.referrersPageSize = 1;
        try {
          const img = await pushBuildkitImage(t, { repository: 'bad/pages2', single: true });
          const subject = { mediaType: OCI_MANIFEST, digest: img.digest as `sha256:${string}`, size: img.bytes.length };
          for (const n of ['1', '2']) {
            await publishReferrer(t, {
              repository: 'bad/pages2',
              subject,
              artifactType: 'application/vnd.in-toto+dsse',
              layers: [{ mediaType: 'application/vnd.in-toto+dsse', data: Buffer.from(n) }],
            });
          }
          reg.inject({ kind: 'html', match: { path: 'page=1' } });
          await expectCode(() => listReferrers(t, 'bad/pages2', subject.digest), 'OCI_MANIFEST_INVALID');
        } finally {
          delete reg.options.referrersPageSize;
        }
      });
    });
  });
});
