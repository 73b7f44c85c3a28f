/**
 * The PK token's issue time against the log's time (docs/time.md). The identity part already
 * refuses an `iat` after the verifier's clock; here a logged signature must also not have been
 * made with a token issued after the log says it recorded the signature. The bound is the
 * SET-signed integrated time, else the signed checkpoint's timestamp (an upper bound on when
 * the entry was logged); without either there is no log time to compare with.
 */
import { MAX_CLOCK_SKEW_SECONDS } from '../identity/index.js';
import type { VerifiedTlogEntry } from '../tlog/index.js';
import { VerifyError } from './errors.js';

/**
 * Throws when `iat` is later than the log's vouched time plus the skew.
 * @param iat - the verified PK token's `iat` (seconds)
 * @param logged - the verified log entry
 * @param what - names the signature in the message
 * @throws VerifyError VERIFY_IAT_AFTER_LOG_TIME
 */
export function checkIssuedBeforeLogged(
  iat: number,
  logged: Pick<VerifiedTlogEntry, 'integratedTime' | 'checkpointTime' | 'logIndex'>,
  what: string,
  skewSeconds = MAX_CLOCK_SKEW_SECONDS,
): void {
  const bound =
    logged.integratedTime !== undefined
      ? { at: logged.integratedTime, by: 'integrated time' }
      : logged.checkpointTime !== undefined
        ? { at: logged.checkpointTime, by: 'signed checkpoint time' }
        : undefined;
  if (bound === undefined || iat <= bound.at + skewSeconds) return;
  throw new VerifyError({
    code: 'VERIFY_IAT_AFTER_LOG_TIME',
    message: `${what}: the PK token was issued at ${iso(iat)}, after log entry ${logged.logIndex} was recorded (${bound.by} ${iso(bound.at)}, ${skewSeconds} s skew allowed); the token's date is false or the entry belongs to another signature`,
  });
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
