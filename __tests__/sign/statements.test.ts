import { createTransport } from '../../src/oci/transport/client.js';
import { collectStatements } from '../../src/sign/statements.js';
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
