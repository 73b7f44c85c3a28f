/**
 * RFC 6962 / RFC 9162 Merkle trees: leaf and node hashing, roots, inclusion proofs.
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
