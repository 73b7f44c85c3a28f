/**
 * `opk-attest trust …` end to end through the real dispatcher: a repository made by the CLI,
 * read by the stock tuf-js client; validation, passphrase handling, JWKS archive across a
 * provider key rotation, delegation, key rotation, inspect.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { Updater } from 'tuf-js';
import { runCli } from '../../src/cli/run.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startStaticServer, type StaticServer } from '../fakes/static-server.js';
import { allFiles } from '../policy/tuf/repo-fixture.js';

interface Run {
  code: number;
  out: string;
  err: string;
}
const PASS = 'cli test passphrase 0123';
const printed: string[] = [];

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await runCli(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    printed.push(out, err);
  }
}

let base: string;
let dir: string;
let oidc: GithubOidc;
let savedPass: string | undefined;
const SCOPE = 'registry.example/acme/**';
const trust = (...argv: string[]) => cli('trust', ...argv, '--dir', dir);

beforeAll(async () => {
  savedPass = process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  process.env.OPK_ATTEST_TRUST_PASSPHRASE = PASS;
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-trust-cli-'));
  dir = path.join(base, 'trust');
  oidc = await startGithubOidc();
  const init = await cli('trust', 'init', dir);
  expect(init).toMatchObject({ code: 0 });
  expect(init.out).toContain(path.join(dir, 'repository', '1.root.json'));
});
afterAll(async () => {
  if (savedPass === undefined) delete process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  else process.env.OPK_ATTEST_TRUST_PASSPHRASE = savedPass;
  await oidc.close();
  // Nothing the CLI printed may contain the passphrase.
  expect(printed.filter((t) => t.includes(PASS))).toEqual([]);
  await rm(base, { recursive: true, force: true });
});

describe('trust', () => {
  it('prints its usage for --help and refuses unknown subcommands', async () => {
    expect(await cli('trust', '--help')).toMatchObject({ code: 0, out: expect.stringContaining('jwks sync') });
    expect(await cli('trust', 'frobnicate')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown subcommand'),
    });
    expect(await cli('trust', 'signer')).toMatchObject({ code: 2, err: expect.stringContaining('missing subcommand') });
  });
});

describe('trust init', () => {
  describe('when the directory already holds a repository', () => {
    it('fails with TUF_REPO_EXISTS', async () => {
      expect(await cli('trust', 'init', dir)).toMatchObject({
        code: 1,
        err: expect.stringContaining('TUF_REPO_EXISTS'),
      });
    });
  });

  describe('when no passphrase is set', () => {
    it('is a usage error naming the variable', async () => {
      delete process.env.OPK_ATTEST_TRUST_PASSPHRASE;
      try {
        expect(await cli('trust', 'init', path.join(base, 'nopass'))).toMatchObject({
          code: 2,
          err: expect.stringContaining('OPK_ATTEST_TRUST_PASSPHRASE'),
        });
      } finally {
        process.env.OPK_ATTEST_TRUST_PASSPHRASE = PASS;
      }
    });
  });

  it('writes no private key in plain text', async () => {
    const all = await allFiles(dir);
    expect(
      all.filter(
        (x) => /PRIVATE KEY|MC4CAQAwBQYDK2VwBCIEI|302e020100300506032b6570/.test(x.text) || x.text.includes(PASS),
      ),
    ).toEqual([]);
  });
});

describe('a content command outside a trust directory', () => {
  it('fails with TUF_REPO_INVALID and writes nothing', async () => {
    const elsewhere = path.join(base, 'elsewhere');
    mkdirSync(elsewhere);
    const r = await cli('trust', 'jwks', 'sync', '--issuer', oidc.issuer, '--dir', elsewhere);
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining('TUF_REPO_INVALID') });
    expect(await allFiles(elsewhere)).toEqual([]);
    expect(await cli('trust', 'signer', 'list', '--dir', elsewhere)).toMatchObject({
      code: 1,
      err: expect.stringContaining('TUF_REPO_INVALID'),
    });
  });
});

describe('trust signer, threshold, require, revoke', () => {
  it('stage policy edits that parse', async () => {
    const add = await trust(
      'signer',
      'add',
      'ci',
      '--scope',
      SCOPE,
      '--issuer',
      oidc.issuer,
      '--claim',
      'repository=octo-org/octo-repo',
    );
    expect(add).toMatchObject({ code: 0, out: expect.stringContaining('staged') });
    expect(await trust('require', '--scope', SCOPE, 'https://slsa.dev/provenance/*')).toMatchObject({ code: 0 });
    expect(await trust('revoke', `sha256:${'e'.repeat(64)}`)).toMatchObject({ code: 0 });
    const list = await trust('signer', 'list');
    expect(list.out).toContain(`scope ${SCOPE}: 1 of 1 signer(s)`);
    expect(list.out).toContain(`ci: ${oidc.issuer} repository=octo-org/octo-repo`);
    const json = await trust('signer', 'list', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual({
      policies: [
        {
          role: null,
          rules: [
            expect.objectContaining({
              scope: SCOPE,
              threshold: 1,
              require: ['https://slsa.dev/provenance/*'],
              signers: [
                { name: 'ci', issuer: oidc.issuer, claims: { repository: 'octo-org/octo-repo' }, revoked: false },
              ],
            }),
          ],
        },
      ],
    });
  });

  it('removes a signer, and the rule it leaves empty', async () => {
    expect(
      await trust('signer', 'add', 'tmp', '--scope', 'registry.example/tmp', '--issuer', oidc.issuer),
    ).toMatchObject({ code: 0, out: expect.stringContaining('warning: no --claim') });
    expect(await trust('signer', 'remove', 'tmp')).toMatchObject({
      code: 1,
      err: expect.stringContaining('rule registry.example/tmp would have no signer left'),
    });
    const r = await trust('signer', 'remove', 'tmp', '--lower-threshold');
    expect(r).toMatchObject({
      code: 0,
      err: expect.stringContaining('rules left without signers were removed (--lower-threshold): registry.example/tmp'),
    });
    expect((await trust('signer', 'list')).out).not.toContain('tmp');
  });

  describe('when the result would not parse or names nothing', () => {
    it('refuses and leaves the staged policy alone', async () => {
      const before = await readFile(path.join(dir, 'staged', 'targets', 'policy.json'), 'utf8');
      expect(await trust('threshold', '2', '--scope', SCOPE)).toMatchObject({
        code: 1,
        err: expect.stringContaining('POLICY_INVALID'),
      });
      expect(await trust('threshold', '1', '--scope', 'nope/*')).toMatchObject({
        code: 1,
        err: expect.stringContaining('POLICY_NO_RULE'),
      });
      expect(await trust('signer', 'add', 'x', '--scope', SCOPE)).toMatchObject({
        code: 2,
        err: expect.stringContaining('--issuer'),
      });
      expect(await trust('revoke', 'sha256:abc')).toMatchObject({ code: 2 });
      expect(await trust('revoke', '--signer', 'nobody')).toMatchObject({
        code: 1,
        err: expect.stringContaining('POLICY_INVALID'),
      });
      expect(await readFile(path.join(dir, 'staged', 'targets', 'policy.json'), 'utf8')).toBe(before);
    });
  });
});

describe('trust jwks sync', () => {
  it('keeps keys the provider dropped', async () => {
    const first = await trust('jwks', 'sync');
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining('1 new key(s)') });
    const oldKid = oidc.currentKey().kid;
    await oidc.rotateKey({ dropOld: true });
    const second = await trust('jwks', 'sync', '--issuer', oidc.issuer);
    expect(second.out).toContain('1 new key(s)');
    expect(second.out).toContain('2 in the archive');
    const archive = JSON.parse(
      await readFile(path.join(dir, 'staged', 'targets', 'oidc', new URL(oidc.issuer).host, 'jwks.json'), 'utf8'),
    );
    expect(archive.keys.map((k: { jwk: { kid: string } }) => k.jwk.kid)).toEqual([oldKid, oidc.currentKey().kid]);
  });
});

describe('trust tlog', () => {
  it('adds a log key under its log ID and refuses other keys', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    await writeFile(path.join(base, 'log.pem'), pem);
    expect(await trust('tlog', 'add', path.join(base, 'log.pem'))).toMatchObject({
      code: 0,
      out: expect.stringMatching(/log [0-9a-f]{64} trusted/),
    });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    await writeFile(path.join(base, 'other.pem'), other);
    const added = await trust('tlog', 'add', path.join(base, 'other.pem'));
    const id = /log ([0-9a-f]{64})/.exec(added.out)![1]!;
    expect(await trust('tlog', 'remove', id)).toMatchObject({ code: 0 });
    expect(await trust('tlog', 'remove', id)).toMatchObject({ code: 2 });
    await writeFile(
      path.join(base, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }) as string,
    );
    expect(await trust('tlog', 'add', path.join(base, 'rsa.pem'))).toMatchObject({
      code: 1,
      err: expect.stringContaining('TLOG_KEY_INVALID'),
    });
  });
});

describe('trust publish', () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await startStaticServer(path.join(dir, 'repository'));
  });
  afterAll(() => server.close());

  describe('when the passphrase is wrong', () => {
    it('fails with TUF_PASSPHRASE', async () => {
      process.env.OPK_ATTEST_TRUST_PASSPHRASE = `${PASS}-wrong`;
      try {
        const r = await trust('publish');
        expect(r).toMatchObject({ code: 1, err: expect.stringContaining('TUF_PASSPHRASE') });
        expect(r.err).toContain('OPK_ATTEST_TRUST_PASSPHRASE');
      } finally {
        process.env.OPK_ATTEST_TRUST_PASSPHRASE = PASS;
      }
    });
  });

  it('publishes what the stock tuf-js client then reads over HTTP', async () => {
    expect(await trust('publish', '--expiry', 'timestamp=6h')).toMatchObject({
      code: 0,
      out: expect.stringContaining('targets v2'),
    });
    const metadataDir = path.join(base, 'stock', 'metadata');
    const targetDir = path.join(base, 'stock', 'targets');
    mkdirSync(metadataDir, { recursive: true });
    mkdirSync(targetDir, { recursive: true });
    await writeFile(path.join(metadataDir, 'root.json'), await readFile(path.join(dir, 'repository', '1.root.json')));
    const u = new Updater({
      metadataBaseUrl: server.url,
      targetBaseUrl: `${server.url}/targets`,
      metadataDir,
      targetDir,
    });
    const info = await u.getTargetInfo('policy.json');
    const policy = JSON.parse(await readFile(await u.downloadTarget(info!), 'utf8'));
    expect(policy.rules[0].scope).toBe(SCOPE);
    expect(info!.custom).toMatchObject({
      opkAttest: { delegations: [], tlog: [expect.stringMatching(/^[0-9a-f]{64}$/)] },
    });
    const ts = JSON.parse(await readFile(path.join(dir, 'repository', 'timestamp.json'), 'utf8'));
    expect(Date.parse(ts.signed.expires) - Date.now()).toBeLessThan(6 * 3600 * 1000 + 60_000);
  });

  it('refuses a bad --expiry', async () => {
    expect(await trust('publish', '--expiry', 'timestamp=soon')).toMatchObject({ code: 2 });
  });
});

describe('trust key generate, delegate', () => {
  it('delegates a scope to a new key whose fragment must stay in it', async () => {
    const gen = await trust('key', 'generate', 'acme');
    expect(gen.code).toBe(0);
    const pub = path.join(dir, 'keys', 'acme.pub.json');
    expect(existsSync(pub)).toBe(true);
    expect(await trust('delegate', '--scope', 'registry.example/acme/team/**', '--key', pub)).toMatchObject({
      code: 0,
    });
    const outside = await trust(
      'signer',
      'add',
      'team',
      '--role',
      'acme',
      '--scope',
      'registry.example/**',
      '--issuer',
      oidc.issuer,
      '--claim',
      'repository=acme/team',
    );
    expect(outside).toMatchObject({ code: 1, err: expect.stringContaining('TUF_DELEGATION_INVALID') });
    const inside = await trust(
      'signer',
      'add',
      'team',
      '--role',
      'acme',
      '--scope',
      'registry.example/acme/team/*',
      '--issuer',
      oidc.issuer,
      '--claim',
      'repository=acme/team',
    );
    expect(inside.code).toBe(0);
    expect(await trust('publish')).toMatchObject({ code: 0, out: expect.stringContaining('acme v1') });
    expect((await trust('signer', 'list')).out).toContain('delegated role acme:');
    const json = JSON.parse((await trust('signer', 'list', '--json')).out);
    expect(json.policies.map((p: { role: string | null }) => p.role)).toEqual([null, 'acme']);
    expect(json.policies[1].rules.map((r: { scope: string }) => r.scope)).toEqual(['registry.example/acme/team/*']);
    const only = JSON.parse((await trust('signer', 'list', '--role', 'acme', '--json')).out);
    expect(only.policies).toEqual([json.policies[1]]);
  });

  it('withdraws a delegation with undelegate', async () => {
    await trust('key', 'generate', 'short');
    expect(
      await trust(
        'delegate',
        '--scope',
        'registry.example/short/**',
        '--key',
        path.join(dir, 'keys', 'short.pub.json'),
      ),
    ).toMatchObject({ code: 0 });
    expect(
      await trust(
        'delegate',
        '--scope',
        'registry.example/short/**',
        '--key',
        path.join(dir, 'keys', 'short.pub.json'),
      ),
    ).toMatchObject({ code: 1, err: expect.stringContaining('already exists') });
    expect(await trust('undelegate', 'short')).toMatchObject({ code: 0 });
    expect(await trust('undelegate', 'short')).toMatchObject({
      code: 1,
      err: expect.stringContaining('TUF_DELEGATION_INVALID'),
    });
  });

  it('refuses a role name that could escape a path', async () => {
    expect(await trust('key', 'generate', '../evil')).toMatchObject({
      code: 1,
      err: expect.stringContaining('TUF_DELEGATION_INVALID'),
    });
  });
});

describe('trust key rotate', () => {
  it('rotates root: root 2 signed by the old and new keys', async () => {
    const r = await trust('key', 'rotate', 'root');
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining('root v2') });
    const root2 = JSON.parse(await readFile(path.join(dir, 'repository', '2.root.json'), 'utf8'));
    expect(root2.signatures).toHaveLength(2);
  });
});

describe('trust inspect', () => {
  it('summarises roles, policy, delegations, archive and log keys', async () => {
    await trust('threshold', '1', '--scope', SCOPE);
    const r = await trust('inspect');
    expect(r.code).toBe(0);
    for (const text of [
      'root       v2',
      'timestamp',
      `scope ${SCOPE}`,
      'revoked digests: sha256:eeee',
      'acme: scope registry.example/acme/team/**',
      `${oidc.issuer}: 2 key(s)`,
      'transparency-log keys: ',
      'unpublished changes: none',
    ]) {
      expect(r.out).toContain(text);
    }
    const json = JSON.parse((await trust('inspect', '--json')).out);
    expect(json.delegations).toEqual([
      expect.objectContaining({ role: 'acme', scope: 'registry.example/acme/team/**' }),
    ]);
    expect(json.archives[0].keys).toHaveLength(2);
  });

  it('lists staged changes not yet published', async () => {
    await trust('require', '--scope', SCOPE);
    expect((await trust('inspect')).out).toContain('unpublished changes: policy.json');
  });
});
