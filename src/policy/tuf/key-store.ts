/**
 * The key directory of a trust directory (`DIR/keys/<keyid>.json`, encrypted, mode 0600): saving
 * new keys, and decrypting the keys a role needs, once per operation.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Key } from '@tufjs/models';
import { TufError } from '../errors.js';
import { decryptKey, parseKeyFile, type EncryptedKeyFile, type TufSigner } from './keys.js';
import { readCapped, trustDir, writeAtomic } from './layout.js';

const MAX_KEY_FILE_BYTES = 16 * 1024;
const KEYID = /^[0-9a-f]{64}$/;

/** Decrypts each key at most once per operation (scrypt is deliberately slow). */
export class KeyRing {
  readonly #dir: string;
  readonly #passphrase: string;
  readonly #signers = new Map<string, TufSigner>();

  /**
   * @param dir - the trust directory
   * @param passphrase - decrypts the key files
   */
  constructor(dir: string, passphrase: string) {
    this.#dir = dir;
    this.#passphrase = passphrase;
  }

  /** Remembers a signer made in this operation (a key just generated). */
  add(signer: TufSigner): void {
    this.#signers.set(signer.keyid, signer);
  }

  /**
   * The signers for a role: every key of `keyIDs` present in the key directory, at least `threshold`.
   * @param role - names the role in messages
   * @throws TufError TUF_KEY_MISSING (fewer than `threshold` keys here) | TUF_PASSPHRASE | TUF_KEY_INVALID
   */
  async signers(role: string, keyIDs: readonly string[], threshold: number): Promise<TufSigner[]> {
    const out: TufSigner[] = [];
    for (const keyid of keyIDs) {
      const signer = this.#signers.get(keyid) ?? (await this.#load(keyid));
      if (signer) out.push(signer);
    }
    if (out.length < threshold) {
      throw new TufError({
        code: 'TUF_KEY_MISSING',
        message: `role ${role} needs ${threshold} signature(s) but ${out.length} of its keys are in ${trustDir(this.#dir).keys}; copy the missing key files there`,
      });
    }
    return out;
  }

  async #load(keyid: string): Promise<TufSigner | undefined> {
    if (!KEYID.test(keyid)) return undefined;
    const file = path.join(trustDir(this.#dir).keys, `${keyid}.json`);
    const bytes = await readCapped(file, MAX_KEY_FILE_BYTES, 'key file');
    if (!bytes) return undefined;
    const parsed = parseKeyFile(bytes, file);
    if (parsed.keyid !== keyid)
      throw new TufError({
        code: 'TUF_KEY_INVALID',
        message: `${file} holds key ${parsed.keyid}, not ${keyid}; restore the key file from backup`,
      });
    const signer = decryptKey(parsed, this.#passphrase, `key file ${file}`);
    this.#signers.set(keyid, signer);
    return signer;
  }
}

/**
 * Writes a new encrypted key file (never overwriting one).
 * @throws Error from node:fs when the file exists or the directory is not writable
 */
export async function saveKeyFile(dir: string, file: EncryptedKeyFile): Promise<string> {
  const target = path.join(trustDir(dir).keys, `${file.keyid}.json`);
  await writeAtomic(target, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  return target;
}

/**
 * Deletes the private key files of keys no longer used by any role (rotated away).
 * @throws never for keys that are not there
 */
export async function deleteKeyFiles(dir: string, keys: readonly Key[]): Promise<void> {
  for (const k of keys)
    if (KEYID.test(k.keyID)) await rm(path.join(trustDir(dir).keys, `${k.keyID}.json`), { force: true });
}
