/**
 * Real entries of the production Rekor v1 log (fixtures/vectors/rekor.json): every entry must pass
 * our SET, checkpoint and inclusion-proof checks with the production log key, and every mutation
 * listed there must fail exactly the checks it names, with our code, while the others still pass.
 */
import { b64Decode, hexDecode } from '../../src/core/b64.js';
import { leafHash, verifyInclusion } from '../../src/core/merkle.js';
import { parseCheckpoint, verifyCheckpointSignature } from '../../src/tlog/checkpoint.js';
import { parseTlogEntry, type TlogEntry } from '../../src/tlog/entry.js';
import { verifyInclusionProof } from '../../src/tlog/inclusion.js';
import { LogPublicKey } from '../../src/tlog/keys.js';
import { verifySignedEntryTimestamp } from '../../src/tlog/set.js';
import { expectCode, loadRekorVectors } from '../helpers.js';

interface VectorEntry {
  name: string;
  uuid: string | null;
  canonicalizedBody: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
  signedEntryTimestamp: string;
  leaf_hash_hex: string;
  inclusionProof: { logIndex: number; rootHash: string; treeSize: number; hashes: string[]; checkpoint: string };
  checks_passed: Record<string, boolean>;
}
interface Mutation {
  id: string;
  entry: string;
  field: string;
  new_value: unknown;
  must_fail: string[];
  still_passes: string[];
}

const vectors = loadRekorVectors() as {
  rekor_public_key_pem: string;
  log_id_hex: string;
  entries: VectorEntry[];
  negative: Mutation[];
};
const key = LogPublicKey.fromPem(vectors.rekor_public_key_pem);

/** The vector as an `ext.tl` entry, through our shape-first parser (the UUID is the leaf hash where the source has none). */
function toEntry(v: VectorEntry): TlogEntry {
  return parseTlogEntry({
    uuid: v.uuid ?? v.leaf_hash_hex,
    body: v.canonicalizedBody,
    integratedTime: v.integratedTime,
    logID: v.logID,
    logIndex: v.logIndex,
    verification: { signedEntryTimestamp: v.signedEntryTimestamp, inclusionProof: v.inclusionProof },
  });
}

/** Each check the vectors name, run by our code; each throws its own coded error. */
const CHECKS: Record<string, { code: string; run: (e: TlogEntry) => void }> = {
  logID_is_sha256_of_rekor_spki: {
    code: 'TLOG_LOG_UNKNOWN',
    run: (e) => {
      if (e.logID !== key.logId) throw Object.assign(new Error('logID'), { code: 'TLOG_LOG_UNKNOWN' });
    },
  },
  set: { code: 'TLOG_SET_INVALID', run: (e) => verifySignedEntryTimestamp(e, key) },
  inclusion_proof: {
    code: 'CORE_MERKLE_INVALID',
    run: (e) => {
      const p = e.verification.inclusionProof!;
      verifyInclusion(
        BigInt(p.logIndex),
        BigInt(p.treeSize),
        leafHash(b64Decode(e.body)),
        p.hashes.map((h) => hexDecode(h, 32)),
        hexDecode(p.rootHash, 32),
      );
    },
  },
  checkpoint_signature: {
    code: 'TLOG_CHECKPOINT_SIGNATURE_INVALID',
    run: (e) => verifyCheckpointSignature(parseCheckpoint(e.verification.inclusionProof!.checkpoint), key),
  },
  checkpoint_size_equals_treeSize: {
    code: 'TLOG_CHECKPOINT_MISMATCH',
    run: (e) => {
      const p = e.verification.inclusionProof!;
      if (parseCheckpoint(p.checkpoint).size !== BigInt(p.treeSize))
        throw Object.assign(new Error('size'), { code: 'TLOG_CHECKPOINT_MISMATCH' });
    },
  },
  checkpoint_root_equals_rootHash: {
    code: 'TLOG_CHECKPOINT_MISMATCH',
    run: (e) => {
      const p = e.verification.inclusionProof!;
      if (parseCheckpoint(p.checkpoint).rootHash.toString('hex') !== p.rootHash)
        throw Object.assign(new Error('root'), { code: 'TLOG_CHECKPOINT_MISMATCH' });
    },
  },
  uuid_suffix_equals_leaf_hash: {
    code: 'TLOG_UUID_MISMATCH',
    run: (e) => {
      if (e.uuid.slice(-64) !== leafHash(b64Decode(e.body)).toString('hex'))
        throw Object.assign(new Error('uuid'), { code: 'TLOG_UUID_MISMATCH' });
    },
  },
};

/** Sets a dotted path (`inclusionProof.hashes[0]`) on a copy of the vector. */
function mutate(v: VectorEntry, field: string, value: unknown): VectorEntry {
  const copy = structuredClone(v) as unknown as Record<string, unknown>;
  const parts = field.replace(/\[(\d+)\]/g, '.$1').split('.');
  let at: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
  return copy as unknown as VectorEntry;
}

const byName = new Map(vectors.entries.map((e) => [e.name, e]));

describe('real Rekor entries (fixtures/vectors/rekor.json)', () => {
  it('has the production key whose SHA-256 is the log ID', () => {
    expect(key.logId).toBe(vectors.log_id_hex);
    expect(vectors.entries).toHaveLength(5);
    expect(vectors.negative.length).toBeGreaterThanOrEqual(6);
  });

  describe.each(vectors.entries.map((e) => [e.name, e] as const))('entry %s', (_name, v) => {
    const entry = toEntry(v);

    it('has the leaf hash the vector states', () => {
      expect(leafHash(b64Decode(entry.body)).toString('hex')).toBe(v.leaf_hash_hex);
    });

    it.each(Object.keys(v.checks_passed))('passes check %s', (check) => {
      expect(CHECKS[check]).toBeDefined();
      expect(() => CHECKS[check]!.run(entry)).not.toThrow();
    });

    it('passes verifySignedEntryTimestamp and verifyInclusionProof with the production key', () => {
      verifySignedEntryTimestamp(entry, key);
      const cp = verifyInclusionProof(entry.verification.inclusionProof!, Buffer.from(v.leaf_hash_hex, 'hex'), key);
      expect(cp.size).toBe(BigInt(v.inclusionProof.treeSize));
    });
  });

  describe.each(vectors.negative.map((n) => [n.id, n] as const))('mutation %s', (_id, n) => {
    const original = byName.get(n.entry)!;
    const mutated = mutate(original, n.field, n.new_value);
    const entry = toEntry(mutated);

    it.each(n.must_fail)('fails check %s with its code', async (check) => {
      await expectCode(() => CHECKS[check]!.run(entry), CHECKS[check]!.code);
    });

    it.each(n.still_passes)('still passes check %s', (check) => {
      expect(() => CHECKS[check]!.run(entry)).not.toThrow();
    });

    it('is rejected by the product path (SET, then checkpointed inclusion proof) with the first failing code', async () => {
      const leaf = leafHash(b64Decode(entry.body));
      const expected = n.must_fail.includes('set')
        ? 'TLOG_SET_INVALID'
        : n.must_fail.includes('checkpoint_signature')
          ? 'TLOG_CHECKPOINT_SIGNATURE_INVALID'
          : 'TLOG_INCLUSION_PROOF_INVALID';
      await expectCode(() => {
        verifySignedEntryTimestamp(entry, key);
        verifyInclusionProof(entry.verification.inclusionProof!, leaf, key);
      }, expected);
    });
  });
});
