/**
 * Shape checking of untrusted JSON for the attest formats: strict UTF-8 JSON decoding,
 * type guards, and a collector that reports every bad field at once (docs/decisions.md, "Parse at the boundary").
 */
import type { JsonObject, JsonValue } from '../core/guards.js';
import { parseJsonStrict } from '../core/json.js';
import { quote } from '../core/quote.js';
import { AttestError, type AttestErrorCode } from './errors.js';

const MAX_REPORTED_ISSUES = 8;

/**
 * Decodes strict UTF-8 and parses JSON.
 * @throws AttestError with `code` when the bytes are not UTF-8 JSON
 */
export function parseJsonBytes(bytes: Uint8Array, code: AttestErrorCode, what: string, fix: string): JsonValue {
  try {
    return parseJsonStrict(bytes) as JsonValue;
  } catch (err) {
    throw new AttestError({
      code,
      cause: err,
      message: `${what} is not UTF-8 JSON (${((err as Error).cause as Error).message}); ${fix}`,
    });
  }
}

/** Whether `s` is exactly `chars` lowercase hex characters. */
export function isLowerHex(s: JsonValue | undefined, chars: number): s is string {
  return typeof s === 'string' && s.length === chars && /^[0-9a-f]*$/.test(s);
}

/** Collects every bad field of one document, then throws one error naming them all. */
export class Issues {
  private readonly found: { code: AttestErrorCode; text: string }[] = [];

  /** How many issues have been recorded so far. */
  get count(): number {
    return this.found.length;
  }

  /** Records that the field at `path` is bad. */
  add(code: AttestErrorCode, path: string, problem: string): void {
    this.found.push({ code, text: `${path} ${problem}` });
  }

  /** Records every key of `obj` that is not in `allowed`. */
  rejectUnknownKeys(obj: JsonObject, allowed: readonly string[], path: string, code: AttestErrorCode): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.add(code, `${path}.${quote(key)}`, 'is not a known field');
    }
  }

  /**
   * Throws when anything was recorded; the code is the first issue's.
   * @throws AttestError
   */
  throwIfAny(what: string, fix: string): void {
    const first = this.found[0];
    if (first === undefined) return;
    const shown = this.found
      .slice(0, MAX_REPORTED_ISSUES)
      .map((i) => i.text)
      .join('; ');
    const more =
      this.found.length > MAX_REPORTED_ISSUES ? ` (and ${this.found.length - MAX_REPORTED_ISSUES} more)` : '';
    throw new AttestError({ code: first.code, message: `${what}: ${shown}${more}; ${fix}` });
  }
}
