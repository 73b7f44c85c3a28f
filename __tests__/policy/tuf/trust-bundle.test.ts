/**
 * Trust loaded from a TUF repository: delegated policy fragments (merged, confined to their scope
 * even when their holder signs something else), archive-first key lookup, and the issuers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { hexEncode } from '../../../src/core/b64.js';
import { sha256 } from '../../../src/core/digest.js';
import { evaluate, ruleFor } from '../../../src/policy/evaluate.js';
import type { Policy } from '../../../src/policy/model.js';
import { loadTrust, trustMaterialFrom } from '../../../src/policy/trust-bundle.js';
import { KeyRing } from '../../../src/policy/tuf/key-store.js';
import { readPublished } from '../../../src/policy/tuf/published.js';
import { serialize } from '../../../src/policy/tuf/repository.js';
import { delegateScope, generateRoleKey, removeDelegation } from '../../../src/policy/tuf/roles.js';
import { stagePolicy } from '../../../src/policy/tuf/staged.js';
import { parsePublicKeyFile } from '../../../src/policy/tuf/keys.js';
import { expectCode } from '../../helpers.js';
import { FAST, GITHUB, githubPolicy, makeRepo, PASS, stageTypical, type Fixture } from './repo-fixture.js';

const DIGEST = `sha256:${'d'.repeat(64)}` as const;
const sig = (repository: string) => ({
  issuer: GITHUB,
  claims: { repository, sub: `repo:${repository}` },
  predicateType: 'x',
  logged: true,
});
const passes = (p: Policy, image: string, repository: string) => {
  const rule = ruleFor(p, image);
  return rule !== undefined && evaluate(p, rule, DIGEST, [sig(repository)]).passed;
};

/**
 * What the holder of a delegated key can do without the other keys: sign new metadata for its
 * role, which the repository owner then lists in a new snapshot (made here with the owner's keys).
 */
async function delegateSigns(f: Fixture, role: string, fragment: string): Promise<void> {
  const published = await readPublished(f.repository);
  const ring = new KeyRing(f.dir, PASS);
  const top = published.targets.get('targets')!.signed;
  const bytes = Buffer.from(fragment);
  const hash = hexEncode(sha256(bytes));
  await writeFile(path.join(f.repository, 'targets', 'policy.d', `${hash}.${role}.json`), bytes);
  const prev = published.targets.get(role)!.signed;
  const targets = new Targets({ version: prev.version + 1, specVersion: '1.0.31', expires: prev.expires });
  targets.addTarget(new TargetFile({ path: `policy.d/${role}.json`, length: bytes.length, hashes: { sha256: hash } }));
  const md = new Metadata(targets);
  const d = top.delegations!.roles![role]!;
  for (const s of await ring.signers(role, d.keyIDs, d.threshold)) md.sign(s.sign);
  const roleBytes = serialize(md);
  await writeFile(path.join(f.repository, `${targets.version}.${role}.json`), roleBytes);
  const meta = { ...published.snapshot!.signed.meta, [`${role}.json`]: metaFile(targets.version, roleBytes) };
  const snap = new Metadata(
    new Snapshot({
      version: published.snapshot!.signed.version + 1,
      specVersion: '1.0.31',
      expires: published.snapshot!.signed.expires,
      meta,
    }),
  );
  const root = published.root.signed;
  for (const s of await ring.signers('snapshot', root.roles.snapshot!.keyIDs, 1)) snap.sign(s.sign);
  const snapBytes = serialize(snap);
  await writeFile(path.join(f.repository, `${snap.signed.version}.snapshot.json`), snapBytes);
  const ts = new Metadata(
    new Timestamp({
      version: published.timestamp!.signed.version + 1,
      specVersion: '1.0.31',
      expires: published.timestamp!.signed.expires,
      snapshotMeta: metaFile(snap.signed.version, snapBytes),
    }),
  );
  for (const s of await ring.signers('timestamp', root.roles.timestamp!.keyIDs, 1)) ts.sign(s.sign);
  await writeFile(path.join(f.repository, 'timestamp.json'), serialize(ts));
}

function metaFile(version: number, text: string): MetaFile {
  const b = Buffer.from(text);
  return new MetaFile({ version, length: b.length, hashes: { sha256: hexEncode(sha256(b)) } });
}

describe('loadTrust with a delegation', () => {
  let f: Fixture;
  let n = 0;
  const load = (cacheDir = path.join(f.base, `c${n++}`)) =>
    loadTrust({ repository: f.dir, trustedRoot: f.rootFile, cacheDir });

  beforeAll(async () => {
    f = await makeRepo();
    await stageTypical(f.dir);
    await stagePolicy(f.dir, githubPolicy('**', 'root-org/app'));
    const made = await generateRoleKey(f.dir, 'acme', { passphrase: PASS, scrypt: FAST });
    const { key } = parsePublicKeyFile(await readFile(made.publicKeyFile!), 'acme.pub.json');
    await delegateScope(f.dir, { role: 'acme', scope: 'ghcr.io/acme/**', keys: [key] });
    await stagePolicy(f.dir, githubPolicy('ghcr.io/acme/app', 'acme/app'), 'acme');
    await f.publish();
  });
  afterAll(() => f.cleanup());

  it('merges the fragment first, its signers prefixed with the role', async () => {
    const b = await load();
    expect(b.delegations).toEqual([{ role: 'acme', scope: 'ghcr.io/acme/**' }]);
    expect(b.warnings).toEqual([]);
    expect(b.policy.rules.map((r) => [r.scope, r.signers.map((s) => s.name)])).toEqual([
      ['ghcr.io/acme/app', ['acme/ci']],
      ['**', ['ci']],
    ]);
    expect(passes(b.policy, 'ghcr.io/acme/app', 'acme/app')).toBe(true);
    expect(passes(b.policy, 'docker.io/x/y', 'root-org/app')).toBe(true);
    expect(passes(b.policy, 'docker.io/x/y', 'acme/app')).toBe(false);
  });

  describe('when the tooling is asked to stage a rule outside the delegated scope', () => {
    it('throws TUF_DELEGATION_INVALID', () =>
      expectCode(() => stagePolicy(f.dir, githubPolicy('**', 'acme/app'), 'acme'), 'TUF_DELEGATION_INVALID'));
  });

  describe('when the delegate signs a fragment granting rules outside its scope', () => {
    it('cannot add them: its scope fails closed, every other image is unaffected', async () => {
      const cacheDir = path.join(f.base, 'evil');
      await load(cacheDir);
      const evil: Policy = {
        rules: [githubPolicy('ghcr.io/acme/app', 'acme/app').rules[0]!, githubPolicy('**', 'evil/repo').rules[0]!],
        revoked: { digests: [], signers: [] },
      };
      await delegateSigns(f, 'acme', JSON.stringify(evil));
      const b = await load(cacheDir);
      expect(b.warnings).toEqual([expect.stringContaining('is not within the delegated scope')]);
      expect(passes(b.policy, 'docker.io/x/y', 'evil/repo')).toBe(false);
      expect(passes(b.policy, 'ghcr.io/other/y', 'evil/repo')).toBe(false);
      expect(passes(b.policy, 'docker.io/x/y', 'root-org/app')).toBe(true);
      expect(passes(b.policy, 'ghcr.io/acme/app', 'acme/app')).toBe(false);
      expect(trustMaterialFrom(b).issuers).toEqual([GITHUB]);
    });
  });

  describe("when the delegated role's metadata is tampered", () => {
    it('fails its scope closed and keeps the rest', async () => {
      const published = await readPublished(f.repository);
      const v = published.targets.get('acme')!.signed.version;
      const file = path.join(f.repository, `${v}.acme.json`);
      const saved = await readFile(file);
      await writeFile(file, saved.toString().replace(/"version": \d+/, '"version": 999'));
      try {
        const b = await load();
        expect(b.warnings).toHaveLength(1);
        expect(passes(b.policy, 'ghcr.io/acme/app', 'acme/app')).toBe(false);
        expect(passes(b.policy, 'docker.io/x/y', 'root-org/app')).toBe(true);
      } finally {
        await writeFile(file, saved);
      }
    });
  });

  describe('when the delegation is withdrawn', () => {
    it('clients that saw it update without a rollback error', async () => {
      const cacheDir = path.join(f.base, 'withdrawn');
      await load(cacheDir);
      await removeDelegation(f.dir, 'acme');
      await f.publish();
      const b = await load(cacheDir);
      expect(b.delegations).toEqual([]);
      expect(b.policy.rules.map((r) => r.scope)).toEqual(['**']);
    });
  });
});

describe('loadTrust with a delegated role that signs no fragment yet', () => {
  it('adds no rules and no warning: the top-level rules apply', async () => {
    const f = await makeRepo();
    try {
      await stageTypical(f.dir);
      const made = await generateRoleKey(f.dir, 'newco', { passphrase: PASS, scrypt: FAST });
      await delegateScope(f.dir, {
        role: 'newco',
        scope: 'ghcr.io/newco/**',
        keys: [parsePublicKeyFile(await readFile(made.publicKeyFile!), 'pub').key],
      });
      await f.publish();
      const b = await loadTrust({ repository: f.dir, trustedRoot: f.rootFile, cacheDir: f.cache });
      expect(b.warnings).toEqual([]);
      expect(b.policy.rules.map((r) => r.scope)).toEqual(['**']);
    } finally {
      await f.cleanup();
    }
  });
});

describe('trustMaterialFrom', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await makeRepo();
    await stageTypical(f.dir);
    await f.publish();
  });
  afterAll(() => f.cleanup());

  it("names the policy's issuers and finds archived keys by kid", async () => {
    const b = await loadTrust({ repository: f.dir, trustedRoot: f.rootFile, cacheDir: f.cache });
    const t = trustMaterialFrom(b, { commitmentClaims: { [GITHUB]: 'aud' } });
    expect(t.issuers).toEqual([GITHUB]);
    expect(t.commitmentClaims).toEqual({ [GITHUB]: 'aud' });
    const found = await t.findKey(GITHUB, 'k1');
    expect(found?.kid).toBe('k1');
    expect(await t.findKey(GITHUB, 'k2')).toBeUndefined();
    expect(await t.findKey(GITHUB, 'k1', 'A'.repeat(43))).toBeUndefined();
  });
});
