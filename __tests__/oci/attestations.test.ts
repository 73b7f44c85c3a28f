import {
  findAttestations,
  formatPlatform,
  parsePlatformFilter,
  platformMatches,
  readStatement,
} from '../../src/oci/attestations.js';
import { putManifest } from '../../src/oci/content-manifests.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { digest, pushBuildkitImage, SLSA_V1, SPDX } from '../fixtures/buildkit-image.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { expectCode } from '../helpers.js';

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

describe('findAttestations', () => {
  describe.each(['annotation', 'oci-artifact'] as const)('when the index uses the %s layout', (layout) => {
    it('pairs each platform manifest with its in-toto statements and predicate types', async () => {
      const repo = `att/${layout}`;
      const img = await pushBuildkitImage(t, { repository: repo, attestations: layout });
      const found = await findAttestations(t, repo, 'v1');
      expect(found.kind).toBe('index');
      expect(found.descriptor.digest).toBe(img.digest);
      expect(found.notes).toEqual([]);
      expect(found.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
      for (const [i, p] of found.platforms.entries()) {
        const built = img.platforms[i]!;
        expect(p.descriptor.digest).toBe(built.manifest.digest);
        expect(p.attestationManifests).toEqual([{ descriptor: built.attestation, layout }]);
        expect(p.statements.map((s) => s.predicateType)).toEqual([SPDX, SLSA_V1]);
        expect(p.statements.every((s) => s.attestationManifest === built.attestation!.digest)).toBe(true);
      }
    });

    it('reads each statement as the exact bytes pushed', async () => {
      const repo = `att/${layout}-read`;
      const img = await pushBuildkitImage(t, { repository: repo, attestations: layout });
      const found = await findAttestations(t, repo, img.digest);
      const raw = await readStatement(t, repo, found.platforms[1]!.statements[1]!);
      expect(raw.equals(img.platforms[1]!.statements[1]!.bytes)).toBe(true);
      expect(JSON.parse(raw.toString()).subject[0].digest.sha256).toBe(img.platforms[1]!.manifest.digest.slice(7));
    });
  });

  describe('when the index has no attestations', () => {
    it('lists the platforms with no statements and says why', async () => {
      await pushBuildkitImage(t, { repository: 'att/none', attestations: 'none' });
      const found = await findAttestations(t, 'att/none', 'v1');
      expect(found.platforms.map((p) => p.statements.length)).toEqual([0, 0]);
      expect(found.notes.join(' ')).toMatch(/no BuildKit attestations/);
    });
  });

  describe('when the image is a single-platform manifest', () => {
    it('reports one platform read from the config and a note', async () => {
      const img = await pushBuildkitImage(t, { repository: 'att/single', single: true, platforms: ['linux/arm64/v8'] });
      const found = await findAttestations(t, 'att/single', 'v1');
      expect(found.kind).toBe('manifest');
      expect(found.platforms).toHaveLength(1);
      expect(found.platforms[0]!.platform).toBe('linux/arm64/v8');
      expect(found.platforms[0]!.descriptor.digest).toBe(img.digest);
      expect(found.notes.join(' ')).toMatch(/single-platform/);
    });

    it('applies the platform filter to it', async () => {
      await pushBuildkitImage(t, { repository: 'att/single2', single: true });
      await expectCode(
        () => findAttestations(t, 'att/single2', 'v1', { platform: 'linux/s390x' }),
        'OCI_PLATFORM_NOT_FOUND',
      );
    });
  });

  describe('when a platform filter is given', () => {
    it('returns only that platform and fetches no other attestation manifest', async () => {
      const img = await pushBuildkitImage(t, {
        repository: 'att/filter',
        platforms: ['linux/amd64', 'linux/arm/v7', 'linux/arm64/v8'],
      });
      const before = reg.requests.length;
      const found = await findAttestations(t, 'att/filter', 'v1', { platform: 'linux/arm64' });
      expect(found.platforms.map((p) => p.platform)).toEqual(['linux/arm64/v8']);
      expect(found.platforms[0]!.statements).toHaveLength(2);
      const fetched = reg.requests.slice(before).map((r) => r.path);
      expect(fetched.some((p) => p.endsWith(img.platforms[0]!.attestation!.digest))).toBe(false);
    });

    it('matches an exact variant', async () => {
      await pushBuildkitImage(t, { repository: 'att/variant', platforms: ['linux/arm/v6', 'linux/arm/v7'] });
      const found = await findAttestations(t, 'att/variant', 'v1', { platform: 'linux/arm/v7' });
      expect(found.platforms.map((p) => p.platform)).toEqual(['linux/arm/v7']);
    });

    it('throws OCI_PLATFORM_NOT_FOUND naming what exists when nothing matches', async () => {
      await pushBuildkitImage(t, { repository: 'att/nomatch' });
      await expect(findAttestations(t, 'att/nomatch', 'v1', { platform: 'windows/amd64' })).rejects.toThrow(
        /linux\/amd64, linux\/arm64/,
      );
      await expectCode(
        () => findAttestations(t, 'att/nomatch', 'v1', { platform: 'windows/amd64' }),
        'OCI_PLATFORM_NOT_FOUND',
      );
    });

    it('throws OCI_PLATFORM_INVALID for a malformed filter, before any request', async () => {
      const before = reg.requests.length;
      await expectCode(() => findAttestations(t, 'att/nomatch', 'v1', { platform: 'linux' }), 'OCI_PLATFORM_INVALID');
      expect(reg.requests.length).toBe(before);
    });
  });

  describe('when an attestation manifest names a subject outside the index', () => {
    it('ignores it with a note', async () => {
      const img = await pushBuildkitImage(t, { repository: 'att/orphan' });
      const index = JSON.parse(img.bytes.toString());
      index.manifests = index.manifests.filter(
        (m: { digest: string }) => m.digest !== img.platforms[1]!.manifest.digest,
      );
      await putManifest(
        t,
        'att/orphan',
        Buffer.from(JSON.stringify(index)),
        'application/vnd.oci.image.index.v1+json',
        'trimmed',
      );
      const found = await findAttestations(t, 'att/orphan', 'trimmed');
      expect(found.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
      expect(found.notes.join(' ')).toMatch(/not in the index/);
    });
  });

  describe('when a statement blob was tampered with', () => {
    it('readStatement throws OCI_DIGEST_MISMATCH', async () => {
      const img = await pushBuildkitImage(t, { repository: 'att/tamper' });
      const s = img.platforms[0]!.statements[0]!;
      const evil = Buffer.from(s.bytes.toString().replace('hello', 'hellx'));
      reg.seedBlob('att/tamper', evil, s.layer.digest);
      const found = await findAttestations(t, 'att/tamper', 'v1');
      await expectCode(() => readStatement(t, 'att/tamper', found.platforms[0]!.statements[0]!), 'OCI_DIGEST_MISMATCH');
      expect(digest(evil)).not.toBe(s.layer.digest);
    });
  });
});

describe('parsePlatformFilter', () => {
  describe('when given os/arch/variant', () => {
    it('parses and formats it back', () => {
      expect(parsePlatformFilter('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
      expect(formatPlatform(parsePlatformFilter('linux/amd64'))).toBe('linux/amd64');
    });
  });
  describe('when malformed', () => {
    it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'Linux/AMD64', 'linux/amd 64', ''])(
      'throws OCI_PLATFORM_INVALID for %j',
      (s) => expectCode(() => parsePlatformFilter(s), 'OCI_PLATFORM_INVALID'),
    );
  });
});

describe('platformMatches', () => {
  describe('when the filter has no variant', () => {
    it('matches any variant', () => {
      expect(
        platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm' }),
      ).toBe(true);
      expect(
        platformMatches(
          { os: 'linux', architecture: 'arm', variant: 'v7' },
          { os: 'linux', architecture: 'arm', variant: 'v6' },
        ),
      ).toBe(false);
      expect(platformMatches(undefined, { os: 'linux', architecture: 'arm' })).toBe(false);
    });
  });
});
