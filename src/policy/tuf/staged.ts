/**
 * The staged state of a trust directory: the target files the next publish signs and the
 * delegated roles. Every write is validated first (a policy that does not parse, a fragment that
 * leaves its scope, an archive under the wrong path are refused), and `readStaged` validates the
 * whole of it again before anything is signed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Key } from '@tufjs/models';
import { MAX_POLICY_BYTES } from '../../core/limits.js';
import { LogPublicKey, logKeyringFromPems } from '../../tlog/index.js';
import { PolicyError, TufError } from '../errors.js';
import {
  archiveTargetPath,
  MAX_JWKS_ARCHIVE_BYTES,
  parseJwksArchive,
  serializeJwksArchive,
  type JwksArchive,
} from '../jwks-archive.js';
import { parsePolicy, type Policy } from '../model.js';
import { checkRoleName, fragmentTargetPath, rulesOutsideScope, type Delegation } from './delegations.js';
import { tufPublicKey } from './keys.js';
import { assertTrustDir, listFiles, readCapped, trustDir, writeAtomic } from './layout.js';
import { isRecord } from '../../core/guards.js';
import { parseJsonStrict } from '../../core/json.js';

/** Largest log key PEM and delegations file read. */
const MAX_PEM_BYTES = 16 * 1024;
const MAX_DELEGATIONS_BYTES = 1024 * 1024;
const MAX_DELEGATIONS = 256;
const MAX_ROLE_KEYS = 16;
const LOG_KEY_PATH = /^tlog\/([0-9a-f]{64})\.pem$/;
const FRAGMENT_PATH = /^policy\.d\/([^/]+)\.json$/;

/** A delegated role as staged. */
export interface StagedDelegation extends Delegation {
  threshold: number;
  keys: Key[];
}

/** Everything staged, validated. */
export interface StagedState {
  policy: Policy;
  delegations: StagedDelegation[];
  /** Delegated fragments by role. */
  fragments: Map<string, Policy>;
  /** JWKS archives by issuer. */
  archives: Map<string, JwksArchive>;
  /** Log IDs of the staged log keys. */
  logIds: string[];
  /** Every staged target file by target path: the exact bytes the next publish signs. */
  files: Map<string, Buffer>;
}

/** The policy of a new trust repository: no rules, nothing revoked. */
export const EMPTY_POLICY: Policy = { rules: [], revoked: { digests: [], signers: [] } };

/**
 * Serialises a policy as policy.json (two-space JSON, final newline).
 * @throws never
 */
export function serializePolicy(policy: Policy): string {
  return `${JSON.stringify({ rules: policy.rules, revoked: policy.revoked }, null, 2)}\n`;
}

/**
 * Reads and validates the whole staged state.
 * @param dir - the trust directory
 * @throws PolicyError POLICY_INVALID | POLICY_ARCHIVE_INVALID; TufError TUF_REPO_INVALID (unknown or
 *   orphaned files, no policy.json) | TUF_DELEGATION_INVALID (bad delegations, a fragment leaving its scope)
 *   | TUF_TOO_LARGE; TlogError TLOG_KEY_INVALID
 */
export async function readStaged(dir: string): Promise<StagedState> {
  await assertTrustDir(dir);
  const t = trustDir(dir);
  const delegations = await readDelegations(dir);
  const byRole = new Map(delegations.map((d) => [d.role, d]));
  const files = new Map<string, Buffer>();
  const fragments = new Map<string, Policy>();
  const archives = new Map<string, JwksArchive>();
  const pems: Record<string, string> = {};
  let policy: Policy | undefined;
  for (const rel of await listFiles(t.stagedTargets)) {
    const file = path.join(t.stagedTargets, rel);
    const what = `staged target ${rel}`;
    const fragment = FRAGMENT_PATH.exec(rel)?.[1];
    const logId = LOG_KEY_PATH.exec(rel)?.[1];
    let bytes: Buffer;
    if (rel === 'policy.json') {
      bytes = (await readCapped(file, MAX_POLICY_BYTES, what))!;
      policy = parsePolicy(bytes, what);
    } else if (fragment !== undefined) {
      const d = byRole.get(fragment);
      if (!d) throw unexpected(rel, `no delegated role "${fragment}" is staged`);
      bytes = (await readCapped(file, MAX_POLICY_BYTES, what))!;
      fragments.set(d.role, checkFragment(parsePolicy(bytes, what), d));
    } else if (logId !== undefined) {
      bytes = (await readCapped(file, MAX_PEM_BYTES, what))!;
      pems[logId] = bytes.toString('utf8');
    } else if (rel.startsWith('oidc/') && rel.endsWith('/jwks.json')) {
      bytes = (await readCapped(file, MAX_JWKS_ARCHIVE_BYTES, what))!;
      const archive = parseJwksArchive(bytes, what);
      if (archiveTargetPath(archive.issuer) !== rel)
        throw unexpected(
          rel,
          `it holds the archive of ${archive.issuer}, which belongs at ${archiveTargetPath(archive.issuer)}`,
        );
      archives.set(archive.issuer, archive);
    } else {
      throw unexpected(
        rel,
        'only policy.json, policy.d/<role>.json, oidc/<host>/jwks.json and tlog/<logID>.pem are published',
      );
    }
    files.set(rel, bytes);
  }
  if (!policy)
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      message: `${t.stagedTargets}/policy.json is missing; is ${dir} a trust directory made by "opk-attest trust init"?`,
    });
  const logIds = [...logKeyringFromPems(pems).keys()].sort();
  return { policy, delegations, fragments, archives, logIds, files };
}

/**
 * Validates and stages a policy: the top-level one, or a delegated role's fragment.
 * @param role - a delegated role, or undefined for the top-level policy
 * @throws PolicyError POLICY_INVALID; TufError TUF_DELEGATION_INVALID (unknown role, a rule outside its scope) | TUF_REPO_INVALID
 */
export async function stagePolicy(dir: string, policy: Policy, role?: string): Promise<void> {
  await assertTrustDir(dir);
  const text = serializePolicy(policy);
  const parsed = parsePolicy(Buffer.from(text, 'utf8'), role ? `policy of delegated role ${role}` : 'policy.json');
  if (role !== undefined) checkFragment(parsed, await stagedDelegation(dir, role));
  await writeAtomic(path.join(trustDir(dir).stagedTargets, role ? fragmentTargetPath(role) : 'policy.json'), text);
}

/**
 * The staged policy: the top-level one, or a delegated role's fragment (empty when it has none yet).
 * @throws PolicyError POLICY_INVALID; TufError TUF_REPO_INVALID | TUF_DELEGATION_INVALID (unknown role)
 */
export async function readStagedPolicy(dir: string, role?: string): Promise<Policy> {
  if (role !== undefined) await stagedDelegation(dir, role);
  const rel = role ? fragmentTargetPath(role) : 'policy.json';
  const bytes = await readCapped(path.join(trustDir(dir).stagedTargets, rel), MAX_POLICY_BYTES, `staged ${rel}`);
  if (bytes) return parsePolicy(bytes, `staged ${rel}`);
  if (role !== undefined) return EMPTY_POLICY;
  throw new TufError({
    code: 'TUF_REPO_INVALID',
    message: `${dir}: staged/targets/policy.json is missing; is this a trust directory made by "opk-attest trust init"?`,
  });
}

/**
 * Stages an issuer's JWKS archive at its target path.
 * @throws PolicyError POLICY_ARCHIVE_INVALID; TufError TUF_REPO_INVALID (not a trust directory)
 */
export async function stageArchive(dir: string, archive: JwksArchive): Promise<void> {
  await assertTrustDir(dir);
  const text = serializeJwksArchive(archive);
  parseJwksArchive(Buffer.from(text, 'utf8'), `archive of ${archive.issuer}`);
  await writeAtomic(path.join(trustDir(dir).stagedTargets, archiveTargetPath(archive.issuer)), text);
}

/**
 * The staged archive of an issuer, if any.
 * @throws PolicyError POLICY_ARCHIVE_INVALID (also when the file holds another issuer's archive)
 */
export async function readStagedArchive(dir: string, issuer: string): Promise<JwksArchive | undefined> {
  const rel = archiveTargetPath(issuer);
  const bytes = await readCapped(path.join(trustDir(dir).stagedTargets, rel), MAX_JWKS_ARCHIVE_BYTES, `staged ${rel}`);
  if (!bytes) return undefined;
  const archive = parseJwksArchive(bytes, `staged ${rel}`);
  if (archive.issuer !== issuer) {
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      message: `staged ${rel} holds the archive of ${archive.issuer}, not ${issuer}; two issuers differ only in a way the path cannot show`,
    });
  }
  return archive;
}

/**
 * Stages a transparency-log public key as `tlog/<logID>.pem`.
 * @returns the log ID
 * @throws TlogError TLOG_KEY_INVALID; TufError TUF_REPO_INVALID (not a trust directory)
 */
export async function stageLogKey(dir: string, pem: string): Promise<string> {
  await assertTrustDir(dir);
  const logId = LogPublicKey.fromPem(pem).logId;
  await writeAtomic(path.join(trustDir(dir).stagedTargets, `tlog/${logId}.pem`), pem.endsWith('\n') ? pem : `${pem}\n`);
  return logId;
}

/**
 * Unstages a log key.
 * @returns whether it was staged
 * @throws never for a missing key
 */
export async function unstageLogKey(dir: string, logId: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(logId)) return false;
  const file = path.join(trustDir(dir).stagedTargets, `tlog/${logId}.pem`);
  const had = (await readCapped(file, MAX_PEM_BYTES, 'staged log key')) !== undefined;
  await rm(file, { force: true });
  return had;
}

/**
 * The staged delegated roles, in order.
 * @throws TufError TUF_DELEGATION_INVALID | TUF_TOO_LARGE
 */
export async function readDelegations(dir: string): Promise<StagedDelegation[]> {
  const file = trustDir(dir).delegationsFile;
  const bytes = await readCapped(file, MAX_DELEGATIONS_BYTES, 'staged delegations');
  if (!bytes) return [];
  let doc: unknown;
  try {
    doc = parseJsonStrict(bytes);
  } catch (err) {
    throw new TufError({
      code: 'TUF_DELEGATION_INVALID',
      cause: err,
      message: `${file}: not UTF-8 JSON; restore it from the published repository or backup`,
    });
  }
  const list = isRecord(doc) && Array.isArray(doc.delegations) ? doc.delegations : undefined;
  if (!list || list.length > MAX_DELEGATIONS)
    throw delegationInvalid(file, `must be {"delegations": [...]} with at most ${MAX_DELEGATIONS} roles`);
  const out = list.map((d, i) => parseDelegation(d, `${file} delegations[${i}]`));
  if (new Set(out.map((d) => d.role)).size !== out.length) throw delegationInvalid(file, 'names one role twice');
  return out;
}

/**
 * Stages the delegated roles (validated as `readDelegations` would).
 * @throws TufError TUF_DELEGATION_INVALID | TUF_REPO_INVALID (not a trust directory)
 */
export async function stageDelegations(dir: string, delegations: readonly StagedDelegation[]): Promise<void> {
  await assertTrustDir(dir);
  const doc = {
    delegations: delegations.map((d) => ({
      role: d.role,
      scope: d.scope,
      threshold: d.threshold,
      keys: d.keys.map((k) => ({ keyid: k.keyID, ...k.toJSON() })),
    })),
  };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const roles = (JSON.parse(text) as { delegations: unknown[] }).delegations.map((d, i) =>
    parseDelegation(d, `delegations[${i}]`),
  );
  if (new Set(roles.map((d) => d.role)).size !== roles.length)
    throw delegationInvalid('delegations', 'names one role twice');
  await writeAtomic(trustDir(dir).delegationsFile, text);
}

/**
 * One staged delegated role.
 * @throws TufError TUF_DELEGATION_INVALID when there is no such role
 */
export async function stagedDelegation(dir: string, role: string): Promise<StagedDelegation> {
  const d = (await readDelegations(dir)).find((x) => x.role === role);
  if (!d)
    throw new TufError({
      code: 'TUF_DELEGATION_INVALID',
      message: `no delegated role "${role.slice(0, 80)}"; create it with "opk-attest trust delegate --scope GLOB --key FILE"`,
    });
  return d;
}

/** Refuses a fragment with a rule outside its delegated scope. */
function checkFragment(fragment: Policy, d: Delegation): Policy {
  const outside = rulesOutsideScope(fragment, d);
  if (outside.length > 0)
    throw new TufError({ code: 'TUF_DELEGATION_INVALID', message: `${outside.join('; ')}; narrow the rule's scope` });
  return fragment;
}

function parseDelegation(d: unknown, what: string): StagedDelegation {
  if (
    !isRecord(d) ||
    typeof d.role !== 'string' ||
    typeof d.scope !== 'string' ||
    d.scope === '' ||
    !Array.isArray(d.keys) ||
    d.keys.length === 0 ||
    d.keys.length > MAX_ROLE_KEYS ||
    !Number.isSafeInteger(d.threshold) ||
    (d.threshold as number) < 1 ||
    (d.threshold as number) > d.keys.length
  ) {
    throw delegationInvalid(
      what,
      `must have a role name, a non-empty scope, 1 to ${MAX_ROLE_KEYS} keys and a threshold from 1 to the number of keys`,
    );
  }
  checkRoleName(d.role);
  const keys = d.keys.map((k) => {
    const pub =
      isRecord(k) && k.keytype === 'ed25519' && k.scheme === 'ed25519' && isRecord(k.keyval)
        ? k.keyval.public
        : undefined;
    const key = typeof pub === 'string' ? tufPublicKey(pub) : undefined;
    if (!key || !isRecord(k) || k.keyid !== key.keyID)
      throw delegationInvalid(what, 'has a key that is not an ed25519 TUF key with its own key ID');
    return key;
  });
  if (new Set(keys.map((k) => k.keyID)).size !== keys.length) throw delegationInvalid(what, 'lists one key twice');
  return { role: d.role, scope: d.scope, threshold: d.threshold as number, keys };
}

function unexpected(rel: string, why: string): TufError {
  return new TufError({
    code: 'TUF_REPO_INVALID',
    message: `staged target ${rel} is not publishable: ${why}; remove it`,
  });
}

function delegationInvalid(what: string, fault: string): TufError {
  return new TufError({ code: 'TUF_DELEGATION_INVALID', message: `${what}: ${fault}` });
}
