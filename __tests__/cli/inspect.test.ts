import { jest } from '@jest/globals';
import { inspectCommand } from '../../src/cli/inspect.js';
import { publishReferrer } from '../../src/oci/referrers.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { pushBuildkitImage, SLSA_V1, SPDX, type BuiltImage } from '../fixtures/buildkit-image.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';

const SPDX_DSSE = 'application/vnd.in-toto.spdx+dsse';

let reg: OciRegistry;
let t: ClosableTransport;
let img: BuiltImage;
let artifact: string;

/** Runs the command with stdout/stderr captured (Node's streams, not our modules). */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await inspectCommand(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  reg = await startOciRegistry();
  t = createTransport(reg.host);
  img = await pushBuildkitImage(t, { repository: 'cli/app' });
  const p = img.platforms[0]!;
  const out = await publishReferrer(
    t,
    {
      repository: 'cli/app',
      subject: p.manifest,
      artifactType: SPDX_DSSE,
      layers: [
        {
          mediaType: SPDX_DSSE,
          data: Buffer.from('{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}'),
        },
      ],
      annotations: {
        'in-toto.io/predicate-type': SPDX,
        'dev.opk-attest.signer.issuer': 'https://token.actions.githubusercontent.com',
        'dev.opk-attest.signer.subject': 'repo:acme/app:ref:refs/heads/main',
        'dev.opk-attest.signer.repository': 'acme/app',
        'dev.opk-attest.signer.workflow': 'acme/app/.github/workflows/release.yml@refs/heads/main',
      },
    },
    { settleMs: 1 },
  );
  artifact = out.descriptor.digest;
});
afterAll(async () => {
  await t.close();
  await reg.close();
});

describe('inspectCommand', () => {
  describe('when asked for --json', () => {
    it('prints one object with platforms, attestations and signatures', async () => {
      const { code, out } = await run(`${reg.host}/cli/app:v1`, '--json');
      expect(code).toBe(0);
      const report = JSON.parse(out);
      expect(report.image).toBe(`${reg.host}/cli/app:v1`);
      expect(report.digest).toBe(img.digest);
      expect(report.platforms.map((p: { platform: string }) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
      const [amd64, arm64] = report.platforms;
      expect(amd64.digest).toBe(img.platforms[0]!.manifest.digest);
      expect(amd64.attestations).toEqual([
        { predicateType: SPDX, digest: img.platforms[0]!.statements[0]!.layer.digest, signed: true },
        { predicateType: SLSA_V1, digest: img.platforms[0]!.statements[1]!.layer.digest, signed: false },
      ]);
      expect(amd64.signatures).toEqual([
        {
          artifactDigest: artifact,
          artifactType: SPDX_DSSE,
          predicateType: SPDX,
          signer: {
            issuer: 'https://token.actions.githubusercontent.com',
            subject: 'repo:acme/app:ref:refs/heads/main',
            repository: 'acme/app',
            workflow: 'acme/app/.github/workflows/release.yml@refs/heads/main',
          },
        },
      ]);
      expect(arm64.signatures).toEqual([]);
      expect(arm64.attestations.every((a: { signed: boolean }) => !a.signed)).toBe(true);
    });
  });

  describe('when --platform is given', () => {
    it('shows only that platform', async () => {
      const { code, out } = await run(`${reg.host}/cli/app:v1`, '--json', '--platform', 'linux/arm64');
      expect(code).toBe(0);
      expect(JSON.parse(out).platforms.map((p: { platform: string }) => p.platform)).toEqual(['linux/arm64']);
    });
  });

  describe('when printing for humans', () => {
    it('shows tables with signed/unsigned and the signer', async () => {
      const { code, out } = await run(`${reg.host}/cli/app@${img.digest}`);
      expect(code).toBe(0);
      expect(out).toContain(`Platform linux/amd64  ${img.platforms[0]!.manifest.digest}`);
      expect(out).toMatch(new RegExp(`${SPDX.replace(/[./]/g, '\\$&')}\\s+sha256:[0-9a-f]{64}\\s+signed`));
      expect(out).toMatch(/provenance\/v1\s+sha256:[0-9a-f]{64}\s+unsigned/);
      expect(out).toContain('repo:acme/app:ref:refs/heads/main (https://token.actions.githubusercontent.com) acme/app');
      expect(out).toContain('No signed artifacts.');
    });
  });

  describe('when the image is single-platform without attestations', () => {
    it('says so', async () => {
      await pushBuildkitImage(t, { repository: 'cli/single', single: true });
      const { code, out } = await run(`${reg.host}/cli/single:v1`);
      expect(code).toBe(0);
      expect(out).toContain('No attestations.');
      expect(out).toMatch(/Note: single-platform image/);
    });
  });

  describe('when the registry has no referrers API', () => {
    it('finds signatures through the fallback tag', async () => {
      const fallback = await startOciRegistry({ referrersApi: false });
      const ft = createTransport(fallback.host);
      try {
        const i = await pushBuildkitImage(ft, { repository: 'cli/fb' });
        await publishReferrer(
          ft,
          {
            repository: 'cli/fb',
            subject: i.platforms[1]!.manifest,
            artifactType: SPDX_DSSE,
            layers: [{ mediaType: SPDX_DSSE, data: Buffer.from('e') }],
            annotations: { 'in-toto.io/predicate-type': SPDX },
          },
          { settleMs: 1 },
        );
        const { code, out } = await run(`${fallback.host}/cli/fb:v1`, '--json');
        expect(code).toBe(0);
        expect(JSON.parse(out).platforms[1].attestations[0].signed).toBe(true);
      } finally {
        await ft.close();
        await fallback.close();
      }
    });
  });

  describe('when a signer annotation carries terminal escape sequences', () => {
    it('prints them neutralised', async () => {
      await publishReferrer(
        t,
        {
          repository: 'cli/app',
          subject: img.platforms[1]!.manifest,
          artifactType: SPDX_DSSE,
          layers: [{ mediaType: SPDX_DSSE, data: Buffer.from('x') }],
          annotations: { 'dev.opk-attest.signer.subject': 'evil\u001b[2J' },
        },
        { settleMs: 1 },
      );
      const { out } = await run(`${reg.host}/cli/app:v1`);
      expect(out).not.toContain('\u001b');
      expect(out).toContain('evil?[2J');
    });
  });

  describe('when the image does not exist', () => {
    it('exits 1 with a clear message', async () => {
      const { code, out, err } = await run(`${reg.host}/cli/nothing:v1`);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toMatch(/cli\/nothing:v1 not found.*\[OCI_NOT_FOUND\]/);
    });
  });

  describe('when the platform is not in the image', () => {
    it('exits 1 naming the platforms it has', async () => {
      const { code, err } = await run(`${reg.host}/cli/app:v1`, '--platform', 'linux/s390x');
      expect(code).toBe(1);
      expect(err).toMatch(/linux\/amd64, linux\/arm64.*OCI_PLATFORM_NOT_FOUND/);
    });
  });

  describe('when called wrong', () => {
    it.each([
      [[]],
      [['a', 'b']],
      [['img:v1', '--bogus']],
      [['img:v1', '--platform']],
      [['img:v1', '--platform', 'linux']],
    ])('exits 2 with the usage for %j', async (argv) => {
      const { code, err } = await run(...argv);
      expect(code).toBe(2);
      expect(err).toContain('usage: opk-attest inspect');
    });

    it('exits 1 for an unparseable image reference', async () => {
      const { code, err } = await run('UPPER/Case:v1');
      expect(code).toBe(1);
      expect(err).toContain('OCI_REFERENCE_INVALID');
    });
  });

  describe('when asked for --help', () => {
    it('prints the usage and exits 0', async () => {
      const { code, out } = await run('--help');
      expect(code).toBe(0);
      expect(out).toContain('--insecure-registry');
    });
  });
});
