/**
 * Offline verification of a transparency-log entry (`ext.tl`) against trusted log keys, the
 * log step of the verifier (docs/architecture.md, "Verification order"). Steps, each with its own code: entry shape → log known → body is
 * this envelope's hashedrekord → UUID is the body's leaf hash → SET (when present) →
 * inclusion proof against a signed checkpoint (when present). At least one of SET and
 * inclusion proof must be present, and the caller may require the proof.
 */
import { b64Decode, hexEncode } from '../core/b64.js';
import { leafHash } from '../core/merkle.js';
import { parseTlogEntry, type TlogEntry } from './entry.js';
import { TlogError } from './errors.js';
import {
  checkHashedRekordMatches,
  parseHashedRekordBody,
  type CertificateMemo,
  type ExpectedSignature,
} from './hashedrekord.js';
import { checkpointTimestamp } from './checkpoint.js';
import { verifyInclusionProof } from './inclusion.js';
import type { LogKeyring, LogPublicKey } from './keys.js';
import { verifySignedEntryTimestamp } from './set.js';

/** Options of {@link verifyTlogEntry}. */
export interface VerifyTlogEntryOptions {
  /** Refuse entries that carry only a SET (policy `transparencyLog: "required"` with proofs). Default false. */
  requireInclusionProof?: boolean;
  /** Certificates this caller has parsed so far (a run's entries share one). */
  certificates?: CertificateMemo;
}

/** What a verified entry establishes. */
export interface VerifiedTlogEntry {
  uuid: string;
  logID: string;
  logIndex: number;
  /**
   * Seconds since the epoch, present only when the SET verified: the SET is the one signature
   * over it (an inclusion proof does not cover it), so an unvouched time is never handed on.
   */
  integratedTime?: number;
  /** The SET was present and verified (it is what signs `integratedTime`). */
  integratedTimeVerified: boolean;
  /**
   * The verified checkpoint's signed `Timestamp` (seconds), when it has one: the entry was in the
   * log by then, an upper bound on the integrated time (docs/time.md).
   */
  checkpointTime?: number;
  /** An inclusion proof was present and verified against a signed checkpoint. */
  inclusionVerified: boolean;
  /** Tree size of the verified checkpoint, when there was one. */
  treeSize?: number;
}

/**
 * Verifies a log entry for one envelope signature.
 * @param tl - the `ext.tl` value as found in the envelope (untrusted)
 * @param expected - the envelope's sha256(PAE), signature bytes and PK token JSON
 * @param logs - trusted log keys by log ID
 * @throws TlogError TLOG_ENTRY_INVALID | TLOG_LOG_UNKNOWN | TLOG_BODY_INVALID | TLOG_CERT_INVALID | TLOG_CERT_SIGNATURE_INVALID
 *   | TLOG_DER_INVALID | TLOG_BODY_HASH_MISMATCH | TLOG_BODY_SIGNATURE_MISMATCH | TLOG_BODY_CERT_MISMATCH | TLOG_UUID_MISMATCH
 *   | TLOG_PROOF_MISSING | TLOG_SET_INVALID | TLOG_CHECKPOINT_INVALID | TLOG_CHECKPOINT_SIGNATURE_INVALID
 *   | TLOG_CHECKPOINT_MISMATCH | TLOG_INCLUSION_PROOF_INVALID
 */
export function verifyTlogEntry(
  tl: unknown,
  expected: ExpectedSignature,
  logs: LogKeyring,
  options: VerifyTlogEntryOptions = {},
): VerifiedTlogEntry {
  const entry = parseTlogEntry(tl);
  const what = `log entry ${entry.logIndex}`;
  const key = trustedKey(entry, logs, what);
  const body = b64Decode(entry.body, `${what} body`);
  checkHashedRekordMatches(parseHashedRekordBody(body, `${what} body`, options.certificates), expected, what);
  const leaf = leafHash(body);
  checkUuid(entry, leaf, what);
  const { signedEntryTimestamp: set, inclusionProof: proof } = entry.verification;
  if (proof === undefined && (set === undefined || options.requireInclusionProof)) {
    throw new TlogError({
      code: 'TLOG_PROOF_MISSING',
      message: `${what}: has no inclusion proof${options.requireInclusionProof ? ' and the policy requires one' : ' and no SET'}; re-fetch the entry from the log (GET /api/v1/log/entries/${entry.uuid})`,
    });
  }
  if (set !== undefined) verifySignedEntryTimestamp(entry, key, what);
  const checkpoint = proof !== undefined ? verifyInclusionProof(proof, leaf, key, what) : undefined;
  const checkpointTime = checkpoint ? checkpointTimestamp(checkpoint, `${what} checkpoint`) : undefined;
  return {
    uuid: entry.uuid,
    logID: entry.logID,
    logIndex: entry.logIndex,
    ...(set !== undefined ? { integratedTime: entry.integratedTime } : {}),
    integratedTimeVerified: set !== undefined,
    ...(checkpointTime !== undefined ? { checkpointTime } : {}),
    inclusionVerified: proof !== undefined,
    ...(proof !== undefined ? { treeSize: proof.treeSize } : {}),
  };
}

function trustedKey(entry: TlogEntry, logs: LogKeyring, what: string): LogPublicKey {
  const key = logs.get(entry.logID);
  if (!key) {
    throw new TlogError({
      code: 'TLOG_LOG_UNKNOWN',
      message: `${what}: log ${entry.logID} is not a trusted log; add its key to the policy (tlog/<logID>.pem) if you trust it`,
    });
  }
  return key;
}

/** Rekor names an entry by its leaf hash (optionally after the tree ID); a different name means an edited entry. */
function checkUuid(entry: TlogEntry, leaf: Buffer, what: string): void {
  if (entry.uuid.slice(-64) !== hexEncode(leaf)) {
    throw new TlogError({
      code: 'TLOG_UUID_MISMATCH',
      message: `${what}: uuid ${entry.uuid} is not the leaf hash of its body (${hexEncode(leaf)}); the entry was altered`,
    });
  }
}
