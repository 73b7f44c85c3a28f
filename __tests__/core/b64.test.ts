/** The strict encodings: what passes is exactly what the standard's grammar allows, canonical bits included. */
import { randomBytes } from 'node:crypto';
import { b64Decode, b64urlDecode, isPaddedBase64 } from '../../src/core/b64.js';
import { expectCode } from '../helpers.js';

/** RFC 4648's padded grammar spelled out group by group: the reference `isPaddedBase64` must agree with. */
const GRAMMAR = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isPaddedBase64', () => {
  it.each(['', 'AA==', 'AAA=', 'AAAA', 'AAAAAA==', 'ab+/', Buffer.from('x'.repeat(20_000)).toString('base64')])(
    'accepts %#',
    (s) => expect(isPaddedBase64(s)).toBe(true),
  );

  it.each(['A', 'AA', 'AA=', 'A===', '====', '=AAA', 'AA=A', 'AAAA=', 'AA-_', 'AA A', 'AAAAA===', 'AAAA\n'])(
    'rejects %j',
    (s) => expect(isPaddedBase64(s)).toBe(false),
  );

  it('agrees with the grammar on every string of up to 5 characters over a small alphabet', () => {
    const alphabet = ['A', '+', '=', '-', ' '];
    let strings = [''];
    for (let n = 0; n <= 5; n++) {
      for (const s of strings) expect([s, isPaddedBase64(s)]).toEqual([s, GRAMMAR.test(s)]);
      strings = strings.flatMap((s) => alphabet.map((c) => s + c));
    }
  });
});

describe('b64Decode', () => {
  it('round-trips random bytes', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      expect(b64Decode(bytes.toString('base64')).equals(bytes)).toBe(true);
    }
  });

  // Node's decoder drops what it does not know and takes base64url's alphabet: each of these
  // decodes to something, and only the round trip catches it.
  it.each([
    ['unpadded', 'AA', 'not padded'],
    ['a foreign character', 'AA*A', 'not padded'],
    ['base64url characters', 'A-_A', 'not padded'],
    ['whitespace', 'AAAA\nAAAA', 'not padded'],
    ['padding inside', 'AA==AAAA', 'not padded'],
    ['non-zero trailing bits', 'AB==', 'not canonical'],
  ])('rejects %s, saying it is %s', async (_why, s, says) => {
    await expectCode(() => b64Decode(s, 'the value'), 'CORE_BASE64_INVALID');
    expect(() => b64Decode(s, 'the value')).toThrow(`the value is ${says}`);
  });
});

describe('b64urlDecode', () => {
  it.each([
    ['padding', 'AA=='],
    ['a standard character', 'AA+A'],
    ['an impossible length', 'AAAAA'],
    ['non-zero trailing bits', 'AB'],
  ])('rejects %s', (_why, s) => expectCode(() => b64urlDecode(s), 'CORE_BASE64_INVALID'));
});
