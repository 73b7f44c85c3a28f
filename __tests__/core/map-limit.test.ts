import { mapLimit, semaphore } from '../../src/core/map-limit.js';

/** A call that resolves only when the test says so, recording how many run at once. */
function gate() {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const release: Array<() => void> = [];
  const call = async (i: number): Promise<number> => {
    inFlight++;
    most = Math.max(most, inFlight);
    started.push(i);
    await new Promise<void>((r) => release.push(r));
    inFlight--;
    return i * 10;
  };
  const drain = async (): Promise<void> => {
    while (release.length > 0) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { call, drain, started, most: () => most };
}

describe('mapLimit', () => {
  it('keeps the order of results with at most `limit` calls in flight', async () => {
    const g = gate();
    const done = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, g.call);
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual([1, 2, 3]);
    await g.drain();
    await expect(done).resolves.toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(g.most()).toBe(3);
  });

  it('rejects with the first failure', async () => {
    await expect(
      mapLimit([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('two');
        return i;
      }),
    ).rejects.toThrow('two');
  });

  it('counts a limit below 1 as 1 and answers an empty list', async () => {
    const g = gate();
    const done = mapLimit([1, 2], 0, g.call);
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual([1]);
    await g.drain();
    await expect(done).resolves.toEqual([10, 20]);
    await expect(mapLimit([], 4, g.call)).resolves.toEqual([]);
  });
});

describe('semaphore', () => {
  it('runs at most n calls at once, the others in the order they came', async () => {
    const g = gate();
    const run = semaphore(2);
    const done = Promise.all([1, 2, 3, 4, 5].map((i) => run(() => g.call(i))));
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual([1, 2]);
    await g.drain();
    await expect(done).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(g.started).toEqual([1, 2, 3, 4, 5]);
    expect(g.most()).toBe(2);
  });

  it('frees the slot of a call that fails', async () => {
    const run = semaphore(1);
    await expect(run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(run(async () => 'next')).resolves.toBe('next');
  });
});
