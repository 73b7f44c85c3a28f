/**
 * Fuzzing the trust-policy parsers: policy.json, JWKS archives, TUF public-key files, and TUF
 * metadata as our client reads it (the trusted root file, and each metadata file a repository
 * serves over HTTP, through tuf-js and our error mapping).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parsePolicy } from '../../src/policy/model.js';
import {
  emptyJwksArchive,
  mergeJwksArchive,
  parseJwksArchive,
  serializeJwksArchive,
} from '../../src/policy/jwks-archive.js';
import { serializePolicy } from '../../src/policy/tuf/staged.js';
import { openTufRepository } from '../../src/policy/tuf/client.js';
import { parsePublicKeyFile, publicKeyFile, tufPublicKey } from '../../src/policy/tuf/keys.js';
import { githubPolicy, makeRepo, providerJwk, stageTypical, type Fixture } from '../policy/tuf/repo-fixture.js';
import { bytesFrom, fuzz, TARGET_TIMEOUT_MS } from './harness.js';

let repo: Fixture;
let files: Map<string, Buffer>;
let server: Server;
let url: string;
/** The file the current case replaces, and its bytes. */
let fuzzed: { name: string; bytes: Buffer } | undefined;

beforeAll(async () => {
  repo = await makeRepo();
  await stageTypical(repo.dir);
  await repo.publish();
  files = new Map(
    readdirSync(repo.repository, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        return [path.relative(repo.repository, file).split(path.sep).join('/'), readFileSync(file)] as const;
      }),
  );
  server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const body = fuzzed?.name === name ? fuzzed.bytes : files.get(name);
    if (body === undefined) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await repo?.cleanup();
});

const metadataFiles = () => [...files.keys()].filter((f) => f.endsWith('.json') && !f.startsWith('targets/'));

describe('parsePolicy', () => {
  const seeds = [
    Buffer.from(serializePolicy(githubPolicy())),
    Buffer.from(
      serializePolicy({
        ...githubPolicy('ghcr.io/acme/**', 'acme/app'),
        revoked: { digests: [`sha256:${'cd'.repeat(32)}`], signers: ['old'] },
      }),
    ),
  ];
  it(
    'returns a policy or a coded error',
    () => fuzz('policy.json', bytesFrom(seeds), (b) => parsePolicy(b)),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseJwksArchive', () => {
  it(
    'returns an archive or a coded error',
    () => {
      const issuer = 'https://token.actions.githubusercontent.com';
      const archive = mergeJwksArchive(emptyJwksArchive(issuer), { keys: [providerJwk('k1')] }, new Date()).archive;
      return fuzz('JWKS archive', bytesFrom([Buffer.from(serializeJwksArchive(archive))]), (b) => parseJwksArchive(b));
    },
    TARGET_TIMEOUT_MS,
  );
});

describe('parsePublicKeyFile', () => {
  it(
    'returns a key or a coded error',
    () => {
      const seeds = ['root', 'targets'].map((role, i) =>
        Buffer.from(JSON.stringify(publicKeyFile(role, tufPublicKey(String(i + 1).repeat(64))))),
      );
      return fuzz('TUF public key file', bytesFrom(seeds), (b) => parsePublicKeyFile(b, 'key file'));
    },
    TARGET_TIMEOUT_MS,
  );
});

describe('openTufRepository', () => {
  it(
    'refreshes or fails with a coded error whatever one metadata file holds',
    () =>
      fuzz(
        'TUF metadata (served)',
        fc.integer({ min: 0, max: 1000 }).chain((i) => {
          const names = metadataFiles();
          const name = names[i % names.length]!;
          return bytesFrom([files.get(name)!]).map((bytes) => ({ name, bytes }));
        }),
        async (c) => {
          fuzzed = c;
          const cacheDir = await mkdtemp(path.join(tmpdir(), 'opk-fuzz-tuf-'));
          try {
            const t = await openTufRepository({ repository: url, trustedRoot: repo.rootFile, cacheDir, retries: 0 });
            await t.get('policy.json', 1 << 20);
          } finally {
            fuzzed = undefined;
            await rm(cacheDir, { recursive: true, force: true });
          }
        },
      ),
    TARGET_TIMEOUT_MS,
  );
  it(
    'accepts a trusted root or fails with a coded error',
    () =>
      fuzz('TUF trusted root file', bytesFrom([readFileSync(repo.rootFile)]), async (bytes) => {
        const dir = await mkdtemp(path.join(tmpdir(), 'opk-fuzz-root-'));
        try {
          const rootFile = path.join(dir, 'root.json');
          await writeFile(rootFile, bytes);
          await openTufRepository({
            repository: url,
            trustedRoot: rootFile,
            cacheDir: path.join(dir, 'cache'),
            retries: 0,
          });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    TARGET_TIMEOUT_MS,
  );
});
