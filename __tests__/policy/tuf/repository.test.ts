/**
 * The trust repository as a stock tuf-js client reads it: over loopback HTTP with tuf-js's own
 * `Updater`, and from a directory through `loadTrust`; publishing, versions, root and key rotation.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Metadata, MetadataKind, type Root } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { loadTrust } from '../../../src/policy/trust-bundle.js';
import { initRepository } from '../../../src/policy/tuf/repository.js';
import { generateRoleKey, rotateRoleKey } from '../../../src/policy/tuf/roles.js';
import { stagePolicy } from '../../../src/policy/tuf/staged.js';
import { startStaticServer, type StaticServer } from '../../fakes/static-server.js';
import { expectCode } from '../../helpers.js';
import { allFiles, FAST, githubPolicy, makeRepo, PASS, stageTypical, type Fixture } from './repo-fixture.js';

const readRoot = async (file: string): Promise<Metadata<Root>> =>
  Metadata.fromJSON(MetadataKind.Root, JSON.parse(await readFile(file, 'utf8')));
const timestampVersion = async (f: Fixture) =>
  JSON.parse(await readFile(path.join(f.repository, 'timestamp.json'), 'utf8')).signed.version as number;

/** tuf-js's own client, given only the trust anchor, as the tuf-js README sets it up. */
async function stockUpdater(f: Fixture, url: string, name: string): Promise<Updater> {
  const metadataDir = path.join(f.base, name, 'metadata');
  const targetDir = path.join(f.base, name, 'targets');
  mkdirSync(metadataDir, { recursive: true });
  mkdirSync(targetDir, { recursive: true });
  await writeFile(path.join(metadataDir, 'root.json'), await readFile(f.rootFile));
  return new Updater({ metadataBaseUrl: url, targetBaseUrl: `${url}/targets`, metadataDir, targetDir });
}

describe('initRepository', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await makeRepo();
  });
  afterAll(() => f.cleanup());

  it('writes version 1 of every role with consistent snapshots', async () => {
    const files = (await allFiles(f.repository)).map((x) => path.relative(f.repository, x.file)).sort();
    expect(files).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      expect.stringMatching(/^targets\/[0-9a-f]{64}\.policy\.json$/),
      'timestamp.json',
    ]);
    const root = await readRoot(f.rootFile);
    expect(root.signed.consistentSnapshot).toBe(true);
    expect(root.signed.specVersion).toBe('1.0.31');
    expect(Object.values(root.signed.keys).every((k) => k.keyType === 'ed25519')).toBe(true);
    expect(() => root.verifyDelegate('root', root)).not.toThrow();
  });

  it('keeps private keys only encrypted, readable by the owner only', async () => {
    const all = await allFiles(f.dir);
    expect(all.filter((x) => /PRIVATE KEY|MC4CAQAwBQYDK2VwBCIEI|302e020100300506032b6570/.test(x.text))).toEqual([]);
    const keys = all.filter((x) => x.file.includes(`${path.sep}keys${path.sep}`));
    expect(keys).toHaveLength(4);
    for (const k of keys) expect((await stat(k.file)).mode & 0o077).toBe(0);
  });

  describe('when the directory is not empty', () => {
    it('throws TUF_REPO_EXISTS', () =>
      expectCode(() => initRepository(f.dir, { passphrase: PASS, scrypt: FAST }), 'TUF_REPO_EXISTS'));
  });

  describe('when the passphrase is short', () => {
    it('throws TUF_PASSPHRASE', () =>
      expectCode(
        () => initRepository(path.join(f.base, 'other'), { passphrase: 'short', scrypt: FAST }),
        'TUF_PASSPHRASE',
      ));
  });
});

describe('publishRepository', () => {
  let f: Fixture;
  let server: StaticServer;
  beforeAll(async () => {
    f = await makeRepo();
    await stageTypical(f.dir);
    await f.publish();
    server = await startStaticServer(f.repository);
  });
  afterAll(async () => {
    await server.close();
    await f.cleanup();
  });

  it('makes a repository the stock tuf-js Updater reads over HTTP, nested targets included', async () => {
    const u = await stockUpdater(f, server.url, 'stock');
    await u.refresh();
    for (const target of ['policy.json', 'oidc/token.actions.githubusercontent.com/jwks.json']) {
      const info = await u.getTargetInfo(target);
      expect(info).toBeDefined();
      const file = await u.downloadTarget(info!);
      expect((await readFile(file)).length).toBe(info!.length);
    }
    expect(
      server.requests.some((p) =>
        /^\/targets\/oidc\/token\.actions\.githubusercontent\.com\/[0-9a-f]{64}\.jwks\.json$/.test(p),
      ),
    ).toBe(true);
  });

  it('is read by loadTrust from the directory as from the URL', async () => {
    const fromUrl = await loadTrust({
      repository: server.url,
      trustedRoot: f.rootFile,
      cacheDir: path.join(f.base, 'c1'),
    });
    const fromDir = await loadTrust({ repository: f.dir, trustedRoot: f.rootFile, cacheDir: path.join(f.base, 'c2') });
    expect(fromDir.policy).toEqual(fromUrl.policy);
    expect(fromUrl.policy.rules[0]!.signers[0]!.claims).toEqual({ repository: 'acme/app' });
    expect(fromUrl.jwksArchives.map((a) => a.keys.map((k) => k.jwk.kid))).toEqual([['k1']]);
  });

  describe('when nothing changed', () => {
    it('re-signs only snapshot and timestamp', async () => {
      const before = await timestampVersion(f);
      const r = await f.publish();
      expect(r.signed).toEqual({});
      expect(r.timestampVersion).toBe(before + 1);
    });
  });

  describe('when the policy changed', () => {
    it('re-signs targets, and clients see the change', async () => {
      const cacheDir = path.join(f.base, 'c3');
      await loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir });
      await stagePolicy(f.dir, githubPolicy('**', 'acme/other'));
      const r = await f.publish();
      expect(Object.keys(r.signed)).toEqual(['targets']);
      const b = await loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir });
      expect(b.policy.rules[0]!.signers[0]!.claims).toEqual({ repository: 'acme/other' });
    });
  });

  describe('when the passphrase is wrong', () => {
    it('throws TUF_PASSPHRASE and publishes nothing', async () => {
      const before = await timestampVersion(f);
      await stagePolicy(f.dir, githubPolicy('**', 'acme/third'));
      await expectCode(() => f.publish({ passphrase: `${PASS}x` }), 'TUF_PASSPHRASE');
      expect(await timestampVersion(f)).toBe(before);
    });
  });

  describe('when a staged policy does not parse', () => {
    it('throws POLICY_INVALID and publishes nothing', async () => {
      const before = await timestampVersion(f);
      await writeFile(
        path.join(f.dir, 'staged', 'targets', 'policy.json'),
        '{"rules":[{"scope":"**","signers":[],"threshold":3}]}',
      );
      await expectCode(() => f.publish(), 'POLICY_INVALID');
      expect(await timestampVersion(f)).toBe(before);
      await stagePolicy(f.dir, githubPolicy());
    });
  });

  describe('when an unknown file is staged', () => {
    it('throws TUF_REPO_INVALID', async () => {
      mkdirSync(path.join(f.dir, 'staged', 'targets', 'extra'), { recursive: true });
      await writeFile(path.join(f.dir, 'staged', 'targets', 'extra', 'x.sh'), 'echo');
      await expectCode(() => f.publish(), 'TUF_REPO_INVALID');
      await rm(path.join(f.dir, 'staged', 'targets', 'extra'), { recursive: true });
    });
  });
});

describe('rotateRoleKey', () => {
  let f: Fixture;
  let server: StaticServer;
  beforeAll(async () => {
    f = await makeRepo();
    await stageTypical(f.dir);
    await f.publish();
    server = await startStaticServer(f.repository);
  });
  afterAll(async () => {
    await server.close();
    await f.cleanup();
  });

  describe('when root is rotated', () => {
    it('writes root N+1 signed by the old and the new root keys, which clients follow', async () => {
      const cacheDir = path.join(f.base, 'rot');
      await loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir });
      const old = await readRoot(f.rootFile);
      const oldRootKey = old.signed.roles.root!.keyIDs[0]!;
      const change = await rotateRoleKey(f.dir, 'root', { passphrase: PASS, scrypt: FAST });
      expect(change.removed).toEqual([oldRootKey]);
      const next = await readRoot(path.join(f.repository, '2.root.json'));
      expect(() => old.verifyDelegate('root', next)).not.toThrow();
      expect(() => next.verifyDelegate('root', next)).not.toThrow();
      expect(Object.keys(next.signatures).sort()).toEqual([oldRootKey, change.keyid].sort());
      await expect(stat(path.join(f.dir, 'keys', `${oldRootKey}.json`))).rejects.toThrow();
      // A client that had root 1 cached, and one that only has 1.root.json, both end on root 2.
      await expect(loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir })).resolves.toBeDefined();
      const fresh = path.join(f.base, 'fresh');
      await loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir: fresh });
      expect(server.requests.filter((p) => p === '/2.root.json').length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('when the timestamp key is rotated', () => {
    it('publishes a root naming the new key and a timestamp signed by it', async () => {
      const cacheDir = path.join(f.base, 'ts');
      await loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir });
      const change = await rotateRoleKey(f.dir, 'timestamp', { passphrase: PASS, scrypt: FAST });
      const ts = JSON.parse(await readFile(path.join(f.repository, 'timestamp.json'), 'utf8'));
      expect(ts.signatures.map((s: { keyid: string }) => s.keyid)).toEqual([change.keyid]);
      await expect(loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir })).resolves.toBeDefined();
    });
  });

  describe('when the targets key gets a second key', () => {
    it('signs targets with both', async () => {
      const change = await generateRoleKey(f.dir, 'targets', { passphrase: PASS, scrypt: FAST });
      const v = change.published!.signed.targets!;
      const targets = JSON.parse(await readFile(path.join(f.repository, `${v}.targets.json`), 'utf8'));
      expect(targets.signatures).toHaveLength(2);
      await expect(
        loadTrust({ repository: server.url, trustedRoot: f.rootFile, cacheDir: path.join(f.base, 'two') }),
      ).resolves.toBeDefined();
    });
  });

  describe('when the passphrase is wrong', () => {
    it('throws TUF_PASSPHRASE and leaves no new key file', async () => {
      const before = (await allFiles(path.join(f.dir, 'keys'))).length;
      await expectCode(() => rotateRoleKey(f.dir, 'root', { passphrase: `${PASS}x`, scrypt: FAST }), 'TUF_PASSPHRASE');
      expect((await allFiles(path.join(f.dir, 'keys'))).length).toBe(before);
    });
  });
});
