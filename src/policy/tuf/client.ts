/**
 * The TUF client of the trust policy — the only network access of the policy part. A stock
 * tuf-js `Updater` does the TUF client workflow (root rotation, timestamp, snapshot, targets,
 * delegations, expiry, rollback and signature-threshold checks) against a repository served over
 * HTTP(S) or read from a local directory; we add caps on every target, re-hash what we read back,
 * and turn tuf-js's errors into `TufError` codes.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Metadata, MetadataKind, type TargetFile } from '@tufjs/models';
import { LengthOrHashMismatchError, UnsignedMetadataError } from '@tufjs/models/dist/error.js';
import { BaseFetcher, Updater } from 'tuf-js';
import {
  BadVersionError,
  DownloadError,
  DownloadHTTPError,
  DownloadLengthMismatchError,
  ExpiredMetadataError,
  RepositoryError,
  RuntimeError,
} from 'tuf-js/dist/error.js';
import { hexEncode } from '../../core/b64.js';
import { bytesEqual, sha256 } from '../../core/digest.js';
import { isBudgetExceeded, type Deadline } from '../../core/deadline.js';
import { CoreError } from '../../core/errors.js';
import { redactUrl } from '../../core/http.js';
import { TufError } from '../errors.js';
import { HttpFetcher } from './http-fetcher.js';
import { readCapped } from './layout.js';
import { METADATA_CAPS } from './published.js';

/** Where the repository is and what the client trusts. */
export interface TufClientOptions {
  /** The repository: an http(s) URL (metadata at it, targets under `targets/`) or a directory
   *  (a trust directory's `repository/` is found when given the trust directory itself). */
  repository: string;
  /** A root metadata file of that repository the client trusts (`1.root.json` or a later version). */
  trustedRoot: string;
  /** Where verified metadata and targets are cached between runs. */
  cacheDir: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries on network errors and 5xx (default 2). */
  retries?: number;
  /** The command's overall time budget for every download. */
  deadline?: Deadline;
}

/** A downloaded, verified target. */
export interface VerifiedTarget {
  bytes: Buffer;
  /** The target's `custom` metadata, as signed by the role that lists it. */
  custom: Record<string, unknown>;
}

/** The targets of a refreshed repository. */
export interface TufTargets {
  /**
   * Downloads a target (or reuses the verified cached copy) and checks its length and hashes.
   * @returns undefined when no role lists the target
   * @throws TufError TUF_TOO_LARGE (signed length over `maxBytes`) | TUF_TARGET_MISMATCH | TUF_DOWNLOAD_FAILED | TUF_METADATA_INVALID | TUF_EXPIRED
   */
  get(targetPath: string, maxBytes: number): Promise<VerifiedTarget | undefined>;
}

const ROOT_CAP = METADATA_CAPS.root;

/**
 * Refreshes the client's view of a repository (TUF client workflow 5.1–5.6) and returns a reader
 * of its targets.
 * @throws TufError TUF_ROOT_INVALID | TUF_METADATA_INVALID | TUF_EXPIRED | TUF_ROLLBACK | TUF_TOO_LARGE | TUF_DOWNLOAD_FAILED
 */
export async function openTufRepository(o: TufClientOptions): Promise<TufTargets> {
  const source = await resolveSource(o.repository);
  const rootBytes = await readTrustedRoot(o.trustedRoot);
  // One cache per (repository, trust anchor): a cache never mixes two repositories' metadata.
  const cache = path.join(
    o.cacheDir,
    hexEncode(sha256(`${source.metadataBaseUrl}\n${rootBytes.toString('base64')}`)).slice(0, 32),
  );
  const metadataDir = path.join(cache, 'metadata');
  const targetDir = path.join(cache, 'targets');
  await mkdir(metadataDir, { recursive: true, mode: 0o700 });
  await mkdir(targetDir, { recursive: true, mode: 0o700 });
  if (!(await exists(path.join(metadataDir, 'root.json'))))
    await writeFile(path.join(metadataDir, 'root.json'), rootBytes);
  const fetcher =
    source.fetcher ??
    new HttpFetcher({
      maxBytes: Math.max(...Object.values(METADATA_CAPS)),
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      ...(o.retries === undefined ? {} : { retries: o.retries }),
      ...(o.deadline ? { deadline: o.deadline } : {}),
    });
  const updater = await tuf(source.what, o.deadline, async () => {
    const u = new Updater({
      metadataDir,
      targetDir,
      metadataBaseUrl: source.metadataBaseUrl,
      targetBaseUrl: source.targetBaseUrl,
      fetcher,
      config: {
        rootMaxLength: METADATA_CAPS.root,
        timestampMaxLength: METADATA_CAPS.timestamp,
        snapshotMaxLength: METADATA_CAPS.snapshot,
        targetsMaxLength: METADATA_CAPS.targets,
        maxRootRotations: 64,
        maxDelegations: 64,
        fetchTimeout: o.timeoutMs ?? 30_000,
        fetchRetries: o.retries ?? 2,
        userAgent: 'opk-attest',
      },
    });
    await u.refresh();
    return u;
  });
  return {
    get: (targetPath, maxBytes) =>
      tuf(`${source.what} target ${targetPath}`, o.deadline, () => getTarget(updater, targetPath, maxBytes)),
  };
}

async function getTarget(updater: Updater, targetPath: string, maxBytes: number): Promise<VerifiedTarget | undefined> {
  const info = await updater.getTargetInfo(targetPath);
  if (!info) return undefined;
  if (info.length > maxBytes) {
    throw new TufError({
      code: 'TUF_TOO_LARGE',
      message: `target ${targetPath} is ${info.length} bytes, over the ${maxBytes}-byte limit for it`,
    });
  }
  const file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
  const bytes = await readCapped(file, maxBytes, `cached target ${targetPath}`);
  // tuf-js checked the download; the copy read back is checked again, so the cache is never trusted on its own.
  if (!bytes || bytes.length !== info.length || !sha256Matches(info, bytes)) {
    throw new TufError({
      code: 'TUF_TARGET_MISMATCH',
      message: `target ${targetPath}: the cached copy does not match the signed length and sha256; delete the cache directory and retry`,
    });
  }
  return { bytes, custom: info.custom };
}

function sha256Matches(info: TargetFile, bytes: Buffer): boolean {
  const want = info.hashes.sha256;
  return typeof want === 'string' && /^[0-9a-f]{64}$/.test(want) && bytesEqual(Buffer.from(want, 'hex'), sha256(bytes));
}

interface Source {
  what: string;
  metadataBaseUrl: string;
  targetBaseUrl: string;
  fetcher?: BaseFetcher;
}

async function resolveSource(repository: string): Promise<Source> {
  if (/^https?:\/\//i.test(repository)) {
    const base = repository.replace(/\/+$/, '');
    return { what: `TUF repository ${redactUrl(base)}`, metadataBaseUrl: base, targetBaseUrl: `${base}/targets` };
  }
  let dir = path.resolve(repository);
  const nested = path.join(dir, 'repository');
  if (!(await exists(path.join(dir, 'timestamp.json'))) && (await exists(path.join(nested, 'timestamp.json'))))
    dir = nested;
  if (!(await exists(dir)))
    throw new TufError({
      code: 'TUF_DOWNLOAD_FAILED',
      message: `TUF repository ${dir} does not exist; give an http(s) URL or the repository directory`,
    });
  return {
    what: `TUF repository ${dir}`,
    metadataBaseUrl: pathToFileURL(dir).href,
    targetBaseUrl: pathToFileURL(path.join(dir, 'targets')).href,
    fetcher: new DirFetcher(dir),
  };
}

/** Reads a repository from a directory; a missing file is a 404, as over HTTP (it ends the root walk). */
class DirFetcher extends BaseFetcher {
  readonly #base: string;

  constructor(base: string) {
    super();
    this.#base = base;
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const file = fileURLToPath(url);
    if (!file.startsWith(this.#base + path.sep)) throw new DownloadHTTPError(`${file} is outside the repository`, 403);
    if (!(await exists(file))) throw new DownloadHTTPError(`${file} not found`, 404);
    return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

async function readTrustedRoot(file: string): Promise<Buffer> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readCapped(file, ROOT_CAP, 'trusted root');
  } catch (err) {
    throw new TufError({
      code: 'TUF_ROOT_INVALID',
      cause: err,
      message: `trusted root ${file}: ${(err as Error).message}`,
    });
  }
  if (!bytes)
    throw new TufError({
      code: 'TUF_ROOT_INVALID',
      message: `trusted root ${file} does not exist; give the repository's N.root.json you trust (--tuf-root)`,
    });
  try {
    Metadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new TufError({
      code: 'TUF_ROOT_INVALID',
      cause: err,
      message: `trusted root ${file} is not TUF root metadata (${(err as Error).message}); give the repository's N.root.json`,
    });
  }
  return bytes;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Runs a tuf-js step, turning its errors into TufError codes. tuf-js wraps some download
 *  failures into a message-only RuntimeError, so a spent budget is read off the deadline itself. */
async function tuf<T>(what: string, deadline: Deadline | undefined, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isBudgetExceeded(err)) throw err;
    if (deadline?.expired()) throw deadline.exceeded(what, 'while reading the trust repository');
    throw err instanceof TufError ? err : tufError(err, what);
  }
}

/**
 * tuf-js raises classes for most faults, but wraps snapshot and targets failures into a
 * `RuntimeError` carrying only the message; those are told apart by the message, which this
 * module's tests pin against the installed tuf-js.
 */
function tufError(err: unknown, what: string): TufError {
  const detail = err instanceof Error ? err.message : String(err);
  const make = (code: TufError['code'], fix: string) =>
    new TufError({ code, cause: err, message: `${what}: ${detail}; ${fix}` });
  if (err instanceof LengthOrHashMismatchError)
    return make(
      'TUF_TARGET_MISMATCH',
      'the file served is not the one the repository signed (tampered or a stale mirror)',
    );
  if (err instanceof DownloadLengthMismatchError)
    return make('TUF_TOO_LARGE', 'the file served is larger than the repository signed or our cap');
  if (err instanceof DownloadHTTPError)
    return make('TUF_DOWNLOAD_FAILED', `the server answered HTTP ${err.statusCode}; check the repository URL`);
  if (err instanceof DownloadError) return make('TUF_DOWNLOAD_FAILED', 'check the repository URL and the network');
  if (err instanceof CoreError)
    return err.code === 'CORE_TOO_LARGE'
      ? make('TUF_TOO_LARGE', 'the file served is larger than the repository signed or our cap')
      : make('TUF_DOWNLOAD_FAILED', 'check the repository URL and the network');
  // Node's fetch reports a refused or reset connection as TypeError("fetch failed"), a timeout as TimeoutError.
  if (
    (err instanceof TypeError && detail === 'fetch failed') ||
    (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
  ) {
    return make('TUF_DOWNLOAD_FAILED', 'check the repository URL and the network');
  }
  if (err instanceof ExpiredMetadataError || (err instanceof RuntimeError && /expired/i.test(detail))) {
    return make(
      'TUF_EXPIRED',
      'the repository must be published again ("opk-attest trust publish"); an expired repository may be a freeze attack',
    );
  }
  if (err instanceof BadVersionError || (err instanceof RuntimeError && /version/i.test(detail))) {
    return make('TUF_ROLLBACK', 'the repository went back to older metadata (a rollback attack or a restored backup)');
  }
  if (
    err instanceof UnsignedMetadataError ||
    err instanceof RepositoryError ||
    err instanceof RuntimeError ||
    err instanceof SyntaxError ||
    err instanceof TypeError ||
    (err instanceof Error && err.constructor.name === 'ValueError')
  ) {
    return make(
      'TUF_METADATA_INVALID',
      'the metadata is not signed by the trusted keys or is malformed (tampered, or the trusted root is wrong)',
    );
  }
  if ((err as NodeJS.ErrnoException)?.code !== undefined)
    return make('TUF_DOWNLOAD_FAILED', 'check the repository and cache directories');
  return make('TUF_DOWNLOAD_FAILED', 'check the repository URL and the network');
}
