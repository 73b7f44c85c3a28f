/**
 * A Rekor-v1-API transparency log for tests and the local demo (no real Rekor can run here).
 * It speaks the wire API that `src/tlog/rekor.ts` talks to:
 *
 *   POST /api/v1/log/entries            hashedrekord v0.0.1 → 201 {entryID: entry}; duplicate → 409 + Location
 *   GET  /api/v1/log/entries/{uuid}     by 64-hex leaf hash or 80-hex entry ID (tree ID + leaf hash)
 *   GET  /api/v1/log/entries?logIndex=N
 *   POST /api/v1/log/entries/retrieve   {logIndexes?, entryUUIDs?} (at most 10 in all, else 422) → [entry, …]
 *   GET  /api/v1/log/proof?firstSize=&lastSize=   {rootHash (the current root, as Rekor), hashes}
 *   POST /api/v1/index/retrieve         {hash: "sha256:<hex>"} → [entryID, …]
 *   GET  /api/v1/log                    {rootHash, treeSize, signedTreeHead, treeID}
 *   GET  /api/v1/log/publicKey          PEM
 *
 * Everything is computed here, independently of `src/`: the RFC 6962 tree with inclusion and
 * consistency proofs (`rekor-tree.ts`), the hashedrekord check and canonical body
 * (`rekor-hashedrekord.ts`), canonical JSON, signed checkpoints (Rekor's signed-note layout) and
 * SETs with the log's own ECDSA P-256 key. State (key, tree ID, entries) persists to a JSON file
 * when asked; two logs started from copies of one state file share key and origin, which is how
 * tests build a forked log. Fault injection: `failNext(n, status)` answers the next n requests
 * with an error status, `dropNext(n)` destroys the connection of the next n requests,
 * `clearFaults()` forgets those not yet used, `hide(i)` leaves entry i out of `entries/retrieve`
 * answers.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalizeHashedRekord, canonicalJson } from './rekor-hashedrekord.js';
import { FakeTree, leafHashOf, sha256 } from './rekor-tree.js';

/** Options of {@link startRekorLog}. */
export interface RekorLogOptions {
  /** JSON file holding the log's key, tree ID and entries; loaded at start if it exists. */
  stateFile?: string;
  /** Name in checkpoints (`<hostname> - <treeID>` origin, `— <hostname> …` signature line). */
  hostname?: string;
  /** Clock for integratedTime (seconds); defaults to the wall clock. */
  now?: () => number;
  /** Write Rekor v1's `Timestamp: <ns>` extension line (from `now`) into checkpoints. Default false. */
  checkpointTimestamp?: boolean;
}

/** A running fake log. */
export interface RekorLog {
  url: string;
  publicKeyPem: string;
  /** Hex SHA-256 of the log key's SPKI DER. */
  logId: string;
  treeId: string;
  hostname: string;
  /** Entries in the tree. */
  size(): number;
  /** Answer the next `n` requests with `status` (default 503). */
  failNext(n: number, status?: number): void;
  /** Destroy the connection of the next `n` requests without answering. */
  dropNext(n: number): void;
  /** Forget the faults not yet used. */
  clearFaults(): void;
  /** Leave entry `index` out of `entries/retrieve` answers (a log hiding an entry). */
  hide(index: number): void;
  /** Requests seen so far, as "METHOD path" (for assertions on retries and fetches). */
  requests: string[];
  close(): Promise<void>;
}

interface StoredEntry {
  body: string;
  integratedTime: number;
}
interface State {
  version: 1;
  treeId: string;
  privateKeyPem: string;
  entries: StoredEntry[];
}

const MAX_BODY = 1024 * 1024;

/** Starts the log on 127.0.0.1 with an ephemeral port. */
export async function startRekorLog(options: RekorLogOptions = {}): Promise<RekorLog> {
  const log = new FakeLog(loadState(options.stateFile), options);
  const server = createServer((req, res) => {
    log.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { code: 500, message: `fake rekor: ${(err as Error).message}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicKeyPem: log.publicKeyPem,
    logId: log.logId,
    treeId: log.state.treeId,
    hostname: log.hostname,
    size: () => log.state.entries.length,
    failNext: (n, status = 503) => {
      log.faults.push(...Array<number>(n).fill(status));
    },
    dropNext: (n) => {
      log.faults.push(...Array<number>(n).fill(0));
    },
    clearFaults: () => {
      log.faults.length = 0;
    },
    hide: (index) => {
      log.hidden.add(index);
    },
    requests: log.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function loadState(file: string | undefined): State {
  if (file !== undefined && existsSync(file)) {
    const s = JSON.parse(readFileSync(file, 'utf8')) as State;
    if (s.version !== 1 || !Array.isArray(s.entries))
      throw new Error(`fake rekor: ${file} is not a state file of this log`);
    return s;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const treeId = (randomBytes(8).readBigUInt64BE() >> 2n).toString();
  return {
    version: 1,
    treeId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    entries: [],
  };
}

class FakeLog {
  readonly key: KeyObject;
  readonly publicKeyPem: string;
  readonly logId: string;
  readonly keyHint: Buffer;
  readonly hostname: string;
  readonly faults: number[] = [];
  readonly requests: string[] = [];
  readonly #tree = new FakeTree();
  readonly hidden = new Set<number>();
  readonly #byLeaf = new Map<string, number>();
  readonly #byHash = new Map<string, number[]>();

  constructor(
    readonly state: State,
    readonly options: RekorLogOptions,
  ) {
    this.key = createPrivateKey(state.privateKeyPem);
    const pub = createPublicKey(this.key);
    this.publicKeyPem = pub.export({ format: 'pem', type: 'spki' }) as string;
    const id = sha256(pub.export({ format: 'der', type: 'spki' }));
    this.logId = id.toString('hex');
    this.keyHint = id.subarray(0, 4);
    this.hostname = options.hostname ?? 'rekor.test.local';
    state.entries.forEach((e, i) => this.#index(Buffer.from(e.body, 'base64'), i));
    this.#persist();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const fault = this.faults.shift();
    if (fault === 0) {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      send(res, fault, { code: fault, message: 'injected failure' });
      return;
    }
    const path = url.pathname;
    if (req.method === 'POST' && path === '/api/v1/log/entries') return this.#create(await readBody(req), res);
    if (req.method === 'POST' && path === '/api/v1/log/entries/retrieve')
      return this.#retrieve(await readBody(req), res);
    if (req.method === 'GET' && path === '/api/v1/log/proof') return this.#consistency(url.searchParams, res);
    if (req.method === 'GET' && path === '/api/v1/log/entries')
      return this.#byIndex(url.searchParams.get('logIndex'), res);
    if (req.method === 'GET' && path.startsWith('/api/v1/log/entries/'))
      return this.#byUuid(path.slice('/api/v1/log/entries/'.length), res);
    if (req.method === 'POST' && path === '/api/v1/index/retrieve') return this.#search(await readBody(req), res);
    if (req.method === 'GET' && path === '/api/v1/log') return this.#logInfo(res);
    if (req.method === 'GET' && path === '/api/v1/log/publicKey') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.publicKeyPem);
      return;
    }
    send(res, 404, { code: 404, message: `no route for ${req.method} ${path}` });
  }

  #create(raw: Buffer, res: ServerResponse): void {
    let canonical: Buffer;
    let hashHex: string;
    try {
      ({ canonical, hashHex } = canonicalizeHashedRekord(JSON.parse(raw.toString('utf8'))));
    } catch (err) {
      send(res, 400, { code: 400, message: `error processing entry: ${(err as Error).message}` });
      return;
    }
    const leafHex = leafHashOf(canonical).toString('hex');
    const existing = this.#byLeaf.get(leafHex);
    if (existing !== undefined) {
      const id = this.#entryId(existing);
      res.setHeader('location', `/api/v1/log/entries/${id}`);
      send(res, 409, {
        code: 409,
        message: `an equivalent entry already exists in the transparency log with UUID ${id}`,
      });
      return;
    }
    const index = this.state.entries.length;
    this.state.entries.push({
      body: canonical.toString('base64'),
      integratedTime: this.options.now?.() ?? Math.floor(Date.now() / 1000),
    });
    this.#index(canonical, index, hashHex);
    this.#persist();
    const id = this.#entryId(index);
    res.setHeader('location', `/api/v1/log/entries/${id}`);
    res.setHeader('etag', id);
    send(res, 201, this.#entryResponse(index));
  }

  #byIndex(param: string | null, res: ServerResponse): void {
    if (param === null || !/^[0-9]+$/.test(param)) {
      send(res, 400, { code: 400, message: 'logIndex must be a non-negative integer' });
      return;
    }
    const index = Number(param);
    if (index >= this.state.entries.length) {
      send(res, 404, { code: 404, message: '' });
      return;
    }
    send(res, 200, this.#entryResponse(index));
  }

  #byUuid(id: string, res: ServerResponse): void {
    const m = /^([0-9a-f]{16})?([0-9a-f]{64})$/.exec(id);
    if (!m) {
      send(res, 400, { code: 400, message: `incorrectly formatted uuid ${id.slice(0, 100)}` });
      return;
    }
    const index = this.#byLeaf.get(m[2]!);
    if (index === undefined || (m[1] !== undefined && m[1] !== this.#treeHex())) {
      send(res, 404, { code: 404, message: '' });
      return;
    }
    send(res, 200, this.#entryResponse(index));
  }

  #search(raw: Buffer, res: ServerResponse): void {
    let hash: unknown;
    try {
      hash = (JSON.parse(raw.toString('utf8')) as { hash?: unknown }).hash;
    } catch {
      hash = undefined;
    }
    const m = typeof hash === 'string' ? /^(?:sha256:)?([0-9a-f]{64})$/.exec(hash) : null;
    if (!m) {
      send(res, 400, { code: 400, message: 'hash must be sha256:<64 hex>' });
      return;
    }
    send(
      res,
      200,
      (this.#byHash.get(m[1]!) ?? []).map((i) => this.#entryId(i)),
    );
  }

  /** Rekor's searchLogQuery: at most 10 queries in all; unknown indexes and UUIDs are left out. */
  #retrieve(raw: Buffer, res: ServerResponse): void {
    let q: { logIndexes?: unknown; entryUUIDs?: unknown };
    try {
      q = JSON.parse(raw.toString('utf8')) as typeof q;
    } catch {
      send(res, 400, { code: 400, message: 'the request body is not JSON' });
      return;
    }
    const indexes = Array.isArray(q.logIndexes) ? q.logIndexes : [];
    const uuids = Array.isArray(q.entryUUIDs) ? q.entryUUIDs : [];
    if (indexes.length + uuids.length > 10) {
      send(res, 422, { code: 422, message: 'maximum number of search queries (10) exceeded' });
      return;
    }
    if (
      !indexes.every((i) => Number.isSafeInteger(i) && (i as number) >= 0) ||
      !uuids.every((u) => typeof u === 'string')
    ) {
      send(res, 400, { code: 400, message: 'logIndexes must be non-negative integers, entryUUIDs strings' });
      return;
    }
    const found = [
      ...(uuids as string[]).map((u) => this.#byLeaf.get(u.slice(-64))),
      ...(indexes as number[]).map((i) => (i < this.state.entries.length ? i : undefined)),
    ].filter((i): i is number => i !== undefined && !this.hidden.has(i));
    send(
      res,
      200,
      found.map((i) => this.#entryResponse(i)),
    );
  }

  /** Rekor's getLogProof: 400 for firstSize > lastSize or lastSize beyond the tree; rootHash is the current root. */
  #consistency(params: URLSearchParams, res: ServerResponse): void {
    const first = Number(params.get('firstSize') ?? '1');
    const last = Number(params.get('lastSize'));
    const size = this.state.entries.length;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 1 || last < 1) {
      send(res, 400, { code: 400, message: 'firstSize and lastSize must be integers >= 1' });
      return;
    }
    if (first > last || last > size) {
      send(res, 400, { code: 400, message: `firstSize(${first}) must be <= lastSize(${last}) <= tree size (${size})` });
      return;
    }
    send(res, 200, {
      rootHash: this.#tree.root().toString('hex'),
      hashes: this.#tree.consistencyProof(first, last).map((h) => h.toString('hex')),
    });
  }

  #logInfo(res: ServerResponse): void {
    const size = this.state.entries.length;
    const root = this.#tree.root();
    send(res, 200, {
      rootHash: root.toString('hex'),
      treeSize: size,
      signedTreeHead: this.#checkpoint(size, root),
      treeID: this.state.treeId,
      inactiveShards: [],
    });
  }

  #entryResponse(index: number): Record<string, unknown> {
    const e = this.state.entries[index]!;
    const anon = { body: e.body, integratedTime: e.integratedTime, logID: this.logId, logIndex: index };
    const set = sign('sha256', Buffer.from(canonicalJson(anon)), { key: this.key, dsaEncoding: 'der' });
    const size = this.state.entries.length;
    const root = this.#tree.root();
    return {
      [this.#entryId(index)]: {
        ...anon,
        verification: {
          inclusionProof: {
            checkpoint: this.#checkpoint(size, root),
            hashes: this.#tree.inclusionProof(index).map((h) => h.toString('hex')),
            logIndex: index,
            rootHash: root.toString('hex'),
            treeSize: size,
          },
          signedEntryTimestamp: set.toString('base64'),
        },
      },
    };
  }

  /** Rekor's signed note: origin "<hostname> - <treeID>", size, base64 root; signed by "<hostname>". */
  #checkpoint(size: number, root: Buffer): string {
    const seconds = this.options.now?.() ?? Math.floor(Date.now() / 1000);
    const stamp = this.options.checkpointTimestamp ? `Timestamp: ${BigInt(seconds) * 1_000_000_000n}\n` : '';
    const note = `${this.hostname} - ${this.state.treeId}\n${size}\n${root.toString('base64')}\n${stamp}`;
    const sig = sign('sha256', Buffer.from(note), { key: this.key, dsaEncoding: 'der' });
    return `${note}\n\u2014 ${this.hostname} ${Buffer.concat([this.keyHint, sig]).toString('base64')}\n`;
  }

  #index(canonical: Buffer, index: number, hashHex?: string): void {
    const leaf = leafHashOf(canonical);
    this.#tree.push(leaf);
    this.#byLeaf.set(leaf.toString('hex'), index);
    const hash =
      hashHex ??
      (JSON.parse(canonical.toString('utf8')) as { spec: { data: { hash: { value: string } } } }).spec.data.hash.value;
    this.#byHash.set(hash, [...(this.#byHash.get(hash) ?? []), index]);
  }

  #treeHex(): string {
    return BigInt(this.state.treeId).toString(16).padStart(16, '0');
  }

  #entryId(index: number): string {
    return this.#treeHex() + this.#tree.leaf(index).toString('hex');
  }

  #persist(): void {
    const file = this.options.stateFile;
    if (file === undefined) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state));
    renameSync(`${file}.tmp`, file);
  }
}

// ---------------------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
