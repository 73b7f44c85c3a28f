/**
 * Consistency of two signed checkpoints of one log: both signed by the log key, the same origin
 * (Rekor's `<hostname> - <tree ID>`, so a new shard is a new tree), and an RFC 9162 consistency
 * proof (via `core/merkle`) that the later tree only appends to the earlier one. This is what
 * makes a log monitor's view append-only: a log that rewrote or dropped an entry it had shown
 * cannot prove consistency with the checkpoint the monitor kept.
 */
import { hexDecode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { CoreError } from '../core/errors.js';
import { verifyConsistency } from '../core/merkle.js';
import { verifyCheckpointSignature, type SignedCheckpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import type { LogPublicKey } from './keys.js';

/**
 * Verifies that `next` extends `prev`: signatures by `key`, same origin, size not smaller, and
 * the proof `hashes` (lowercase hex; empty when the sizes are equal, when the roots must match).
 * @throws TlogError TLOG_CHECKPOINT_SIGNATURE_INVALID | TLOG_CONSISTENCY_INVALID
 */
export function verifyCheckpointConsistency(
  prev: SignedCheckpoint,
  next: SignedCheckpoint,
  hashes: readonly string[],
  key: LogPublicKey,
  what = 'log',
): void {
  verifyCheckpointSignature(prev, key, undefined, `${what} saved checkpoint`);
  verifyCheckpointSignature(next, key, undefined, `${what} current checkpoint`);
  if (prev.origin !== next.origin) {
    throw inconsistent(
      what,
      `the checkpoint origin changed from "${prev.origin.slice(0, 100)}" to "${next.origin.slice(0, 100)}" (another log, or a new shard)`,
    );
  }
  if (next.size < prev.size) {
    throw inconsistent(what, `the log shrank from ${prev.size} to ${next.size} entries`);
  }
  if (next.size === prev.size) {
    if (!bytesEqual(prev.rootHash, next.rootHash))
      throw inconsistent(what, `two different roots signed for size ${next.size}: the log forked`);
    return;
  }
  try {
    verifyConsistency(
      prev.size,
      next.size,
      prev.rootHash,
      next.rootHash,
      hashes.map((h, i) => hexDecode(h, 32, `${what} consistency proof hashes[${i}]`)),
    );
  } catch (err) {
    if (!(err instanceof CoreError)) throw err;
    throw inconsistent(what, err.message, err);
  }
}

function inconsistent(what: string, fault: string, cause?: unknown): TlogError {
  return new TlogError({
    code: 'TLOG_CONSISTENCY_INVALID',
    cause,
    message: `${what}: ${fault}; the log's history is not the one seen before. Do not trust it further: keep the saved checkpoint as evidence and report it to the log's operator`,
  });
}
