/**
 * The fake log's RFC 6962 tree, computed independently of `src/`: levels built pairwise with a
 * lone last node promoted (equivalent to RFC 6962's split at the largest power of two),
 * inclusion proofs from the levels, and consistency proofs by RFC 6962 §2.1.2 SUBPROOF, literally.
 */
import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function leafHashOf(data: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}

export function nodeHashOf(l: Uint8Array, r: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(l)
    .update(r)
    .digest();
}

/**
 * An append-only Merkle tree over leaf hashes. Its levels are kept up to date on each append,
 * which changes only the last node of each level (O(log n), as a real log's tree): rebuilding
 * them all made an append cost O(n), ~6 ms per entry once a benchmark had logged a few thousand.
 */
export class FakeTree {
  /** Level 0 = leaf hashes; each next level pairs neighbours and promotes a lone last node. */
  readonly #levels: Buffer[][] = [[]];

  get size(): number {
    return this.#levels[0]!.length;
  }

  leaf(index: number): Buffer {
    return this.#levels[0]![index]!;
  }

  push(leaf: Buffer): void {
    this.#levels[0]!.push(leaf);
    for (let k = 0; this.#levels[k]!.length > 1; k++) {
      const level = this.#levels[k]!;
      const last = level.length - 1;
      const parent = last % 2 === 1 ? nodeHashOf(level[last - 1]!, level[last]!) : level[last]!;
      (this.#levels[k + 1] ??= [])[last >> 1] = parent;
    }
  }

  root(): Buffer {
    if (this.size === 0) return sha256(Buffer.alloc(0));
    return this.#levels[this.#levels.length - 1]![0]!;
  }

  inclusionProof(index: number): Buffer[] {
    const proof: Buffer[] = [];
    let i = index;
    for (const level of this.#levels.slice(0, -1)) {
      const sibling = i ^ 1;
      if (sibling < level.length) proof.push(level[sibling]!);
      i >>= 1;
    }
    return proof;
  }

  /** PROOF(m, D[n]) of RFC 6962 §2.1.2 for 0 < m <= n <= size. */
  consistencyProof(m: number, n: number): Buffer[] {
    return subproof(this.#levels[0]!.slice(0, n), m, true);
  }
}

function subproof(d: Buffer[], m: number, b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  if (m <= k) return [...subproof(d.slice(0, k), m, b), mth(d.slice(k))];
  return [...subproof(d.slice(k), m - k, false), mth(d.slice(0, k))];
}

/** MTH over leaf hashes. */
function mth(d: Buffer[]): Buffer {
  if (d.length === 1) return d[0]!;
  const k = split(d.length);
  return nodeHashOf(mth(d.slice(0, k)), mth(d.slice(k)));
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
