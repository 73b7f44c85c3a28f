/**
 * Sigstore's public-good trusted root over TUF, through `@sigstore/tuf`: its TUF root is embedded
 * in that package (pinned by our lockfile), the verified metadata and `trusted_root.json` are
 * cached on disk, and the cache is used when the TUF mirror cannot be reached. This is where the
 * public-good Rekor key comes from, never from the log itself (docs/trust.md).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_TRUSTED_ROOT_BYTES, parseTrustedRootLogs, type TrustedRootLog } from '../tlog/index.js';
import { TufError } from './errors.js';

/** Sigstore's public-good TUF mirror, the one `@sigstore/tuf` embeds a root for. */
export const SIGSTORE_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const TRUSTED_ROOT = 'trusted_root.json';

/** Options of `sigstoreTrustedRoot`. */
export interface SigstoreRootOptions {
  /** Cache directory (metadata and targets, one subdirectory per mirror). */
  cacheDir: string;
  /** Another mirror (a private Sigstore deployment, or a test); needs `rootPath`. Default the public-good CDN. */
  mirrorUrl?: string;
  /** The mirror's TUF root you trust; default the root embedded in @sigstore/tuf (public-good only). */
  rootPath?: string;
  /** Per-request timeout in ms (default 5000); one retry. */
  timeoutMs?: number;
}

/** The logs of the trusted root and where it came from. */
export interface SigstoreRoot {
  logs: TrustedRootLog[];
  /** One line: the mirror and whether it was refreshed or read from the cache. */
  source: string;
  /** Set when the mirror could not be refreshed and the cached copy was used: why. */
  stale?: string;
}

/**
 * Refreshes the Sigstore TUF repository (cached metadata when still valid) and reads its
 * `trusted_root.json`; when the refresh fails (offline), reads the copy in the cache, which
 * `@sigstore/tuf` seeds from its embedded root and later refreshes replace with verified ones.
 * @throws TufError TUF_DOWNLOAD_FAILED when the refresh fails and nothing is cached;
 *   TlogError TLOG_KEY_INVALID when the trusted root does not parse
 */
export async function sigstoreTrustedRoot(o: SigstoreRootOptions): Promise<SigstoreRoot> {
  const mirrorURL = (o.mirrorUrl ?? SIGSTORE_TUF_MIRROR).replace(/\/+$/, '');
  const what = `Sigstore trusted root (TUF ${mirrorURL})`;
  // Loaded on first use: @sigstore/tuf brings make-fetch-happen and its cache (~1.1 MiB bundled),
  // which only a verification against the public-good log needs; the sign action never loads it.
  // It is CommonJS: imported at run time, its exports are the namespace's `default` (in the
  // bundle, only there).
  const { initTUF } = (await import('@sigstore/tuf')).default;
  let refreshError: unknown;
  try {
    const client = await initTUF({
      mirrorURL,
      cachePath: o.cacheDir,
      ...(o.rootPath ? { rootPath: o.rootPath } : {}),
      forceCache: true,
      retry: { retries: 1 },
      timeout: o.timeoutMs ?? 5000,
    });
    const text = await client.getTarget(TRUSTED_ROOT);
    return { logs: parseTrustedRootLogs(Buffer.from(text, 'utf8'), what), source: `${what}, verified` };
  } catch (err) {
    // Offline or the mirror is down: the cached copy below is what the last refresh verified
    // (or the one embedded in @sigstore/tuf); the caller announces that it is stale.
    refreshError = err;
  }
  // @sigstore/tuf keeps one cache subdirectory per mirror, named by its host and path.
  const u = new URL(mirrorURL);
  const cached = path.join(
    o.cacheDir,
    encodeURIComponent(u.host + u.pathname.replace(/\/$/, '')),
    'targets',
    TRUSTED_ROOT,
  );
  let bytes: Buffer;
  try {
    bytes = await readFile(cached);
  } catch (err) {
    throw new TufError({
      code: 'TUF_DOWNLOAD_FAILED',
      cause: err,
      message: `${what}: cannot refresh (${reason(refreshError)}) and nothing is cached in ${o.cacheDir}; connect once, or pin the log key with --tlog-key`,
    });
  }
  if (bytes.length > MAX_TRUSTED_ROOT_BYTES)
    throw new TufError({ code: 'TUF_TOO_LARGE', message: `${cached}: larger than ${MAX_TRUSTED_ROOT_BYTES} bytes` });
  return {
    logs: parseTrustedRootLogs(bytes, `${what} (cached ${cached})`),
    source: `${what}, cached copy ${cached}`,
    stale: reason(refreshError),
  };
}

function reason(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } } | undefined;
  return [e?.message, e?.cause?.message].filter(Boolean).join(': ').slice(0, 300) || 'unknown error';
}
