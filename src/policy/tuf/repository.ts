/**
 * Trust repository tooling with `@tufjs/models` (spec 1.0, consistent snapshots, Ed25519 keys):
 * `initRepository` makes the four top-level keys and version 1 of everything; `publishRepository`
 * signs the staged state into `repository/` — a targets role gets a new version only when its
 * content changed, its keys changed or it nears expiry (root too); snapshot and timestamp get a
 * new version on every publish. Everything is signed in memory first and written afterwards in dependency
 * order (targets files, role metadata, snapshot, root, timestamp last), so a client never sees a
 * timestamp that names a file not yet written.
 *
 * Repository layout (what a stock tuf-js `Updater` reads, metadata at the base URL, targets under
 * `targets/`): `N.root.json`, `timestamp.json`, `N.snapshot.json`, `N.targets.json`,
 * `N.<role>.json`, `targets/<dir>/<sha256>.<name>`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp, type Key } from '@tufjs/models';
import { hexEncode } from '../../core/b64.js';
import { sha256 } from '../../core/digest.js';
import { TufError } from '../errors.js';
import { fragmentTargetPath, TRUST_INDEX_KEY } from './delegations.js';
import { KeyRing, saveKeyFile } from './key-store.js';
import { generateKey } from './keys.js';
import { trustDir, writeAtomic } from './layout.js';
import { expires, nearExpiry, SPEC_VERSION, TOP_ROLES, type SigningOptions, type TopRole } from './options.js';
import { readPublished, type Published } from './published.js';
import { rootKeys, signNextRoot } from './root.js';
import {
  EMPTY_POLICY,
  readStaged,
  stageDelegations,
  stagePolicy,
  type StagedDelegation,
  type StagedState,
} from './staged.js';

/** Options of `publishRepository`. */
export interface PublishOptions extends SigningOptions {
  /** Roles to re-sign even when unchanged (after a key change). */
  force?: readonly string[];
  /** A new root, signed, to publish with this change (key rotation). */
  root?: Metadata<Root>;
  /** Keys already decrypted or just generated in this operation. */
  keyring?: KeyRing;
}

/** What a publish wrote. */
export interface PublishResult {
  /** Roles given a new version, with it. */
  signed: Record<string, number>;
  rootVersion: number;
  snapshotVersion: number;
  timestampVersion: number;
}

/** What `initRepository` made. */
export interface InitResult {
  /** The trust anchor to hand to clients (`--tuf-root`). */
  rootFile: string;
  keyids: Record<TopRole, string>;
}

/**
 * Creates a trust directory: four Ed25519 keys (one per top-level role, encrypted with the
 * passphrase), root version 1, an empty policy (no rules: nothing verifies until signers are
 * added), no delegations, and a first publish.
 * @param dir - a directory that does not exist or is empty
 * @throws TufError TUF_REPO_EXISTS | TUF_PASSPHRASE (shorter than MIN_PASSPHRASE_LENGTH)
 */
export async function initRepository(dir: string, o: SigningOptions): Promise<InitResult> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0)
    throw new TufError({
      code: 'TUF_REPO_EXISTS',
      message: `${dir} is not empty; "trust init" needs a new or empty directory`,
    });
  const ring = new KeyRing(dir, o.passphrase);
  const root = new Root({
    version: 1,
    specVersion: SPEC_VERSION,
    expires: expires(o, 'root'),
    consistentSnapshot: true,
  });
  const keyids = {} as Record<TopRole, string>;
  for (const role of TOP_ROLES) {
    const { key, file, signer } = generateKey(role, o.passphrase, o.scrypt);
    await saveKeyFile(dir, file);
    ring.add(signer);
    root.addKey(key, role);
    keyids[role] = key.keyID;
  }
  const md = new Metadata(root);
  for (const s of await ring.signers('root', root.roles.root!.keyIDs, 1)) md.sign(s.sign);
  await stagePolicy(dir, EMPTY_POLICY);
  await stageDelegations(dir, []);
  await publishRepository(dir, { ...o, root: md, keyring: ring });
  return { rootFile: path.join(trustDir(dir).repository, '1.root.json'), keyids };
}

/**
 * Signs the staged state into the published repository (see the file comment).
 * @throws PolicyError POLICY_INVALID | POLICY_ARCHIVE_INVALID (staged files that do not parse: nothing is
 *   published); TufError TUF_REPO_INVALID | TUF_DELEGATION_INVALID | TUF_KEY_MISSING | TUF_PASSPHRASE | TUF_KEY_INVALID;
 *   TlogError TLOG_KEY_INVALID
 */
export async function publishRepository(dir: string, o: PublishOptions): Promise<PublishResult> {
  const t = trustDir(dir);
  const staged = await readStaged(dir);
  const ring = o.keyring ?? new KeyRing(dir, o.passphrase);
  let newRoot = o.root;
  const current = newRoot
    ? { ...(await readPublishedOrEmpty(t.repository, newRoot)), root: newRoot }
    : await readPublished(t.repository);
  if (!newRoot && nearExpiry(current.root.signed.expires, o, 'root')) {
    newRoot = await signNextRoot(current.root, rootKeys(current.root.signed), o, ring);
  }
  const published: Published = { ...current, root: newRoot ?? current.root };
  const roles = await signTargetsRoles(staged, published, o, ring);
  const root = published.root.signed;
  const snapshot = new Metadata(
    new Snapshot({
      version: (published.snapshot?.signed.version ?? 0) + 1,
      specVersion: SPEC_VERSION,
      expires: expires(o, 'snapshot'),
      meta: roles.meta,
    }),
  );
  for (const s of await ring.signers('snapshot', root.roles.snapshot!.keyIDs, root.roles.snapshot!.threshold))
    snapshot.sign(s.sign);
  const snapshotBytes = serialize(snapshot);
  const timestamp = new Metadata(
    new Timestamp({
      version: (published.timestamp?.signed.version ?? 0) + 1,
      specVersion: SPEC_VERSION,
      expires: expires(o, 'timestamp'),
      snapshotMeta: metaFile(snapshot.signed.version, snapshotBytes),
    }),
  );
  for (const s of await ring.signers('timestamp', root.roles.timestamp!.keyIDs, root.roles.timestamp!.threshold))
    timestamp.sign(s.sign);

  for (const [rel, bytes] of staged.files) await writeTargetFile(t.repository, rel, bytes);
  for (const [file, data] of roles.writes) await writeAtomic(path.join(t.repository, file), data);
  await writeAtomic(path.join(t.repository, `${snapshot.signed.version}.snapshot.json`), snapshotBytes);
  if (newRoot) await writeAtomic(path.join(t.repository, `${root.version}.root.json`), serialize(newRoot));
  await writeAtomic(path.join(t.repository, 'timestamp.json'), serialize(timestamp));
  return {
    signed: roles.signed,
    rootVersion: root.version,
    snapshotVersion: snapshot.signed.version,
    timestampVersion: timestamp.signed.version,
  };
}

/**
 * Signs each targets role (top-level and delegated) that needs a new version, and lists every
 * role in the snapshot meta: roles kept as published are hashed from their file bytes, and roles
 * no longer delegated stay listed (clients refuse a snapshot that drops a role they saw).
 */
async function signTargetsRoles(
  staged: StagedState,
  published: Published,
  o: PublishOptions,
  ring: KeyRing,
): Promise<{
  meta: Record<string, MetaFile>;
  writes: Map<string, string>;
  signed: Record<string, number>;
}> {
  const force = new Set(o.force ?? []);
  const wanted = new Map<string, Targets>([['targets', topTargets(staged, o)]]);
  for (const d of staged.delegations) wanted.set(d.role, delegatedTargets(staged, d, o));
  const meta: Record<string, MetaFile> = { ...published.snapshot?.signed.meta };
  const writes = new Map<string, string>();
  const signed: Record<string, number> = {};
  for (const [role, content] of wanted) {
    const prev = published.targets.get(role);
    const prevBytes = published.targetsBytes.get(role);
    if (
      prev &&
      prevBytes &&
      !force.has(role) &&
      sameContent(prev.signed, content) &&
      !nearExpiry(prev.signed.expires, o, 'targets')
    ) {
      meta[`${role}.json`] = metaFile(prev.signed.version, prevBytes);
      continue;
    }
    const md = new Metadata(withVersion(content, (prev?.signed.version ?? 0) + 1));
    const keys = role === 'targets' ? published.root.signed.roles.targets! : delegatedRole(staged, role);
    for (const s of await ring.signers(role, keys.keyIDs, keys.threshold)) md.sign(s.sign);
    const bytes = serialize(md);
    signed[role] = md.signed.version;
    writes.set(`${md.signed.version}.${encodeURIComponent(role)}.json`, bytes);
    meta[`${role}.json`] = metaFile(md.signed.version, bytes);
  }
  return { meta, writes, signed };
}

/**
 * The metadata file bytes as published (two-space JSON).
 * @throws never
 */
export function serialize(md: Metadata<Root | Targets | Snapshot | Timestamp>): string {
  return `${JSON.stringify(md.toJSON(), null, 2)}\n`;
}

/** The top-level targets: every staged file but the fragments, the delegations, and the index in policy.json's custom. */
function topTargets(staged: StagedState, o: SigningOptions): Targets {
  const targets: Record<string, ReturnType<TargetFile['toJSON']>> = {};
  for (const [rel, bytes] of staged.files) {
    if (rel.startsWith('policy.d/')) continue;
    const index = {
      [TRUST_INDEX_KEY]: {
        delegations: staged.delegations.map((d) => ({ role: d.role, scope: d.scope })),
        tlog: staged.logIds,
      },
    };
    targets[rel] = targetFile(rel, bytes, rel === 'policy.json' ? index : undefined).toJSON();
  }
  const delegations = {
    keys: Object.fromEntries(staged.delegations.flatMap((d) => d.keys.map((k) => [k.keyID, k.toJSON()]))),
    roles: staged.delegations.map((d) => ({
      name: d.role,
      keyids: d.keys.map((k) => k.keyID),
      threshold: d.threshold,
      terminating: true,
      paths: [fragmentTargetPath(d.role)],
    })),
  };
  return Targets.fromJSON({
    _type: 'targets',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: expires(o, 'targets'),
    targets,
    ...(staged.delegations.length > 0 ? { delegations } : {}),
  });
}

/** A delegated role's targets: its policy fragment, when it has one. */
function delegatedTargets(staged: StagedState, d: StagedDelegation, o: SigningOptions): Targets {
  const rel = fragmentTargetPath(d.role);
  const bytes = staged.files.get(rel);
  const content = new Targets({ version: 1, specVersion: SPEC_VERSION, expires: expires(o, 'targets') });
  if (bytes) content.addTarget(targetFile(rel, bytes));
  return content;
}

function delegatedRole(staged: StagedState, role: string): { keyIDs: string[]; threshold: number } {
  const d = staged.delegations.find((x) => x.role === role)!;
  return { keyIDs: d.keys.map((k: Key) => k.keyID), threshold: d.threshold };
}

function targetFile(
  rel: string,
  bytes: Buffer,
  custom?: ConstructorParameters<typeof TargetFile>[0]['unrecognizedFields'],
): TargetFile {
  return new TargetFile({
    path: rel,
    length: bytes.length,
    hashes: { sha256: hexEncode(sha256(bytes)) },
    ...(custom ? { unrecognizedFields: { custom } } : {}),
  });
}

function metaFile(version: number, bytes: string | Buffer): MetaFile {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return new MetaFile({ version, length: buf.length, hashes: { sha256: hexEncode(sha256(buf)) } });
}

/** Writes a target under its consistent-snapshot name `targets/<dir>/<sha256>.<name>`. */
async function writeTargetFile(repository: string, rel: string, bytes: Buffer): Promise<void> {
  const { dir, base } = path.posix.parse(rel);
  const name = `${hexEncode(sha256(bytes))}.${base}`;
  await writeAtomic(path.join(repository, 'targets', ...(dir ? dir.split('/') : []), name), bytes);
}

function withVersion(t: Targets, version: number): Targets {
  return Targets.fromJSON({ ...t.toJSON(), version });
}

/** Same targets and delegations (version and expiry aside). */
function sameContent(a: Targets, b: Targets): boolean {
  const strip = (t: Targets) => canonical({ ...t.toJSON(), version: 0, expires: '' });
  return strip(a) === strip(b);
}

/** JSON with sorted object keys, to compare metadata content whatever order it was written in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** During init or a root change the repository may have no timestamp yet; anything else must read. */
async function readPublishedOrEmpty(repository: string, root: Metadata<Root>): Promise<Published> {
  try {
    return await readPublished(repository);
  } catch (err) {
    // A brand-new repository has no root file yet: start from nothing but the given root.
    if (err instanceof TufError && err.code === 'TUF_REPO_INVALID' && root.signed.version === 1)
      return { root, targets: new Map(), targetsBytes: new Map() };
    throw err;
  }
}
