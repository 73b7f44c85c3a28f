import { createTransport } from '../../src/oci/transport/client.js';
import { collectImage, collectStatements } from '../../src/sign/statements.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { expectCode } from '../helpers.js';

describe('collectStatements', () => {
  let reg: OciRegistry;
  beforeAll(async () => {
    reg = await startOciRegistry();
  });
  afterAll(() => reg.close());

  describe('when an image has BuildKit statements on several platforms', () => {
    it('returns every statement, raw bytes kept, in platform then layer order', async () => {
      const t = createTransport(reg.host);
      try {
        const platforms = ['linux/amd64', 'linux/arm64', 'linux/386', 'linux/s390x', 'linux/ppc64le'];
        const built = await pushBuildkitImage(t, { repository: 'stmt/many', seed: 'many', platforms });
        const found = await collectStatements(
          t,
          { name: `${reg.host}/stmt/many`, repository: 'stmt/many', reference: built.digest },
          {},
        );
        const expected = built.platforms.flatMap((p) =>
          p.statements.map((s) => ({ platform: p.platform, subject: p.manifest.digest, bytes: s.bytes })),
        );
        expect(found.map((f) => ({ platform: f.platform, subject: f.subject.digest, bytes: f.statement.raw }))).toEqual(
          expected,
        );
        expect(found.every((f) => f.source === 'buildkit')).toBe(true);
      } finally {
        await t.close();
      }
    });
  });

  describe('when given a tag and several platforms', () => {
    it('reads the tag once, finds every platform under the digest it resolved to, and returns that digest', async () => {
      const t = createTransport(reg.host);
      try {
        const platforms = ['linux/amd64', 'linux/arm64', 'linux/s390x'];
        const built = await pushBuildkitImage(t, { repository: 'stmt/tagged', seed: 'tagged', platforms });
        const before = reg.requests.length;
        const found = await collectImage(
          t,
          { name: `${reg.host}/stmt/tagged`, repository: 'stmt/tagged', reference: built.tag },
          {},
          ['linux/s390x', 'linux/amd64'],
        );
        expect(found.resolved).toMatchObject({ digest: built.digest, mediaType: built.mediaType });
        expect(found.kind).toBe('index');
        expect([...new Set(found.statements.map((f) => f.platform))]).toEqual(['linux/s390x', 'linux/amd64']);
        const byTag = reg.requests.slice(before).filter((r) => r.path === `/v2/stmt/tagged/manifests/${built.tag}`);
        expect(byTag).toHaveLength(1);
      } finally {
        await t.close();
      }
    });
  });

  describe('when given the tag of a single-platform image and an SBOM', () => {
    it("returns the manifest's digest as resolved, kind manifest", async () => {
      const t = createTransport(reg.host);
      try {
        const built = await pushBuildkitImage(t, { repository: 'stmt/single', seed: 'single', single: true });
        const found = await collectImage(
          t,
          { name: `${reg.host}/stmt/single`, repository: 'stmt/single', reference: built.tag },
          { sbom: Buffer.from('{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x"}') },
        );
        expect({ digest: found.resolved.digest, kind: found.kind }).toEqual({ digest: built.digest, kind: 'manifest' });
        expect(found.statements.map((f) => [f.subject.digest, f.source])).toEqual([[built.digest, 'sbom']]);
      } finally {
        await t.close();
      }
    });
  });

  describe('when a statement blob cannot be read', () => {
    it("throws the registry's error and returns nothing", async () => {
      const t = createTransport(reg.host, { attempts: 1 });
      try {
        const built = await pushBuildkitImage(t, { repository: 'stmt/gone', seed: 'gone' });
        reg.remove('stmt/gone', built.platforms[1]!.statements[0]!.layer.digest);
        await expectCode(
          () =>
            collectStatements(
              t,
              { name: `${reg.host}/stmt/gone`, repository: 'stmt/gone', reference: built.digest },
              {},
            ),
          'OCI_NOT_FOUND',
        );
      } finally {
        await t.close();
      }
    });
  });
});
