/**
 * Fuzzing the transparency-log parsers: Rekor API responses (through `RekorClient` over HTTP),
 * `ext.tl` entries (shape and full offline verification), hashedrekord bodies, certificates,
 * signed checkpoints, the DER reader and log public keys.
 */
import fc from 'fast-check';
import { parseCheckpoint } from '../../src/tlog/checkpoint.js';
import { parseDer } from '../../src/tlog/der.js';
import { parseTlogEntry, tlogEntryFromRekor } from '../../src/tlog/entry.js';
import { parseHashedRekordBody } from '../../src/tlog/hashedrekord.js';
import { LogPublicKey } from '../../src/tlog/keys.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import { verifyTlogEntry } from '../../src/tlog/verify-entry.js';
import { parsePkTokenCertificate } from '../../src/tlog/x509.js';
import { buildHashedRekord } from '../../src/tlog/hashedrekord.js';
import { bytesFrom, fuzz, jsonValuesFrom, TARGET_TIMEOUT_MS, textFrom } from './harness.js';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import { collectSeeds, type Seeds } from './seeds.js';

let seeds: Seeds;
let server: HostileServer;
let rekor: RekorClient;
beforeAll(async () => {
  seeds = await collectSeeds();
  server = await startHostileServer();
  rekor = new RekorClient({ url: server.url, attempts: 1 });
}, 120_000);
afterAll(() => server?.close());

const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

describe('RekorClient', () => {
  it(
    'turns any answer to an entry request into an entry or a coded error',
    () =>
      fuzz(
        'Rekor entry responses',
        fc.tuple(bytesFrom(seeds.rekorEntryResponses), fc.constantFrom('byIndex', 'byUuid', 'create')),
        async ([body, call]) => {
          server.answer({
            status: call === 'create' ? 201 : 200,
            headers: { 'content-type': 'application/json' },
            body,
          });
          const seed = Object.entries(json(seeds.rekorEntryResponses[0]!) as Record<string, { logIndex: number }>)[0]!;
          if (call === 'byIndex') await rekor.getEntryByIndex(seed[1].logIndex);
          else if (call === 'byUuid') await rekor.getEntry(seed[0]);
          else await rekor.createEntry(proposalOf(seeds.hashedRekordBodies[0]!));
        },
      ),
    TARGET_TIMEOUT_MS,
  );
  it(
    'turns any answer to a log-info or search request into a value or a coded error',
    () =>
      fuzz(
        'Rekor log info and search responses',
        fc.tuple(
          bytesFrom([
            ...seeds.rekorLogInfo,
            Buffer.from(JSON.stringify(Object.keys(json(seeds.rekorEntryResponses[0]!) as object))),
          ]),
          fc.constantFrom('info', 'infoWithKey', 'search', 'publicKey'),
        ),
        async ([body, call]) => {
          server.answer({ status: 200, headers: { 'content-type': 'application/json' }, body });
          if (call === 'info') await rekor.getLogInfo();
          else if (call === 'infoWithKey') await rekor.getLogInfo(LogPublicKey.fromPem(seeds.logKeyPem[0]!));
          else if (call === 'search') await rekor.searchByHash(Buffer.alloc(32, 7));
          else await rekor.getPublicKey();
        },
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('tlogEntryFromRekor', () => {
  it(
    'returns an entry or a coded error for any parsed response',
    () =>
      fuzz('Rekor entry (parsed JSON)', jsonValuesFrom(seeds.rekorEntryResponses.map(json)), (v) =>
        tlogEntryFromRekor(v, 'fuzz'),
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('verifyTlogEntry', () => {
  it(
    'verifies or refuses with a coded error any ext.tl entry',
    () =>
      fuzz('ext.tl entry (verified offline)', jsonValuesFrom(seeds.tlEntries.map(json)), (v) => {
        parseTlogEntry(v);
        return verifyTlogEntry(v, seeds.expected, seeds.logKeyring, { requireInclusionProof: true });
      }),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseHashedRekordBody', () => {
  it(
    'returns a body or a coded error',
    () => fuzz('hashedrekord body', bytesFrom(seeds.hashedRekordBodies), (b) => parseHashedRekordBody(b)),
    TARGET_TIMEOUT_MS,
  );
});

describe('parsePkTokenCertificate', () => {
  it(
    'returns a certificate or a coded error (DER and PEM)',
    () =>
      fuzz('PK token certificate', fc.tuple(bytesFrom(seeds.certificatesDer), fc.boolean()), ([der, asPem]) =>
        parsePkTokenCertificate(asPem ? pem(der) : der),
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseDer', () => {
  it(
    'returns a node tree or a coded error',
    () => fuzz('DER reader', bytesFrom(seeds.certificatesDer, 1024), (b) => parseDer(b, 'fuzz')),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseCheckpoint', () => {
  it(
    'returns a checkpoint or a coded error',
    () => fuzz('signed checkpoint', textFrom(seeds.checkpoints), (s) => parseCheckpoint(s)),
    TARGET_TIMEOUT_MS,
  );
});

describe('LogPublicKey.fromPem', () => {
  it(
    'returns a key or a coded error',
    () => fuzz('log public key PEM', textFrom(seeds.logKeyPem), (s) => LogPublicKey.fromPem(s)),
    TARGET_TIMEOUT_MS,
  );
});

function proposalOf(body: Buffer) {
  const b = json(body) as {
    spec: { data: { hash: { value: string } }; signature: { content: string; publicKey: { content: string } } };
  };
  return buildHashedRekord({
    paeSha256: Buffer.from(b.spec.data.hash.value, 'hex'),
    signatureDer: Buffer.from(b.spec.signature.content, 'base64'),
    certificatePem: Buffer.from(b.spec.signature.publicKey.content, 'base64').toString('utf8'),
  });
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
