/** Bounded concurrency for the signing run's network steps (listing, reading, logging, publishing). */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of results.
 * The first rejection rejects the whole; calls already started run to completion.
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
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
