/**
 * RFC 6962 / RFC 9162 Merkle trees: leaf and node hashing, roots, inclusion and consistency proofs.
 * The one implementation of the tree; `attest/binding` (the `atts` claim) and `tlog`
 * (log inclusion proofs) both call it.
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from './digest.js';
import { CoreError } from './errors.js';
import { MAX_PROOF_HASHES } from './limits.js';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two strictly smaller than n (n ≥ 2): where RFC 6962 splits a tree. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root hash of the tree whose leaves hash to `leaves` (already leaf-hashed). */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return Buffer.from(leaves[0]!);
  const k = splitPoint(leaves.length);
  return nodeHash(rootFromLeafHashes(leaves.slice(0, k)), rootFromLeafHashes(leaves.slice(k)));
}

/** Root hash of the tree over the raw leaf data. */
export function merkleRoot(leafData: readonly Uint8Array[]): Buffer {
  return rootFromLeafHashes(leafData.map(leafHash));
}

/** The RFC 9162 inclusion proof (sibling hashes, leaf to root) of leaf `index`. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `leaf index ${index} is outside a tree of ${leafHashes.length} leaves`,
    });
  }
  if (leafHashes.length === 1) return [];
  const k = splitPoint(leafHashes.length);
  return index < k
    ? [...inclusionProof(leafHashes.slice(0, k), index), rootFromLeafHashes(leafHashes.slice(k))]
    : [...inclusionProof(leafHashes.slice(k), index - k), rootFromLeafHashes(leafHashes.slice(0, k))];
}

/**
 * Every leaf's inclusion proof in one pass over the tree (O(n log n)), for signing runs that
 * bind many envelopes at once; `inclusionProofs(l)[i]` equals `inclusionProof(l, i)`.
 */
export function inclusionProofs(leafHashes: readonly Uint8Array[]): Buffer[][] {
  return subtree(leafHashes).proofs;
}

/** Root and per-leaf proofs of a subtree, built bottom-up so each subtree root is hashed once. */
function subtree(leaves: readonly Uint8Array[]): { root: Buffer; proofs: Buffer[][] } {
  if (leaves.length === 1) return { root: Buffer.from(leaves[0]!), proofs: [[]] };
  const k = splitPoint(leaves.length);
  const left = subtree(leaves.slice(0, k));
  const right = subtree(leaves.slice(k));
  return {
    root: nodeHash(left.root, right.root),
    proofs: [...left.proofs.map((p) => [...p, right.root]), ...right.proofs.map((p) => [...p, left.root])],
  };
}

/**
 * The root that an inclusion proof implies (RFC 9162 §2.1.3.2). The proof length must be
 * exactly what `index` and `size` require; anything else is rejected before hashing.
 * @throws CoreError CORE_MERKLE_INVALID
 */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  if (index < 0n || size <= 0n || index >= size) {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `inclusion proof index ${index} is not inside a tree of size ${size}`,
    });
  }
  if (proof.length > MAX_PROOF_HASHES || proof.some((h) => h.length !== 32)) {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `inclusion proof hashes must be at most ${MAX_PROOF_HASHES} SHA-256 values`,
    });
  }
  // Inner part: levels where the path and the last leaf's path differ; border: the right edge.
  const inner = bitLength(index ^ (size - 1n));
  const border = popCount(index >> BigInt(inner));
  if (proof.length !== inner + border) {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `inclusion proof for leaf ${index} of ${size} has ${proof.length} hashes, expected ${inner + border}`,
    });
  }
  let hash: Buffer = Buffer.from(leaf);
  for (let i = 0; i < inner; i++) {
    const sibling = proof[i]!;
    hash = ((index >> BigInt(i)) & 1n) === 0n ? nodeHash(hash, sibling) : nodeHash(sibling, hash);
  }
  for (let i = inner; i < proof.length; i++) hash = nodeHash(proof[i]!, hash);
  return hash;
}

/**
 * Checks that `leaf` (a leaf hash) is at `index` in the tree of `size` with root `root`.
 * @throws CoreError CORE_MERKLE_INVALID when the proof is malformed or the roots differ
 */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!bytesEqual(computed, root)) {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `inclusion proof for leaf ${index} of ${size} leads to root ${computed.toString('hex')}, expected ${Buffer.from(root).toString('hex')}`,
    });
  }
}

/**
 * Checks that the tree of `size2` with root `root2` extends the tree of `size1` with root `root1`
 * (RFC 9162 §2.1.4.2, in the form of transparency-dev/merkle `VerifyConsistency`): the log only
 * appended. The proof length must be exactly what the two sizes require. A proof from the empty
 * tree proves nothing and is refused; equal sizes need an empty proof and equal roots.
 * @throws CoreError CORE_MERKLE_INVALID when the proof is malformed or either root differs
 */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  const fail = (why: string): never => {
    throw new CoreError({
      code: 'CORE_MERKLE_INVALID',
      message: `consistency proof from size ${size1} to ${size2}: ${why}`,
    });
  };
  if (size1 < 0n || size2 < size1) fail('the second tree is smaller than the first');
  if (size1 === 0n) fail('a proof from the empty tree proves nothing');
  if (size1 === size2) {
    if (proof.length > 0) fail('equal sizes need an empty proof');
    if (!bytesEqual(root1, root2)) fail('equal sizes but different roots: the log forked');
    return;
  }
  if (proof.length === 0) fail('the proof is empty');
  if (proof.length > MAX_PROOF_HASHES || proof.some((h) => h.length !== 32))
    fail(`the proof must be 1 to ${MAX_PROOF_HASHES} SHA-256 values`);
  // The proof is a suffix of the inclusion proof of leaf size1-1 in the tree of size2, starting
  // at the level of the largest perfect subtree ending at size1, whose root is proof[0] (or root1
  // itself when the first tree is perfect).
  const forkLevel = bitLength((size1 - 1n) ^ (size2 - 1n));
  const border = popCount((size1 - 1n) >> BigInt(forkLevel));
  const shift = trailingZeros(size1);
  const inner = forkLevel - shift;
  const perfect = size1 === 1n << BigInt(shift);
  const seed: Buffer = perfect ? Buffer.from(root1) : Buffer.from(proof[0]!);
  const path = perfect ? proof : proof.slice(1);
  if (path.length !== inner + border)
    fail(`the proof has ${proof.length} hashes, expected ${(perfect ? 0 : 1) + inner + border}`);
  const mask = (size1 - 1n) >> BigInt(shift);
  let hash1: Buffer = seed;
  let hash2: Buffer = seed;
  for (let i = 0; i < inner; i++) {
    const sibling = path[i]!;
    if (((mask >> BigInt(i)) & 1n) === 1n) {
      hash1 = nodeHash(sibling, hash1);
      hash2 = nodeHash(sibling, hash2);
    } else {
      hash2 = nodeHash(hash2, sibling);
    }
  }
  for (let i = inner; i < path.length; i++) {
    hash1 = nodeHash(path[i]!, hash1);
    hash2 = nodeHash(path[i]!, hash2);
  }
  if (!bytesEqual(hash1, root1)) fail(`it does not lead to the first root ${Buffer.from(root1).toString('hex')}`);
  if (!bytesEqual(hash2, root2)) fail(`it does not lead to the second root ${Buffer.from(root2).toString('hex')}`);
}

function trailingZeros(n: bigint): number {
  let zeros = 0;
  while (n > 0n && (n & 1n) === 0n) {
    zeros++;
    n >>= 1n;
  }
  return zeros;
}

function bitLength(n: bigint): number {
  let bits = 0;
  while (n > 0n) {
    bits++;
    n >>= 1n;
  }
  return bits;
}

function popCount(n: bigint): number {
  let count = 0;
  while (n > 0n) {
    count += Number(n & 1n);
    n >>= 1n;
  }
  return count;
}
