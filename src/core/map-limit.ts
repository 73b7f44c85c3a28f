/** Bounded concurrency for network steps (listing, reading, logging, publishing) without a scheduler. */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of results.
 * The first rejection rejects the whole; calls already started run to completion. A `limit`
 * below 1 counts as 1.
 * @throws whatever `fn` throws
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * A runner with at most `n` calls in flight; the others wait their turn, in order (for steps that
 * start at different times, where `mapLimit` needs the whole list up front).
 * @throws never itself; each call rejects with what its `fn` throws
 */
export function semaphore(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
