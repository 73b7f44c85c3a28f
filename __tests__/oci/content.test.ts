import { createHash, randomBytes } from 'node:crypto';
import { blobExists, cancelUpload, getBlob, openUpload, putBlob } from '../../src/oci/content-blobs.js';
import { getManifest, getManifestFor, headManifest, putManifest } from '../../src/oci/content-manifests.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { expectCode } from '../helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as const;

let reg: OciRegistry;
let t: ClosableTransport;

beforeAll(async () => {
  reg = await startOciRegistry();
  t = createTransport(reg.host, { backoffMs: 5, attempts: 4 });
});
afterAll(async () => {
  await t.close();
  await reg.close();
});
afterEach(() => reg.clearFaults());

async function pushSmallImage(repo: string, tag?: string): Promise<{ bytes: Buffer; digest: string }> {
  const config = Buffer.from(`{"architecture":"amd64","os":"linux","n":"${randomBytes(4).toString('hex')}"}`);
  const layer = randomBytes(100);
  await putBlob(t, repo, config);
  await putBlob(t, repo, layer);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }),
  );
  await putManifest(t, repo, bytes, OCI_MANIFEST, tag);
  return { bytes, digest: sha(bytes) };
}

describe('putManifest / getManifest', () => {
  describe('when a manifest is pushed by tag', () => {
    it('reads back the same bytes by tag and by digest, with an Accept listing OCI types', async () => {
      const { bytes, digest } = await pushSmallImage('content/app', 'v1');
      const byTag = await getManifest(t, 'content/app', 'v1');
      expect(byTag.bytes.equals(bytes)).toBe(true);
      expect(byTag.digest).toBe(digest);
      expect(byTag.etag).toBe(`"${digest}"`);
      expect((await getManifest(t, 'content/app', digest)).bytes.equals(bytes)).toBe(true);
      const get = reg.requests.filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).at(-1)!;
      expect(String(get.headers.accept)).toContain(OCI_MANIFEST);
    });
  });

  describe('when the manifest does not exist', () => {
    it('throws OCI_NOT_FOUND', () => expectCode(() => getManifest(t, 'content/app', 'nope'), 'OCI_NOT_FOUND'));
  });

  describe("when the declared media type is not the document's", () => {
    it('throws OCI_MANIFEST_INVALID and sends nothing', async () => {
      const { bytes } = await pushSmallImage('content/typed');
      const before = reg.requests.length;
      await expectCode(
        () => putManifest(t, 'content/typed', bytes, 'application/vnd.oci.image.index.v1+json', 'x'),
        'OCI_MANIFEST_INVALID',
      );
      expect(reg.requests.length).toBe(before);
    });
  });

  describe('when the registry rejects a manifest whose blobs are missing', () => {
    it('throws OCI_MANIFEST_INVALID', async () => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('absent'), size: 6 },
          layers: [],
        }),
      );
      await expectCode(() => putManifest(t, 'content/missing', bytes, OCI_MANIFEST, 'v1'), 'OCI_MANIFEST_INVALID');
      expect(reg.tags('content/missing')).toEqual([]);
    });
  });

  describe('when If-Match names a stale ETag', () => {
    it('throws OCI_CONFLICT', async () => {
      const a = await pushSmallImage('content/cas', 'latest');
      await pushSmallImage('content/cas', 'latest');
      const { bytes } = await pushSmallImage('content/cas');
      await expectCode(
        () => putManifest(t, 'content/cas', bytes, OCI_MANIFEST, 'latest', { ifMatch: `"${a.digest}"` }),
        'OCI_CONFLICT',
      );
    });
  });
});

describe('headManifest', () => {
  describe('when the manifest exists', () => {
    it('reports digest, type and size', async () => {
      const { bytes, digest } = await pushSmallImage('content/head', 'v1');
      expect(await headManifest(t, 'content/head', 'v1')).toEqual({
        digest,
        mediaType: OCI_MANIFEST,
        size: bytes.length,
      });
    });
  });
  describe('when it does not', () => {
    it('returns undefined', async () => expect(await headManifest(t, 'content/head', 'v2')).toBeUndefined());
  });
});

describe('getManifestFor', () => {
  describe('when the descriptor size disagrees with the manifest', () => {
    it('throws OCI_SIZE_MISMATCH', async () => {
      const { bytes, digest } = await pushSmallImage('content/desc');
      await expectCode(
        () =>
          getManifestFor(t, 'content/desc', {
            mediaType: OCI_MANIFEST,
            digest: digest as `sha256:${string}`,
            size: bytes.length + 1,
          }),
        'OCI_SIZE_MISMATCH',
      );
    });
  });
});

describe('putBlob', () => {
  describe('when the blob is small', () => {
    it('uploads it with POST then PUT Location&digest=', async () => {
      const data = randomBytes(1000);
      const r = await putBlob(t, 'content/blobs', data);
      expect(r).toEqual({ digest: sha(data), size: 1000, outcome: 'uploaded' });
      const put = reg.requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/')).at(-1)!;
      expect(put.path).toMatch(/\?_state=[^&]+&digest=sha256%3A[0-9a-f]{64}$/);
      expect((await getBlob(t, 'content/blobs', { digest: sha(data), size: 1000 }, 10_000)).equals(data)).toBe(true);
    });
  });

  describe('when the blob is larger than the chunk size', () => {
    it('uploads it in PATCH chunks with Content-Range', async () => {
      const data = randomBytes(10_000);
      await putBlob(t, 'content/blobs', data, { chunkSize: 3000 });
      const patches = reg.requests.filter((q) => q.method === 'PATCH');
      expect(patches.slice(-4).map((q) => q.headers['content-range'])).toEqual([
        '0-2999',
        '3000-5999',
        '6000-8999',
        '9000-9999',
      ]);
      expect(await blobExists(t, 'content/blobs', sha(data), 10_000)).toBe(true);
    });
  });

  describe('when the blob already exists', () => {
    it('skips the upload', async () => {
      const data = randomBytes(50);
      await putBlob(t, 'content/blobs', data);
      const before = reg.requests.length;
      expect((await putBlob(t, 'content/blobs', data)).outcome).toBe('existed');
      expect(reg.requests.slice(before).map((q) => q.method)).toEqual(['HEAD']);
    });
  });

  describe('when the bytes are fresh', () => {
    it('uploads them without asking first (no HEAD)', async () => {
      const data = randomBytes(80);
      const before = reg.requests.length;
      expect((await putBlob(t, 'content/blobs', data, { fresh: true })).outcome).toBe('uploaded');
      expect(reg.requests.slice(before).map((q) => q.method)).toEqual(['POST', 'PUT']);
      expect(await blobExists(t, 'content/blobs', sha(data), 80)).toBe(true);
    });
  });

  describe('when mountFrom holds the blob', () => {
    it('mounts it instead of uploading', async () => {
      const data = randomBytes(64);
      await putBlob(t, 'content/source', data);
      expect((await putBlob(t, 'content/target', data, { mountFrom: 'content/source' })).outcome).toBe('mounted');
      expect(await blobExists(t, 'content/target', sha(data))).toBe(true);
    });
  });

  describe('when mountFrom does not hold the blob', () => {
    it('falls back to an upload in the session the registry opened', async () => {
      const data = randomBytes(64);
      expect((await putBlob(t, 'content/target', data, { mountFrom: 'content/elsewhere' })).outcome).toBe('uploaded');
    });
  });
});

describe('an upload session opened before the bytes exist', () => {
  const uploadRequests = (from: number) =>
    reg.requests
      .slice(from)
      .filter((q) => q.path.includes('/blobs/uploads/'))
      .map((q) => q.method);

  describe('when putBlob is given it', () => {
    it('uploads into it in one request', async () => {
      const session = openUpload(t, 'content/early');
      await session;
      const data = randomBytes(90);
      const before = reg.requests.length;
      expect((await putBlob(t, 'content/early', data, { fresh: true, session })).outcome).toBe('uploaded');
      expect(reg.requests.slice(before).map((q) => q.method)).toEqual(['PUT']);
      expect(reg.requests.at(-1)!.path.startsWith((await session).location)).toBe(true);
      expect(await blobExists(t, 'content/early', sha(data), 90)).toBe(true);
    });
  });

  describe('when it failed to open', () => {
    it('opens one of its own', async () => {
      reg.inject({ kind: 'status', status: 500, times: 4, match: { method: 'POST', path: '/blobs/uploads/' } });
      const session = openUpload(t, 'content/early');
      await expectCode(() => session, 'OCI_REGISTRY_ERROR');
      const data = randomBytes(91);
      const before = reg.requests.length;
      expect((await putBlob(t, 'content/early', data, { fresh: true, session })).outcome).toBe('uploaded');
      expect(uploadRequests(before)).toEqual(['POST', 'PUT']);
    });
  });

  describe('when the registry has dropped it meanwhile', () => {
    it('uploads in a fresh one', async () => {
      const session = openUpload(t, 'content/early');
      await cancelUpload(t, 'content/early', await session);
      const data = randomBytes(92);
      const before = reg.requests.length;
      expect((await putBlob(t, 'content/early', data, { fresh: true, session })).outcome).toBe('uploaded');
      expect(uploadRequests(before)).toEqual(['PUT', 'POST', 'PUT']);
      expect(await blobExists(t, 'content/early', sha(data), 92)).toBe(true);
    });
  });

  describe('when it is cancelled', () => {
    it('is deleted at the registry, and a failing DELETE is not an error', async () => {
      const session = await openUpload(t, 'content/early');
      const before = reg.requests.length;
      await cancelUpload(t, 'content/early', session);
      expect(uploadRequests(before)).toEqual(['DELETE']);
      expect(reg.requests.at(-1)!.status).toBe(204);
      // Gone already: the registry's 404 (one attempt, no retry) is ignored.
      const again = reg.requests.length;
      await cancelUpload(t, 'content/early', session);
      expect(uploadRequests(again)).toEqual(['DELETE']);
      reg.inject({ kind: 'status', status: 503, times: 5, match: { method: 'DELETE' } });
      const failing = reg.requests.length;
      await cancelUpload(t, 'content/early', await openUpload(t, 'content/early'));
      expect(uploadRequests(failing)).toEqual(['POST', 'DELETE']);
    });
  });
});

describe('getBlob', () => {
  describe('when the registry serves other bytes under the digest', () => {
    it('throws OCI_DIGEST_MISMATCH', async () => {
      const real = randomBytes(32);
      const d = reg.seedBlob('content/liar', randomBytes(32), sha(real));
      await expectCode(
        () => getBlob(t, 'content/liar', { digest: d as `sha256:${string}`, size: 32 }, 1000),
        'OCI_DIGEST_MISMATCH',
      );
    });
  });
  describe('when the registry serves more bytes than the descriptor says', () => {
    it('throws OCI_SIZE_MISMATCH', async () => {
      const d = reg.seedBlob('content/liar', randomBytes(64), sha('x'));
      await expectCode(
        () => getBlob(t, 'content/liar', { digest: d as `sha256:${string}`, size: 32 }, 1000),
        'OCI_SIZE_MISMATCH',
      );
    });
  });
  describe("when the descriptor is over the caller's cap", () => {
    it('throws OCI_TOO_LARGE without a request', async () => {
      const before = reg.requests.length;
      await expectCode(() => getBlob(t, 'content/liar', { digest: sha('y'), size: 2000 }, 1000), 'OCI_TOO_LARGE');
      expect(reg.requests.length).toBe(before);
    });
  });
});

describe('content operations under faults', () => {
  describe('when the registry answers 429 with Retry-After', () => {
    it('waits as told and succeeds', async () => {
      const { digest } = await pushSmallImage('faults/app', 'v1');
      reg.inject({ kind: 'status', status: 429, retryAfter: '1', match: { path: '/manifests/v1' } });
      const start = Date.now();
      expect((await getManifest(t, 'faults/app', 'v1')).digest).toBe(digest);
      expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    });
  });

  describe('when the registry answers 500, 502, 503', () => {
    it('retries and succeeds', async () => {
      const { digest } = await pushSmallImage('faults/app', 'v2');
      for (const status of [500, 502, 503]) reg.inject({ kind: 'status', status, match: { path: '/manifests/v2' } });
      expect((await getManifest(t, 'faults/app', 'v2')).digest).toBe(digest);
    });
  });

  describe('when 5xx persists past the attempts', () => {
    it('throws OCI_REGISTRY_ERROR', async () => {
      reg.inject({ kind: 'status', status: 503, times: 10, match: { path: '/manifests/v3' } });
      await expectCode(() => getManifest(t, 'faults/app', 'v3'), 'OCI_REGISTRY_ERROR');
    });
  });

  describe('when connections drop before the request is handled', () => {
    it('retries and the upload completes', async () => {
      const data = randomBytes(5000);
      reg.inject({ kind: 'drop', when: 'before', match: { method: 'PATCH' } });
      reg.inject({ kind: 'drop', when: 'before', match: { method: 'PUT' } });
      expect((await putBlob(t, 'faults/blobs', data, { chunkSize: 2000 })).outcome).toBe('uploaded');
      expect(await blobExists(t, 'faults/blobs', sha(data), 5000)).toBe(true);
    });
  });

  describe('when a connection drops after a PATCH took effect', () => {
    it('restarts the upload in a new session and completes', async () => {
      const data = randomBytes(5000);
      reg.inject({ kind: 'drop', when: 'after', match: { method: 'PATCH' } });
      expect((await putBlob(t, 'faults/blobs', data, { chunkSize: 2000 })).outcome).toBe('uploaded');
      expect((await getBlob(t, 'faults/blobs', { digest: sha(data), size: 5000 }, 10_000)).equals(data)).toBe(true);
    });
  });

  describe('when a connection drops after the final PUT took effect', () => {
    it('sees the blob is there and reports success', async () => {
      const data = randomBytes(300);
      reg.inject({ kind: 'drop', when: 'after', match: { method: 'PUT', path: '/blobs/uploads/' }, times: 4 });
      expect((await putBlob(t, 'faults/blobs', data)).outcome).toBe('uploaded');
    });
  });
});
