/**
 * verifyConsistency: transparency-dev/merkle's consistency probes (every happy path accepted,
 * every mutation refused), and proofs from an RFC 6962 §2.1.2 SUBPROOF written here, for every
 * pair of sizes up to 33, each also refused when tampered, truncated, extended or misapplied.
 */
import { createHash } from 'node:crypto';
import { leafHash, merkleRoot, verifyConsistency } from '../../src/core/merkle.js';
import { expectCode, loadConsistencyVectors } from '../helpers.js';

const vectors = loadConsistencyVectors();
const b64 = (s: string | null | undefined) => Buffer.from(s ?? '', 'base64');

describe('verifyConsistency', () => {
  describe('with the transparency-dev/merkle probes', () => {
    const cases: [string, any][] = vectors.probes.map((p: any) => [`${p.file} (${p.desc})`, p]);
    it.each(cases)('%s', async (_name, p) => {
      const run = () =>
        verifyConsistency(
          BigInt(p.size1),
          BigInt(p.size2),
          b64(p.root1),
          b64(p.root2),
          (p.proof ?? []).map((h: string) => b64(h)),
        );
      if (p.wantErr) await expectCode(run, 'CORE_MERKLE_INVALID');
      else expect(run).not.toThrow();
    });
    it('has both accepting and refusing probes', () => {
      expect(vectors.probes.filter((p: any) => !p.wantErr).length).toBeGreaterThan(3);
      expect(vectors.probes.filter((p: any) => p.wantErr).length).toBeGreaterThan(50);
    });
  });

  describe('with proofs from RFC 6962 SUBPROOF', () => {
    const data = Array.from({ length: 33 }, (_, i) => Buffer.from(`leaf ${i}`));
    const roots = [...data, data[0]!].map((_, n) => merkleRoot(data.slice(0, n)));
    const pairs: [number, number][] = [];
    for (let n = 2; n <= 33; n++) for (let m = 1; m < n; m++) pairs.push([m, n]);

    it('accepts the proof for every 1 <= m < n <= 33', () => {
      for (const [m, n] of pairs) verifyConsistency(BigInt(m), BigInt(n), roots[m]!, roots[n]!, subproof(data, m, n));
    });
    it('refuses each proof with one hash flipped, one dropped, one added, or the roots swapped', async () => {
      for (const [m, n] of pairs) {
        const proof = subproof(data, m, n);
        const check =
          (p: Buffer[], r1 = roots[m]!, r2 = roots[n]!) =>
          () =>
            verifyConsistency(BigInt(m), BigInt(n), r1, r2, p);
        for (let i = 0; i < proof.length; i++) {
          const flipped = proof.map((h) => Buffer.from(h));
          flipped[i]![31]! ^= 1;
          await expectCode(check(flipped), 'CORE_MERKLE_INVALID');
        }
        await expectCode(check(proof.slice(1)), 'CORE_MERKLE_INVALID');
        await expectCode(check([...proof, roots[n]!]), 'CORE_MERKLE_INVALID');
        await expectCode(check(proof, roots[n]!, roots[m]!), 'CORE_MERKLE_INVALID');
        await expectCode(check(proof, roots[m]!, roots[n - 1]!), 'CORE_MERKLE_INVALID');
      }
    });
    it('refuses a forked log: the same sizes with a different history', async () => {
      const forked = [...data.slice(0, 5), Buffer.from('rewritten'), ...data.slice(6)];
      const proof = subproof(forked, 8, 20);
      await expectCode(
        () => verifyConsistency(8n, 20n, roots[8]!, merkleRoot(forked.slice(0, 20)), proof),
        'CORE_MERKLE_INVALID',
      );
    });
    it('refuses hashes that are not 32 bytes and proofs over MAX_PROOF_HASHES', async () => {
      const proof = subproof(data, 3, 7);
      await expectCode(
        () => verifyConsistency(3n, 7n, roots[3]!, roots[7]!, [proof[0]!.subarray(0, 31), ...proof.slice(1)]),
        'CORE_MERKLE_INVALID',
      );
      await expectCode(
        () => verifyConsistency(3n, 7n, roots[3]!, roots[7]!, Array<Buffer>(65).fill(proof[0]!)),
        'CORE_MERKLE_INVALID',
      );
    });
  });
});

// RFC 6962 §2.1.2, literally: PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
function subproof(d: Buffer[], m: number, n: number): Buffer[] {
  return sub(d.slice(0, n), m, true);
}
function sub(d: Buffer[], m: number, b: boolean): Buffer[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  if (m <= k) return [...sub(d.slice(0, k), m, b), mth(d.slice(k))];
  return [...sub(d.slice(k), m - k, false), mth(d.slice(0, k))];
}
function mth(d: Buffer[]): Buffer {
  if (d.length === 1) return leafHash(d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(mth(d.slice(0, k)))
    .update(mth(d.slice(k)))
    .digest();
}
