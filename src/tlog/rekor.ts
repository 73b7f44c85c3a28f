/**
 * Rekor v1 REST client (the wire only; sigstore-js `sign/src/external/rekor.ts` plays this role).
 * Submits hashedrekord entries and reads entries, index searches, log info and the log key,
 * through `core/http` (bounded reads, retries with backoff on 5xx, 429 and dropped
 * connections). A 409 means the entry is already logged, which is success: the existing entry
 * is fetched (from the `Location` header, else by searching the index for the hash), as
 * sigstore-js `witness/tlog/client.ts` does. Every entry returned is shape-checked and, for
 * submissions, checked to be the entry we proposed.
 */
import { b64Decode, hexEncode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { isBudgetExceeded, type Deadline } from '../core/deadline.js';
import { CoreError } from '../core/errors.js';
import { httpRequest, redactUrl, type HttpResponse } from '../core/http.js';
import { MAX_CERTIFICATE_BYTES, MAX_TLOG_RESPONSE_BYTES, MAX_TLOG_SEARCH_RESULTS } from '../core/limits.js';
import { parseCheckpoint, verifyCheckpointSignature } from './checkpoint.js';
import { isEntryUuid, tlogEntryFromRekor, type TlogEntry } from './entry.js';
import { TlogError } from './errors.js';
import { hashedRekordCertificatePem, readHashedRekordFields, type HashedRekordProposal } from './hashedrekord.js';
import { LogPublicKey } from './keys.js';
import { pemDecode } from './pem.js';
import {
  parseConsistencyProof,
  parseEntryList,
  parseJson,
  parseLogInfo,
  statusError,
  type RekorConsistencyProof,
  type RekorLogInfo,
} from './rekor-responses.js';

/** Options of {@link RekorClient}; defaults resolved in the constructor. */
export interface RekorClientOptions {
  /** Base URL of the log, e.g. `https://rekor.sigstore.dev`. */
  url: string;
  /** Per-attempt timeout (default 20 s). */
  timeoutMs?: number;
  /** Attempts per request, retrying 5xx/429/timeouts/dropped connections (default 4). */
  attempts?: number;
  /** Bound on one request including retries (default 60 s). */
  totalTimeoutMs?: number;
  /** Base of the exponential backoff (default 250 ms). */
  backoffMs?: number;
  /** The command's overall time budget, shared with its other network clients. */
  deadline?: Deadline;
}

const ENTRIES = '/api/v1/log/entries';
/** Rekor answers at most ten queries per `entries/retrieve` request (`maxSearchQueries`). */
export const MAX_RETRIEVE_QUERIES = 10;

/**
 * A Rekor v1 API client.
 * @example
 * const { pem } = createPkTokenCertificate({ key, pkTokenJson, subject: sub, issuer: iss }); // once per run
 * const tl = await new RekorClient({ url }).createEntry(buildHashedRekord({ paeSha256, signatureDer, certificatePem: pem }));
 * // `tl` goes into the envelope as ext.tl; verifiers check it with verifyTlogEntry().
 */
export class RekorClient {
  /** The base URL without trailing slash. */
  readonly url: string;
  readonly #http: {
    timeoutMs: number;
    attempts: number;
    totalTimeoutMs: number;
    backoffMs: number;
    deadline?: Deadline;
  };

  /** @throws TlogError TLOG_REQUEST_FAILED when `url` is not an http(s) URL */
  constructor(options: RekorClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (err) {
      throw new TlogError({
        code: 'TLOG_REQUEST_FAILED',
        cause: err,
        message: `transparency log URL is not a URL; set it to e.g. https://rekor.sigstore.dev`,
      });
    }
    if (
      (base.protocol !== 'https:' && base.protocol !== 'http:') ||
      base.username ||
      base.password ||
      base.search ||
      base.hash
    ) {
      throw new TlogError({
        code: 'TLOG_REQUEST_FAILED',
        message: `transparency log URL ${redactUrl(options.url)} must be http(s) without credentials, query or fragment`,
      });
    }
    this.url = base.href.replace(/\/+$/, '');
    this.#http = {
      timeoutMs: options.timeoutMs ?? 20_000,
      attempts: options.attempts ?? 4,
      totalTimeoutMs: options.totalTimeoutMs ?? 60_000,
      backoffMs: options.backoffMs ?? 250,
      ...(options.deadline ? { deadline: options.deadline } : {}),
    };
  }

  /**
   * Submits a hashedrekord entry and returns the logged entry; an entry already in the log
   * (409) is fetched and returned the same way.
   * @throws TlogError TLOG_REJECTED | TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID | TLOG_NOT_FOUND
   */
  async createEntry(proposal: HashedRekordProposal): Promise<TlogEntry> {
    const what = `Rekor POST ${ENTRIES}`;
    const res = await this.#request(ENTRIES, { method: 'POST', body: JSON.stringify(proposal) }, what);
    if (res.status === 409) return this.#existingEntry(res, proposal);
    if (res.status !== 201 && res.status !== 200) throw statusError(res, what);
    const entry = tlogEntryFromRekor(parseJson(res, what), what);
    if (!entryMatches(entry, proposal)) {
      throw new TlogError({
        code: 'TLOG_RESPONSE_INVALID',
        message: `${what}: the log returned entry ${entry.uuid}, which does not record the signature we submitted`,
      });
    }
    return entry;
  }

  /**
   * Fetches an entry (with its inclusion proof) by UUID.
   * @throws TlogError TLOG_NOT_FOUND | TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID
   */
  async getEntry(uuid: string): Promise<TlogEntry> {
    if (!isEntryUuid(uuid))
      throw new TlogError({
        code: 'TLOG_NOT_FOUND',
        message: `log entry UUID "${String(uuid).slice(0, 90)}" is not 64 or 80 lowercase hex characters`,
      });
    const what = `Rekor GET ${ENTRIES}/${uuid}`;
    const res = await this.#request(`${ENTRIES}/${uuid}`, { method: 'GET' }, what);
    if (res.status !== 200) throw statusError(res, what);
    const entry = tlogEntryFromRekor(parseJson(res, what), what);
    if (entry.uuid.slice(-64) !== uuid.slice(-64)) {
      throw new TlogError({
        code: 'TLOG_RESPONSE_INVALID',
        message: `${what}: the log answered with entry ${entry.uuid}`,
      });
    }
    return entry;
  }

  /**
   * Fetches the entry at a log index.
   * @throws TlogError TLOG_NOT_FOUND | TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID
   */
  async getEntryByIndex(logIndex: number): Promise<TlogEntry> {
    if (!Number.isSafeInteger(logIndex) || logIndex < 0)
      throw new TlogError({ code: 'TLOG_NOT_FOUND', message: `log index ${logIndex} is not a non-negative integer` });
    const what = `Rekor GET ${ENTRIES}?logIndex=${logIndex}`;
    const res = await this.#request(`${ENTRIES}?logIndex=${logIndex}`, { method: 'GET' }, what);
    if (res.status !== 200) throw statusError(res, what);
    const entry = tlogEntryFromRekor(parseJson(res, what), what);
    if (entry.logIndex !== logIndex)
      throw new TlogError({
        code: 'TLOG_RESPONSE_INVALID',
        message: `${what}: the log answered with index ${entry.logIndex}`,
      });
    return entry;
  }

  /**
   * Searches the log's index for entries whose artifact hash is `sha256`.
   * @returns entry UUIDs (at most MAX_TLOG_SEARCH_RESULTS)
   * @throws TlogError TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID | TLOG_REJECTED
   */
  async searchByHash(sha256: Uint8Array): Promise<string[]> {
    const what = 'Rekor POST /api/v1/index/retrieve';
    const res = await this.#request(
      '/api/v1/index/retrieve',
      { method: 'POST', body: JSON.stringify({ hash: `sha256:${hexEncode(sha256)}` }) },
      what,
    );
    if (res.status !== 200) throw statusError(res, what);
    const list = parseJson(res, what);
    if (!Array.isArray(list) || list.length > MAX_TLOG_SEARCH_RESULTS || !list.every(isEntryUuid)) {
      throw new TlogError({
        code: 'TLOG_RESPONSE_INVALID',
        message: `${what}: expected a list of at most ${MAX_TLOG_SEARCH_RESULTS} entry UUIDs`,
      });
    }
    return list;
  }

  /**
   * Reads the current tree head. With `key`, also verifies the signed checkpoint and that it
   * commits to the reported size and root.
   * @throws TlogError TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID | TLOG_CHECKPOINT_INVALID | TLOG_CHECKPOINT_SIGNATURE_INVALID | TLOG_CHECKPOINT_MISMATCH
   */
  async getLogInfo(key?: LogPublicKey): Promise<RekorLogInfo> {
    const what = 'Rekor GET /api/v1/log';
    const res = await this.#request('/api/v1/log', { method: 'GET' }, what);
    if (res.status !== 200) throw statusError(res, what);
    const info = parseLogInfo(parseJson(res, what), what);
    if (key) {
      const cp = parseCheckpoint(info.signedTreeHead, `${what} signedTreeHead`);
      verifyCheckpointSignature(cp, key, undefined, `${what} signedTreeHead`);
      if (cp.size !== BigInt(info.treeSize) || cp.rootHash.toString('hex') !== info.rootHash) {
        throw new TlogError({
          code: 'TLOG_CHECKPOINT_MISMATCH',
          message: `${what}: the signed tree head does not commit to the reported size and root`,
        });
      }
    }
    return info;
  }

  /**
   * Fetches the consistency proof between two sizes of the current tree (or of shard `treeID`).
   * Verify it against two signed checkpoints before relying on it.
   * @throws TlogError TLOG_REJECTED (e.g. lastSize beyond the tree) | TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID
   */
  async getConsistencyProof(firstSize: number, lastSize: number, treeID?: string): Promise<RekorConsistencyProof> {
    if (!Number.isSafeInteger(firstSize) || !Number.isSafeInteger(lastSize) || firstSize < 1 || lastSize < firstSize)
      throw new TlogError({
        code: 'TLOG_REJECTED',
        message: `consistency proof from size ${firstSize} to ${lastSize}: sizes must be integers with 1 <= firstSize <= lastSize`,
      });
    const query = `firstSize=${firstSize}&lastSize=${lastSize}${treeID !== undefined ? `&treeID=${encodeURIComponent(treeID)}` : ''}`;
    const what = `Rekor GET /api/v1/log/proof?${query}`;
    const res = await this.#request(`/api/v1/log/proof?${query}`, { method: 'GET' }, what);
    if (res.status !== 200) throw statusError(res, what);
    return parseConsistencyProof(parseJson(res, what), what);
  }

  /**
   * Fetches entries by global log index in one request (`POST /api/v1/log/entries/retrieve`),
   * in the order asked. Rekor leaves out indexes it does not have; so does this method, and the
   * caller decides whether a gap is an error.
   * @param logIndexes - at most MAX_RETRIEVE_QUERIES distinct indexes
   * @throws TlogError TLOG_REJECTED | TLOG_REQUEST_FAILED | TLOG_RESPONSE_INVALID
   */
  async getEntriesByIndex(logIndexes: readonly number[]): Promise<TlogEntry[]> {
    if (
      logIndexes.length === 0 ||
      logIndexes.length > MAX_RETRIEVE_QUERIES ||
      new Set(logIndexes).size !== logIndexes.length ||
      !logIndexes.every((i) => Number.isSafeInteger(i) && i >= 0)
    )
      throw new TlogError({
        code: 'TLOG_REJECTED',
        message: `entries/retrieve takes 1 to ${MAX_RETRIEVE_QUERIES} distinct non-negative log indexes, got ${logIndexes.length}`,
      });
    const what = `Rekor POST ${ENTRIES}/retrieve (log indexes ${logIndexes[0]}…${logIndexes[logIndexes.length - 1]})`;
    const body = JSON.stringify({ logIndexes });
    const res = await this.#request(`${ENTRIES}/retrieve`, { method: 'POST', body }, what);
    if (res.status !== 200) throw statusError(res, what);
    const entries = parseEntryList(parseJson(res, what), logIndexes.length, what);
    const wanted = new Set(logIndexes);
    const seen = new Set<number>();
    for (const e of entries) {
      if (!wanted.has(e.logIndex) || seen.has(e.logIndex))
        throw new TlogError({
          code: 'TLOG_RESPONSE_INVALID',
          message: `${what}: the log answered with index ${e.logIndex}, which was not asked for or came twice`,
        });
      seen.add(e.logIndex);
    }
    return logIndexes.flatMap((i) => entries.filter((e) => e.logIndex === i));
  }

  /**
   * Fetches the log's public key. Trust it only through a trusted channel (the TUF policy);
   * this is for setting that policy up.
   * @throws TlogError TLOG_REQUEST_FAILED | TLOG_KEY_INVALID
   */
  async getPublicKey(): Promise<LogPublicKey> {
    const what = 'Rekor GET /api/v1/log/publicKey';
    const res = await this.#request('/api/v1/log/publicKey', { method: 'GET', accept: 'application/x-pem-file' }, what);
    if (res.status !== 200) throw statusError(res, what);
    return LogPublicKey.fromPem(res.body.toString('utf8'), `${what} response`);
  }

  /** The entry that a 409 refers to: from `Location` when it is on this log, else by searching the hash. */
  async #existingEntry(res: HttpResponse, proposal: HashedRekordProposal): Promise<TlogEntry> {
    const uuid = this.#uuidFromLocation(res.headers.get('location'));
    if (uuid !== undefined) {
      const entry = await this.getEntry(uuid);
      if (entryMatches(entry, proposal)) return entry;
    }
    for (const candidate of await this.searchByHash(Buffer.from(proposal.spec.data.hash.value, 'hex'))) {
      const entry = await this.getEntry(candidate);
      if (entryMatches(entry, proposal)) return entry;
    }
    throw new TlogError({
      code: 'TLOG_NOT_FOUND',
      message: `Rekor POST ${ENTRIES}: the log says the entry exists (409) but neither its Location nor an index search for sha256:${proposal.spec.data.hash.value} finds it; retry later`,
    });
  }

  /** Accepts a Location only on this log's origin and entries path, so a hostile 409 cannot redirect our reads. */
  #uuidFromLocation(location: string | null): string | undefined {
    if (location === null) return undefined;
    let url: URL;
    try {
      url = new URL(location, `${this.url}/`);
    } catch {
      // An unparseable Location is no pointer at all; the index search below still finds the entry.
      return undefined;
    }
    const prefix = `${new URL(this.url).pathname.replace(/\/+$/, '')}${ENTRIES}/`;
    if (url.origin !== new URL(this.url).origin || !url.pathname.startsWith(prefix)) return undefined;
    const uuid = url.pathname.slice(prefix.length);
    return isEntryUuid(uuid) ? uuid : undefined;
  }

  async #request(
    path: string,
    o: { method: string; body?: string; accept?: string },
    what: string,
  ): Promise<HttpResponse> {
    try {
      return await httpRequest(`${this.url}${path}`, {
        method: o.method,
        headers: {
          accept: o.accept ?? 'application/json',
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          'user-agent': 'opk-attest',
        },
        ...(o.body !== undefined ? { body: o.body } : {}),
        maxBytes: MAX_TLOG_RESPONSE_BYTES,
        redirect: 'error',
        what,
        ...this.#http,
      });
    } catch (err) {
      if (!(err instanceof CoreError) || isBudgetExceeded(err)) throw err;
      throw new TlogError({
        code: err.code === 'CORE_TOO_LARGE' ? 'TLOG_RESPONSE_INVALID' : 'TLOG_REQUEST_FAILED',
        cause: err,
        message: `${err.message} (transparency log ${redactUrl(this.url)})`,
      });
    }
  }
}

/**
 * Whether a logged entry records the proposal: same hash, same signature bytes, same certificate
 * DER. The certificate is ours, so its bytes are compared and it is not parsed again: equal
 * base64 text means equal PEM bytes; otherwise (Rekor re-encodes the PEM) the DER is compared.
 * The log's body is still read shape first.
 */
function entryMatches(entry: TlogEntry, proposal: HashedRekordProposal): boolean {
  try {
    const what = `log entry ${entry.uuid} body`;
    const logged = readHashedRekordFields(b64Decode(entry.body), what);
    const spec = proposal.spec;
    return (
      logged.hash.toString('hex') === spec.data.hash.value &&
      bytesEqual(logged.signatureDer, b64Decode(spec.signature.content)) &&
      (logged.publicKeyContent === spec.signature.publicKey.content ||
        bytesEqual(
          certificateDer(hashedRekordCertificatePem(logged, what), 'logged certificate'),
          certificateDer(b64Decode(spec.signature.publicKey.content).toString('utf8'), 'proposed certificate'),
        ))
    );
  } catch (err) {
    // A body we cannot read is not our entry; the caller reports that as a mismatch.
    if (err instanceof TlogError || err instanceof CoreError) return false;
    throw err;
  }
}

function certificateDer(pem: string, what: string): Buffer {
  return pemDecode(pem, 'CERTIFICATE', what, 'TLOG_CERT_INVALID', MAX_CERTIFICATE_BYTES);
}
