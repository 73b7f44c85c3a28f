/** Shared test helpers: load the project's known-answer vectors, assert error codes. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The shared vectors live beside the checkout (../shared) on dev machines and are vendored
 * into __tests__/fixtures/vectors for CI on a clean clone. */
export function loadVectors(): any {
  const vendored = path.join(here, 'fixtures', 'vectors', 'openpubkey.json');
  return JSON.parse(readFileSync(vendored, 'utf8'));
}

/** Asserts that `fn` throws (or rejects with) an error carrying `code`. */
export async function expectCode(fn: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected an error with code ${code}, but nothing was thrown`);
  const got = (caught as { code?: unknown }).code;
  if (got !== code) {
    throw new Error(`expected code ${code}, got ${String(got)}: ${(caught as Error).message}`);
  }
}

/** The real public-good Rekor entries (vendored from the shared vectors; see fixtures/vectors/README.md). */
export function loadRekorVectors(): any {
  return JSON.parse(readFileSync(path.join(here, 'fixtures', 'vectors', 'rekor.json'), 'utf8'));
}

/** transparency-dev/merkle's consistency-proof probes (see fixtures/vectors/README.md). */
export function loadConsistencyVectors(): any {
  return JSON.parse(readFileSync(path.join(here, 'fixtures', 'vectors', 'merkle-consistency.json'), 'utf8'));
}
