/**
 * The signed entry timestamp (SET): the log's ECDSA signature over the RFC 8785 canonical JSON
 * of `{body, integratedTime, logID, logIndex}` (Rekor `api/entries.go` `signEntry`). It is the
 * only thing that authenticates `integratedTime`, and it is a promise of inclusion where no
 * inclusion proof is available.
 */
import { b64Decode } from '../core/b64.js';
import type { TlogEntry } from './entry.js';
import { TlogError } from './errors.js';
import type { LogPublicKey } from './keys.js';

/**
 * The exact bytes the SET covers. The entry parser admits only base64 `body`, hex `logID` and
 * safe integers, so `JSON.stringify` of each member is already its RFC 8785 form, and the keys
 * are written in sorted order.
 */
export function setPayload(entry: Pick<TlogEntry, 'body' | 'integratedTime' | 'logID' | 'logIndex'>): Buffer {
  return Buffer.from(
    `{"body":${JSON.stringify(entry.body)},"integratedTime":${entry.integratedTime},` +
      `"logID":${JSON.stringify(entry.logID)},"logIndex":${entry.logIndex}}`,
    'utf8',
  );
}

/**
 * Verifies the entry's SET with the log key.
 * @throws TlogError TLOG_PROOF_MISSING (no SET) | TLOG_SET_INVALID
 */
export function verifySignedEntryTimestamp(entry: TlogEntry, key: LogPublicKey, what = 'log entry'): void {
  const set = entry.verification.signedEntryTimestamp;
  if (set === undefined) {
    throw new TlogError({
      code: 'TLOG_PROOF_MISSING',
      message: `${what}: has no signed entry timestamp; fetch the entry again from the log`,
    });
  }
  let signature: Buffer;
  try {
    signature = b64Decode(set, `${what} signedEntryTimestamp`);
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_SET_INVALID',
      cause: err,
      message: `${what}: signedEntryTimestamp is not canonical base64`,
    });
  }
  if (!key.verify(setPayload(entry), signature)) {
    throw new TlogError({
      code: 'TLOG_SET_INVALID',
      message: `${what} at index ${entry.logIndex}: the signed entry timestamp does not verify with log key ${key.logId}; the entry was altered or signed by another log`,
    });
  }
}
