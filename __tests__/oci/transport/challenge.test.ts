import { findChallenge, parseChallenges } from '../../../src/oci/transport/challenge.js';

describe('parseChallenges', () => {
  describe('when the header is a registry Bearer challenge', () => {
    it('reads realm, service and a scope whose quoted value has commas', () => {
      expect(
        parseChallenges(
          'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"',
        ),
      ).toEqual([
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull,push',
          },
        },
      ]);
    });

    it('reads the insufficient_scope error and unquoted values', () => {
      const c = findChallenge(
        'bearer realm=http://127.0.0.1:1/token, error="insufficient_scope" , scope="a:b:push"',
        'Bearer',
      );
      expect(c?.params).toEqual({ realm: 'http://127.0.0.1:1/token', error: 'insufficient_scope', scope: 'a:b:push' });
    });

    it('unescapes quoted-pairs', () => {
      expect(parseChallenges('Bearer realm="a\\"b\\\\c"')[0]?.params['realm']).toBe('a"b\\c');
    });

    it('lowercases parameter names and keeps the first of duplicates', () => {
      expect(parseChallenges('Bearer Realm="one", REALM="two"')[0]?.params).toEqual({ realm: 'one' });
    });
  });

  describe('when the header holds several challenges', () => {
    it('splits them, as fetch joins repeated headers with ", "', () => {
      expect(parseChallenges('Basic realm="test-realm", Bearer realm="https://t/x",service="s"')).toEqual([
        { scheme: 'basic', params: { realm: 'test-realm' } },
        { scheme: 'bearer', params: { realm: 'https://t/x', service: 's' } },
      ]);
    });

    it('handles schemes without parameters and token68 credentials', () => {
      expect(parseChallenges('Negotiate, NTLM abc+/def==, Basic realm=r')).toEqual([
        { scheme: 'negotiate', params: {} },
        { scheme: 'ntlm', params: { token68: 'abc+/def==' } },
        { scheme: 'basic', params: { realm: 'r' } },
      ]);
    });
  });

  describe('when the header is malformed', () => {
    it.each([
      [null, []],
      ['', []],
      ['   ', []],
      [',,,', []],
      ['"quoted"', []],
    ])('returns no challenge for %j', (h, want) => expect(parseChallenges(h)).toEqual(want));

    it('keeps what parsed before an unterminated quoted string', () => {
      expect(parseChallenges('Bearer service="s", realm="https://unterminated')).toEqual([
        { scheme: 'bearer', params: { service: 's' } },
      ]);
    });

    it('ignores an oversized header', () => {
      expect(parseChallenges(`Bearer realm="${'x'.repeat(20_000)}"`)).toEqual([]);
    });

    it('stops at garbage after a value', () => {
      expect(parseChallenges('Bearer realm="r" junk="x"')).toEqual([{ scheme: 'bearer', params: { realm: 'r' } }]);
    });

    it('cannot be tricked into prototype keys', () => {
      const [c] = parseChallenges('Bearer __proto__="x", constructor="y"');
      expect(Object.getPrototypeOf(c!.params)).toBeNull();
      expect(c!.params['__proto__']).toBe('x');
    });

    it('bounds the number of parameters', () => {
      const many = Array.from({ length: 100 }, (_, i) => `p${i}="v"`).join(',');
      expect(Object.keys(parseChallenges(`Bearer ${many}`)[0]!.params).length).toBeLessThanOrEqual(64);
    });
  });
});
