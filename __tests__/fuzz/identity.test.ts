/** Fuzzing the identity parsers: PK tokens (JSON and compact), JWKS, OIDC ID tokens, CIC headers. */
import { decodeIdToken } from '../../src/identity/oidc/id-token.js';
import { parseJwks } from '../../src/identity/jwks.js';
import { parsePkToken } from '../../src/identity/pk-token.js';
import { bytesFrom, fuzz, TARGET_TIMEOUT_MS, textFrom } from './harness.js';
import { collectSeeds, type Seeds } from './seeds.js';
import { loadVectors } from '../helpers.js';

let seeds: Seeds;
beforeAll(async () => {
  seeds = await collectSeeds();
}, 120_000);

/** A JWKS as OPs serve it: Google's RS256 key of the openpubkey vectors plus an EC key. */
const jwks = (): Buffer =>
  Buffer.from(
    JSON.stringify({
      keys: [
        loadVectors().google_gq_legacy.jwk,
        {
          kty: 'EC',
          crv: 'P-256',
          kid: 'k2',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        },
      ],
    }),
  );

describe('parsePkToken', () => {
  it(
    'returns a token or a coded error for any JSON-form input',
    () => fuzz('PK token (JSON)', bytesFrom(seeds.pkTokenJson), (b) => parsePkToken(b)),
    TARGET_TIMEOUT_MS,
  );
  it(
    'returns a token or a coded error for any compact-form input',
    () => fuzz('PK token (compact)', textFrom(seeds.pkTokenCompact), (s) => parsePkToken(s)),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseJwks', () => {
  it(
    'returns a key set or a coded error',
    () => fuzz('JWKS', bytesFrom([jwks()]), (b) => parseJwks(b)),
    TARGET_TIMEOUT_MS,
  );
});

describe('decodeIdToken', () => {
  it(
    'returns the parts or a coded error',
    () =>
      fuzz('OIDC ID token', textFrom(seeds.pkTokenCompact.map((c) => c.split(':').slice(0, 3).join('.'))), (s) =>
        decodeIdToken(s, 'ID token'),
      ),
    TARGET_TIMEOUT_MS,
  );
});
