import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogPublicKey, createLogKeyring } from '../../src/tlog/keys.js';
import type { HashedRekordProposal } from '../../src/tlog/hashedrekord.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import { verifyTlogEntry } from '../../src/tlog/verify-entry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { expectCode } from '../helpers.js';
import { makeSignature } from './signing.js';

let log: RekorLog;
let client: RekorClient;

beforeAll(async () => {
  log = await startRekorLog();
  client = new RekorClient({ url: log.url, backoffMs: 5, timeoutMs: 2000 });
});
afterAll(() => log.close());

describe('RekorClient', () => {
  describe('createEntry', () => {
    describe('when the log accepts the entry', () => {
      it('returns the ext.tl entry, which verifies offline with the log key', async () => {
        const s = makeSignature('create');
        const entry = await client.createEntry(s.proposal);
        expect(Object.keys(entry).sort()).toEqual([
          'body',
          'integratedTime',
          'logID',
          'logIndex',
          'uuid',
          'verification',
        ]);
        expect(entry.uuid).toMatch(/^[0-9a-f]{80}$/);
        expect(entry.logID).toBe(log.logId);
        const logs = createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]);
        expect(verifyTlogEntry(entry, s.expected, logs)).toMatchObject({
          logIndex: entry.logIndex,
          inclusionVerified: true,
          integratedTimeVerified: true,
        });
      });
    });

    describe('when the entry is already logged (409)', () => {
      it('fetches the existing entry through the Location header', async () => {
        const s = makeSignature('dup');
        const first = await client.createEntry(s.proposal);
        log.requests.length = 0;
        const again = await client.createEntry(s.proposal);
        expect(again.uuid).toBe(first.uuid);
        expect(again.logIndex).toBe(first.logIndex);
        expect(log.requests).toEqual(['POST /api/v1/log/entries', `GET /api/v1/log/entries/${first.uuid}`]);
      });
    });

    describe('when the log answers 503 three times', () => {
      it('retries and succeeds', async () => {
        log.failNext(3, 503);
        log.requests.length = 0;
        const entry = await client.createEntry(makeSignature('retry').proposal);
        expect(entry.logIndex).toBeGreaterThanOrEqual(0);
        expect(log.requests.filter((r) => r === 'POST /api/v1/log/entries')).toHaveLength(4);
      });
    });

    describe('when the log drops the connection once', () => {
      it('retries and succeeds', async () => {
        log.dropNext(1);
        await expect(client.createEntry(makeSignature('drop').proposal)).resolves.toHaveProperty('uuid');
      });
    });

    describe('when the log keeps failing', () => {
      it('throws TLOG_REQUEST_FAILED', async () => {
        log.failNext(2, 503);
        const impatient = new RekorClient({ url: log.url, attempts: 2, backoffMs: 1 });
        await expectCode(() => impatient.createEntry(makeSignature('fail').proposal), 'TLOG_REQUEST_FAILED');
      });
    });

    describe('when the log refuses the entry (bad signature)', () => {
      it('throws TLOG_REJECTED', () => {
        const s = makeSignature('bad');
        const other = makeSignature('other');
        const proposal = structuredClone(s.proposal);
        proposal.spec.signature.content = other.proposal.spec.signature.content;
        return expectCode(() => client.createEntry(proposal), 'TLOG_REJECTED');
      });
    });

    describe('when nothing listens at the URL', () => {
      it('throws TLOG_REQUEST_FAILED', () => {
        const dead = new RekorClient({ url: 'http://127.0.0.1:1', attempts: 1 });
        return expectCode(() => dead.createEntry(makeSignature('dead').proposal), 'TLOG_REQUEST_FAILED');
      });
    });
  });

  describe('getEntry / getEntryByIndex', () => {
    describe('when the entry exists', () => {
      it('returns the same entry by 80-hex ID, by 64-hex UUID and by index', async () => {
        const created = await client.createEntry(makeSignature('get').proposal);
        const byId = await client.getEntry(created.uuid);
        const byLeaf = await client.getEntry(created.uuid.slice(16));
        const byIndex = await client.getEntryByIndex(created.logIndex);
        expect(byId.body).toBe(created.body);
        expect(byLeaf.uuid).toBe(created.uuid);
        expect(byIndex.uuid).toBe(created.uuid);
      });
    });

    describe('when the entry does not exist', () => {
      it('throws TLOG_NOT_FOUND', () => expectCode(() => client.getEntry('ab'.repeat(32)), 'TLOG_NOT_FOUND'));
      it('throws TLOG_NOT_FOUND for an index past the end', () =>
        expectCode(() => client.getEntryByIndex(1_000_000), 'TLOG_NOT_FOUND'));
      it('throws TLOG_NOT_FOUND for a malformed UUID without asking the log', () =>
        expectCode(() => client.getEntry('../../etc'), 'TLOG_NOT_FOUND'));
    });
  });

  describe('searchByHash', () => {
    it('finds the entry for a hash', async () => {
      const s = makeSignature('search');
      const entry = await client.createEntry(s.proposal);
      await expect(client.searchByHash(s.expected.paeSha256)).resolves.toEqual([entry.uuid]);
    });
  });

  describe('getLogInfo', () => {
    it('returns the tree head, whose checkpoint verifies with the log key', async () => {
      const info = await client.getLogInfo(LogPublicKey.fromPem(log.publicKeyPem));
      expect(info.treeSize).toBe(log.size());
      expect(info.treeID).toBe(log.treeId);
    });
  });

  describe('getPublicKey', () => {
    it('returns the log key, whose ID is the logID of entries', async () => {
      expect((await client.getPublicKey()).logId).toBe(log.logId);
    });
  });

  describe('constructor', () => {
    it('throws TLOG_REQUEST_FAILED for a non-http URL', () =>
      expectCode(() => new RekorClient({ url: 'file:///etc/passwd' }), 'TLOG_REQUEST_FAILED'));
    it('throws TLOG_REQUEST_FAILED for a URL with credentials', () =>
      expectCode(() => new RekorClient({ url: 'https://u:p@rekor.example' }), 'TLOG_REQUEST_FAILED'));
  });
});

describe('RekorClient against a hostile log', () => {
  let server: Server;
  let url: string;
  let handler: (path: string, body: string) => { status: number; body: unknown; headers?: Record<string, string> };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const r = handler(req.url ?? '', body);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  describe('when a 201 carries an entry for another signature', () => {
    it('throws TLOG_RESPONSE_INVALID', async () => {
      const other = await client.createEntry(makeSignature('someone-else').proposal);
      const otherResponse = { [other.uuid]: { ...other, uuid: undefined } };
      handler = () => ({ status: 201, body: otherResponse });
      await expectCode(
        () => new RekorClient({ url }).createEntry(makeSignature('mine').proposal),
        'TLOG_RESPONSE_INVALID',
      );
    });
  });

  describe('when a 201 entry records our proposal but for one field', () => {
    // The log's body is the proposal with one field swapped for another signing's (same shape, valid values).
    const swap =
      (field: 'hash' | 'signature' | 'certificate' | 'kind') =>
      (mine: HashedRekordProposal, theirs: HashedRekordProposal): unknown => {
        const body: Omit<HashedRekordProposal, 'kind'> & { kind: string } = structuredClone(mine);
        if (field === 'hash') body.spec.data.hash.value = theirs.spec.data.hash.value;
        if (field === 'signature') body.spec.signature.content = theirs.spec.signature.content;
        if (field === 'certificate') body.spec.signature.publicKey.content = theirs.spec.signature.publicKey.content;
        if (field === 'kind') body.kind = 'rekord';
        return body;
      };
    it.each(['hash', 'signature', 'certificate', 'kind'] as const)(
      'throws TLOG_RESPONSE_INVALID when the %s differs',
      async (field) => {
        const mine = makeSignature('mine');
        const theirs = makeSignature('theirs');
        const logged = await client.createEntry(mine.proposal);
        const body = Buffer.from(JSON.stringify(swap(field)(mine.proposal, theirs.proposal))).toString('base64');
        handler = () => ({ status: 201, body: { [logged.uuid]: { ...logged, uuid: undefined, body } } });
        await expectCode(() => new RekorClient({ url }).createEntry(mine.proposal), 'TLOG_RESPONSE_INVALID');
      },
    );

    it('accepts the entry when the log re-encodes our certificate PEM (Rekor canonicalises it)', async () => {
      const mine = makeSignature('reencoded');
      const logged = await client.createEntry(mine.proposal);
      const pem = Buffer.from(mine.proposal.spec.signature.publicKey.content, 'base64').toString('utf8');
      const b64 = pem
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('-----'))
        .join('');
      const rewrapped = `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,76}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
      expect(rewrapped).not.toBe(pem);
      const body = structuredClone(mine.proposal);
      body.spec.signature.publicKey.content = Buffer.from(rewrapped).toString('base64');
      handler = () => ({
        status: 201,
        body: {
          [logged.uuid]: { ...logged, uuid: undefined, body: Buffer.from(JSON.stringify(body)).toString('base64') },
        },
      });
      await expect(new RekorClient({ url }).createEntry(mine.proposal)).resolves.toMatchObject({ uuid: logged.uuid });
    });
  });

  describe('when a 409 points its Location at another host', () => {
    it('ignores it, searches the index, and fails with TLOG_NOT_FOUND when nothing matches', async () => {
      const seen: string[] = [];
      handler = (p) => {
        seen.push(p);
        if (p === '/api/v1/log/entries')
          return {
            status: 409,
            body: { code: 409, message: 'exists' },
            headers: { location: `http://169.254.169.254/api/v1/log/entries/${'ab'.repeat(32)}` },
          };
        if (p === '/api/v1/index/retrieve') return { status: 200, body: [] };
        return { status: 404, body: {} };
      };
      await expectCode(() => new RekorClient({ url }).createEntry(makeSignature('ssrf').proposal), 'TLOG_NOT_FOUND');
      expect(seen).toEqual(['/api/v1/log/entries', '/api/v1/index/retrieve']);
    });
  });

  describe('when a 409 has no Location header', () => {
    it('finds the existing entry by searching the index for the hash', async () => {
      const s = makeSignature('no-location');
      const existing = await client.createEntry(s.proposal);
      const decoy = await client.createEntry(makeSignature('decoy').proposal);
      const asRekor = (e: typeof existing): unknown => ({ [e.uuid]: { ...e, uuid: undefined } });
      handler = (p) => {
        if (p === '/api/v1/log/entries') return { status: 409, body: { code: 409, message: 'exists' } };
        if (p === '/api/v1/index/retrieve') return { status: 200, body: [decoy.uuid, existing.uuid] };
        if (p === `/api/v1/log/entries/${decoy.uuid}`) return { status: 200, body: asRekor(decoy) };
        if (p === `/api/v1/log/entries/${existing.uuid}`) return { status: 200, body: asRekor(existing) };
        return { status: 404, body: {} };
      };
      await expect(new RekorClient({ url }).createEntry(s.proposal)).resolves.toEqual(existing);
    });
  });

  describe('when a response is not a Rekor entry', () => {
    it('throws TLOG_RESPONSE_INVALID', async () => {
      handler = () => ({ status: 200, body: { a: 1, b: 2 } });
      await expectCode(() => new RekorClient({ url }).getEntry('ab'.repeat(32)), 'TLOG_RESPONSE_INVALID');
    });
  });

  describe('when a response entry has a float log index', () => {
    it('throws TLOG_RESPONSE_INVALID', async () => {
      const e = await client.createEntry(makeSignature('float').proposal);
      handler = () => ({ status: 200, body: { [e.uuid]: { ...e, uuid: undefined, logIndex: 1.5 } } });
      await expectCode(() => new RekorClient({ url }).getEntry(e.uuid), 'TLOG_RESPONSE_INVALID');
    });
  });

  describe('when the log answers with another entry than asked for', () => {
    it('throws TLOG_RESPONSE_INVALID', async () => {
      const e = await client.createEntry(makeSignature('swap').proposal);
      handler = () => ({ status: 200, body: { [e.uuid]: { ...e, uuid: undefined } } });
      await expectCode(() => new RekorClient({ url }).getEntry('cd'.repeat(32)), 'TLOG_RESPONSE_INVALID');
    });
  });

  describe('when the search returns too many UUIDs', () => {
    it('throws TLOG_RESPONSE_INVALID', async () => {
      handler = () => ({ status: 200, body: Array<string>(257).fill('ab'.repeat(32)) });
      await expectCode(() => new RekorClient({ url }).searchByHash(Buffer.alloc(32)), 'TLOG_RESPONSE_INVALID');
    });
  });
});

describe('rekor-log fake', () => {
  describe('when restarted from its state file', () => {
    it('keeps its key, tree and entries (same root, entries still verify)', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'opk-rekor-'));
      const stateFile = path.join(dir, 'state.json');
      try {
        const first = await startRekorLog({ stateFile });
        const c1 = new RekorClient({ url: first.url });
        const s = makeSignature('persist');
        await c1.createEntry(makeSignature('p0').proposal);
        const entry = await c1.createEntry(s.proposal);
        const before = await c1.getLogInfo();
        await first.close();

        const second = await startRekorLog({ stateFile });
        try {
          const c2 = new RekorClient({ url: second.url });
          const after = await c2.getLogInfo(LogPublicKey.fromPem(second.publicKeyPem));
          expect(second.logId).toBe(first.logId);
          expect(after.rootHash).toBe(before.rootHash);
          expect(after.treeSize).toBe(2);
          const again = await c2.getEntry(entry.uuid);
          const logs = createLogKeyring([LogPublicKey.fromPem(second.publicKeyPem)]);
          expect(verifyTlogEntry(again, s.expected, logs).logIndex).toBe(1);
          // The old entry (proof against the same tree) still verifies too.
          expect(verifyTlogEntry(entry, s.expected, logs).logIndex).toBe(1);
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when a submitted signature is checked', () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    /** The same ECDSA signature with s replaced by n - s (valid too; Go's ecdsa.Verify accepts it). */
    function highS(der: Buffer): Buffer {
      const rLen = der[3]!;
      const r = der.subarray(4, 4 + rLen);
      const s = BigInt(`0x${der.subarray(6 + rLen).toString('hex')}`);
      let hex = (N - s).toString(16);
      if (hex.length % 2) hex = `0${hex}`;
      if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
      const sBytes = Buffer.from(hex, 'hex');
      const body = Buffer.concat([Buffer.from([2, r.length]), r, Buffer.from([2, sBytes.length]), sBytes]);
      return Buffer.concat([Buffer.from([0x30, body.length]), body]);
    }

    it('refuses a signature over another digest (400, TLOG_REJECTED)', () => {
      const s = makeSignature('other-digest');
      const proposal = structuredClone(s.proposal);
      proposal.spec.data.hash.value = createHash('sha256').update('something else').digest('hex');
      return expectCode(() => client.createEntry(proposal), 'TLOG_REJECTED');
    });

    it('refuses a signature that is not DER', () => {
      const s = makeSignature('not-der');
      const proposal = structuredClone(s.proposal);
      const der = Buffer.from(proposal.spec.signature.content, 'base64');
      proposal.spec.signature.content = Buffer.concat([der, Buffer.from([0])]).toString('base64');
      return expectCode(() => client.createEntry(proposal), 'TLOG_REJECTED');
    });

    it('accepts the high-s form of a valid signature, as Rekor does', async () => {
      const s = makeSignature('high-s');
      const proposal = structuredClone(s.proposal);
      const flipped = highS(Buffer.from(proposal.spec.signature.content, 'base64'));
      expect(
        nodeVerify(
          'sha256',
          s.pae,
          { key: createPublicKey({ key: s.key.spkiDer, format: 'der', type: 'spki' }), dsaEncoding: 'der' },
          flipped,
        ),
      ).toBe(true);
      proposal.spec.signature.content = flipped.toString('base64');
      await expect(client.createEntry(proposal)).resolves.toMatchObject({ logIndex: expect.any(Number) });
    });
  });

  describe('when many entries are logged', () => {
    it('gives every entry a proof that verifies against the latest checkpoint', async () => {
      const big = await startRekorLog();
      try {
        const c = new RekorClient({ url: big.url });
        const logs = createLogKeyring([LogPublicKey.fromPem(big.publicKeyPem)]);
        const sigs = Array.from({ length: 13 }, (_, i) => makeSignature(`many-${i}`));
        for (const s of sigs) await c.createEntry(s.proposal);
        for (const [i, s] of sigs.entries()) {
          const e = await c.getEntryByIndex(i);
          expect(verifyTlogEntry(e, s.expected, logs)).toMatchObject({ logIndex: i, treeSize: 13 });
        }
      } finally {
        await big.close();
      }
    });
  });
});
