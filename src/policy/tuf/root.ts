/**
 * Root metadata changes: the next root version with new key sets per role, signed by a threshold
 * of the previous root's keys and of its own (TUF 5.3.4: a client accepts root N+1 only when both
 * the old and the new root keys sign it).
 */
import { Metadata, Root, type Key } from '@tufjs/models';
import type { KeyRing } from './key-store.js';
import { expires, TOP_ROLES, type SigningOptions, type TopRole } from './options.js';

/** Keys of each top-level role. */
export type RoleKeys = Record<TopRole, Key[]>;

/**
 * The keys of each top-level role of a root.
 * @throws never
 */
export function rootKeys(root: Root): RoleKeys {
  const out = {} as RoleKeys;
  for (const role of TOP_ROLES)
    out[role] = (root.roles[role]?.keyIDs ?? []).map((id) => root.keys[id]!).filter((k) => k !== undefined);
  return out;
}

/**
 * Builds and signs root version N+1.
 * @param prev - the current root
 * @param keys - the key sets of the new root (threshold 1 each, as `trust init` makes them)
 * @returns the signed new root (not yet written: `publishRepository({root})` writes it)
 * @throws TufError TUF_KEY_MISSING | TUF_PASSPHRASE | TUF_KEY_INVALID
 */
export async function signNextRoot(
  prev: Metadata<Root>,
  keys: RoleKeys,
  o: SigningOptions,
  ring: KeyRing,
): Promise<Metadata<Root>> {
  const root = new Root({
    version: prev.signed.version + 1,
    specVersion: prev.signed.specVersion,
    expires: expires(o, 'root'),
    consistentSnapshot: true,
  });
  for (const role of TOP_ROLES) for (const k of keys[role]) root.addKey(k, role);
  const md = new Metadata(root);
  const old = prev.signed.roles.root!;
  for (const s of await ring.signers('root (previous keys)', old.keyIDs, old.threshold)) md.sign(s.sign);
  for (const s of await ring.signers('root (new keys)', root.roles.root!.keyIDs, root.roles.root!.threshold))
    md.sign(s.sign);
  return md;
}
