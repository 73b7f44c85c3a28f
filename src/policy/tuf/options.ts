/**
 * What the signing operations of a trust repository share: the top-level role names, their
 * default lifetimes, and the options every operation that signs takes.
 */
import type { ScryptParams } from './keys.js';

/** The top-level roles. */
export type TopRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const TOP_ROLES: readonly TopRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

const DAY = 86_400;
/** Default lifetimes in seconds; delegated roles live as long as `targets`. */
export const DEFAULT_EXPIRY: Readonly<Record<TopRole, number>> = {
  root: 365 * DAY,
  targets: 90 * DAY,
  snapshot: 7 * DAY,
  timestamp: DAY,
};
/** The TUF specification version written into new metadata. */
export const SPEC_VERSION = '1.0.31';

/** Options of the operations that sign. */
export interface SigningOptions {
  /** Decrypts (and, for new keys, encrypts) the private keys. */
  passphrase: string;
  /** Signing time (default: now). */
  now?: Date;
  /** Lifetimes in seconds, per role (default DEFAULT_EXPIRY). */
  expiry?: Partial<Record<TopRole, number>>;
  /** scrypt cost of new keys. */
  scrypt?: ScryptParams;
}

/**
 * An expiry time as TUF writes it (RFC 3339 UTC, second precision): now plus the role's lifetime.
 * @throws never
 */
export function expires(o: Pick<SigningOptions, 'now' | 'expiry'>, role: TopRole): string {
  return `${new Date((o.now ?? new Date()).getTime() + lifetime(o, role) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * Whether metadata expiring at `expiresAt` has less than half its lifetime left: publish then
 * re-signs it even when unchanged, so a repository published regularly never lapses.
 * @throws never
 */
export function nearExpiry(expiresAt: string, o: Pick<SigningOptions, 'now' | 'expiry'>, role: TopRole): boolean {
  return Date.parse(expiresAt) - (o.now ?? new Date()).getTime() < (lifetime(o, role) * 1000) / 2;
}

function lifetime(o: Pick<SigningOptions, 'expiry'>, role: TopRole): number {
  return o.expiry?.[role] ?? DEFAULT_EXPIRY[role];
}
