/**
 * Where `simpleTrust` takes a log's key from: pinned PEMs, a pinned Sigstore trusted root,
 * Sigstore's public-good trusted root over TUF (embedded root, cached, offline from the cache),
 * the log itself only with explicit trust on first use (warned), and nowhere else.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleTrust, type SimpleTrustOptions } from '../../src/verify/index.js';
import { expectCode, loadRekorVectors } from '../helpers.js';
import { itWith } from '../requirements.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { startStaticServer } from '../fakes/static-server.js';
import { writeTufMirror } from '../fakes/tuf-mirror.js';

const PUBLIC_GOOD = 'https://rekor.sigstore.dev';
let base: string;
let log: RekorLog;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-logkeys-'));
  log = await startRekorLog();
});
afterAll(async () => {
  await log.close();
  await rm(base, { recursive: true, force: true });
});

function options(extra: Partial<SimpleTrustOptions>, warnings: string[] = []): SimpleTrustOptions {
  return {
    issuers: ['https://issuer.example'],
    commitmentClaim: 'aud',
    logKeyPems: [],
    transparencyLog: log.url,
    warn: (l) => warnings.push(l),
    ...extra,
  };
}

/** A trusted_root.json naming `url` with a P-256 key (DER SPKI). */
function trustedRoot(url: string, spkiDer: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: url,
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: spkiDer.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
        },
        // A log this verifier cannot check is skipped, not refused.
        {
          baseUrl: 'https://log2025-1.rekor.sigstore.dev',
          publicKey: {
            rawBytes: 'MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=',
            keyDetails: 'PKIX_ED25519',
          },
        },
      ],
    }),
  );
}

function otherKey(): Buffer {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
}

describe('simpleTrust', () => {
  describe('when no key is pinned for a log other than the public-good one', () => {
    it('throws VERIFY_TLOG_KEY_UNPINNED and never asks the log', async () => {
      const before = log.requests.length;
      await expectCode(() => simpleTrust(options({})), 'VERIFY_TLOG_KEY_UNPINNED');
      expect(log.requests.length).toBe(before);
    });
  });

  describe('with tofu', () => {
    it('uses the key the log serves and warns, naming the log ID', async () => {
      const warnings: string[] = [];
      const t = await simpleTrust(options({ tofu: true }, warnings));
      expect([...t.logs.keys()]).toEqual([log.logId]);
      expect(warnings).toEqual([expect.stringContaining(`trusting the key ${log.url} serves (log ID ${log.logId})`)]);
      expect(t.sources).toContainEqual({ input: 'log keys', source: expect.stringContaining('trust on first use') });
    });
  });

  describe('with a pinned trusted root', () => {
    it("uses the root's key for the log URL, whatever the log serves", async () => {
      const der = otherKey();
      const t = await simpleTrust(options({ trustedRoot: { bytes: trustedRoot(log.url, der), source: 'root.json' } }));
      expect(t.logs.size).toBe(1);
      expect(t.logs.has(log.logId)).toBe(false);
      expect(t.sources).toContainEqual({ input: 'log keys', source: expect.stringContaining('from root.json') });
    });

    it('throws VERIFY_TLOG_KEY_UNPINNED when the root does not name the log', async () => {
      const bytes = trustedRoot('https://other.example', otherKey());
      await expectCode(
        () => simpleTrust(options({ trustedRoot: { bytes, source: 'root.json' } })),
        'VERIFY_TLOG_KEY_UNPINNED',
      );
    });

    it('throws TLOG_KEY_INVALID when a logId is not its key', async () => {
      const doc = JSON.parse(trustedRoot(log.url, otherKey()).toString());
      doc.tlogs[0].logId = { keyId: Buffer.alloc(32).toString('base64') };
      await expectCode(
        () => simpleTrust(options({ trustedRoot: { bytes: Buffer.from(JSON.stringify(doc)), source: 'r' } })),
        'TLOG_KEY_INVALID',
      );
    });
  });

  describe('for the public-good log, offline with an empty cache', () => {
    it('takes the key from the Sigstore root embedded in @sigstore/tuf and warns that it is stale', async () => {
      const warnings: string[] = [];
      const cacheDir = path.join(base, 'sigstore-empty');
      const t = await simpleTrust(options({ transparencyLog: PUBLIC_GOOD, sigstore: { cacheDir } }, warnings));
      expect([...t.logs.keys()]).toEqual([loadRekorVectors().log_id_hex]);
      // This machine has no route to tuf-repo-cdn.sigstore.dev; should one exist, the refresh
      // succeeds instead and must say so.
      const online = warnings.length === 0;
      expect(warnings).toEqual(online ? [] : [expect.stringContaining("could not refresh Sigstore's trusted root")]);
      expect(t.sources).toContainEqual({
        input: 'log keys',
        source: expect.stringContaining(online ? 'verified' : 'cached copy'),
      });
    });
  });

  describe('from a Sigstore TUF mirror on loopback', () => {
    it('refreshes, caches, and reads the cache once the mirror is gone', async () => {
      const der = otherKey();
      const mirror = await writeTufMirror(path.join(base, 'mirror'), {
        'trusted_root.json': trustedRoot(log.url, der),
      });
      const server = await startStaticServer(mirror.dir);
      const sigstore = {
        cacheDir: path.join(base, 'sigstore-mirror'),
        mirrorUrl: server.url,
        rootPath: mirror.rootFile,
      };
      const warnings: string[] = [];
      let first;
      try {
        first = await simpleTrust(options({ sigstore }, warnings));
      } finally {
        await server.close();
      }
      expect(server.requests).toContain('/timestamp.json');
      expect(first.logs.size).toBe(1);
      expect(first.logs.has(log.logId)).toBe(false); // the root's key, not the log's
      expect(first.sources).toContainEqual({ input: 'log keys', source: expect.stringContaining('verified') });
      const again = await simpleTrust(options({ sigstore }, warnings));
      expect([...again.logs.keys()]).toEqual([...first.logs.keys()]);
      expect(warnings).toEqual([]);
    });
  });

  describe('bundled (dist/lib.js), where @sigstore/tuf is a chunk loaded on first use', () => {
    itWith(['dist'], 'loads it and refreshes from a Sigstore TUF mirror on loopback', async () => {
      const mirror = await writeTufMirror(path.join(base, 'mirror-bundled'), {
        'trusted_root.json': trustedRoot(log.url, otherKey()),
      });
      const server = await startStaticServer(mirror.dir);
      const sigstore = {
        cacheDir: path.join(base, 'sigstore-bundled'),
        mirrorUrl: server.url,
        rootPath: mirror.rootFile,
      };
      let out: { keys: number; sources: unknown[] };
      try {
        out = await inBundle({ ...options({ sigstore }), warn: undefined });
      } finally {
        await server.close();
      }
      expect(server.requests).toContain('/timestamp.json');
      expect(out.keys).toBe(1);
      expect(out.sources).toContainEqual({ input: 'log keys', source: expect.stringContaining('verified') });
    });
  });
});

/** Runs `simpleTrust(o)` from dist/lib.js in a fresh Node process (as a program importing the package would). */
function inBundle(o: SimpleTrustOptions): Promise<{ keys: number; sources: unknown[] }> {
  const script =
    `import { simpleTrust } from ${JSON.stringify(path.resolve('dist/lib.js'))};` +
    `const t = await simpleTrust(JSON.parse(process.env.OPTIONS));` +
    `process.stdout.write(JSON.stringify({ keys: t.logs.size, sources: t.sources }));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { env: { PATH: process.env.PATH, OPTIONS: JSON.stringify(o) } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    );
  });
}
