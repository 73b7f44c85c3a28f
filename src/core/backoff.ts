/** Waiting between attempts: one jittered exponential backoff for every retry loop. */

/**
 * The wait before retry number `attempt` (1-based): `baseMs · 2^(attempt-1)`, capped at `capMs`,
 * then drawn uniformly from its upper half, so retrying clients do not stay in step but none
 * retries almost at once.
 * @param baseMs - the first attempt's nominal wait
 * @param attempt - how many attempts have failed so far (1 for the first retry)
 * @param capMs - the largest nominal wait (default: none)
 * @returns milliseconds to wait
 * @throws never
 */
export function backoffMs(baseMs: number, attempt: number, capMs = Number.POSITIVE_INFINITY): number {
  const exp = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

/**
 * Resolves after `ms` milliseconds (at once for 0 or less).
 * @throws never
 */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
