/**
 * Our Rekor client reading responses in the exact shape the public instance (rekor.sigstore.dev)
 * returns them, built from the real entries of fixtures/vectors/rekor.json and served over
 * loopback HTTP: `POST /api/v1/log/entries` (201, `Location`, `ETag`), `GET
 * /api/v1/log/entries/{uuid}`, `GET /api/v1/log/entries?logIndex=N` and `GET /api/v1/log` (with
 * `inactiveShards`). Go's encoder writes struct fields in declaration order and ends with a
 * newline; so do these bodies. What the client returns must then pass our SET and proof checks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { b64Decode } from '../../src/core/b64.js';
import { leafHash } from '../../src/core/merkle.js';
import type { HashedRekordProposal } from '../../src/tlog/hashedrekord.js';
import { verifyInclusionProof } from '../../src/tlog/inclusion.js';
import { LogPublicKey } from '../../src/tlog/keys.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import { verifySignedEntryTimestamp } from '../../src/tlog/set.js';
import { expectCode, loadRekorVectors } from '../helpers.js';

interface VectorEntry {
  name: string;
  kind: string;
  canonicalizedBody: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
  signedEntryTimestamp: string;
  leaf_hash_hex: string;
  checkpoint_origin: string;
  inclusionProof: { logIndex: number; rootHash: string; treeSize: number; hashes: string[]; checkpoint: string };
}

const vectors = loadRekorVectors() as { rekor_public_key_pem: string; entries: VectorEntry[] };
const key = LogPublicKey.fromPem(vectors.rekor_public_key_pem);

/** Rekor's entry ID: 16 hex digits of the shard's tree ID, then the leaf hash (rekor pkg/sharding). */
function entryUuid(v: VectorEntry): string {
  const treeId = BigInt(v.checkpoint_origin.split(' - ')[1]!);
  return treeId.toString(16).padStart(16, '0') + v.leaf_hash_hex;
}

/** One `LogEntry` as the public instance sends it: `{"<uuid>": LogEntryAnon}`, Go field order. */
function logEntryBody(v: VectorEntry): string {
  const p = v.inclusionProof;
  return `${JSON.stringify({
    [entryUuid(v)]: {
      body: v.canonicalizedBody,
      integratedTime: v.integratedTime,
      logID: v.logID,
      logIndex: v.logIndex,
      verification: {
        inclusionProof: {
          checkpoint: p.checkpoint,
          hashes: p.hashes,
          logIndex: p.logIndex,
          rootHash: p.rootHash,
          treeSize: p.treeSize,
        },
        signedEntryTimestamp: v.signedEntryTimestamp,
      },
    },
  })}\n`;
}

/** `GET /api/v1/log`: the active shard's head plus the inactive shards (rekor `models.LogInfo`). */
function logInfoBody(active: VectorEntry, inactive: VectorEntry): string {
  const head = (v: VectorEntry) => ({
    rootHash: v.inclusionProof.rootHash,
    signedTreeHead: v.inclusionProof.checkpoint,
    treeID: v.checkpoint_origin.split(' - ')[1]!,
    treeSize: v.inclusionProof.treeSize,
  });
  return `${JSON.stringify({ inactiveShards: [head(inactive)], ...head(active) })}\n`;
}

let server: Server;
let client: RekorClient;
const requests: string[] = [];

beforeAll(async () => {
  const byUuid = new Map(vectors.entries.map((v) => [entryUuid(v), v]));
  const byIndex = new Map(vectors.entries.map((v) => [v.logIndex, v]));
  const latest = vectors.entries.find((v) => v.name === 'hashedrekord-270584577')!;
  const older = vectors.entries.find((v) => v.name === 'hashedrekord-79605083')!;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/api/v1/log') return json(200, logInfoBody(latest, older));
      if (req.method === 'GET' && url.pathname === '/api/v1/log/entries' && url.searchParams.has('logIndex')) {
        const v = byIndex.get(Number(url.searchParams.get('logIndex')));
        return v ? json(200, logEntryBody(v)) : json(404, '{"code":404,"message":"not found"}\n');
      }
      if (req.method === 'GET' && url.pathname.startsWith('/api/v1/log/entries/')) {
        const v = byUuid.get(url.pathname.slice('/api/v1/log/entries/'.length));
        return v ? json(200, logEntryBody(v)) : json(404, '{"code":404,"message":"not found"}\n');
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/log/entries') {
        // The public instance answers a new hashedrekord with 201, the entry, its Location and ETag.
        const proposed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as HashedRekordProposal;
        const v = vectors.entries.find(
          (e) =>
            JSON.parse(b64Decode(e.canonicalizedBody).toString('utf8')).spec?.data?.hash?.value ===
            proposed.spec.data.hash.value,
        );
        if (!v) return json(400, '{"code":400,"message":"unknown entry in this test"}\n');
        const uuid = entryUuid(v);
        return json(201, logEntryBody(v), { location: `/api/v1/log/entries/${uuid}`, etag: uuid });
      }
      json(404, '{"code":404,"message":"path not found"}\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new RekorClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, backoffMs: 5 });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Our offline checks on what the client returned, with the production key. */
function checkWithProductionKey(entry: Awaited<ReturnType<RekorClient['getEntry']>>): void {
  verifySignedEntryTimestamp(entry, key);
  verifyInclusionProof(entry.verification.inclusionProof!, leafHash(b64Decode(entry.body)), key);
}

describe('RekorClient against responses shaped as rekor.sigstore.dev sends them', () => {
  describe('createEntry (POST /api/v1/log/entries)', () => {
    it('reads the 201 entry of a real hashedrekord, matches it to the proposal, and it verifies', async () => {
      const v = vectors.entries.find((e) => e.name === 'hashedrekord-270584577')!;
      const proposal = JSON.parse(b64Decode(v.canonicalizedBody).toString('utf8')) as HashedRekordProposal;
      const entry = await client.createEntry(proposal);
      expect(entry.uuid).toBe(entryUuid(v));
      expect(entry.logIndex).toBe(270584577);
      expect(entry.integratedTime).toBe(1752170767);
      expect(entry.body).toBe(v.canonicalizedBody);
      checkWithProductionKey(entry);
    });

    it('refuses a 201 entry that does not record the proposed signature', async () => {
      const v = vectors.entries.find((e) => e.name === 'hashedrekord-270584577')!;
      const proposal = JSON.parse(b64Decode(v.canonicalizedBody).toString('utf8')) as HashedRekordProposal;
      const other = vectors.entries.find((e) => e.name === 'hashedrekord-79605083')!;
      const otherSig = JSON.parse(b64Decode(other.canonicalizedBody).toString('utf8')) as HashedRekordProposal;
      proposal.spec.signature.content = otherSig.spec.signature.content;
      await expectCode(() => client.createEntry(proposal), 'TLOG_RESPONSE_INVALID');
    });
  });

  describe('getEntry (GET /api/v1/log/entries/{uuid})', () => {
    it.each(vectors.entries.map((v) => [v.name, v] as const))('reads real entry %s and it verifies', async (_n, v) => {
      const entry = await client.getEntry(entryUuid(v));
      expect(entry.uuid).toBe(entryUuid(v));
      expect(entry.verification.inclusionProof?.treeSize).toBe(v.inclusionProof.treeSize);
      checkWithProductionKey(entry);
    });
  });

  describe('getEntryByIndex (GET /api/v1/log/entries?logIndex=N)', () => {
    it('reads a real entry by its global index', async () => {
      const entry = await client.getEntryByIndex(83460520);
      expect(entry.uuid.slice(-64)).toBe(vectors.entries.find((v) => v.logIndex === 83460520)!.leaf_hash_hex);
      checkWithProductionKey(entry);
    });
  });

  describe('getLogInfo (GET /api/v1/log)', () => {
    it('reads the head (with inactiveShards present) and verifies its signed tree head with the production key', async () => {
      const info = await client.getLogInfo(key);
      expect(info).toEqual({
        rootHash: vectors.entries.find((v) => v.name === 'hashedrekord-270584577')!.inclusionProof.rootHash,
        treeSize: 151165654,
        signedTreeHead: expect.stringContaining('rekor.sigstore.dev - 1193050959916656506\n151165654\n'),
        treeID: '1193050959916656506',
        inactiveShards: [
          {
            rootHash: vectors.entries.find((v) => v.name === 'hashedrekord-79605083')!.inclusionProof.rootHash,
            treeSize: 75441653,
            signedTreeHead: expect.stringContaining('rekor.sigstore.dev - 2605736670972794746\n75441653\n'),
            treeID: '2605736670972794746',
          },
        ],
      });
    });
  });

  it('sent exactly the requests of the public API paths', () => {
    expect(requests).toContain('GET /api/v1/log');
    expect(requests).toContain('POST /api/v1/log/entries');
    expect(requests).toContain('GET /api/v1/log/entries?logIndex=83460520');
  });
});
