/**
 * The policies a trust directory has published (top-level `policy.json` and each delegated
 * role's `policy.d/<role>.json`), read back from `DIR/repository/` by the hashes the published
 * targets metadata lists, so `trust inspect` and `trust publish` can show what a publish changes.
 */
import path from 'node:path';
import { MAX_POLICY_BYTES } from '../../core/limits.js';
import { parsePolicy, type Policy } from '../model.js';
import { readCapped, trustDir } from './layout.js';
import { readPublished } from './published.js';

/** The published policies: top level and delegated fragments by role. */
export interface PublishedPolicies {
  policy: Policy;
  fragments: Map<string, Policy>;
}

const EMPTY: Policy = { rules: [], revoked: { digests: [], signers: [] } };

/**
 * Reads the published policies of a trust directory (an empty policy for what is not published).
 * @throws TufError TUF_REPO_INVALID | TUF_TOO_LARGE; PolicyError POLICY_INVALID for a published file that does not parse
 */
export async function readPublishedPolicies(dir: string): Promise<PublishedPolicies> {
  const repository = trustDir(dir).repository;
  const published = await readPublished(repository);
  const read = async (role: string, rel: string): Promise<Policy | undefined> => {
    const info = published.targets.get(role)?.signed.targets[rel];
    const hash = info?.hashes.sha256;
    if (!hash) return undefined;
    const { dir: sub, base } = path.posix.parse(rel);
    const file = path.join(repository, 'targets', ...(sub ? sub.split('/') : []), `${hash}.${base}`);
    const bytes = await readCapped(file, MAX_POLICY_BYTES, 'published policy');
    return bytes ? parsePolicy(bytes, `published ${rel}`) : undefined;
  };
  const fragments = new Map<string, Policy>();
  for (const role of published.targets.keys()) {
    if (role === 'targets') continue;
    const p = await read(role, `policy.d/${role}.json`);
    if (p) fragments.set(role, p);
  }
  return { policy: (await read('targets', 'policy.json')) ?? EMPTY, fragments };
}
