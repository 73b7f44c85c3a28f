/** The one glob matcher of policy scopes and claim patterns (`*` within a segment, `**` across). */
import fc from 'fast-check';
import { globMatch } from '../../src/policy/index.js';

/** Reference semantics for the property test only (the matcher itself never builds a RegExp). */
function oracle(pattern: string, value: string): boolean {
  const source = pattern
    .split(/(\*+)/)
    .map((part) =>
      part.startsWith('*') ? (part.length === 1 ? '[^/]*' : '[\\s\\S]*') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

describe('globMatch', () => {
  describe('when the pattern is a literal', () => {
    it('matches only the identical string', () => {
      expect(globMatch('ghcr.io/acme/app', 'ghcr.io/acme/app')).toBe(true);
      expect(globMatch('ghcr.io/acme/app', 'ghcr.io/acme/ap')).toBe(false);
      expect(globMatch('ghcr.io/acme/app', 'ghcr.io/acme/app2')).toBe(false);
      expect(globMatch('ghcr.io/acme/app', 'GHCR.io/acme/app')).toBe(false);
    });
  });

  describe('when the pattern has a single *', () => {
    it('matches any run within one path segment, including an empty one', () => {
      expect(globMatch('ghcr.io/acme/*', 'ghcr.io/acme/app')).toBe(true);
      expect(globMatch('ghcr.io/acme/*', 'ghcr.io/acme/')).toBe(true);
      expect(globMatch('refs/tags/v*', 'refs/tags/v1.2.3')).toBe(true);
      expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true);
    });
    it('does not cross a /', () => {
      expect(globMatch('ghcr.io/acme/*', 'ghcr.io/acme/team/app')).toBe(false);
      expect(globMatch('*', 'a/b')).toBe(false);
      expect(globMatch('refs/heads/*', 'refs/heads/feature/x')).toBe(false);
    });
  });

  describe('when the pattern has **', () => {
    it('matches any run, across /', () => {
      expect(globMatch('ghcr.io/acme/**', 'ghcr.io/acme/team/app')).toBe(true);
      expect(globMatch('**', '')).toBe(true);
      expect(globMatch('**', 'a/b/c')).toBe(true);
      expect(
        globMatch(
          'octo-org/**/.github/workflows/*.yml@refs/heads/main',
          'octo-org/x/y/.github/workflows/release.yml@refs/heads/main',
        ),
      ).toBe(true);
    });
    it('still needs the literal parts around it', () => {
      expect(globMatch('a/**/b', 'a/b')).toBe(false);
      expect(globMatch('a/**/b', 'a/x/y/b')).toBe(true);
      expect(globMatch('a/**', 'b/a/c')).toBe(false);
    });
    it('treats three or more stars like **', () => {
      expect(globMatch('a***b', 'a/x/b')).toBe(true);
      expect(globMatch('a****b', 'a/x/b')).toBe(true);
    });
  });

  describe('when the value only matches part of the pattern or the pattern part of the value', () => {
    it('is anchored at both ends', () => {
      expect(globMatch('acme', 'xacme')).toBe(false);
      expect(globMatch('acme', 'acmex')).toBe(false);
      expect(globMatch('acme/*', 'x/acme/app')).toBe(false);
      expect(globMatch('*/app', 'acme/app/x')).toBe(false);
    });
  });

  describe('when the pattern holds characters special to regular expressions', () => {
    it.each([
      ['a.b', 'a.b', 'aXb'],
      ['a+b', 'a+b', 'aab'],
      ['(a)', '(a)', 'a'],
      ['[ab]', '[ab]', 'a'],
      ['a?b', 'a?b', 'aXb'],
      ['a\\b', 'a\\b', 'ab'],
      ['^a$', '^a$', 'a'],
      ['a|b', 'a|b', 'a'],
      ['a{2}', 'a{2}', 'aa'],
    ])('%s matches itself literally and not what a RegExp would', (pattern, itself, regexLike) => {
      expect(globMatch(pattern, itself)).toBe(true);
      expect(globMatch(pattern, regexLike)).toBe(false);
    });
    it('keeps them literal next to stars', () => {
      expect(globMatch('v*.*', 'v1.2')).toBe(true);
      expect(globMatch('v*.*', 'v12')).toBe(false);
    });
  });

  describe('when the pattern or the value is empty', () => {
    it('matches only empty against empty (or stars)', () => {
      expect(globMatch('', '')).toBe(true);
      expect(globMatch('', 'a')).toBe(false);
      expect(globMatch('a', '')).toBe(false);
      expect(globMatch('*', '')).toBe(true);
    });
  });

  describe('when compared with the reference semantics on random inputs', () => {
    it('agrees', () => {
      const alphabet = fc.constantFrom('a', 'b', '/', '*', '.', '\\', '(', '?');
      const text = fc.array(alphabet, { maxLength: 12 }).map((cs) => cs.join(''));
      fc.assert(
        fc.property(text, text, (pattern, value) => globMatch(pattern, value) === oracle(pattern, value)),
        { numRuns: 3000 },
      );
    });
  });

  // No clock here: the matcher has no recursion and no backtracking by construction, so these
  // only check the answers; a regression to backtracking would not finish within jest's timeout.
  describe('when the pattern is hostile', () => {
    const value = 'a'.repeat(10_000);
    it('answers 200 stars against a 10 000-character value', () => {
      expect(globMatch('*'.repeat(200) + 'b', value)).toBe(false);
      expect(globMatch('*'.repeat(200), value)).toBe(true);
    });
    it('answers alternating stars and literals', () => {
      expect(globMatch('*a'.repeat(200) + 'b', value)).toBe(false);
      expect(globMatch('**a'.repeat(200) + '/', value)).toBe(false);
      expect(globMatch('*a'.repeat(200), value)).toBe(true);
    });
  });

  describe('when the value is 100 000 characters long', () => {
    it('does not overflow the stack', () => {
      const long = 'x/'.repeat(50_000);
      expect(globMatch('x/**', long)).toBe(true);
      expect(globMatch('**x', long)).toBe(false);
      expect(globMatch('*', 'y'.repeat(100_000))).toBe(true);
      expect(globMatch('y'.repeat(100_000), 'y'.repeat(100_000))).toBe(true);
    });
  });
});
