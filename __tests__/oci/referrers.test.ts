import { blobExists } from '../../src/oci/content-blobs.js';
import { headManifest } from '../../src/oci/content-manifests.js';
import {
  addToReferrersTag,
  buildArtifactManifest,
  hasReferrersApi,
  listReferrers,
  publishReferrer,
  publishReferrers,
  type PublishRequest,
} from '../../src/oci/referrers.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { digest, pushBuildkitImage, type BuiltImage } from '../fixtures/buildkit-image.js';
import { startOciRegistry, type OciRegistry, type OciRegistryOptions } from '../fakes/oci-registry.js';
import { expectCode } from '../helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const SPDX_DSSE = 'application/vnd.in-toto.spdx+dsse';
const PROV_DSSE = 'application/vnd.in-toto.provenance+dsse';
const FAST = { settleMs: 5, backoffMs: 2 };

type Dig = `sha256:${string}`;

function request(img: BuiltImage, n: number | string, artifactType = SPDX_DSSE, platform = 0): PublishRequest {
  const p = img.platforms[platform]!;
  return {
    repository: img.repository,
    subject: { mediaType: p.manifest.mediaType, digest: p.manifest.digest, size: p.manifest.size },
    artifactType,
    layers: [
      {
        mediaType: artifactType,
        data: Buffer.from(
          JSON.stringify({
            payloadType: 'application/vnd.in-toto+json',
            payload: Buffer.from(`statement ${n}`).toString('base64'),
            signatures: [],
          }),
        ),
      },
    ],
    annotations: {
      'in-toto.io/predicate-type':
        artifactType === SPDX_DSSE ? 'https://spdx.dev/Document' : 'https://slsa.dev/provenance/v1',
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
      'dev.opk-attest.signer.issuer': 'https://token.actions.githubusercontent.com',
      'dev.opk-attest.signer.subject': `repo:acme/app:ref:refs/heads/main#${n}`,
    },
  };
}

async function withRegistry(
  options: OciRegistryOptions,
  fn: (reg: OciRegistry, t: ClosableTransport) => Promise<void>,
): Promise<void> {
  const reg = await startOciRegistry(options);
  const t = createTransport(reg.host, { backoffMs: 5 });
  try {
    await fn(reg, t);
  } finally {
    await t.close();
    await reg.close();
  }
}

/** The tags and the digest of the image tag, to check they never change. */
async function snapshot(
  reg: OciRegistry,
  t: ClosableTransport,
  img: BuiltImage,
): Promise<{ tags: string[]; digest?: string }> {
  return {
    tags: reg.tags(img.repository).filter((x) => !x.startsWith('sha256-')),
    digest: (await headManifest(t, img.repository, img.tag))?.digest,
  };
}

describe('buildArtifactManifest', () => {
  describe('when given a subject, artifactType, one layer and annotations', () => {
    it('builds an OCI image manifest with the empty config', () => {
      const m = JSON.parse(
        buildArtifactManifest({
          repository: 'r',
          subject: { mediaType: OCI_MANIFEST, digest: digest('s') as Dig, size: 3 },
          artifactType: SPDX_DSSE,
          layers: [{ mediaType: SPDX_DSSE, data: Buffer.from('env') }],
          annotations: { a: 'b' },
        }).toString(),
      );
      expect(m).toEqual({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SPDX_DSSE,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digest('{}'), size: 2 },
        layers: [{ mediaType: SPDX_DSSE, digest: digest('env'), size: 3 }],
        subject: { mediaType: OCI_MANIFEST, digest: digest('s'), size: 3 },
        annotations: { a: 'b' },
      });
    });
  });
});

describe('publishReferrer', () => {
  describe('when the registry serves the referrers API', () => {
    it('publishes by digest, lists it with artifactType and annotations, and touches no tag', () =>
      withRegistry({}, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/api' });
        const before = await snapshot(reg, t, img);
        const req = request(img, 1);
        const out = await publishReferrer(t, req, FAST);
        expect(out.via).toBe('api');
        expect(out.descriptor).toEqual({
          mediaType: OCI_MANIFEST,
          digest: digest(out.manifest),
          size: out.manifest.length,
          artifactType: SPDX_DSSE,
          annotations: req.annotations,
        });
        const list = await listReferrers(t, 'ref/api', req.subject.digest);
        expect(list.via).toBe('api');
        expect(list.referrers).toEqual([out.descriptor]);
        expect(reg.tags('ref/api')).toEqual(['v1']);
        expect(await snapshot(reg, t, img)).toEqual(before);
      }));

    it('filters by artifactType', () =>
      withRegistry({}, async (_reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/filter' });
        const spdx = await publishReferrer(t, request(img, 1, SPDX_DSSE), FAST);
        const prov = await publishReferrer(t, request(img, 2, PROV_DSSE), FAST);
        const subject = img.platforms[0]!.manifest.digest;
        expect(
          (await listReferrers(t, 'ref/filter', subject, { artifactType: PROV_DSSE })).referrers.map((d) => d.digest),
        ).toEqual([prov.descriptor.digest]);
        expect((await listReferrers(t, 'ref/filter', subject)).referrers.map((d) => d.digest).sort()).toEqual(
          [spdx.descriptor.digest, prov.descriptor.digest].sort(),
        );
      }));

    it('filters client-side when the registry ignores the filter', () =>
      withRegistry({ referrersFilter: false }, async (_reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/nofilter' });
        await publishReferrer(t, request(img, 1, SPDX_DSSE), FAST);
        const prov = await publishReferrer(t, request(img, 2, PROV_DSSE), FAST);
        const list = await listReferrers(t, 'ref/nofilter', img.platforms[0]!.manifest.digest, {
          artifactType: PROV_DSSE,
        });
        expect(list.referrers.map((d) => d.digest)).toEqual([prov.descriptor.digest]);
      }));

    it('follows Link pages', () =>
      withRegistry({ referrersPageSize: 2 }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/pages' });
        for (let i = 0; i < 5; i++) await publishReferrer(t, request(img, i), FAST);
        const list = await listReferrers(t, 'ref/pages', img.platforms[0]!.manifest.digest);
        expect(list.referrers).toHaveLength(5);
        expect(reg.requests.filter((r) => r.path.includes('page=2')).length).toBeGreaterThan(0);
      }));

    it('is used even when the PUT omits OCI-Subject, once the API lists the artifact', () =>
      withRegistry({ ociSubjectHeader: 'never' }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/noheader' });
        expect((await publishReferrer(t, request(img, 1), FAST)).via).toBe('api');
        expect(reg.tags('ref/noheader')).toEqual(['v1']);
      }));

    it('keeps all 8 entries when 8 writers attach to one subject at once', () =>
      withRegistry({}, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/api8' });
        const writers = Array.from({ length: 8 }, () => createTransport(reg.host, { backoffMs: 5 }));
        try {
          const outs = await Promise.all(writers.map((w, i) => publishReferrer(w, request(img, i), FAST)));
          const listed = (await listReferrers(t, 'ref/api8', img.platforms[0]!.manifest.digest)).referrers.map(
            (d) => d.digest,
          );
          expect(listed.sort()).toEqual(outs.map((o) => o.descriptor.digest).sort());
          expect(new Set(listed).size).toBe(8);
        } finally {
          await Promise.all(writers.map((w) => w.close()));
        }
      }));
  });

  describe('when the registry has no referrers API', () => {
    it('writes the sha256-<hex> fallback index with artifactType and annotations, image untouched', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/tag' });
        const before = await snapshot(reg, t, img);
        const req = request(img, 1);
        const out = await publishReferrer(t, req, FAST);
        expect(out.via).toBe('tag');
        const tag = `sha256-${req.subject.digest.slice(7)}`;
        expect(reg.tags('ref/tag')).toEqual([tag, 'v1'].sort());
        const index = JSON.parse(reg.manifest('ref/tag', tag)!.toString());
        expect(index).toEqual({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [out.descriptor],
        });
        const first = reg.requests.find((r) => r.method === 'PUT' && r.path.endsWith(tag))!;
        expect(first.headers['if-none-match']).toBe('*');
        expect(await snapshot(reg, t, img)).toEqual(before);
        expect((await listReferrers(t, 'ref/tag', req.subject.digest)).referrers).toEqual([out.descriptor]);
      }));

    it('sends If-Match with the ETag it read when the tag exists', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/ifmatch' });
        await publishReferrer(t, request(img, 1), FAST);
        const tag = `sha256-${img.platforms[0]!.manifest.digest.slice(7)}`;
        const etag = `"${digest(reg.manifest('ref/ifmatch', tag)!)}"`;
        await publishReferrer(t, request(img, 2), FAST);
        const puts = reg.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(tag));
        expect(puts.at(-1)!.headers['if-match']).toBe(etag);
        expect((await listReferrers(t, 'ref/ifmatch', img.platforms[0]!.manifest.digest)).referrers).toHaveLength(2);
      }));

    it('is idempotent: publishing the same artifact again adds no entry', () =>
      withRegistry({ referrersApi: false }, async (_reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/idem' });
        await publishReferrer(t, request(img, 1), FAST);
        await publishReferrer(t, request(img, 1), FAST);
        expect((await listReferrers(t, 'ref/idem', img.platforms[0]!.manifest.digest)).referrers).toHaveLength(1);
      }));

    it('does not trust an OCI-Subject header without a working API', () =>
      withRegistry({ referrersApi: false, ociSubjectHeader: 'always' }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/liar' });
        const out = await publishReferrer(t, request(img, 1), FAST);
        expect(out.via).toBe('tag');
        expect(reg.tags('ref/liar')).toContain(`sha256-${img.platforms[0]!.manifest.digest.slice(7)}`);
      }));

    describe.each([
      ['honours If-Match', true],
      ['ignores If-Match (like distribution 2.8)', false],
    ])('and it %s', (_name, conditionalPut) => {
      it('keeps all 8 entries when 8 writers attach to one subject at once', () =>
        withRegistry({ referrersApi: false, conditionalPut }, async (reg, t) => {
          const img = await pushBuildkitImage(t, { repository: 'ref/tag8' });
          const writers = Array.from({ length: 8 }, () => createTransport(reg.host, { backoffMs: 5 }));
          try {
            const outs = await Promise.all(
              writers.map((w, i) => publishReferrer(w, request(img, i), { settleMs: 40, backoffMs: 5 })),
            );
            const listed = (await listReferrers(t, 'ref/tag8', img.platforms[0]!.manifest.digest)).referrers.map(
              (d) => d.digest,
            );
            expect(listed.sort()).toEqual(outs.map((o) => o.descriptor.digest).sort());
          } finally {
            await Promise.all(writers.map((w) => w.close()));
          }
        }));
    });
  });

  describe('when a referrers repository is given', () => {
    it('stores artifact and fallback index there and leaves the image repository alone', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/image' });
        const out = await publishReferrer(t, request(img, 1), { ...FAST, referrersRepository: 'ref/signatures' });
        expect(out.repository).toBe('ref/signatures');
        expect(reg.tags('ref/image')).toEqual(['v1']);
        expect(reg.manifest('ref/signatures', out.descriptor.digest)).toBeDefined();
        const subject = img.platforms[0]!.manifest.digest as Dig;
        expect(
          (await listReferrers(t, 'ref/image', subject, { referrersRepository: 'ref/signatures' })).referrers,
        ).toEqual([out.descriptor]);
        expect((await listReferrers(t, 'ref/image', subject)).referrers).toEqual([]);
      }));
  });

  describe('when the registry misbehaves on the way', () => {
    it('converges through 429 + Retry-After, 5xx, 412 and dropped connections', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/faults' });
        const tag = `sha256-${img.platforms[0]!.manifest.digest.slice(7)}`;
        reg.inject({ kind: 'status', status: 503, match: { path: '/referrers/' } });
        reg.inject({ kind: 'status', status: 429, retryAfter: '0', match: { path: '/blobs/uploads/' } });
        reg.inject({ kind: 'status', status: 502, match: { method: 'PUT', path: '/manifests/sha256:' } });
        reg.inject({ kind: 'drop', when: 'after', match: { method: 'PUT', path: tag } });
        reg.inject({ kind: 'status', status: 412, match: { method: 'PUT', path: tag } });
        reg.inject({ kind: 'drop', when: 'before', match: { method: 'GET', path: tag } });
        const out = await publishReferrer(t, request(img, 1), FAST);
        expect(out.via).toBe('tag');
        expect(
          (await listReferrers(t, 'ref/faults', img.platforms[0]!.manifest.digest)).referrers.map((d) => d.digest),
        ).toEqual([out.descriptor.digest]);
      }));

    it('converges through faults on the API path too', () =>
      withRegistry({}, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/faults-api' });
        reg.inject({ kind: 'status', status: 500, times: 2, match: { path: '/referrers/' } });
        reg.inject({ kind: 'drop', when: 'after', match: { method: 'PUT', path: '/manifests/sha256:' } });
        expect((await publishReferrer(t, request(img, 1), FAST)).via).toBe('api');
      }));

    it('throws OCI_CONFLICT when the tag stays contended past maxAttempts', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/contended' });
        reg.inject({ kind: 'status', status: 412, times: 100, match: { method: 'PUT', path: '/manifests/sha256-' } });
        await expectCode(() => publishReferrer(t, request(img, 1), { ...FAST, maxAttempts: 3 }), 'OCI_CONFLICT');
      }));

    it('writes nothing when the probe keeps failing with 5xx', () =>
      withRegistry({}, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/probe5xx' });
        reg.inject({ kind: 'status', status: 503, times: 20, match: { path: '/referrers/' } });
        const writes = () =>
          reg.requests.filter((r) => r.method === 'PUT' || r.method === 'POST' || r.method === 'PATCH').length;
        const before = writes();
        await expectCode(() => publishReferrer(t, request(img, 1), FAST), 'OCI_REGISTRY_ERROR');
        expect(writes()).toBe(before);
      }));
  });
});

describe('publishReferrers', () => {
  const tagOf = (img: BuiltImage, platform = 0) => `sha256-${img.platforms[platform]!.manifest.digest.slice(7)}`;
  const onTag = (reg: OciRegistry, tag: string, method: string) =>
    reg.requests.filter((r) => r.method === method && r.path.endsWith(`/manifests/${tag}`));
  const EMPTY_CONFIG = digest('{}');

  describe('when one subject gets two artifacts on a registry without the API', () => {
    it('writes the fallback tag once, listing both, and returns results in request order', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'batch/one' });
        const reqs = [request(img, 1, SPDX_DSSE), request(img, 2, PROV_DSSE)];
        const outs = await publishReferrers(t, reqs, FAST);
        expect(outs.map((o) => [o.via, o.descriptor.artifactType])).toEqual([
          ['tag', SPDX_DSSE],
          ['tag', PROV_DSSE],
        ]);
        expect(onTag(reg, tagOf(img), 'PUT')).toHaveLength(1);
        // the check before pushing, the read right before the write, the confirming read
        expect(onTag(reg, tagOf(img), 'GET')).toHaveLength(3);
        const index = JSON.parse(reg.manifest('batch/one', tagOf(img))!.toString());
        expect(index.manifests).toEqual(outs.map((o) => o.descriptor));
        for (const o of outs) expect(reg.manifest('batch/one', o.descriptor.digest)!.equals(o.manifest)).toBe(true);
        // pushed by digest and listed: not read back
        const manifestGets = reg.requests.filter((r) => r.method === 'GET' && r.path.includes('/manifests/sha256:'));
        expect(manifestGets.filter((r) => outs.some((o) => r.path.endsWith(o.descriptor.digest)))).toEqual([]);
      }));
  });

  describe('when given the listing the caller read earlier', () => {
    it('skips the check before pushing and still reads the tag right before writing it', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'batch/earlier' });
        const listing = await listReferrers(t, 'batch/earlier', img.platforms[0]!.manifest.digest);
        const start = reg.requests.length;
        await publishReferrers(t, [request(img, 1)], { ...FAST, earlier: [listing] });
        const gets = onTag(reg, tagOf(img), 'GET').filter((r) => reg.requests.indexOf(r) >= start);
        expect(gets).toHaveLength(2); // the read right before the write, the confirming read
        expect(onTag(reg, tagOf(img), 'PUT')).toHaveLength(1);
      }));
  });

  describe('when the requests name two subjects', () => {
    it('gives each subject its own fallback index', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'batch/two' });
        const outs = await publishReferrers(
          t,
          [request(img, 1, SPDX_DSSE, 0), request(img, 2, SPDX_DSSE, 1), request(img, 3, PROV_DSSE, 0)],
          FAST,
        );
        const listed = (p: number) =>
          JSON.parse(reg.manifest('batch/two', tagOf(img, p))!.toString()).manifests.map(
            (d: { digest: string }) => d.digest,
          );
        expect(listed(0)).toEqual([outs[0]!.descriptor.digest, outs[2]!.descriptor.digest]);
        expect(listed(1)).toEqual([outs[1]!.descriptor.digest]);
      }));
  });

  describe('when given no request', () => {
    it('writes nothing', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const before = reg.requests.length;
        expect(await publishReferrers(t, [], FAST)).toEqual([]);
        expect(reg.requests.length).toBe(before);
      }));
  });

  describe('when the registry serves the referrers API', () => {
    it('confirms the whole batch with one listing and touches no tag', () =>
      withRegistry({}, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'batch/api' });
        const outs = await publishReferrers(t, [request(img, 1, SPDX_DSSE), request(img, 2, PROV_DSSE)], FAST);
        expect(outs.map((o) => o.via)).toEqual(['api', 'api']);
        expect(reg.tags('batch/api')).toEqual(['v1']);
        expect(reg.requests.filter((r) => r.path.includes('/referrers/'))).toHaveLength(2); // the probe, one confirming listing
      }));
  });

  describe('when eight subjects are published at once on one transport', () => {
    it('pushes the shared empty config blob once per repository', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, {
          repository: 'batch/eight',
          platforms: [
            'linux/amd64',
            'linux/arm64',
            'linux/386',
            'linux/s390x',
            'linux/ppc64le',
            'linux/riscv64',
            'linux/arm/v7',
            'linux/arm/v6',
          ],
        });
        await Promise.all(
          img.platforms.map((_, p) =>
            publishReferrers(t, [request(img, `a${p}`, SPDX_DSSE, p), request(img, `b${p}`, PROV_DSSE, p)], FAST),
          ),
        );
        // One upload (its PUT names the digest), not one per subject.
        expect(reg.requests.filter((r) => r.path.includes(EMPTY_CONFIG.slice('sha256:'.length)))).toHaveLength(1);
        for (const p of img.platforms.keys())
          expect((await listReferrers(t, 'batch/eight', img.platforms[p]!.manifest.digest)).referrers).toHaveLength(2);
      }));
  });

  describe('when a second repository is published to on the same transport', () => {
    const configRequests = (reg: OciRegistry, repo: string) =>
      reg.requests.filter(
        (r) => r.path.startsWith(`/v2/${repo}/blobs/`) && r.path.includes(EMPTY_CONFIG.slice('sha256:'.length)),
      );

    it('mounts the empty config from the first one, in one request', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const first = await pushBuildkitImage(t, { repository: 'fleet/one' });
        const second = await pushBuildkitImage(t, { repository: 'fleet/two' });
        await publishReferrers(t, [request(first, 'a')], FAST);
        await publishReferrers(t, [request(second, 'b')], FAST);
        // Uploaded to the first without asking whether it is there: no HEAD, only the upload's PUT.
        expect(configRequests(reg, 'fleet/one').map((r) => r.method)).toEqual(['PUT']);
        expect(configRequests(reg, 'fleet/two').map((r) => [r.method, r.status])).toEqual([['POST', 201]]);
        expect((await listReferrers(t, 'fleet/two', second.platforms[0]!.manifest.digest)).referrers).toHaveLength(1);
        expect(await blobExists(t, 'fleet/two', EMPTY_CONFIG as Dig)).toBe(true);
      }));

    it('uploads it when the registry refuses the mount', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const first = await pushBuildkitImage(t, { repository: 'fleet/one' });
        const second = await pushBuildkitImage(t, { repository: 'fleet/two' });
        await publishReferrers(t, [request(first, 'a')], FAST);
        reg.inject({ kind: 'status', status: 403, match: { method: 'POST', path: 'mount=' } });
        await publishReferrers(t, [request(second, 'b')], FAST);
        expect(configRequests(reg, 'fleet/two').map((r) => [r.method, r.status])).toEqual([
          ['POST', 403],
          ['HEAD', 404], // the mount's own check that nothing landed
          ['PUT', 201],
        ]);
        expect(await blobExists(t, 'fleet/two', EMPTY_CONFIG as Dig)).toBe(true);
      }));
  });

  describe('when the registry ignores If-Match (like distribution 2.8)', () => {
    it('waits at least settleMs between writing the tag and the confirming read', () =>
      withRegistry({ referrersApi: false, conditionalPut: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'settle/floor' });
        await publishReferrers(t, [request(img, 1)], { settleMs: 150, backoffMs: 2 });
        const put = onTag(reg, tagOf(img), 'PUT')[0]!;
        const confirm = onTag(reg, tagOf(img), 'GET').find((r) => r.at > put.at)!;
        expect(confirm.at - put.at).toBeGreaterThanOrEqual(150);
      }));

    it('waits three read-modify-write cycles when that is longer than settleMs', () =>
      withRegistry({ referrersApi: false, conditionalPut: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'settle/cycles' });
        // The check before pushing and the read before the write answer 80 ms late: a cycle of ≥ 80 ms.
        reg.inject({ kind: 'delay', ms: 80, times: 2, match: { method: 'GET', path: `/manifests/${tagOf(img)}` } });
        await publishReferrers(t, [request(img, 1)], { settleMs: 1, backoffMs: 2 });
        const put = onTag(reg, tagOf(img), 'PUT')[0]!;
        const confirm = onTag(reg, tagOf(img), 'GET').find((r) => r.at > put.at)!;
        expect(confirm.at - put.at).toBeGreaterThanOrEqual(3 * 80);
        expect(confirm.at - put.at).toBeLessThan(2_000);
      }));

    it("waits three cycles on a first attempt, not a jittered multiple (a run's subjects settle at once)", () =>
      withRegistry({ referrersApi: false, conditionalPut: false }, async (reg, t) => {
        const platforms = ['linux/amd64', 'linux/arm64', 'linux/386', 'linux/s390x', 'linux/ppc64le', 'linux/riscv64'];
        const img = await pushBuildkitImage(t, { repository: 'settle/first', platforms });
        // Each subject's reads answer 250 ms late, so a cycle is ~250 ms and dwarfs timer slop.
        for (const p of platforms.keys())
          reg.inject({
            kind: 'delay',
            ms: 250,
            times: 2,
            match: { method: 'GET', path: `/manifests/${tagOf(img, p)}` },
          });
        await Promise.all(platforms.map((_, p) => publishReferrers(t, [request(img, `f${p}`, SPDX_DSSE, p)], FAST)));
        const ratios = platforms.map((_, p) => {
          const [early, fresh, confirm] = onTag(reg, tagOf(img, p), 'GET');
          const put = onTag(reg, tagOf(img, p), 'PUT')[0]!;
          expect(early && confirm).toBeDefined();
          return (confirm!.at - put.at) / (put.at - fresh!.at);
        });
        // Three cycles each (the client's cycle is a little longer than the registry sees it; a
        // stall of ~150 ms is tolerated); with the retries' jitter (× 1 to 1.5) all six would stay
        // under 3.6 once in ~250 runs.
        for (const r of ratios) expect(r).toBeGreaterThanOrEqual(2.9);
        expect(Math.max(...ratios)).toBeLessThan(3.6);
      }));

    it('keeps waiting after a 412 that the tag did not earn (a proxy fault proves nothing)', () =>
      withRegistry({ referrersApi: false, conditionalPut: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'settle/spurious' });
        await publishReferrer(t, request(img, 1), FAST);
        reg.inject({ kind: 'status', status: 412, match: { method: 'PUT', path: tagOf(img) } });
        await publishReferrer(t, request(img, 2), FAST);
        const start = reg.requests.length;
        await publishReferrer(t, request(img, 3), { settleMs: 150, backoffMs: 2 });
        const puts = onTag(reg, tagOf(img), 'PUT').filter((r) => reg.requests.indexOf(r) >= start);
        const confirm = onTag(reg, tagOf(img), 'GET').find((r) => r.at > puts[0]!.at)!;
        expect(confirm.at - puts[0]!.at).toBeGreaterThanOrEqual(150);
        expect((await listReferrers(t, 'settle/spurious', img.platforms[0]!.manifest.digest)).referrers).toHaveLength(
          3,
        );
      }));

    it('keeps all 16 entries when 8 writers each publish two artifacts to one subject at once', () =>
      withRegistry({ referrersApi: false, conditionalPut: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'settle/sixteen' });
        const writers = Array.from({ length: 8 }, () => createTransport(reg.host, { backoffMs: 5 }));
        try {
          const outs = await Promise.all(
            writers.map((w, i) =>
              publishReferrers(w, [request(img, `a${i}`, SPDX_DSSE), request(img, `b${i}`, PROV_DSSE)], {
                settleMs: 40,
                backoffMs: 5,
              }),
            ),
          );
          const listed = (await listReferrers(t, 'settle/sixteen', img.platforms[0]!.manifest.digest)).referrers.map(
            (d) => d.digest,
          );
          expect(listed.sort()).toEqual(
            outs
              .flat()
              .map((o) => o.descriptor.digest)
              .sort(),
          );
          expect(new Set(listed).size).toBe(16);
        } finally {
          await Promise.all(writers.map((w) => w.close()));
        }
      }));
  });

  describe('when the registry has proven it enforces If-None-Match and If-Match', () => {
    it('skips the settle wait and reuses the tag read made before pushing', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'settle/enforced' });
        // Every read of the tag answers late, so two writers started together both read the same state.
        reg.inject({ kind: 'delay', ms: 30, times: 1_000, match: { method: 'GET', path: `/manifests/${tagOf(img)}` } });
        const race = async (a: string, b: string) =>
          Promise.all([publishReferrer(t, request(img, a), FAST), publishReferrer(t, request(img, b), FAST)]);
        await race('x1', 'y1'); // both find no tag: one If-None-Match: * is refused, earned
        await race('x2', 'y2'); // both read the same ETag: one If-Match is refused, earned
        const refused = reg.requests.filter(
          (r) => r.method === 'PUT' && r.path.endsWith(tagOf(img)) && r.status === 412,
        );
        expect(refused.map((r) => (r.headers['if-match'] === undefined ? 'if-none-match' : 'if-match')).sort()).toEqual(
          ['if-match', 'if-none-match'],
        );
        reg.clearFaults();
        const start = reg.requests.length;
        const began = performance.now();
        await publishReferrer(t, request(img, 'z'), { settleMs: 5_000, backoffMs: 2 });
        expect(performance.now() - began).toBeLessThan(2_000);
        expect(onTag(reg, tagOf(img), 'GET').filter((r) => reg.requests.indexOf(r) >= start)).toHaveLength(2); // before pushing, confirming
        expect((await listReferrers(t, 'settle/enforced', img.platforms[0]!.manifest.digest)).referrers).toHaveLength(
          5,
        );
      }));
  });
});

describe('listReferrers', () => {
  describe('when the registry has no referrers API', () => {
    it('probes once per repository, shared by concurrent callers, and then reads only the fallback tags', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'list/probe' });
        const before = reg.requests.length;
        const subjects = [...img.platforms.map((p) => p.manifest.digest), digest('a') as Dig, digest('b') as Dig];
        await Promise.all(subjects.map((s) => listReferrers(t, 'list/probe', s)));
        await listReferrers(t, 'list/probe', digest('c') as Dig);
        const seen = reg.requests.slice(before);
        expect(seen.filter((r) => r.path.includes('/referrers/'))).toHaveLength(1);
        expect(seen.filter((r) => r.path.includes('/manifests/sha256-'))).toHaveLength(subjects.length + 1);
      }));
  });

  describe('when the registry has the referrers API', () => {
    it("lets the first listing's read be the probe: one API read per subject, no more", () =>
      withRegistry({ referrersApi: true }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'list/api-probe' });
        const published = await publishReferrer(t, request(img, 1), FAST);
        const t2 = createTransport(reg.host);
        try {
          const before = reg.requests.length;
          const subjects = [img.platforms[0]!.manifest.digest, digest('a') as Dig, digest('b') as Dig];
          const lists = await Promise.all(subjects.map((s) => listReferrers(t2, 'list/api-probe', s)));
          const seen = reg.requests.slice(before);
          expect(seen.filter((r) => r.path.includes('/referrers/'))).toHaveLength(subjects.length);
          expect(lists.map((l) => [l.via, l.referrers.map((d) => d.digest)])).toEqual([
            ['api', [published.descriptor.digest]],
            ['api', []],
            ['api', []],
          ]);
          expect(t2.knowledge.snapshot().referrersApi).toEqual({ 'list/api-probe': true });
        } finally {
          await t2.close();
        }
      }));
  });

  describe('when the registry gained the API after signatures went to the fallback tag', () => {
    it('merges both', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const img = await pushBuildkitImage(t, { repository: 'ref/upgrade' });
        const old = await publishReferrer(t, request(img, 1), FAST);
        reg.options.referrersApi = true;
        const t2 = createTransport(reg.host);
        try {
          const fresh = await publishReferrer(t2, request(img, 2), FAST);
          expect(fresh.via).toBe('api');
          const list = await listReferrers(t2, 'ref/upgrade', img.platforms[0]!.manifest.digest);
          expect(list.referrers.map((d) => d.digest).sort()).toEqual(
            [old.descriptor.digest, fresh.descriptor.digest].sort(),
          );
        } finally {
          await t2.close();
        }
      }));
  });

  describe('when mode "api" is forced on a registry without it', () => {
    it('throws OCI_UNSUPPORTED', () =>
      withRegistry({ referrersApi: false }, async (_reg, t) => {
        await expectCode(() => listReferrers(t, 'ref/x', digest('x') as Dig, { mode: 'api' }), 'OCI_UNSUPPORTED');
      }));
  });
});

describe('hasReferrersApi', () => {
  describe('when the registry answers 404 text/plain like distribution 2.8', () => {
    it('returns false', () =>
      withRegistry({ referrersApi: false }, async (_reg, t) => {
        expect(await hasReferrersApi(t, 'ref/x', digest('x') as Dig)).toBe(false);
      }));
  });
  describe('when the registry answers an OCI index', () => {
    it('returns true, and caches the answer', () =>
      withRegistry({}, async (reg, t) => {
        expect(await hasReferrersApi(t, 'ref/x', digest('x') as Dig)).toBe(true);
        const n = reg.requests.length;
        expect(await hasReferrersApi(t, 'ref/x', digest('y') as Dig)).toBe(true);
        expect(reg.requests.length).toBe(n);
      }));
  });
});

describe('addToReferrersTag', () => {
  describe('when the index would exceed MAX_REFERRERS', () => {
    it('is bounded (throws OCI_TOO_LARGE past the cap)', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const subject = digest('subject') as Dig;
        const manifests = Array.from({ length: 10_000 }, (_, i) => ({
          mediaType: OCI_MANIFEST,
          digest: digest(String(i)),
          size: 1,
        }));
        reg.seedManifest(
          'ref/full',
          Buffer.from(
            JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
          ),
          'application/vnd.oci.image.index.v1+json',
          { tag: `sha256-${subject.slice(7)}` },
        );
        await expectCode(
          () =>
            addToReferrersTag(
              t,
              'ref/full',
              subject,
              { mediaType: OCI_MANIFEST, digest: digest('new') as Dig, size: 1 },
              FAST,
            ),
          'OCI_TOO_LARGE',
        );
      }));
  });
});

describe('listReferrers', () => {
  describe('when the fallback tag lists more than MAX_REFERRERS (10,000)', () => {
    it('throws OCI_TOO_LARGE naming the cap after one read of the tag', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const subject = digest('flooded') as Dig;
        const manifests = Array.from({ length: 10_000 }, (_, i) => ({
          mediaType: OCI_MANIFEST,
          digest: digest(`f${i}`),
          size: 1,
          artifactType: SPDX_DSSE,
        }));
        reg.seedManifest(
          'ref/flooded',
          Buffer.from(
            JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
          ),
          'application/vnd.oci.image.index.v1+json',
          { tag: `sha256-${subject.slice(7)}` },
        );
        const before = reg.requests.length;
        const err = await listReferrers(t, 'ref/flooded', subject).catch((e: unknown) => e as Error & { code: string });
        expect((err as { code?: string }).code).toBe('OCI_TOO_LARGE');
        expect((err as Error).message).toContain('more than 1000 referrers, the cap per subject (MAX_REFERRERS)');
        expect(reg.requests.length - before).toBeLessThanOrEqual(3);
      }));
  });

  describe('when the fallback tag lists exactly MAX_REFERRERS', () => {
    it('lists them all', () =>
      withRegistry({ referrersApi: false }, async (reg, t) => {
        const subject = digest('full') as Dig;
        const manifests = Array.from({ length: 1_000 }, (_, i) => ({
          mediaType: OCI_MANIFEST,
          digest: digest(`g${i}`),
          size: 1,
        }));
        reg.seedManifest(
          'ref/at-cap',
          Buffer.from(
            JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
          ),
          'application/vnd.oci.image.index.v1+json',
          { tag: `sha256-${subject.slice(7)}` },
        );
        expect((await listReferrers(t, 'ref/at-cap', subject)).referrers).toHaveLength(1_000);
      }));
  });
});
