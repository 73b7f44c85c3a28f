/**
 * Incident response end to end: `trust revoke --scope` fails every image under the scope and none
 * outside it (with --before, by log time), `trust unrevoke` restores; a revoked signer is reported
 * as revoked with the reason; `trust jwks remove` distrusts a provider key, and every signature
 * whose PK token it signed then fails naming the key and the reason.
 */
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
let dir: string;
let oidc: GithubOidc;
let rekor: RekorLog;
let api: OciRegistry;
let app: string;
let other: string;
let savedPass: string | undefined;
const trust = (...argv: string[]) => cli('trust', ...argv, '--dir', dir);
async function verify(
  image: string,
): Promise<{ code: number; violations: string[]; rejected: { code: string; message: string }[] }> {
  const r = await cli(
    'verify',
    image,
    '--json',
    '--commitment-claim',
    'aud',
    '--tuf-repository',
    dir,
    '--tuf-root',
    path.join(dir, 'repository', '1.root.json'),
    '--tuf-cache',
    path.join(base, `cache-${Math.random()}`),
  );
  const report = JSON.parse(r.out);
  return {
    code: r.code,
    violations: report.platforms.flatMap((p: { violations: string[] }) => p.violations),
    rejected: report.platforms.flatMap((p: { rejected: unknown[] }) => p.rejected),
  };
}
const edit = async (...argv: string[]) => {
  expect(await trust(...argv)).toMatchObject({ code: 0 });
  expect(await trust('publish')).toMatchObject({ code: 0 });
};

beforeAll(async () => {
  savedPass = process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  process.env.OPK_ATTEST_TRUST_PASSPHRASE = 'incident test passphrase';
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-incident-'));
  dir = path.join(base, 'trust');
  [oidc, rekor, api] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  const t = createTransport(api.host);
  const a = await pushBuildkitImage(t, { repository: 'acme/app', seed: 'incident-a' });
  const b = await pushBuildkitImage(t, { repository: 'other/app', seed: 'incident-b' });
  await t.close();
  app = `${api.host}/acme/app@${a.digest}`;
  other = `${api.host}/other/app@${b.digest}`;
  const provider = githubActionsProvider({
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
    issuer: oidc.issuer,
    setSecret: () => {},
  });
  await signImages({ images: [app, other], provider, transparencyLog: rekor.url });
  await writeFile(path.join(base, 'rekor.pem'), rekor.publicKeyPem);
  expect(await cli('trust', 'init', dir)).toMatchObject({ code: 0 });
  for (const argv of [
    [
      'signer',
      'add',
      'ci',
      '--scope',
      `${api.host}/**`,
      '--issuer',
      oidc.issuer,
      '--claim',
      'repository=octo-org/octo-repo',
    ],
    ['tlog', 'add', path.join(base, 'rekor.pem')],
    ['jwks', 'sync'],
    ['publish'],
  ])
    expect(await trust(...argv)).toMatchObject({ code: 0 });
});
afterAll(async () => {
  if (savedPass === undefined) delete process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  else process.env.OPK_ATTEST_TRUST_PASSPHRASE = savedPass;
  await Promise.all([oidc.close(), rekor.close(), api.close()]);
  await rm(base, { recursive: true, force: true });
});

describe('trust revoke --scope', () => {
  it('fails every image under the scope and none outside; unrevoke restores', async () => {
    expect((await verify(app)).code).toBe(0);
    await edit('revoke', '--scope', `${api.host}/acme/**`, '--reason', 'acme CI compromised');
    const r = await verify(app);
    expect(r.code).toBe(1);
    expect(r.violations.length).toBeGreaterThan(0);
    for (const v of r.violations)
      expect(v).toBe(`images in scope ${api.host}/acme/** are revoked: acme CI compromised`);
    expect((await verify(other)).code).toBe(0);
    await edit('unrevoke', '--scope', `${api.host}/acme/**`);
    expect((await verify(app)).code).toBe(0);
  });

  describe('with --before', () => {
    it('revokes the signatures logged before the date only', async () => {
      await edit('revoke', '--scope', `${api.host}/acme/**`, '--before', '2000-01-01', '--reason', 'old');
      expect((await verify(app)).code).toBe(0);
      await edit('revoke', '--scope', `${api.host}/acme/**`, '--before', '2999-01-01', '--reason', 'leak');
      const r = await verify(app);
      expect(r.code).toBe(1);
      expect(r.violations[0]).toContain('logged before a scope revocation');
      expect(r.violations[0]).toContain('leak');
      expect((await verify(other)).code).toBe(0);
      await edit('unrevoke', '--scope', `${api.host}/acme/**`);
      expect((await verify(app)).code).toBe(0);
    });
  });

  it('refuses to unrevoke what is not revoked', async () => {
    expect(await trust('unrevoke', '--scope', 'nothing/**')).toMatchObject({
      code: 1,
      err: expect.stringContaining('is not revoked'),
    });
  });
});

/** The signer of the top-level policy named `name`, as `trust signer list --json` prints it. */
async function listedSigner(name: string): Promise<unknown> {
  const r = await trust('signer', 'list', '--json');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.out) as { policies: { role: string | null; rules: { signers: { name: string }[] }[] }[] };
  return doc.policies
    .find((p) => p.role === null)!
    .rules.flatMap((rule) => rule.signers)
    .find((s) => s.name === name);
}

describe('trust revoke --signer', () => {
  it('reports the signer as revoked, with the reason; unrevoke restores', async () => {
    await edit('revoke', '--signer', 'ci', '--reason', 'token leaked in logs');
    const r = await verify(app);
    expect(r.code).toBe(1);
    expect(r.violations[0]).toMatch(/^signer ci is revoked: token leaked in logs; /);
    expect(await listedSigner('ci')).toMatchObject({ revoked: true, revokedReason: 'token leaked in logs' });
    await edit('unrevoke', '--signer', 'ci');
    expect((await verify(app)).code).toBe(0);
    expect(await listedSigner('ci')).toEqual(expect.objectContaining({ revoked: false }));
    expect(await listedSigner('ci')).not.toHaveProperty('revokedReason');
  });
});

describe('trust jwks remove', () => {
  it('makes every signature by the key fail, naming the key and the reason', async () => {
    const kid = String(oidc.jwks().keys[0]!.kid);
    await edit('jwks', 'remove', '--issuer', oidc.issuer, '--kid', kid, '--reason', 'provider key leaked');
    const inspect = await trust('inspect');
    expect(inspect.out).toContain('DISTRUSTED since');
    const json = JSON.parse((await trust('inspect', '--json')).out);
    expect(json.archives[0].keys).toContainEqual(
      expect.objectContaining({ distrusted: expect.objectContaining({ reason: 'provider key leaked' }) }),
    );
    for (const image of [app, other]) {
      const r = await verify(image);
      expect(r.code).toBe(1);
      expect(r.rejected.length).toBeGreaterThan(0);
      for (const x of r.rejected) {
        expect(x.code).toBe('PKT_KEY_DISTRUSTED');
        expect(x.message).toContain(kid);
        expect(x.message).toContain('provider key leaked');
      }
    }
    // A later sync sees the key live again and must not trust it again.
    await edit('jwks', 'sync');
    expect((await verify(app)).rejected[0]).toMatchObject({ code: 'PKT_KEY_DISTRUSTED' });
  });

  it('refuses a kid the archive does not hold', async () => {
    expect(await trust('jwks', 'remove', '--issuer', oidc.issuer, '--kid', 'nope', '--reason', 'x')).toMatchObject({
      code: 1,
      err: expect.stringContaining('has no key with kid "nope"'),
    });
  });
});
