/** Fuzzing the attestation parsers: DSSE envelopes and in-toto statements. */
import { parseEnvelope } from '../../src/attest/dsse.js';
import { parseStatement } from '../../src/attest/intoto.js';
import { bytesFrom, fuzz, TARGET_TIMEOUT_MS } from './harness.js';
import { collectSeeds, type Seeds } from './seeds.js';

let seeds: Seeds;
beforeAll(async () => {
  seeds = await collectSeeds();
}, 120_000);

describe('parseEnvelope', () => {
  it(
    'returns an envelope or a coded error',
    () => fuzz('DSSE envelope', bytesFrom(seeds.envelopes), (b) => parseEnvelope(b)),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseStatement', () => {
  it(
    'returns a statement or a coded error',
    () => fuzz('in-toto statement', bytesFrom(seeds.statements), (b) => parseStatement(b)),
    TARGET_TIMEOUT_MS,
  );
});
