/**
 * Reading Rekor v1 API responses (the shapes of Rekor's `openapi.yaml`): log info with its
 * inactive shards, consistency proofs, entry lists, and errors. Shape first, bounded, every
 * number a safe integer; nothing here trusts what it reads (the checkpoint, proof and entry
 * verifiers do that).
 */
import { parseJsonBody, type HttpResponse } from '../core/http.js';
import { MAX_PROOF_HASHES } from '../core/limits.js';
import { isRecord } from '../core/guards.js';
import { tlogEntryFromRekor, type TlogEntry } from './entry.js';
import { TlogError } from './errors.js';

/** One tree of the log (`GET /api/v1/log` and each of its `inactiveShards`). */
export interface RekorTreeInfo {
  rootHash: string;
  treeSize: number;
  /** The signed checkpoint for `treeSize`/`rootHash`. */
  signedTreeHead: string;
  treeID: string;
}

/** `GET /api/v1/log`: the current tree head, and the frozen shards before it. */
export interface RekorLogInfo extends RekorTreeInfo {
  /** Earlier shards; a global log index counts their sizes first. Empty for an unsharded log. */
  inactiveShards: RekorTreeInfo[];
}

/** `GET /api/v1/log/proof`: the consistency proof (`rootHash` is the log's latest root, not necessarily lastSize's). */
export interface RekorConsistencyProof {
  rootHash: string;
  /** Lowercase hex SHA-256 values. */
  hashes: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const TREE_ID = /^-?[0-9]{1,20}$/;
/** Shards a log may list; the public-good log has a handful. */
const MAX_SHARDS = 64;

/** Parses a JSON body, mapping failures to TLOG_RESPONSE_INVALID. */
export function parseJson(res: HttpResponse, what: string): unknown {
  try {
    return parseJsonBody(res.body, what);
  } catch (err) {
    throw new TlogError({ code: 'TLOG_RESPONSE_INVALID', cause: err, message: (err as Error).message });
  }
}

/**
 * Reads `GET /api/v1/log`.
 * @throws TlogError TLOG_RESPONSE_INVALID
 */
export function parseLogInfo(v: unknown, what: string): RekorLogInfo {
  const info = treeInfo(v, what);
  const shards = isRecord(v) ? v.inactiveShards : undefined;
  if (shards !== undefined && (!Array.isArray(shards) || shards.length > MAX_SHARDS)) {
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      message: `${what}: inactiveShards must be a list of at most ${MAX_SHARDS} trees`,
    });
  }
  return { ...info, inactiveShards: (shards ?? []).map((s, i) => treeInfo(s, `${what} inactiveShards[${i}]`)) };
}

function treeInfo(v: unknown, what: string): RekorTreeInfo {
  const o = isRecord(v) ? v : {};
  const ok =
    typeof o.rootHash === 'string' &&
    HEX64.test(o.rootHash) &&
    typeof o.treeSize === 'number' &&
    Number.isSafeInteger(o.treeSize) &&
    o.treeSize >= 0 &&
    typeof o.signedTreeHead === 'string' &&
    o.signedTreeHead.length > 0 &&
    typeof o.treeID === 'string' &&
    TREE_ID.test(o.treeID);
  if (!ok)
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      message: `${what}: expected {rootHash, treeSize, signedTreeHead, treeID}; is the URL a Rekor v1 API?`,
    });
  return {
    rootHash: o.rootHash as string,
    treeSize: o.treeSize as number,
    signedTreeHead: o.signedTreeHead as string,
    treeID: o.treeID as string,
  };
}

/**
 * Reads `GET /api/v1/log/proof`.
 * @throws TlogError TLOG_RESPONSE_INVALID
 */
export function parseConsistencyProof(v: unknown, what: string): RekorConsistencyProof {
  const o = isRecord(v) ? v : {};
  const hashes = o.hashes ?? [];
  if (
    typeof o.rootHash !== 'string' ||
    !HEX64.test(o.rootHash) ||
    !Array.isArray(hashes) ||
    hashes.length > MAX_PROOF_HASHES ||
    !hashes.every((h) => typeof h === 'string' && HEX64.test(h))
  ) {
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      message: `${what}: expected {rootHash, hashes} with at most ${MAX_PROOF_HASHES} lowercase hex SHA-256 values`,
    });
  }
  return { rootHash: o.rootHash, hashes: [...(hashes as string[])] };
}

/**
 * Reads `POST /api/v1/log/entries/retrieve`: a list of `{"<uuid>": entry}` objects.
 * @throws TlogError TLOG_RESPONSE_INVALID
 */
export function parseEntryList(v: unknown, max: number, what: string): TlogEntry[] {
  if (!Array.isArray(v) || v.length > max) {
    throw new TlogError({
      code: 'TLOG_RESPONSE_INVALID',
      message: `${what}: expected a list of at most ${max} entries`,
    });
  }
  return v.map((e, i) => tlogEntryFromRekor(e, `${what} [${i}]`));
}

/** Maps a status we did not expect to a code, quoting the log's own message (sanitised, short). */
export function statusError(res: HttpResponse, what: string): TlogError {
  const detail = serverMessage(res.body);
  const suffix = detail ? `: ${detail}` : '';
  if (res.status === 404) return new TlogError({ code: 'TLOG_NOT_FOUND', message: `${what}: 404 not found${suffix}` });
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    return new TlogError({
      code: 'TLOG_REJECTED',
      message: `${what}: the log refused the request with ${res.status}${suffix}; check the entry and the log URL`,
    });
  }
  return new TlogError({
    code: 'TLOG_REQUEST_FAILED',
    message: `${what}: unexpected status ${res.status}${suffix}; the log may be unavailable, retry later`,
  });
}

function serverMessage(body: Buffer): string {
  let text = body.subarray(0, 4096).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') text = parsed.message;
  } catch {
    // Not JSON: quote the start of the raw text instead.
  }
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 200);
}
