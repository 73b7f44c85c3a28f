/**
 * `opk-attest verify --tuf-repository … --tuf-root …` end to end: an image signed by the signing
 * pipeline (test registry, loopback GitHub OIDC, test Rekor log) verifies against a trust
 * repository made with `opk-attest trust`, also after the provider drops the signing key, and
 * fails once its digest is revoked and published.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { startStaticServer, type StaticServer } from '../fakes/static-server.js';
import { cli } from './run-cli.js';

let base: string;
let dir: string;
let oidc: GithubOidc;
let rekor: RekorLog;
let api: OciRegistry;
let server: StaticServer;
let image: string;
let digest: string;
let savedPass: string | undefined;
const trust = (...argv: string[]) => cli('trust', ...argv, '--dir', dir);
const verifyArgs = (...extra: string[]) => [
  'verify',
  image,
  '--json',
  '--commitment-claim',
  'aud',
  '--tuf-root',
  path.join(dir, 'repository', '1.root.json'),
  '--tuf-cache',
  path.join(base, 'cache'),
  ...extra,
];
const verify = (...extra: string[]) => cli(...verifyArgs(...extra));

beforeAll(async () => {
  savedPass = process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  process.env.OPK_ATTEST_TRUST_PASSPHRASE = 'verify e2e passphrase';
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-trust-verify-'));
  dir = path.join(base, 'trust');
  [oidc, rekor, api] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  const t = createTransport(api.host);
  const built = await pushBuildkitImage(t, { repository: 'acme/app', seed: 'trust-verify' });
  await t.close();
  digest = built.digest;
  image = `${api.host}/acme/app@${digest}`;
  const provider = githubActionsProvider({
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
    issuer: oidc.issuer,
    setSecret: () => {},
  });
  await signImages({ images: [image], provider, transparencyLog: rekor.url });

  await writeFile(path.join(base, 'rekor.pem'), rekor.publicKeyPem);
  for (const argv of [
    ['init', dir],
    [
      'signer',
      'add',
      'ci',
      '--scope',
      `${api.host}/acme/**`,
      '--issuer',
      oidc.issuer,
      '--claim',
      'repository=octo-org/octo-repo',
    ],
    ['require', '--scope', `${api.host}/acme/**`, 'https://slsa.dev/provenance/*', 'https://spdx.dev/Document'],
    ['tlog', 'add', path.join(base, 'rekor.pem')],
    ['jwks', 'sync'],
    ['publish'],
  ]) {
    const r = argv[0] === 'init' ? await cli('trust', ...argv) : await trust(...argv);
    expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 0, err: '' });
  }
  server = await startStaticServer(path.join(dir, 'repository'));
});
afterAll(async () => {
  if (savedPass === undefined) delete process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  else process.env.OPK_ATTEST_TRUST_PASSPHRASE = savedPass;
  await Promise.all([oidc.close(), rekor.close(), api.close(), server.close()]);
  await rm(base, { recursive: true, force: true });
});

describe('verify --tuf-repository', () => {
  it('verifies an image signed by an allowed signer, over HTTP', async () => {
    const r = await verify('--tuf-repository', server.url);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.passed).toBe(true);
    expect(report.platforms.map((p: { signers: string[] }) => p.signers)).toEqual([['ci'], ['ci']]);
    expect(report.rule).toBe(`${api.host}/acme/**`);
  });

  it('names the rule that applied in the text report', async () => {
    const text = await cli(...verifyArgs('--tuf-repository', server.url).filter((a) => a !== '--json'));
    expect(text.code).toBe(0);
    expect(text.out).toContain(`\n  policy rule: scope ${api.host}/acme/**\n`);
  });

  it('writes a SLSA verification summary with --vsa', async () => {
    const file = path.join(base, 'vsa.json');
    expect((await verify('--tuf-repository', server.url, '--vsa', file)).code).toBe(0);
    const vsa = JSON.parse(await readFile(file, 'utf8'));
    expect(vsa.predicateType).toBe('https://slsa.dev/verification_summary/v1');
    expect(vsa.predicate.verificationResult).toBe('PASSED');
    expect(vsa.predicate.policy.uri).toBe(server.url);
    expect(vsa.subject.map((s: { digest: { sha256: string } }) => `sha256:${s.digest.sha256}`)).toContain(digest);
    expect(vsa.predicate.inputAttestations).toHaveLength(4);
  });

  it('verifies from the repository directory too', async () => {
    expect((await verify('--tuf-repository', dir)).code).toBe(0);
  });

  describe('when the provider has dropped the key that signed', () => {
    it('still verifies through the archived key', async () => {
      await oidc.rotateKey({ dropOld: true });
      const r = await verify('--tuf-repository', server.url);
      expect(r.code).toBe(0);
    });
  });

  describe('when the image digest is revoked and published', () => {
    it('fails', async () => {
      expect((await cli('revoke', digest, '--dir', dir)).code).toBe(0); // the top-level alias of trust revoke
      expect((await verify('--tuf-repository', server.url)).code).toBe(0); // staged only: nothing changed yet
      expect((await trust('publish')).code).toBe(0);
      const r = await verify('--tuf-repository', server.url);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).platforms[0].violations).toEqual([`${digest} is revoked`]);
    });
  });

  describe('when given flags the repository supplies', () => {
    it('is a usage error', async () => {
      expect(await verify('--tuf-repository', server.url, '--signer-claim', 'repository=x/y')).toMatchObject({
        code: 2,
        err: expect.stringContaining('--signer-claim'),
      });
      expect(await cli('verify', image, '--tuf-repository', server.url)).toMatchObject({
        code: 2,
        err: expect.stringContaining('--tuf-root'),
      });
    });
  });

  describe("when the trusted root is not the repository's", () => {
    it('fails with TUF_METADATA_INVALID', async () => {
      const other = path.join(base, 'other');
      expect((await cli('trust', 'init', other)).code).toBe(0);
      const r = await cli(
        'verify',
        image,
        '--commitment-claim',
        'aud',
        '--tuf-repository',
        server.url,
        '--tuf-root',
        path.join(other, 'repository', '1.root.json'),
        '--tuf-cache',
        path.join(base, 'cache'),
      );
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('TUF_METADATA_INVALID') });
    });
  });
});
