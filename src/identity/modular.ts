/**
 * Modular arithmetic on bigints for GQ256. V8's bigint `%` beats Barrett and Montgomery
 * reductions written in bigints (measured), so the savings come from doing fewer
 * multiplications: binary exponentiation for the small public exponents GQ uses, a 4-bit
 * window table for a base shared by all rounds, and one interleaved pass for `a^x · b^y`.
 */

/** Window width of the shared-base tables: 15 products to build, one per 4 exponent bits to use. */
const WINDOW_BITS = 4;
const WINDOW_SIZE = 1 << WINDOW_BITS;

/** Big-endian unsigned bytes to a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/**
 * A non-negative bigint as exactly `length` big-endian bytes.
 * @throws RangeError when the value does not fit
 */
export function bigIntToBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16);
  if (value < 0n || hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`);
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}

/** Number of bits in a non-negative bigint (0 for 0). */
export function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/**
 * `base^exp mod n` by left-to-right binary exponentiation for short exponents and a fixed
 * 4-bit window for long ones.
 * @throws RangeError for n < 1 or exp < 0
 */
export function modPow(base: bigint, exp: bigint, n: bigint): bigint {
  if (n < 1n || exp < 0n) throw new RangeError('modPow needs n >= 1 and exp >= 0');
  if (n === 1n) return 0n;
  const b = ((base % n) + n) % n;
  const bits = exp.toString(2);
  if (bits.length <= 32) {
    let acc = 1n;
    for (const bit of bits) {
      acc = (acc * acc) % n;
      if (bit === '1') acc = (acc * b) % n;
    }
    return acc;
  }
  return powWithTable(new WindowTable(b, n), exp);
}

/** The powers `b^0 … b^15 mod n` of one base, shared by every exponentiation of that base. */
export class WindowTable {
  readonly n: bigint;
  readonly powers: readonly bigint[];

  constructor(base: bigint, n: bigint) {
    const b = ((base % n) + n) % n;
    const powers = [1n % n, b];
    for (let j = 2; j < WINDOW_SIZE; j++) powers.push((powers[j - 1]! * b) % n);
    this.n = n;
    this.powers = powers;
  }
}

function powWithTable(table: WindowTable, exp: bigint): bigint {
  return mulPowPair(1n, 0n, table, exp);
}

/**
 * `a^x · B^y mod n` in one left-to-right pass (Shamir's trick): one squaring per bit of the
 * longer exponent, a multiplication by `a` for each set bit of `x`, and one by a table entry
 * for each non-zero 4-bit window of `y`. GQ uses it for `S^v · G^R` (verify) and `r · Q^R` (sign).
 * @param a - the per-round base
 * @param x - its exponent (small: the RSA exponent, or 1)
 * @param table - the powers of the shared base B
 * @param y - B's exponent
 */
export function mulPowPair(a: bigint, x: bigint, table: WindowTable, y: bigint): bigint {
  const n = table.n;
  const am = ((a % n) + n) % n;
  const xBits = x.toString(2);
  const yBits = y.toString(2);
  // Pad both to a whole number of windows so y's windows align with bit 0.
  const length = Math.ceil(Math.max(xBits.length, yBits.length) / WINDOW_BITS) * WINDOW_BITS;
  const xs = xBits.padStart(length, '0');
  const ys = yBits.padStart(length, '0');
  let acc = 1n;
  let started = false;
  for (let i = 0; i < length; i++) {
    if (started) acc = (acc * acc) % n;
    if (xs[i] === '1') {
      acc = (acc * am) % n;
      started = true;
    }
    const position = length - 1 - i;
    if (position % WINDOW_BITS === 0) {
      // The window covering bits position+3 … position is applied at its lowest bit.
      const window = Number.parseInt(ys.slice(i - (WINDOW_BITS - 1), i + 1), 2);
      if (window !== 0) {
        acc = (acc * table.powers[window]!) % n;
        started = true;
      }
    }
  }
  return acc % n;
}

/**
 * The inverse of `a` modulo `n` (extended Euclid).
 * @throws RangeError when gcd(a, n) != 1
 */
export function modInverse(a: bigint, n: bigint): bigint {
  let [oldR, r] = [((a % n) + n) % n, n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('value has no inverse modulo n');
  return ((oldS % n) + n) % n;
}
