/**
 * Trust directories for the TUF tests: a fresh one per test in a temporary directory, made with
 * the cheapest scrypt cost key files accept, and helpers to stage typical content.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { emptyJwksArchive, mergeJwksArchive } from '../../../src/policy/jwks-archive.js';
import type { Policy } from '../../../src/policy/model.js';
import { initRepository, publishRepository, type PublishOptions } from '../../../src/policy/tuf/repository.js';
import { stageArchive, stagePolicy } from '../../../src/policy/tuf/staged.js';

export const PASS = 'correct horse battery staple';
export const FAST = { N: 2 ** 14, r: 8, p: 1 };
export const GITHUB = 'https://token.actions.githubusercontent.com';

/** A temporary directory removed by `cleanup`. */
export async function tempDir(prefix = 'opk-tuf-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A trust directory with its root file path. */
export interface Fixture {
  base: string;
  dir: string;
  repository: string;
  rootFile: string;
  cache: string;
  publish(o?: Partial<PublishOptions>): ReturnType<typeof publishRepository>;
  cleanup(): Promise<void>;
}

/** Creates `<tmp>/trust` with `trust init`'s content. */
export async function makeRepo(): Promise<Fixture> {
  const base = await tempDir();
  const dir = path.join(base, 'trust');
  const { rootFile } = await initRepository(dir, { passphrase: PASS, scrypt: FAST });
  return {
    base,
    dir,
    rootFile,
    repository: path.join(dir, 'repository'),
    cache: path.join(base, 'cache'),
    publish: (o = {}) => publishRepository(dir, { passphrase: PASS, scrypt: FAST, ...o }),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

/** A one-rule policy for GitHub Actions signers of a repository. */
export function githubPolicy(scope = '**', repository = 'acme/app', issuer = GITHUB): Policy {
  return {
    rules: [
      {
        scope,
        signers: [{ name: 'ci', issuer, claims: { repository } }],
        threshold: 1,
        require: [],
        transparencyLog: 'required',
        level: 'enforce',
      },
    ],
    revoked: { digests: [], signers: [] },
  };
}

/** An RSA public JWK as a provider publishes it. */
export function providerJwk(kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

/** Stages a policy and an archive of one provider key, as a typical repository holds. */
export async function stageTypical(dir: string, issuer = GITHUB): Promise<void> {
  await stagePolicy(dir, githubPolicy('**', 'acme/app', issuer));
  await stageArchive(
    dir,
    mergeJwksArchive(emptyJwksArchive(issuer), { keys: [providerJwk('k1')] }, new Date()).archive,
  );
}

/** Every file under a directory with its content. */
export async function allFiles(dir: string): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const file = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
        return { file, text: (await readFile(file)).toString('latin1') };
      }),
  );
}
