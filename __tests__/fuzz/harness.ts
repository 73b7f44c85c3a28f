/**
 * The fuzzing harness (docs/fuzz.md). Every parser that takes outside bytes gets the inputs of
 * `inputs.ts` (random, pathological, and mutations of valid inputs). The property: the parser
 * returns a value or throws one of our coded errors (`OpkError` with a part-prefixed code and a one-line message) — no other
 * exception, no call slower than a bound, memory growth bounded.
 *
 * `OPK_FUZZ_RUNS` sets the runs per target (default 300 in `npm test`; `npm run fuzz` uses 10,000);
 * `OPK_FUZZ_REPORT` names a file that receives one JSON line per target for the summary.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { OpkError } from '../../src/core/errors.js';

/** Runs per target. */
export const RUNS = Number(process.env.OPK_FUZZ_RUNS ?? 300);
/** A single call taking longer than this is a hang. */
const MAX_CALL_MS = Number(process.env.OPK_FUZZ_MAX_CALL_MS ?? 10_000);
/** Resident memory may not grow more than this during one target. */
const MAX_RSS_GROWTH_BYTES = 768 * 1024 * 1024;
/** Jest timeout for one target: generous, since 10,000 runs of an HTTP target take a while. */
export const TARGET_TIMEOUT_MS = Math.max(120_000, RUNS * 200);

const CODE = /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/;

/** What one target did, for the summary. */
export interface TargetStats {
  target: string;
  runs: number;
  failures: number;
  values: number;
  codedErrors: number;
  codes: Record<string, number>;
  slowestCallMs: number;
  rssGrowthMiB: number;
  ms: number;
}

/** Why a thrown value is not acceptable, or undefined when it is one of our coded errors. */
export function uncoded(err: unknown): string | undefined {
  if (!(err instanceof OpkError)) {
    const e = err as { name?: string; message?: string; stack?: string };
    return `uncoded ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`;
  }
  if (typeof err.code !== 'string' || !CODE.test(err.code))
    return `error code ${String(err.code)} is not part-prefixed`;
  if (err.message.length === 0 || /[\r\n]/.test(err.message))
    return `${err.code}: the message is not one line: ${JSON.stringify(err.message)}`;
  return undefined;
}

/**
 * Runs `parse` on `RUNS` inputs from `inputs`, checks the property, records the stats, and
 * fails the test with fast-check's (shrunk) counterexample when the property breaks.
 */
export async function fuzz<T>(
  target: string,
  inputs: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  runs = RUNS,
): Promise<TargetStats> {
  const stats: TargetStats = {
    target,
    runs: 0,
    failures: 0,
    values: 0,
    codedErrors: 0,
    codes: {},
    slowestCallMs: 0,
    rssGrowthMiB: 0,
    ms: 0,
  };
  // One call before measuring: the first call of a target loads and compiles code (and, on a busy
  // machine, can take seconds) — that is not a hang of the parser.
  await Promise.resolve()
    .then(() => parse(fc.sample(inputs, { numRuns: 1, seed: 1 })[0]!))
    .catch(() => undefined);
  const start = performance.now();
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  let failing = false;
  const property = fc.asyncProperty(inputs, async (input) => {
    const t0 = performance.now();
    let outcome: { ok: true } | { ok: false; err: unknown };
    try {
      await withDeadline(
        Promise.resolve().then(() => parse(input)),
        MAX_CALL_MS,
        target,
      );
      outcome = { ok: true };
    } catch (err) {
      outcome = { ok: false, err };
    }
    const took = performance.now() - t0;
    stats.slowestCallMs = Math.max(stats.slowestCallMs, took);
    peak = Math.max(peak, process.memoryUsage.rss());
    if (took > MAX_CALL_MS || peak - rss0 > MAX_RSS_GROWTH_BYTES) {
      failing = true;
      throw new Error(
        `${target}: one call took ${Math.round(took)} ms; resident memory grew by ${Math.round((peak - rss0) / 2 ** 20)} MiB`,
      );
    }
    const why = outcome.ok ? undefined : uncoded(outcome.err);
    // Count the runs before the first failure only (fast-check runs the predicate again while shrinking).
    if (why !== undefined) failing = true;
    if (failing) {
      if (why !== undefined) throw new Error(why);
      return;
    }
    if (outcome.ok) {
      stats.values++;
      return;
    }
    const code = (outcome.err as OpkError).code;
    stats.codedErrors++;
    stats.codes[code] = (stats.codes[code] ?? 0) + 1;
  });
  const details = await fc.check(property, { numRuns: runs, endOnFailure: false, ...seedParameters() });
  stats.runs = details.numRuns;
  stats.failures = details.failed ? 1 : 0;
  stats.ms = Math.round(performance.now() - start);
  stats.rssGrowthMiB = Math.round((peak - rss0) / 2 ** 20);
  stats.slowestCallMs = Math.round(stats.slowestCallMs);
  record(stats);
  if (details.failed) {
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${target}: ${why}\n${fc.defaultReportMessage(details) ?? ''}`.slice(0, 8000));
  }
  return stats;
}

/** `OPK_FUZZ_SEED` replays a reported run. */
function seedParameters(): { seed?: number } {
  const seed = process.env.OPK_FUZZ_SEED;
  return seed === undefined ? {} : { seed: Number(seed) };
}

function record(stats: TargetStats): void {
  const file = process.env.OPK_FUZZ_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(stats)}\n`);
}

async function withDeadline<T>(p: Promise<T>, ms: number, target: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${target}: no answer within ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export { bytesFrom, jsonValuesFrom, textFrom } from './inputs.js';
