/**
 * The monitor's state between runs: the last checkpoint it verified (the log's history up to
 * there is fixed: every later checkpoint must prove consistency with it) and the first log
 * entry it has not read yet. Parsed strictly; the caller stores it (the CLI writes it
 * atomically after every batch, so a run cut short resumes where it stopped).
 */
import { isRecord } from '../core/guards.js';
import { MAX_CHECKPOINT_BYTES } from '../core/limits.js';
import { MonitorError } from './errors.js';

/** The state file's content. */
export interface MonitorState {
  version: 1;
  /** The log's base URL, for the reader; the log is identified by `logID` and `origin`. */
  log: string;
  /** Hex SHA-256 of the log key that signed `checkpoint`. */
  logID: string;
  /** The checkpoint's origin line (`<hostname> - <tree ID>` for Rekor). */
  origin: string;
  /** The last verified signed checkpoint, verbatim. */
  checkpoint: string;
  /** Index in the tree (not the global log index) of the first entry not yet read. */
  nextIndex: number;
  /** Global log index of the tree's first entry (the sizes of earlier shards). */
  indexOffset: number;
}

const LOG_ID = /^[0-9a-f]{64}$/;
const MAX_STATE_BYTES = 64 * 1024;

/**
 * Parses a state file.
 * @throws MonitorError MONITOR_STATE_INVALID naming every bad field
 */
export function parseMonitorState(bytes: Uint8Array, what = 'monitor state'): MonitorState {
  const fail = (why: string): never => {
    throw new MonitorError({
      code: 'MONITOR_STATE_INVALID',
      message: `${what}: ${why}; restore it from a backup, or remove it to start watching afresh (entries before the new start are then not checked)`,
    });
  };
  if (bytes.length > MAX_STATE_BYTES) fail(`larger than ${MAX_STATE_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    // The parse error text adds nothing the message below does not say.
    v = undefined;
  }
  if (!isRecord(v)) return fail('not a JSON object');
  const bad: string[] = [];
  if (v.version !== 1) bad.push('version must be 1');
  if (typeof v.log !== 'string' || v.log.length === 0 || v.log.length > 2048) bad.push('log must be a URL');
  if (typeof v.logID !== 'string' || !LOG_ID.test(v.logID)) bad.push('logID must be 64 lowercase hex characters');
  if (typeof v.origin !== 'string' || v.origin.length === 0 || v.origin.length > 1024) bad.push('origin is missing');
  if (typeof v.checkpoint !== 'string' || v.checkpoint.length === 0 || v.checkpoint.length > MAX_CHECKPOINT_BYTES)
    bad.push('checkpoint is missing');
  for (const k of ['nextIndex', 'indexOffset'] as const) {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) bad.push(`${k} must be a non-negative integer`);
  }
  if (bad.length > 0) fail(bad.join('; '));
  return {
    version: 1,
    log: v.log as string,
    logID: v.logID as string,
    origin: v.origin as string,
    checkpoint: v.checkpoint as string,
    nextIndex: v.nextIndex as number,
    indexOffset: v.indexOffset as number,
  };
}

/** The state as the file holds it. */
export function serializeMonitorState(s: MonitorState): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}
