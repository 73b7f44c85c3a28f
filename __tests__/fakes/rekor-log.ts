/**
 * A Rekor-v1-API transparency log for tests and the local demo (no real Rekor can run here).
 * It speaks the wire API that `src/tlog/rekor.ts` talks to:
 *
 *   POST /api/v1/log/entries            hashedrekord v0.0.1 → 201 {entryID: entry}; duplicate → 409 + Location
 *   GET  /api/v1/log/entries/{uuid}     by 64-hex leaf hash or 80-hex entry ID (tree ID + leaf hash)
 *   GET  /api/v1/log/entries?logIndex=N
 *   POST /api/v1/index/retrieve         {hash: "sha256:<hex>"} → [entryID, …]
 *   GET  /api/v1/log                    {rootHash, treeSize, signedTreeHead, treeID}
 *   GET  /api/v1/log/publicKey          PEM
 *
 * Everything is computed here, independently of `src/`: the RFC 6962 tree (built level by level,
 * promoting a lone right node, which is equivalent to RFC 6962's split at the largest power of
 * two), inclusion proofs, canonical JSON, signed checkpoints (Rekor's signed-note layout) and
 * SETs with the log's own ECDSA P-256 key, and the check of the submitted signature (ECDSA
 * verification over the given digest in @noble/curves' point arithmetic, since Node only verifies
 * messages it hashes itself; a certificate seen again is not re-parsed and its point keeps a
 * precomputed table, because a signing run logs all its envelopes with one certificate). State (key, tree ID, entries) persists to a JSON file when asked.
 * Fault injection: `failNext(n, status)` answers the next n requests with an error status,
 * `dropNext(n)` destroys the connection of the next n requests.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { p256 } from '@noble/curves/nist.js';

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
  readonly #leaves: Buffer[] = [];
  readonly #byLeaf = new Map<string, number>();
  readonly #byHash = new Map<string, number[]>();
  #levels: Buffer[][] | undefined;

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

  #logInfo(res: ServerResponse): void {
    const size = this.state.entries.length;
    const root = this.#root();
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
    const root = this.#root();
    return {
      [this.#entryId(index)]: {
        ...anon,
        verification: {
          inclusionProof: {
            checkpoint: this.#checkpoint(size, root),
            hashes: this.#proof(index).map((h) => h.toString('hex')),
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

  // -- the tree ------------------------------------------------------------------------

  #index(canonical: Buffer, index: number, hashHex?: string): void {
    const leaf = leafHashOf(canonical);
    this.#leaves.push(leaf);
    this.#byLeaf.set(leaf.toString('hex'), index);
    const hash =
      hashHex ??
      (JSON.parse(canonical.toString('utf8')) as { spec: { data: { hash: { value: string } } } }).spec.data.hash.value;
    this.#byHash.set(hash, [...(this.#byHash.get(hash) ?? []), index]);
    this.#levels = undefined;
  }

  /** Level 0 = leaf hashes; each next level pairs neighbours and promotes a lone last node. */
  #tree(): Buffer[][] {
    if (this.#levels) return this.#levels;
    const levels: Buffer[][] = [[...this.#leaves]];
    while (levels[levels.length - 1]!.length > 1) {
      const below = levels[levels.length - 1]!;
      const up: Buffer[] = [];
      for (let i = 0; i < below.length; i += 2)
        up.push(i + 1 < below.length ? nodeHashOf(below[i]!, below[i + 1]!) : below[i]!);
      levels.push(up);
    }
    this.#levels = levels;
    return levels;
  }

  #root(): Buffer {
    if (this.#leaves.length === 0) return sha256(Buffer.alloc(0));
    const levels = this.#tree();
    return levels[levels.length - 1]![0]!;
  }

  #proof(index: number): Buffer[] {
    const proof: Buffer[] = [];
    let i = index;
    for (const level of this.#tree().slice(0, -1)) {
      const sibling = i ^ 1;
      if (sibling < level.length) proof.push(level[sibling]!);
      i >>= 1;
    }
    return proof;
  }

  #treeHex(): string {
    return BigInt(this.state.treeId).toString(16).padStart(16, '0');
  }

  #entryId(index: number): string {
    return this.#treeHex() + this.#leaves[index]!.toString('hex');
  }

  #persist(): void {
    const file = this.options.stateFile;
    if (file === undefined) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state));
    renameSync(`${file}.tmp`, file);
  }
}

// ---------------------------------------------------------------------------------------
// hashedrekord: validate, check the signature, canonicalise as Rekor does
// ---------------------------------------------------------------------------------------

function canonicalizeHashedRekord(e: unknown): { canonical: Buffer; hashHex: string } {
  const p = e as {
    apiVersion?: unknown;
    kind?: unknown;
    spec?: {
      data?: { hash?: { algorithm?: unknown; value?: unknown } };
      signature?: { content?: unknown; publicKey?: { content?: unknown } };
    };
  };
  if (p?.kind !== 'hashedrekord' || p.apiVersion !== '0.0.1') throw new Error('only hashedrekord 0.0.1 is supported');
  const hash = p.spec?.data?.hash;
  if (hash?.algorithm !== 'sha256' || typeof hash.value !== 'string' || !/^[0-9a-f]{64}$/.test(hash.value))
    throw new Error('spec.data.hash must be sha256 with 64 lowercase hex');
  const sigB64 = p.spec?.signature?.content;
  const keyB64 = p.spec?.signature?.publicKey?.content;
  if (typeof sigB64 !== 'string' || typeof keyB64 !== 'string')
    throw new Error('spec.signature.content and publicKey.content are required');
  const signature = Buffer.from(sigB64, 'base64');
  const pem = Buffer.from(keyB64, 'base64').toString('utf8');
  const key = submitterKey(pem);
  if (!verifyPrehashed(key.point, Buffer.from(hash.value, 'hex'), signature))
    throw new Error('verifying signature: invalid signature when validating ASN.1 encoded signature');
  const canonicalKeyPem = key.canonicalPem;
  const canonical = canonicalJson({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: hash.value } },
      signature: {
        content: signature.toString('base64'),
        publicKey: { content: Buffer.from(canonicalKeyPem).toString('base64') },
      },
    },
  });
  return { canonical: Buffer.from(canonical), hashHex: hash.value };
}

function goPem(der: Buffer, label: string): string {
  const b64 = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** RFC 8785 for the values this log handles (strings, safe integers, objects). */
function canonicalJson(v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function leafHashOf(data: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}

function nodeHashOf(l: Uint8Array, r: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(l)
    .update(r)
    .digest();
}

// ---------------------------------------------------------------------------------------
// ECDSA P-256 verification over a given digest (Rekor verifies hashedrekord signatures this way)
// ---------------------------------------------------------------------------------------

type CurvePoint = ReturnType<typeof p256.Point.fromBytes>;
interface SubmitterKey {
  point: CurvePoint;
  canonicalPem: string;
  uses: number;
}

/** Parsed submitter keys by their exact PEM text: a signing run logs all its envelopes with one
 *  certificate, so it is parsed once and its point gets a precomputed table from its second use. */
const submitterKeys = new Map<string, SubmitterKey>();
const MAX_CACHED_KEYS = 64;

function submitterKey(pem: string): SubmitterKey {
  let key = submitterKeys.get(pem);
  if (key === undefined) {
    let publicKey: KeyObject;
    let canonicalPem: string;
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      const cert = new X509Certificate(pem);
      publicKey = cert.publicKey;
      canonicalPem = goPem(cert.raw, 'CERTIFICATE');
    } else {
      publicKey = createPublicKey(pem);
      canonicalPem = goPem(publicKey.export({ format: 'der', type: 'spki' }), 'PUBLIC KEY');
    }
    const jwk = publicKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('only ECDSA P-256 keys are supported');
    const point = p256.Point.fromBytes(
      Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
    );
    key = { point, canonicalPem, uses: 0 };
    if (submitterKeys.size >= MAX_CACHED_KEYS) submitterKeys.delete(submitterKeys.keys().next().value!);
    submitterKeys.set(pem, key);
  }
  if (++key.uses === 2) key.point.precompute(4, false);
  return key;
}

/**
 * ECDSA verification of a DER signature over `digest` itself (not hashed again): u1·G + u2·Q has
 * x ≡ r (mod n), in @noble/curves' field and point arithmetic. Any s is accepted, as Go's
 * ecdsa.Verify does. (`p256.verify` would re-parse the key and skip its precomputed table.)
 */
function verifyPrehashed(q: CurvePoint, digest: Buffer, der: Buffer): boolean {
  if (digest.length !== 32) return false;
  try {
    const { r, s } = p256.Signature.fromBytes(der, 'der');
    const n = p256.Point.Fn;
    const w = n.inv(s);
    const e = n.create(BigInt(`0x${digest.toString('hex')}`));
    const sum = p256.Point.BASE.multiplyUnsafe(n.mul(e, w)).add(q.multiplyUnsafe(n.mul(r, w)));
    return !sum.is0() && n.create(sum.toAffine().x) === r;
  } catch {
    // A malformed signature (bad DER, r or s out of range) is an invalid signature, as Rekor reports it.
    return false;
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
