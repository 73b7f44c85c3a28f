/**
 * Watched identities: `CLAIM=GLOB` patterns over a PK token's claims (e.g.
 * `repository=acme/*`). An entry is watched when its token matches any of them; the patterns
 * go through the policy's one glob matcher.
 */
import { globMatch } from '../policy/index.js';
import { MonitorError } from './errors.js';

/** One watched pattern. */
export interface WatchedIdentity {
  claim: string;
  pattern: string;
}

const CLAIM = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses `CLAIM=GLOB` strings.
 * @throws MonitorError MONITOR_IDENTITY_INVALID
 */
export function parseIdentities(specs: readonly string[]): WatchedIdentity[] {
  if (specs.length === 0) {
    throw new MonitorError({
      code: 'MONITOR_IDENTITY_INVALID',
      message: 'no identity to watch; give --identity CLAIM=GLOB, e.g. --identity repository=acme/*',
    });
  }
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const claim = spec.slice(0, eq);
    const pattern = spec.slice(eq + 1);
    if (eq < 0 || !CLAIM.test(claim) || pattern.length === 0 || pattern.length > 512) {
      throw new MonitorError({
        code: 'MONITOR_IDENTITY_INVALID',
        message: `--identity "${spec.slice(0, 80)}" is not CLAIM=GLOB; write e.g. repository=acme/* or job_workflow_ref=acme/app/*`,
      });
    }
    return { claim, pattern };
  });
}

/** Whether a token's claims match any watched identity (only string claims match). */
export function isWatched(identities: readonly WatchedIdentity[], claims: Readonly<Record<string, unknown>>): boolean {
  return identities.some(({ claim, pattern }) => {
    const v = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
    return typeof v === 'string' && globMatch(pattern, v);
  });
}
