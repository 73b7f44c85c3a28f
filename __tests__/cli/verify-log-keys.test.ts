/**
 * `opk-attest verify` never takes a log's key from the log silently: with no key pinned for a
 * log it refuses and says how to pin one; with a pinned root whose key is not the one the log
 * signs with, every signature is refused with the reason; `--tlog-key-tofu` passes and warns on
 * stderr every time. The report names where each trust input came from and the rule applied.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { cli } from './run-cli.js';

let base: string;
let oidc: GithubOidc;
let rekor: RekorLog;
let api: OciRegistry;
let image: string;
const verify = (...extra: string[]) =>
  cli(
    'verify',
    image,
    '--issuer',
    oidc.issuer,
    '--signer-claim',
    'repository=octo-org/octo-repo',
    '--transparency-log',
    rekor.url,
    ...extra,
  );

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-verify-logkeys-'));
  [oidc, rekor, api] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  const t = createTransport(api.host);
  const built = await pushBuildkitImage(t, { repository: 'acme/app', seed: 'log-keys' });
  await t.close();
  image = `${api.host}/acme/app@${built.digest}`;
  const provider = githubActionsProvider({
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
    issuer: oidc.issuer,
    setSecret: () => {},
  });
  await signImages({ images: [image], provider, transparencyLog: rekor.url });
});
afterAll(async () => {
  await Promise.all([oidc.close(), rekor.close(), api.close()]);
  await rm(base, { recursive: true, force: true });
});

describe('verify without a pinned log key', () => {
  it('refuses, naming the log and the ways to pin its key', async () => {
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toContain(`transparency log ${rekor.url}: no key is pinned for it`);
    expect(r.err).toContain('--tlog-key-tofu');
    expect(r.err).toContain('[VERIFY_TLOG_KEY_UNPINNED]');
    expect(r.out).toBe('');
  });
});

describe('verify --trusted-root with a key other than the one the log signs with', () => {
  it('refuses every signature with TLOG_LOG_UNKNOWN', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
    const file = path.join(base, 'trusted_root.json');
    await writeFile(
      file,
      JSON.stringify({
        tlogs: [
          {
            baseUrl: rekor.url,
            publicKey: { rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
          },
        ],
      }),
    );
    const r = await verify('--trusted-root', file, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    const rejected = report.platforms.flatMap((p: { rejected: { code: string }[] }) => p.rejected);
    expect(rejected.length).toBeGreaterThan(0);
    expect(new Set(rejected.map((x: { code: string }) => x.code))).toEqual(new Set(['TLOG_LOG_UNKNOWN']));
    expect(report.trust).toContainEqual({
      input: 'log keys',
      source: expect.stringContaining(`--trusted-root ${file}`),
    });
  });
});

describe('verify --tlog-key-tofu', () => {
  it('passes and warns on stderr, every time', async () => {
    for (let n = 0; n < 2; n++) {
      const r = await verify('--tlog-key-tofu');
      expect(r.code).toBe(0);
      expect(r.err).toContain(`warning: trusting the key ${rekor.url} serves (log ID ${rekor.logId}) on first use`);
      expect(r.out).toContain('trust: log keys: ');
      expect(r.out).toContain('trust on first use');
    }
  });
});

describe('verify --tlog-key', () => {
  it('passes without a warning; the report names the pinned file, the policy source and the rule', async () => {
    const file = path.join(base, 'rekor.pem');
    await writeFile(file, rekor.publicKeyPem);
    const r = await verify('--tlog-key', file, '--json');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(r.out);
    expect(report.rule).toBe('**');
    expect(report.trust).toEqual([
      { input: 'policy', source: 'verify flags (--issuer, --signer-claim, --threshold, --require)' },
      { input: 'OIDC provider keys', source: `live JWKS of ${oidc.issuer} (OIDC discovery)` },
      { input: 'log keys', source: `${rekor.logId.slice(0, 16)} pinned by --tlog-key ${file}` },
    ]);
  });
});
