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

/** An append-only Merkle tree over leaf hashes. */
export class FakeTree {
  readonly #leaves: Buffer[] = [];
  #levels: Buffer[][] | undefined;

  get size(): number {
    return this.#leaves.length;
  }

  leaf(index: number): Buffer {
    return this.#leaves[index]!;
  }

  push(leaf: Buffer): void {
    this.#leaves.push(leaf);
    this.#levels = undefined;
  }

  /** Level 0 = leaf hashes; each next level pairs neighbours and promotes a lone last node. */
  #tree(): Buffer[][] {
    if (this.#levels) return this.#levels;
    const levels: Buffer[][] = [[...this.#leaves]];
    while (levels[levels.length - 1]!.length > 1) {
      const below = levels[levels.length - 1]!;
      const up: Buffer[] = [];
      for (let i = 0; i < below.length; i += 2)
        up.push(i + 1 < below.length ? nodeHashOf(below[i]!, below[i + 1]!) : below[i]!);
      levels.push(up);
    }
    this.#levels = levels;
    return levels;
  }

  root(): Buffer {
    if (this.#leaves.length === 0) return sha256(Buffer.alloc(0));
    const levels = this.#tree();
    return levels[levels.length - 1]![0]!;
  }

  inclusionProof(index: number): Buffer[] {
    const proof: Buffer[] = [];
    let i = index;
    for (const level of this.#tree().slice(0, -1)) {
      const sibling = i ^ 1;
      if (sibling < level.length) proof.push(level[sibling]!);
      i >>= 1;
    }
    return proof;
  }

  /** PROOF(m, D[n]) of RFC 6962 §2.1.2 for 0 < m <= n <= size. */
  consistencyProof(m: number, n: number): Buffer[] {
    return subproof(this.#leaves.slice(0, n), m, true);
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
