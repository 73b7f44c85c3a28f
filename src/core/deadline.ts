/**
 * A command's time budget: one overall deadline that every network operation of the command
 * (registry, log, OIDC, TUF) runs inside, passed down explicitly as an object (no module state).
 * `httpRequest` bounds each attempt by what is left of it, so a stalled body counts like a slow
 * one, and starts no retry whose backoff would not fit. Running out is one coded error naming
 * the budget and the setting that raises it (docs/faults.md).
 */
import { CoreError } from './errors.js';

/** Options of {@link Deadline}. */
export interface DeadlineOptions {
  /** The setting that raises the budget, named in the error: `--timeout`, `the "timeout" input`. */
  setting: string;
  /** Clock in milliseconds; default `performance.now` (monotonic: a wall-clock jump cannot stretch the budget). */
  now?: () => number;
}

/** An overall deadline for a command's network operations. Immutable once made. */
export class Deadline {
  /** The whole budget in milliseconds. */
  readonly budgetMs: number;
  /** The setting that raises it (named in errors). */
  readonly setting: string;
  readonly #now: () => number;
  readonly #end: number;

  /**
   * Starts the clock.
   * @param budgetMs - the budget, a positive number of milliseconds
   * @throws CoreError CORE_BUDGET_INVALID when it is not positive and finite
   */
  constructor(budgetMs: number, o: DeadlineOptions) {
    if (!Number.isFinite(budgetMs) || budgetMs <= 0) {
      throw new CoreError({
        code: 'CORE_BUDGET_INVALID',
        message: `${o.setting} must be a positive duration such as 90s or 5m`,
      });
    }
    this.budgetMs = budgetMs;
    this.setting = o.setting;
    this.#now = o.now ?? (() => performance.now());
    this.#end = this.#now() + budgetMs;
  }

  /** Milliseconds left (0 once expired). */
  remainingMs(): number {
    return Math.max(0, this.#end - this.#now());
  }

  /** True once the budget is spent. */
  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * The error for an operation the budget could not cover.
   * @param what - the operation, e.g. `GET https://ghcr.io/v2/…` (a redacted URL)
   * @param detail - what happened, e.g. `waiting for the response body`
   */
  exceeded(what: string, detail: string): CoreError {
    return new CoreError({
      code: 'CORE_BUDGET_EXCEEDED',
      message: `${what}: the ${formatDuration(this.budgetMs)} time budget (${this.setting}) ran out ${detail}; raise ${this.setting} if the server is only slow`,
    });
  }

  /**
   * Throws the budget error when nothing is left.
   * @throws CoreError CORE_BUDGET_EXCEEDED
   */
  check(what: string): void {
    if (this.expired()) throw this.exceeded(what, 'before the request was sent');
  }
}

/** True for the error a {@link Deadline} raises; clients pass it through instead of wrapping it. */
export function isBudgetExceeded(err: unknown): boolean {
  return err instanceof CoreError && err.code === 'CORE_BUDGET_EXCEEDED';
}

/**
 * Parses a duration as the `--timeout` flag and the actions' `timeout` input take it: a number of
 * seconds (`90`), or with a unit `ms`, `s`, `m` or `h` (`90s`, `1.5m`), or units combined (`1m30s`).
 * @returns milliseconds, or undefined when the text is not such a duration or not positive
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{1,9}(\.\d{1,3})?$/.test(t)) return positive(Number(t) * 1000);
  if (!/^(\d{1,9}(\.\d{1,3})?(ms|h|m|s))+$/.test(t)) return undefined;
  const scale: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of t.matchAll(/(\d{1,9}(?:\.\d{1,3})?)(ms|h|m|s)/g)) total += Number(m[1]) * scale[m[2]!]!;
  return positive(total);
}

function positive(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** `90s`, `5m`, `1m30s`, `250ms`: how budgets appear in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** Default budget of a signing run (`sign`, the sign action): minutes, for many images and a slow log. */
export const DEFAULT_SIGN_BUDGET_MS = 5 * 60_000;
/** Default budget of verifying (`verify`, `inspect`, the verify action): tens of seconds for one image. */
export const DEFAULT_VERIFY_BUDGET_MS = 60_000;
