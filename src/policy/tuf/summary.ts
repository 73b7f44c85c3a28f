/**
 * A summary of a trust directory for `trust inspect`: the staged policy, delegations, archived
 * keys and log keys, the published roles with their versions, keys and expiry, and which staged
 * changes are not published yet.
 */
import { hexEncode } from '../../core/b64.js';
import { sha256 } from '../../core/digest.js';
import type { JwksArchive } from '../jwks-archive.js';
import type { Policy } from '../model.js';
import { trustDir } from './layout.js';
import { readPublished } from './published.js';
import { readStaged, type StagedDelegation } from './staged.js';

/** One published role. */
export interface RoleSummary {
  role: string;
  version: number;
  expires: string;
  keyids: string[];
  threshold: number;
}

/** What `trust inspect` shows. */
export interface RepositorySummary {
  /** The directory to serve, and the newest root file (the trust anchor clients may pin). */
  repository: string;
  rootFile: string;
  policy: Policy;
  delegations: StagedDelegation[];
  fragments: Map<string, Policy>;
  archives: JwksArchive[];
  logIds: string[];
  roles: RoleSummary[];
  /** Staged target paths (and `delegations`) that differ from what is published. */
  unpublished: string[];
}

/**
 * Summarises a trust directory.
 * @throws TufError TUF_REPO_INVALID, and what `readStaged` throws for staged files that do not parse
 */
export async function summarizeRepository(dir: string): Promise<RepositorySummary> {
  const t = trustDir(dir);
  const staged = await readStaged(dir);
  const published = await readPublished(t.repository);
  const root = published.root.signed;
  const roles: RoleSummary[] = [
    { role: 'root', version: root.version, expires: root.expires, ...roleKeys(root.roles.root) },
  ];
  for (const role of ['timestamp', 'snapshot'] as const) {
    const md = published[role];
    if (md) roles.push({ role, version: md.signed.version, expires: md.signed.expires, ...roleKeys(root.roles[role]) });
  }
  const top = published.targets.get('targets')?.signed;
  for (const [role, md] of published.targets) {
    const keys = role === 'targets' ? root.roles.targets : top?.delegations?.roles?.[role];
    roles.push({ role, version: md.signed.version, expires: md.signed.expires, ...roleKeys(keys) });
  }
  const publishedHashes = new Map<string, string | undefined>();
  for (const md of published.targets.values())
    for (const [rel, f] of Object.entries(md.signed.targets)) publishedHashes.set(rel, f.hashes.sha256);
  const unpublished = [...staged.files]
    .filter(([rel, bytes]) => publishedHashes.get(rel) !== hexEncode(sha256(bytes)))
    .map(([rel]) => rel);
  for (const rel of publishedHashes.keys())
    if (!staged.files.has(rel) && isStillDelegated(rel, staged.delegations)) unpublished.push(`${rel} (removed)`);
  const publishedDelegations = Object.values(top?.delegations?.roles ?? {}).map(
    (r) => `${r.name}:${r.keyIDs.join(',')}:${r.threshold}`,
  );
  const stagedDelegations = staged.delegations.map(
    (d) => `${d.role}:${d.keys.map((k) => k.keyID).join(',')}:${d.threshold}`,
  );
  if (publishedDelegations.join('\n') !== stagedDelegations.join('\n')) unpublished.push('delegations');
  return {
    repository: t.repository,
    rootFile: `${t.repository}/${root.version}.root.json`,
    policy: staged.policy,
    delegations: staged.delegations,
    fragments: staged.fragments,
    archives: [...staged.archives.values()],
    logIds: staged.logIds,
    roles,
    unpublished,
  };
}

function roleKeys(role: { keyIDs: string[]; threshold: number } | undefined): { keyids: string[]; threshold: number } {
  return { keyids: role?.keyIDs ?? [], threshold: role?.threshold ?? 0 };
}

/** A published fragment of a removed delegation is not "unpublished": the delegation change says it. */
function isStillDelegated(rel: string, delegations: readonly StagedDelegation[]): boolean {
  const m = /^policy\.d\/(.+)\.json$/.exec(rel);
  return !m || delegations.some((d) => d.role === m[1]);
}
