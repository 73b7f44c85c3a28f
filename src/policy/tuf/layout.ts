/**
 * The trust directory on disk, as `opk-attest trust init DIR` creates it:
 *
 *   DIR/keys/<keyid>.json          private keys, encrypted (mode 0600)
 *   DIR/keys/<role>.pub.json       public key files made for delegations
 *   DIR/staged/delegations.json    delegated roles: name, scope, keys, threshold
 *   DIR/staged/targets/…           the target files the next publish signs: policy.json,
 *                                  policy.d/<role>.json, oidc/<host>/jwks.json, tlog/<logID>.pem
 *   DIR/repository/                the published TUF repository: serve this directory as is
 *
 * Content commands edit `staged/`; `publish` signs it into `repository/`. Reads are capped and
 * writes atomic (temporary file, then rename), so a reader never sees half a file.
 */
import { mkdir, open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TufError } from '../errors.js';

/** The paths of one trust directory. */
export interface TrustDir {
  dir: string;
  keys: string;
  staged: string;
  stagedTargets: string;
  delegationsFile: string;
  repository: string;
}

/**
 * The layout of a trust directory (nothing is checked or created).
 * @throws never
 */
export function trustDir(dir: string): TrustDir {
  const staged = path.join(dir, 'staged');
  return {
    dir,
    keys: path.join(dir, 'keys'),
    staged,
    stagedTargets: path.join(staged, 'targets'),
    delegationsFile: path.join(staged, 'delegations.json'),
    repository: path.join(dir, 'repository'),
  };
}

/**
 * Checks that `dir` is a trust directory (it has a `keys/` directory), so that a command run in
 * the wrong place does not scatter staged files there.
 * @throws TufError TUF_REPO_INVALID
 */
export async function assertTrustDir(dir: string): Promise<void> {
  const isDir = await stat(trustDir(dir).keys).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      message: `${dir} is not a trust directory (no keys/); pass --dir, or create one with "opk-attest trust init DIR"`,
    });
}

/**
 * Reads a file of at most `maxBytes`.
 * @returns the bytes, or undefined when the file does not exist
 * @throws TufError TUF_TOO_LARGE past the cap; TUF_REPO_INVALID when it cannot be read
 */
export async function readCapped(file: string, maxBytes: number, what: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      cause: err,
      message: `${what}: ${file} cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path and permissions`,
    });
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes)
      throw new TufError({
        code: 'TUF_TOO_LARGE',
        message: `${what}: ${file} is ${size} bytes, over the ${maxBytes}-byte limit`,
      });
    const buf = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buf, 0, size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file atomically, creating its directory.
 * @param mode - file mode (0o600 for key files)
 * @throws Error from node:fs when the directory is not writable
 */
export async function writeAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await rename(tmp, file);
}

/**
 * Every regular file under `dir`, as `/`-separated paths relative to it, sorted; [] when `dir`
 * does not exist. Symbolic links are not followed (a staged link could point anywhere).
 * @throws TufError TUF_REPO_INVALID when there are more than `max` files
 */
export async function listFiles(dir: string, max = 10_000): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) out.push(child);
      if (out.length > max)
        throw new TufError({
          code: 'TUF_REPO_INVALID',
          message: `${dir} holds more than ${max} files; is this the right directory?`,
        });
    }
  };
  await walk('');
  return out.sort();
}
