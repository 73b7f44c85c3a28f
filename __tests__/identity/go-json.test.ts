import { goCanonicalJson } from '../../src/identity/go-json.js';

describe('goCanonicalJson', () => {
  describe('when objects are nested', () => {
    it('sorts keys at every level and emits no whitespace', () => {
      expect(goCanonicalJson({ b: 1, a: { y: [true, null], x: 'v' } })).toBe('{"a":{"x":"v","y":[true,null]},"b":1}');
    });
  });

  describe('when keys differ above U+FFFF', () => {
    it('orders them by UTF-8 bytes as Go does, not by UTF-16 units', () => {
      // UTF-16: U+1F600 (D83D DE00) < U+FFFD; UTF-8: EF BF BD < F0 9F 98 80.
      expect(goCanonicalJson({ '\u{1F600}': 1, '\uFFFD': 2 })).toBe('{"\uFFFD":2,"\u{1F600}":1}');
    });
  });

  describe('when strings hold HTML or line-separator characters', () => {
    it('escapes them like encoding/json', () => {
      expect(goCanonicalJson('<a href="x">&\u2028\u2029</a>')).toBe(
        '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028\\u2029\\u003c/a\\u003e"',
      );
    });
  });

  describe('when strings hold control characters', () => {
    it('uses Go 1.22 short escapes and lowercase \\u00xx', () => {
      expect(goCanonicalJson('\b\f\n\r\t\u0001\u001f\u007f\\')).toBe('"\\b\\f\\n\\r\\t\\u0001\\u001f\u007f\\\\"');
    });
  });

  describe('when a string holds a lone surrogate', () => {
    it('replaces it with U+FFFD as Go decoding does', () => {
      expect(goCanonicalJson('a\uD800b')).toBe('"a\uFFFDb"');
    });
  });

  describe('when numbers are encoded', () => {
    it('matches Go float64 formatting', () => {
      expect(goCanonicalJson([1, 1.5, 1e21, 1e20, 1e-7, 0.000001, -0, 123456789012345680000])).toBe(
        '[1,1.5,1e+21,100000000000000000000,1e-7,0.000001,-0,123456789012345680000]',
      );
    });
    it('refuses non-finite numbers', () => {
      expect(() => goCanonicalJson(Number.NaN)).toThrow(TypeError);
    });
  });
});
