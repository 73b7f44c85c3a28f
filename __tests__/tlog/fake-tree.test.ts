/**
 * The test log's tree, kept up to date append by append, against `src/core/merkle.ts` computed
 * from scratch at every size: the same root, and proofs that verify. (The two were written
 * apart; they agreeing is what lets each check the other.)
 */
import { FakeTree, leafHashOf } from '../fakes/rekor-tree.js';
import { leafHash, merkleRoot, rootFromInclusionProof } from '../../src/core/merkle.js';

describe('the test log tree', () => {
  it('has the RFC 6962 root and valid inclusion proofs after every append up to 70 leaves', () => {
    const tree = new FakeTree();
    const data: Buffer[] = [];
    for (let n = 1; n <= 70; n++) {
      data.push(Buffer.from(`entry ${n}`));
      tree.push(leafHashOf(data[n - 1]!));
      expect(tree.size).toBe(n);
      expect(tree.root().equals(merkleRoot(data))).toBe(true);
      for (const i of [0, n >> 1, n - 1]) {
        const root = rootFromInclusionProof(BigInt(i), BigInt(n), leafHash(data[i]!), tree.inclusionProof(i));
        expect(root.equals(tree.root())).toBe(true);
      }
    }
  });
});
