import {
  leafHash,
  merkleRoot,
  inclusionProof,
  inclusionProofs,
  rootFromInclusionProof,
  verifyInclusion,
} from '../../src/core/merkle.js';
import { expectCode, loadVectors } from '../helpers.js';

const v = loadVectors().merkle_rfc6962;
const leaves: Buffer[] = v.leaves_hex.map((h: string) => Buffer.from(h, 'hex'));
const hex = (b: Buffer) => b.toString('hex');

describe('merkleRoot', () => {
  const rootCases: [number, string][] = v.roots_by_size.map((r: string, n: number) => [n, r]);
  it.each(rootCases)('matches the RFC 6962 reference root for size %i', (n, root) => {
    expect(hex(merkleRoot(leaves.slice(0, n)))).toBe(root);
  });
});

describe('inclusionProof', () => {
  const proofCases: [number, number, string[]][] = v.inclusion.map((c: any) => [c.index, c.size, c.proof]);
  it.each(proofCases)('matches the reference proof for leaf %i of %i', (index, size, proof) => {
    const hashes = leaves.slice(0, size).map(leafHash);
    expect(inclusionProof(hashes, index).map(hex)).toEqual(proof);
  });

  it('round-trips for every leaf of every size up to 8', () => {
    for (let n = 1; n <= 8; n++) {
      const hashes = leaves.slice(0, n).map(leafHash);
      const root = merkleRoot(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        expect(() => verifyInclusion(BigInt(i), BigInt(n), hashes[i]!, inclusionProof(hashes, i), root)).not.toThrow();
      }
    }
  });
});

describe('inclusionProofs', () => {
  it('equals inclusionProof for every leaf of trees up to 33 leaves', () => {
    for (let n = 1; n <= 33; n++) {
      const hashes = Array.from({ length: n }, (_, i) => leafHash(Buffer.from([i])));
      const all = inclusionProofs(hashes);
      expect(all.map((p) => p.map(hex))).toEqual(hashes.map((_, i) => inclusionProof(hashes, i).map(hex)));
    }
  });
});

describe('verifyInclusion', () => {
  const size = 8;
  const hashes = leaves.slice(0, size).map(leafHash);
  const root = merkleRoot(leaves.slice(0, size));
  const proof = inclusionProof(hashes, 5);

  describe('when the proof is for another leaf', () => {
    it('throws CORE_MERKLE_INVALID', () =>
      expectCode(() => verifyInclusion(5n, 8n, hashes[4]!, proof, root), 'CORE_MERKLE_INVALID'));
  });
  describe('when a proof hash is tampered', () => {
    it('throws CORE_MERKLE_INVALID', () => {
      const bad = proof.map((h) => Buffer.from(h));
      bad[1]![0]! ^= 1;
      return expectCode(() => verifyInclusion(5n, 8n, hashes[5]!, bad, root), 'CORE_MERKLE_INVALID');
    });
  });
  describe('when the proof is one hash short or long', () => {
    it('throws CORE_MERKLE_INVALID before hashing', async () => {
      await expectCode(() => rootFromInclusionProof(5n, 8n, hashes[5]!, proof.slice(1)), 'CORE_MERKLE_INVALID');
      await expectCode(() => rootFromInclusionProof(5n, 8n, hashes[5]!, [...proof, proof[0]!]), 'CORE_MERKLE_INVALID');
    });
  });
  describe('when the index is outside the tree', () => {
    it('throws CORE_MERKLE_INVALID', () =>
      expectCode(() => verifyInclusion(8n, 8n, hashes[5]!, proof, root), 'CORE_MERKLE_INVALID'));
  });
  describe('when a proof hash is not 32 bytes', () => {
    it('throws CORE_MERKLE_INVALID', () =>
      expectCode(
        () => verifyInclusion(5n, 8n, hashes[5]!, [Buffer.alloc(31), ...proof.slice(1)], root),
        'CORE_MERKLE_INVALID',
      ));
  });
});
