/**
 * `opk-attest sign` with several images, one given by tag: the text output names the image on
 * every line and the index digest each reference resolved to; `--json` carries the same for
 * scripts. Loopback GitHub OIDC endpoint, test registry and test Rekor log.
 */
import { createTransport } from '../../src/oci/transport/client.js';
import { pushBuildkitImage, type BuiltImage } from '../fixtures/buildkit-image.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { cli } from './run-cli.js';

const ENV = ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'] as const;
let saved: Partial<Record<(typeof ENV)[number], string>>;
let oidc: GithubOidc;
let rekor: RekorLog;
let api: OciRegistry;
let tagged: BuiltImage;
let pinned: BuiltImage;
let images: string[];
const sign = (...extra: string[]) =>
  cli('sign', ...images, '--issuer', oidc.issuer, '--transparency-log', rekor.url, ...extra);

beforeAll(async () => {
  [oidc, rekor, api] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = oidc.requestUrl;
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = oidc.requestToken;
  const t = createTransport(api.host);
  try {
    tagged = await pushBuildkitImage(t, { repository: 'acme/app', seed: 'cli-sign-app', tag: '1.2' });
    pinned = await pushBuildkitImage(t, { repository: 'acme/tool', seed: 'cli-sign-tool', platforms: ['linux/arm64'] });
  } finally {
    await t.close();
  }
  images = [`${api.host}/acme/app:1.2`, `${api.host}/acme/tool@${pinned.digest}`];
});
afterAll(async () => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all([oidc.close(), rekor.close(), api.close()]);
});

describe('sign IMAGE…', () => {
  it('prints the digest each image resolved to, and names the image on every line', async () => {
    const r = await sign();
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `image  ${images[0]}  index ${tagged.digest}  linux/amd64,linux/arm64`,
      `image  ${images[1]}  index ${pinned.digest}  linux/arm64`,
    ]);
    const signed = lines.slice(2);
    expect(signed).toHaveLength(6);
    for (const line of signed)
      expect(line).toMatch(/^signed {2}\S+ {2}linux\/\S+ {2}https:\/\/\S+ {2}sha256:\S+ {2}log \d+$/);
    expect(signed.filter((l) => l.startsWith(`signed  ${images[0]}  `))).toHaveLength(4);
    expect(signed.filter((l) => l.startsWith(`signed  ${images[1]}  `))).toHaveLength(2);
    // the per-envelope progress on stderr names the image too
    const progress = r.err.split('\n').filter((l) => l.includes(' → '));
    expect(progress).toHaveLength(6);
    for (const l of progress) expect(images.some((i) => l.startsWith(`${i} linux/`))).toBe(true);
  });

  describe('with --json', () => {
    it('gives a script the images with their digests, and every statement with its image, subject and artifact', async () => {
      const r = await sign('--json');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out);
      expect(doc.images).toEqual([
        {
          image: images[0],
          digest: tagged.digest,
          kind: 'index',
          pinned: `${api.host}/acme/app@${tagged.digest}`,
          platforms: ['linux/amd64', 'linux/arm64'],
        },
        {
          image: images[1],
          digest: pinned.digest,
          kind: 'index',
          pinned: `${api.host}/acme/tool@${pinned.digest}`,
          platforms: ['linux/arm64'],
        },
      ]);
      expect(doc.signed).toEqual([]); // already signed by the first run
      expect(doc.skipped).toHaveLength(6);
      const subjects = (b: BuiltImage) => b.platforms.map((p) => p.manifest.digest);
      for (const s of doc.skipped) {
        expect(subjects(s.image === images[0] ? tagged : pinned)).toContain(s.subject);
        expect(s.artifactDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      }
    });
  });

  describe('with --json and --force', () => {
    it('lists every signed statement with its log index', async () => {
      const doc = JSON.parse((await sign('--json', '--force')).out);
      expect(doc.signed).toHaveLength(6);
      for (const s of doc.signed) {
        expect(images).toContain(s.image);
        expect(Number.isInteger(s.logIndex)).toBe(true);
      }
      expect(doc.signer.issuer).toBe(oidc.issuer);
    });
  });
});
