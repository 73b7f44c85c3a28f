/**
 * The log monitor (docs/monitor.md): from the checkpoint saved by the last run, prove that the
 * log's current checkpoint extends it (RFC 9162 consistency), then read the new entries in
 * batches, check each is in the log's signed tree, and report every watched signature the
 * policy does not allow. The state advances after every batch, so a run cut short by its
 * budget or a fault resumes where it stopped and nothing is read (or reported) twice.
 */
import { b64Decode, hexEncode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { leafHash } from '../core/merkle.js';
import {
  MAX_RETRIEVE_QUERIES,
  parseCheckpoint,
  TlogError,
  verifyCheckpointConsistency,
  verifyCheckpointSignature,
  verifyInclusionProof,
  type LogPublicKey,
  type RekorClient,
  type SignedCheckpoint,
  type TlogEntry,
} from '../tlog/index.js';
import { MonitorError } from './errors.js';
import { inspectEntry, type Finding, type InspectContext, type Unverifiable } from './inspect-entry.js';
import type { MonitorState } from './state.js';

/** Options of {@link monitorLog}; defaults resolved at its top. */
export interface MonitorOptions extends InspectContext {
  client: RekorClient;
  /** The state of the last run; none on the first run. */
  state?: MonitorState;
  /** First run only: the tree index to start reading at. Default: the current tree size (only new entries). */
  startIndex?: number;
  /** Entries per request, 1 to MAX_RETRIEVE_QUERIES (default 10). */
  batchSize?: number;
  /** Entries read in one run at most (default 10,000); the rest is left for the next run. */
  maxEntries?: number;
  /** Milliseconds since the epoch after which no new request starts. */
  deadline: number;
  /** Persists the state (after the checkpoint is verified, and after every batch). */
  saveState: (state: MonitorState) => Promise<void>;
  now?: () => number;
}

/** What one run found. */
export interface MonitorReport {
  log: string;
  origin: string;
  treeSize: number;
  /** Tree indexes read: [from, to). */
  from: number;
  to: number;
  watched: number;
  allowed: number;
  findings: Finding[];
  unverifiable: Unverifiable[];
  /** Entries of the current tree left for the next run (budget or max-entries reached). */
  remaining: number;
  stoppedBy?: 'max-entries' | 'timeout';
}

/**
 * Runs the monitor once.
 * @throws TlogError TLOG_CONSISTENCY_INVALID (fork, rollback, other log) and the client's codes;
 *   MonitorError MONITOR_LOG_UNTRUSTED | MONITOR_STATE_INVALID | MONITOR_ENTRY_MISSING
 */
export async function monitorLog(o: MonitorOptions): Promise<MonitorReport> {
  const batchSize = Math.min(Math.max(1, o.batchSize ?? MAX_RETRIEVE_QUERIES), MAX_RETRIEVE_QUERIES);
  const maxEntries = o.maxEntries ?? 10_000;
  const now = o.now ?? Date.now;
  const info = await o.client.getLogInfo();
  const head = parseCheckpoint(info.signedTreeHead, `${o.client.url} signed tree head`);
  const key = trustedKey(o, head);
  if (head.size !== BigInt(info.treeSize) || hexEncode(head.rootHash) !== info.rootHash)
    throw new TlogError({
      code: 'TLOG_CHECKPOINT_MISMATCH',
      message: `${o.client.url}: the signed tree head does not commit to the reported size and root`,
    });
  const size = info.treeSize;
  const from = await checkHistory(o, head, key, size);
  const state: MonitorState = {
    version: 1,
    log: o.client.url,
    logID: key.logId,
    origin: head.origin,
    checkpoint: info.signedTreeHead,
    nextIndex: from,
    indexOffset: info.inactiveShards.reduce((n, s) => n + s.treeSize, 0),
  };
  await o.saveState({ ...state });
  const report: MonitorReport = {
    log: o.client.url,
    origin: head.origin,
    treeSize: size,
    from,
    to: from,
    watched: 0,
    allowed: 0,
    findings: [],
    unverifiable: [],
    remaining: 0,
  };
  const views = new TreeViews(o.client, head, key);
  const end = Math.min(size, from + maxEntries);
  for (let i = from; i < end; i += batchSize) {
    if (now() >= o.deadline) {
      report.stoppedBy = 'timeout';
      break;
    }
    const indexes = Array.from({ length: Math.min(batchSize, end - i) }, (_, k) => i + k);
    const entries = await o.client.getEntriesByIndex(indexes.map((x) => x + state.indexOffset));
    for (const treeIndex of indexes) {
      const entry = entries.find((e) => e.logIndex === treeIndex + state.indexOffset);
      if (!entry) throw missing(o.client.url, treeIndex + state.indexOffset, size);
      await views.checkIncluded(entry, treeIndex);
      const outcome = await inspectEntry(entry, o);
      if (outcome.kind === 'allowed' || outcome.kind === 'finding') report.watched++;
      if (outcome.kind === 'allowed') report.allowed++;
      else if (outcome.kind === 'finding') report.findings.push(outcome.finding);
      else if (outcome.kind === 'unverifiable') report.unverifiable.push(outcome.unverifiable);
    }
    state.nextIndex = indexes[indexes.length - 1]! + 1;
    report.to = state.nextIndex;
    await o.saveState({ ...state });
  }
  report.remaining = size - report.to;
  if (report.remaining > 0 && report.stoppedBy === undefined) report.stoppedBy = 'max-entries';
  return report;
}

/** The log key among the trusted ones that signed the checkpoint. */
function trustedKey(o: MonitorOptions, head: SignedCheckpoint): LogPublicKey {
  const key = [...o.logs.values()].find((k) => head.signatures.some((s) => bytesEqual(s.keyHint, k.keyHint)));
  if (!key) {
    throw new MonitorError({
      code: 'MONITOR_LOG_UNTRUSTED',
      message: `${o.client.url}: its checkpoint is signed by none of the trusted log keys; pin the log's key (--tlog-key FILE) or use a trust repository that lists it`,
    });
  }
  verifyCheckpointSignature(head, key, undefined, `${o.client.url} signed tree head`);
  return key;
}

/** Proves the current tree extends the saved one; returns the tree index to read from. */
async function checkHistory(
  o: MonitorOptions,
  head: SignedCheckpoint,
  key: LogPublicKey,
  size: number,
): Promise<number> {
  if (!o.state) {
    const start = o.startIndex ?? size;
    if (!Number.isSafeInteger(start) || start < 0 || start > size)
      throw new MonitorError({
        code: 'MONITOR_STATE_INVALID',
        message: `${o.client.url}: start index ${start} is outside the tree of ${size} entries; give --start-index from 0 to ${size}`,
      });
    return start;
  }
  if (o.state.logID !== key.logId)
    throw new MonitorError({
      code: 'MONITOR_STATE_INVALID',
      message: `${o.client.url}: the saved state is for log key ${o.state.logID}, but the log signs with ${key.logId}; a rotated key needs a new state file (and a look at why it rotated)`,
    });
  const saved = parseCheckpoint(o.state.checkpoint, 'saved checkpoint');
  if (o.state.nextIndex > Number(saved.size))
    throw new MonitorError({
      code: 'MONITOR_STATE_INVALID',
      message: `saved state: next index ${o.state.nextIndex} is beyond the saved checkpoint's ${saved.size} entries`,
    });
  if (saved.size === 0n) {
    // Every tree extends the empty one; only who signed it and which log it names can differ.
    verifyCheckpointSignature(saved, key, undefined, 'saved checkpoint');
    if (saved.origin !== head.origin)
      throw new TlogError({
        code: 'TLOG_CONSISTENCY_INVALID',
        message: `${o.client.url}: the checkpoint origin changed from "${saved.origin.slice(0, 100)}" to "${head.origin.slice(0, 100)}" (another log, or a new shard)`,
      });
    return o.state.nextIndex;
  }
  const proof = head.size > saved.size ? await o.client.getConsistencyProof(Number(saved.size), size) : { hashes: [] };
  verifyCheckpointConsistency(saved, head, proof.hashes, key, o.client.url);
  return o.state.nextIndex;
}

/**
 * Checks that each entry is the one at its index in the log's signed tree: its inclusion proof
 * leads from the body's leaf hash to a checkpoint signed by the log key, at the expected tree
 * index, and that checkpoint is consistent with the run's checkpoint (one consistency proof per
 * distinct tree size seen), so the log cannot show the monitor entries of another history.
 */
class TreeViews {
  readonly #roots = new Map<bigint, Buffer>();

  constructor(
    readonly client: RekorClient,
    readonly head: SignedCheckpoint,
    readonly key: LogPublicKey,
  ) {
    this.#roots.set(head.size, head.rootHash);
  }

  async checkIncluded(entry: TlogEntry, treeIndex: number): Promise<void> {
    const what = `${this.client.url} entry ${entry.logIndex}`;
    const proof = entry.verification.inclusionProof;
    if (!proof)
      throw new TlogError({
        code: 'TLOG_PROOF_MISSING',
        message: `${what}: the log returned it without an inclusion proof`,
      });
    if (proof.logIndex !== treeIndex)
      throw new TlogError({
        code: 'TLOG_INCLUSION_PROOF_INVALID',
        message: `${what}: its inclusion proof is for tree index ${proof.logIndex}, expected ${treeIndex}`,
      });
    const cp = verifyInclusionProof(proof, leafHash(b64Decode(entry.body, `${what} body`)), this.key, what);
    const known = this.#roots.get(cp.size);
    if (known !== undefined) {
      if (!bytesEqual(known, cp.rootHash))
        throw new TlogError({
          code: 'TLOG_CONSISTENCY_INVALID',
          message: `${what}: two different roots signed for tree size ${cp.size}: the log forked; keep both checkpoints as evidence`,
        });
      return;
    }
    const [older, newer] = cp.size < this.head.size ? [cp, this.head] : [this.head, cp];
    const p = await this.client.getConsistencyProof(Number(older.size), Number(newer.size));
    verifyCheckpointConsistency(older, newer, p.hashes, this.key, what);
    this.#roots.set(cp.size, cp.rootHash);
  }
}

function missing(url: string, logIndex: number, size: number): MonitorError {
  return new MonitorError({
    code: 'MONITOR_ENTRY_MISSING',
    message: `${url}: entry ${logIndex} of its signed tree of ${size} entries was not returned; the log is hiding or lost it, retry later and report it if it persists`,
  });
}
