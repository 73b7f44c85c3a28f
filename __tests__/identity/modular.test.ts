import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { bigIntToBytes, bytesToBigInt, FixedBaseComb, modInverse, modPow } from '../../src/identity/modular.js';

/** Square-and-multiply from the definition, right to left: the reference for the fast paths. */
function referencePow(b: bigint, e: bigint, n: bigint): bigint {
  let acc = 1n % n;
  let base = ((b % n) + n) % n;
  for (let x = e; x > 0n; x >>= 1n) {
    if (x & 1n) acc = (acc * base) % n;
    base = (base * base) % n;
  }
  return acc;
}

const big = (bytes: number): bigint => bytesToBigInt(randomBytes(bytes));
const arbModulus = fc.bigInt({ min: 2n, max: (1n << 512n) - 1n });

describe('modPow', () => {
  it('agrees with the reference for short and long exponents', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 600n }),
        fc.bigInt({ min: 0n, max: 1n << 300n }),
        arbModulus,
        (b, e, n) => modPow(b, e, n) === referencePow(b, e, n),
      ),
    );
  });
  it('returns 0 modulo 1 and 1 for a zero exponent', () => {
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(modPow(5n, 0n, 7n)).toBe(1n);
  });
  it('refuses a negative exponent', () => expect(() => modPow(2n, -1n, 7n)).toThrow(RangeError));
});

describe('FixedBaseComb', () => {
  it('computes B^y mod n for every exponent the table covers', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 300n }),
        fc.integer({ min: 1, max: 90 }),
        arbModulus,
        fc.bigInt({ min: 0n, max: (1n << 90n) - 1n }),
        (b, bits, n, y0) => {
          const y = y0 % (1n << BigInt(bits));
          return new FixedBaseComb(b, n, bits).pow(y) === referencePow(b, y, n);
        },
      ),
    );
  });
  it('refuses an exponent longer than the table', () =>
    expect(() => new FixedBaseComb(3n, 7n, 8).pow(1n << 8n)).toThrow(RangeError));
});

describe('modInverse', () => {
  it('inverts modulo a large prime', () => {
    // The Mersenne prime 2^2203 - 1: every non-zero value below it has an inverse, so the random
    // value cannot make the test fail by sharing a factor with n.
    const n = (1n << 2203n) - 1n;
    const a = big(200);
    expect((modInverse(a, n) * a) % n).toBe(1n);
  });
  it('throws when no inverse exists', () => expect(() => modInverse(6n, 9n)).toThrow(RangeError));
});

describe('bigIntToBytes', () => {
  it('pads to the length and round-trips', () => {
    expect(bigIntToBytes(1n, 4).toString('hex')).toBe('00000001');
    expect(bytesToBigInt(bigIntToBytes(0xabcdefn, 3))).toBe(0xabcdefn);
  });
  it('refuses a value that does not fit', () => expect(() => bigIntToBytes(256n, 1)).toThrow(RangeError));
});
