/**
 * Options shared by publishing and listing referrers, their defaults, and the jittered wait
 * between attempts. docs/referrers.md explains the fallback tag's settle window.
 */

/** How referrers are published and discovered. */
export type ReferrersMode = 'auto' | 'api' | 'tag';

/** Options of publishing and listing; defaults are resolved once in `resolveReferrersOptions()`. */
export interface ReferrersOptions {
  /** Store and look up referrers in this repository (same registry) instead of the image's. */
  referrersRepository?: string;
  /** `auto` (default) probes the registry; `api` / `tag` force a path. */
  mode?: ReferrersMode;
  /** Attempts of the fallback tag's read-modify-write loop (default 12). */
  maxAttempts?: number;
  /** Base of the jittered exponential wait between attempts (default 100 ms). */
  backoffMs?: number;
  /**
   * Least wait between writing the fallback tag and the read that confirms it (default 25 ms).
   * The wait itself is 3× the measured read-modify-write cycle (jittered on retries), at most
   * 2 s (or this floor when it is larger); none once the registry has proven it enforces
   * If-Match and If-None-Match. See docs/referrers.md.
   */
  settleMs?: number;
}

/** Options with every default filled in. */
export type ResolvedReferrersOptions = Required<Omit<ReferrersOptions, 'referrersRepository'>> &
  Pick<ReferrersOptions, 'referrersRepository'>;

/** The settle wait's default floor (docs/referrers.md). */
export const DEFAULT_SETTLE_FLOOR_MS = 25;
const MAX_BACKOFF_MS = 5_000;

/** Fills in the defaults. */
export function resolveReferrersOptions(o: ReferrersOptions): ResolvedReferrersOptions {
  return {
    mode: o.mode ?? 'auto',
    maxAttempts: o.maxAttempts ?? 12,
    backoffMs: o.backoffMs ?? 100,
    settleMs: o.settleMs ?? DEFAULT_SETTLE_FLOOR_MS,
    ...(o.referrersRepository === undefined ? {} : { referrersRepository: o.referrersRepository }),
  };
}

/** Jittered exponential backoff (full jitter over the upper half), capped. */
export function pause(baseMs: number, attempt: number): Promise<void> {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return sleep(exp / 2 + Math.random() * (exp / 2));
}

/** Resolves after `ms` (at once for 0 or less). */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
