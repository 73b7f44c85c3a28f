/**
 * Key and role changes of a trust repository (`trust key generate|rotate`, `trust delegate`).
 * Key changes of top-level roles publish a new root version at once (root rotation: signed by
 * the old and the new root keys) together with everything staged; rotated-away private keys are
 * deleted afterwards. Delegations are staged like any content change.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Key } from '@tufjs/models';
import { TufError } from '../errors.js';
import { checkRoleName, fragmentTargetPath } from './delegations.js';
import { deleteKeyFiles, KeyRing, saveKeyFile } from './key-store.js';
import { generateKey, publicKeyFile } from './keys.js';
import { trustDir, writeAtomic } from './layout.js';
import { TOP_ROLES, type SigningOptions, type TopRole } from './options.js';
import { readPublished } from './published.js';
import { publishRepository, type PublishResult } from './repository.js';
import { rootKeys, signNextRoot, type RoleKeys } from './root.js';
import { readDelegations, stageDelegations, type StagedDelegation } from './staged.js';

/** What a key change did. */
export interface KeyChange {
  /** The new key's ID. */
  keyid: string;
  /** For a key made for a delegation not created yet: the public key file to pass to `trust delegate --key`. */
  publicKeyFile?: string;
  /** Set when the change was published. */
  published?: PublishResult;
  /** Keys no longer used, whose private files were deleted. */
  removed: string[];
}

/**
 * Adds a new key to a role (`trust key generate ROLE`): a top-level role or an existing
 * delegated role gets one more key (published at once); any other valid role name gets a key pair
 * whose public file (`keys/<role>.pub.json`) is then handed to `delegateScope`.
 * @throws TufError TUF_DELEGATION_INVALID (bad role name) | TUF_PASSPHRASE | TUF_KEY_MISSING | TUF_KEY_INVALID,
 *   and what `publishRepository` throws
 */
export async function generateRoleKey(dir: string, role: string, o: SigningOptions): Promise<KeyChange> {
  return changeKeys(dir, role, o, 'add');
}

/**
 * Replaces a role's keys with one new key (`trust key rotate ROLE`) and publishes; the old private
 * keys are deleted. Rotating root writes root N+1 signed by the old and the new root keys, which
 * clients holding root N follow.
 * @throws TufError TUF_DELEGATION_INVALID (unknown role) | TUF_PASSPHRASE | TUF_KEY_MISSING | TUF_KEY_INVALID,
 *   and what `publishRepository` throws
 */
export async function rotateRoleKey(dir: string, role: string, o: SigningOptions): Promise<KeyChange> {
  return changeKeys(dir, role, o, 'replace');
}

/**
 * Stages a delegation of an image scope to a new role (`trust delegate`).
 * @param keys - the role's public keys (from `keys/<role>.pub.json` or the delegate)
 * @param threshold - signatures required (default 1)
 * @throws TufError TUF_DELEGATION_INVALID (bad name, role exists, bad threshold)
 */
export async function delegateScope(
  dir: string,
  d: { role: string; scope: string; keys: Key[]; threshold?: number },
): Promise<void> {
  checkRoleName(d.role);
  const all = await readDelegations(dir);
  if (all.some((x) => x.role === d.role))
    throw new TufError({
      code: 'TUF_DELEGATION_INVALID',
      message: `delegated role ${d.role} already exists; remove it first or pick another name`,
    });
  await stageDelegations(dir, [...all, { role: d.role, scope: d.scope, keys: d.keys, threshold: d.threshold ?? 1 }]);
}

/**
 * Stages the removal of a delegated role and its policy fragment.
 * @throws TufError TUF_DELEGATION_INVALID when there is no such role
 */
export async function removeDelegation(dir: string, role: string): Promise<void> {
  const all = await readDelegations(dir);
  if (!all.some((x) => x.role === role))
    throw new TufError({ code: 'TUF_DELEGATION_INVALID', message: `no delegated role "${role.slice(0, 80)}"` });
  await stageDelegations(
    dir,
    all.filter((x) => x.role !== role),
  );
  await rm(path.join(trustDir(dir).stagedTargets, fragmentTargetPath(role)), { force: true });
}

async function changeKeys(dir: string, role: string, o: SigningOptions, mode: 'add' | 'replace'): Promise<KeyChange> {
  const ring = new KeyRing(dir, o.passphrase);
  if ((TOP_ROLES as readonly string[]).includes(role)) return changeTopKeys(dir, role as TopRole, o, mode, ring);
  checkRoleName(role);
  const delegations = await readDelegations(dir);
  const d = delegations.find((x) => x.role === role);
  if (!d && mode === 'replace')
    throw new TufError({
      code: 'TUF_DELEGATION_INVALID',
      message: `no delegated role "${role}" to rotate; create it with "trust delegate"`,
    });
  if (d) await checkPassphrase(dir, ring);
  const { key, file, signer } = generateKey(role, o.passphrase, o.scrypt);
  await saveKeyFile(dir, file);
  ring.add(signer);
  if (!d) {
    const publicFile = path.join(trustDir(dir).keys, `${role}.pub.json`);
    await writeAtomic(publicFile, `${JSON.stringify(publicKeyFile(role, key), null, 2)}\n`);
    return { keyid: key.keyID, publicKeyFile: publicFile, removed: [] };
  }
  const updated: StagedDelegation = {
    ...d,
    keys: mode === 'add' ? [...d.keys, key] : [key],
    threshold: mode === 'add' ? d.threshold : 1,
  };
  await stageDelegations(
    dir,
    delegations.map((x) => (x.role === role ? updated : x)),
  );
  const published = await publishRepository(dir, { ...o, keyring: ring, force: [role] });
  const removed = mode === 'replace' ? d.keys : [];
  await deleteKeyFiles(dir, removed);
  return { keyid: key.keyID, published, removed: removed.map((k) => k.keyID) };
}

async function changeTopKeys(
  dir: string,
  role: TopRole,
  o: SigningOptions,
  mode: 'add' | 'replace',
  ring: KeyRing,
): Promise<KeyChange> {
  const prev = (await readPublished(trustDir(dir).repository)).root;
  const keys: RoleKeys = rootKeys(prev.signed);
  const { key, file, signer } = generateKey(role, o.passphrase, o.scrypt);
  ring.add(signer);
  const old = keys[role];
  keys[role] = mode === 'add' ? [...old, key] : [key];
  const root = await signNextRoot(prev, keys, o, ring); // decrypts the old root keys: a wrong passphrase stops here
  await saveKeyFile(dir, file);
  const published = await publishRepository(dir, {
    ...o,
    keyring: ring,
    root,
    force: role === 'targets' ? ['targets'] : [],
  });
  const stillUsed = new Set(TOP_ROLES.flatMap((r) => keys[r].map((k) => k.keyID)));
  const removed = mode === 'replace' ? old.filter((k) => !stillUsed.has(k.keyID)) : [];
  await deleteKeyFiles(dir, removed);
  return { keyid: key.keyID, published, removed: removed.map((k) => k.keyID) };
}

/** Decrypts the timestamp key before a new key is made, so a wrong passphrase leaves no stray key file. */
async function checkPassphrase(dir: string, ring: KeyRing): Promise<void> {
  const ts = (await readPublished(trustDir(dir).repository)).root.signed.roles.timestamp!;
  await ring.signers('timestamp', ts.keyIDs, ts.threshold);
}
