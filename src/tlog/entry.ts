/**
 * The transparency-log entry as the envelope stores it (docs/formats.md, "The log entry") (`ext.tl`): Rekor v1's
 * `LogEntryAnon` exactly as the log returned it under its UUID key, with the UUID added.
 * Numbers stay JSON numbers as Rekor sends them; the parser accepts only non-negative safe
 * integers so the SET payload can be re-serialised digit for digit.
 */
import { MAX_CHECKPOINT_BYTES, MAX_PROOF_HASHES, MAX_TLOG_RESPONSE_BYTES } from '../core/limits.js';
import { TlogError } from './errors.js';
import { isRecord } from '../core/guards.js';
import { isPaddedBase64 } from '../core/b64.js';

/** Rekor's inclusion proof: leaf index in the tree, the root and size it proves against, the signed checkpoint. */
export interface TlogInclusionProof {
  logIndex: number;
  /** Lowercase hex SHA-256. */
  rootHash: string;
  treeSize: number;
  /** Lowercase hex sibling hashes, leaf to root. */
  hashes: string[];
  /** The signed note committing to `treeSize` and `rootHash`. */
  checkpoint: string;
}

/** One log entry (`ext.tl`). */
export interface TlogEntry {
  /** Entry ID: 64 hex leaf hash, optionally prefixed by the 16-hex tree ID. */
  uuid: string;
  /** Standard base64 of the canonical entry JSON that was logged (the Merkle leaf). */
  body: string;
  /** Seconds since the epoch when the log integrated the entry. */
  integratedTime: number;
  /** Lowercase hex SHA-256 of the log's public key (SPKI DER). */
  logID: string;
  logIndex: number;
  verification: {
    /** Standard base64 DER ECDSA signature by the log over the canonical entry fields (the SET). */
    signedEntryTimestamp?: string;
    inclusionProof?: TlogInclusionProof;
  };
}

const HEX64 = /^[0-9a-f]{64}$/;
const ENTRY_ID = /^(?:[0-9a-f]{16})?[0-9a-f]{64}$/;
const MAX_SET_CHARS = 1024;

/** Whether `s` is a valid entry UUID (64 hex, or 80 hex with the tree ID). */
export function isEntryUuid(s: unknown): s is string {
  return typeof s === 'string' && ENTRY_ID.test(s);
}

/**
 * Checks the shape of an `ext.tl` entry and returns a typed copy holding only the known fields.
 * Every bad field is named in the one error.
 * @throws TlogError TLOG_ENTRY_INVALID
 */
export function parseTlogEntry(value: unknown, what = 'transparency log entry'): TlogEntry {
  const bad: string[] = [];
  const e = isRecord(value) ? value : (bad.push('<root> is not an object'), {});
  const entry = {
    uuid: check(e.uuid, isEntryUuid, 'uuid', 'must be 64 or 80 lowercase hex characters', bad),
    ...entryFields(e, '', bad),
    verification: verificationOf(e.verification, bad),
  };
  if (bad.length > 0) {
    throw new TlogError({
      code: 'TLOG_ENTRY_INVALID',
      message: `${what}: ${bad.slice(0, 8).join('; ')}${bad.length > 8 ? `; and ${bad.length - 8} more` : ''}`,
    });
  }
  return entry as TlogEntry;
}

/**
 * Turns a Rekor v1 `LogEntry` response (`{"<uuid>": {…}}`, exactly one key) into an `ext.tl` entry.
 * @throws TlogError TLOG_RESPONSE_INVALID
 */
export function tlogEntryFromRekor(response: unknown, what: string): TlogEntry {
  const keys = isRecord(response) ? Object.keys(response) : [];
  if (keys.length !== 1 || !isEntryUuid(keys[0])) {
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      message: `${what}: expected one entry keyed by its UUID, got ${keys.length} key(s); is the URL a Rekor v1 API?`,
    });
  }
  const inner = (response as Record<string, unknown>)[keys[0]!];
  try {
    return parseTlogEntry(isRecord(inner) ? { ...inner, uuid: keys[0] } : inner, what);
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      cause: err,
      message: `${what}: the entry is malformed (${(err as Error).message})`,
    });
  }
}

function entryFields(
  e: Record<string, unknown>,
  prefix: string,
  bad: string[],
): Omit<TlogEntry, 'uuid' | 'verification'> {
  return {
    body: check(
      e.body,
      (v): v is string =>
        typeof v === 'string' && v.length > 0 && v.length <= MAX_TLOG_RESPONSE_BYTES && isPaddedBase64(v),
      `${prefix}body`,
      'must be non-empty standard base64',
      bad,
    ),
    integratedTime: check(
      e.integratedTime,
      isIndex,
      `${prefix}integratedTime`,
      'must be a non-negative safe integer',
      bad,
    ),
    logID: check(e.logID, isHex64, `${prefix}logID`, 'must be 64 lowercase hex characters', bad),
    logIndex: check(e.logIndex, isIndex, `${prefix}logIndex`, 'must be a non-negative safe integer', bad),
  };
}

function verificationOf(value: unknown, bad: string[]): TlogEntry['verification'] {
  if (!isRecord(value)) {
    bad.push('verification must be an object');
    return {};
  }
  const out: TlogEntry['verification'] = {};
  if (value.signedEntryTimestamp !== undefined) {
    out.signedEntryTimestamp = check(
      value.signedEntryTimestamp,
      (v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_SET_CHARS && isPaddedBase64(v),
      'verification.signedEntryTimestamp',
      'must be standard base64 of at most 1024 characters',
      bad,
    );
  }
  if (value.inclusionProof !== undefined) out.inclusionProof = inclusionProofOf(value.inclusionProof, bad);
  return out;
}

function inclusionProofOf(value: unknown, bad: string[]): TlogInclusionProof {
  const p = 'verification.inclusionProof.';
  const v = isRecord(value) ? value : (bad.push(`${p.slice(0, -1)} must be an object`), {});
  return {
    logIndex: check(v.logIndex, isIndex, `${p}logIndex`, 'must be a non-negative safe integer', bad),
    rootHash: check(v.rootHash, isHex64, `${p}rootHash`, 'must be 64 lowercase hex characters', bad),
    treeSize: check(
      v.treeSize,
      (x): x is number => isIndex(x) && x > 0,
      `${p}treeSize`,
      'must be a positive safe integer',
      bad,
    ),
    hashes: copy(
      check(
        v.hashes,
        (x): x is string[] => Array.isArray(x) && x.length <= MAX_PROOF_HASHES && x.every(isHex64),
        `${p}hashes`,
        `must be at most ${MAX_PROOF_HASHES} lowercase hex SHA-256 values`,
        bad,
      ),
    ),
    checkpoint: check(
      v.checkpoint,
      (x): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_CHECKPOINT_BYTES,
      `${p}checkpoint`,
      `must be a non-empty string of at most ${MAX_CHECKPOINT_BYTES} characters`,
      bad,
    ),
  };
}

function check<T>(value: unknown, guard: (v: unknown) => v is T, path: string, rule: string, bad: string[]): T {
  if (!guard(value)) bad.push(`${path} ${value === undefined ? 'is missing' : rule}`);
  return value as T;
}

/** A copy, so the caller's array cannot change under the verified entry. */
function copy(a: string[]): string[] {
  return Array.isArray(a) ? [...a] : a;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isHex64(v: unknown): v is string {
  return typeof v === 'string' && HEX64.test(v);
}
