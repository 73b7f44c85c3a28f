import {
  TAG,
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTime,
  derUtf8String,
  parseDer,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  readString,
  readTime,
} from '../../src/tlog/der.js';

describe('DER writer and reader', () => {
  describe('INTEGER', () => {
    it.each([0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, 2n ** 64n, -(2n ** 70n)])(
      'round-trips %s minimally',
      (n) => {
        const enc = derInteger(n);
        expect(readInteger(parseDer(enc, 't'), 't')).toBe(n);
      },
    );
    it('writes 128 as 02 02 00 80', () => expect(derInteger(128n).toString('hex')).toBe('02020080'));
  });

  describe('OBJECT IDENTIFIER', () => {
    it.each(['1.2.840.10045.4.3.2', '2.5.29.14', '1.3.6.1.4.1.57264.1.1', '2.999.3'])('round-trips %s', (oid) => {
      expect(readOid(parseDer(derOid(oid), 't'), 't')).toBe(oid);
    });
    it('writes ecdsa-with-SHA256 as openssl does', () =>
      expect(derOid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302'));
  });

  describe('lengths', () => {
    it.each([0, 127, 128, 255, 256, 65535, 70000])('round-trips content of %i bytes', (n) => {
      const node = parseDer(derOctetString(Buffer.alloc(n, 1)), 't');
      expect(node.value.length).toBe(n);
    });
  });

  describe('structures', () => {
    it('parses nested SEQUENCE/SET/explicit tags and keeps raw bytes', () => {
      const inner = derSequence(derBoolean(true), derUtf8String('é'));
      const enc = derSequence(
        derExplicit(3, inner),
        derSet(derInteger(2n), derInteger(1n)),
        derBitString(Buffer.from([0x80]), 7),
      );
      const root = parseDer(enc, 't');
      expect(root.raw).toEqual(enc);
      expect(root.children[0]!.children[0]!.raw).toEqual(inner);
      expect(readBoolean(root.children[0]!.children[0]!.children[0]!, 't')).toBe(true);
      expect(readString(root.children[0]!.children[0]!.children[1]!, 't', 'f')).toBe('é');
      expect(root.children[1]!.children.map((c) => readInteger(c, 't'))).toEqual([1n, 2n]); // SET OF is sorted
      expect(readBitString(root.children[2]!, 't')).toEqual({ bytes: Buffer.from([0x80]), unusedBits: 7 });
    });
  });

  describe('times', () => {
    it('uses UTCTime before 2050 and GeneralizedTime from 2050', () => {
      expect(derTime(new Date('2049-12-31T23:59:59Z'))[0]).toBe(TAG.UTC_TIME);
      expect(derTime(new Date('2050-01-01T00:00:00Z'))[0]).toBe(TAG.GENERALIZED_TIME);
    });
    it.each(['1999-01-02T03:04:05Z', '2025-06-30T12:00:00Z', '2051-02-03T04:05:06Z'])('round-trips %s', (t) => {
      expect(readTime(parseDer(derTime(new Date(t)), 't'), 't').toISOString()).toBe(new Date(t).toISOString());
    });
  });
});
