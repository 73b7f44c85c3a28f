import { createHash } from 'node:crypto';
import { bindingClaims, verifyBinding } from '../../src/attest/binding.js';
import { expectCode } from '../helpers.js';

const h = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** RFC 6962 §2.1 tree hash, written independently of src/core/merkle.ts. */
function referenceRoot(leafData: Buffer[]): Buffer {
  if (leafData.length === 1) return h(Buffer.from([0]), leafData[0]!);
  let k = 1;
  while (k * 2 < leafData.length) k *= 2;
  return h(Buffer.from([1]), referenceRoot(leafData.slice(0, k)), referenceRoot(leafData.slice(k)));
}

const paesOf = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`DSSEv1 4 type 6 body-${i}`));

describe('bindingClaims', () => {
  describe('when the run has one envelope', () => {
    it('returns att = hex sha256(PAE) and no proof', () => {
      const [p] = paesOf(1);
      const b = bindingClaims([p!]);
      expect(b.claims).toEqual({ att: h(p!).toString('hex') });
      expect(b.proofs).toEqual([undefined]);
    });
  });

  describe('when the run has n = 2..9 envelopes', () => {
    it.each([2, 3, 4, 5, 6, 7, 8, 9])(
      'returns atts = the RFC 6962 root over the raw sha256(PAE) leaves (n = %i)',
      (n) => {
        const paes = paesOf(n);
        const b = bindingClaims(paes);
        expect(b.claims).toEqual({ atts: referenceRoot(paes.map((p) => h(p))).toString('hex') });
        expect(b.proofs.map((p) => [p!.index, p!.size])).toEqual(paes.map((_, i) => [i, n]));
      },
    );
  });

  describe('when the run is empty', () => {
    it('throws BIND_RUN_EMPTY', () => expectCode(() => bindingClaims([]), 'BIND_RUN_EMPTY'));
  });
});

describe('verifyBinding', () => {
  describe('when every envelope of runs of 1..9 is checked against its own proof', () => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('accepts every index (n = %i)', (n) => {
      const paes = paesOf(n);
      const { claims, proofs } = bindingClaims(paes);
      paes.forEach((p, i) => expect(() => verifyBinding(claims, p, proofs[i])).not.toThrow());
    });
  });

  describe('when each proof of a run of 9 is used for every other envelope', () => {
    it('rejects all of them', async () => {
      const paes = paesOf(9);
      const { claims, proofs } = bindingClaims(paes);
      for (let i = 0; i < 9; i++) {
        for (let j = 0; j < 9; j++) {
          if (i !== j) expect(() => verifyBinding(claims, paes[i]!, proofs[j])).toThrow();
        }
      }
    });
  });

  describe('when the CIC has both att and atts', () => {
    it('throws BIND_CLAIMS_CONFLICT', () => {
      const [p] = paesOf(1);
      const att = h(p!).toString('hex');
      return expectCode(() => verifyBinding({ att, atts: att }, p!), 'BIND_CLAIMS_CONFLICT');
    });
  });

  describe('when the CIC has neither', () => {
    it('throws BIND_CLAIMS_MISSING', () =>
      expectCode(() => verifyBinding({ rz: 'x' }, paesOf(1)[0]!), 'BIND_CLAIMS_MISSING'));
  });

  describe('when att is inherited from the prototype rather than a claim', () => {
    it('throws BIND_CLAIMS_MISSING', () => {
      const [p] = paesOf(1);
      const cic = Object.create({ att: h(p!).toString('hex') }) as Record<string, unknown>;
      return expectCode(() => verifyBinding(cic, p!), 'BIND_CLAIMS_MISSING');
    });
  });

  describe('when att is uppercase hex', () => {
    it('throws BIND_CLAIM_INVALID', () => {
      const [p] = paesOf(1);
      return expectCode(() => verifyBinding({ att: h(p!).toString('hex').toUpperCase() }, p!), 'BIND_CLAIM_INVALID');
    });
  });

  describe('when att is a number', () => {
    it('throws BIND_CLAIM_INVALID', () =>
      expectCode(() => verifyBinding({ att: 5 }, paesOf(1)[0]!), 'BIND_CLAIM_INVALID'));
  });

  describe('when att binds another PAE', () => {
    it('throws BIND_ATT_MISMATCH', () => {
      const [a, b] = paesOf(2);
      return expectCode(() => verifyBinding(bindingClaims([a!]).claims, b!), 'BIND_ATT_MISMATCH');
    });
  });

  describe('when an attProof accompanies att', () => {
    it('throws BIND_PROOF_UNEXPECTED', () => {
      const [p] = paesOf(1);
      return expectCode(
        () => verifyBinding(bindingClaims([p!]).claims, p!, { index: 0, size: 1, hashes: [] }),
        'BIND_PROOF_UNEXPECTED',
      );
    });
  });

  describe('when atts comes without an attProof', () => {
    it('throws BIND_PROOF_MISSING', () => {
      const paes = paesOf(3);
      return expectCode(() => verifyBinding(bindingClaims(paes).claims, paes[0]!), 'BIND_PROOF_MISSING');
    });
  });

  describe('when atts comes with a proof of size 1', () => {
    it('throws BIND_SIZE_INVALID', () => {
      const [p] = paesOf(1);
      const leafRoot = h(Buffer.from([0]), h(p!)).toString('hex');
      return expectCode(
        () => verifyBinding({ atts: leafRoot }, p!, { index: 0, size: 1, hashes: [] }),
        'BIND_SIZE_INVALID',
      );
    });
  });

  describe('when the proof index is not below its size', () => {
    it('throws BIND_INDEX_OUT_OF_RANGE', () => {
      const paes = paesOf(4);
      const { claims, proofs } = bindingClaims(paes);
      return expectCode(() => verifyBinding(claims, paes[3]!, { ...proofs[3]!, index: 4 }), 'BIND_INDEX_OUT_OF_RANGE');
    });
  });

  describe('when the proof has a hash too many', () => {
    it('throws BIND_PROOF_INVALID', () => {
      const paes = paesOf(4);
      const { claims, proofs } = bindingClaims(paes);
      return expectCode(
        () => verifyBinding(claims, paes[1]!, { ...proofs[1]!, hashes: [...proofs[1]!.hashes, '00'.repeat(32)] }),
        'BIND_PROOF_INVALID',
      );
    });
  });

  describe('when a proof hash is not hex', () => {
    it('throws BIND_PROOF_INVALID', () => {
      const paes = paesOf(2);
      const { claims } = bindingClaims(paes);
      return expectCode(
        () => verifyBinding(claims, paes[0]!, { index: 0, size: 2, hashes: ['zz'.repeat(32)] }),
        'BIND_PROOF_INVALID',
      );
    });
  });

  describe('when the proof leads to another root', () => {
    it('throws BIND_ATTS_MISMATCH', () => {
      const paes = paesOf(4);
      const { claims, proofs } = bindingClaims(paes);
      const tampered = { ...proofs[2]!, hashes: [h(Buffer.from('x')).toString('hex'), ...proofs[2]!.hashes.slice(1)] };
      return expectCode(() => verifyBinding(claims, paes[2]!, tampered), 'BIND_ATTS_MISMATCH');
    });
  });
});
