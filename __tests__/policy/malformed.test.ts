/** Hostile and broken policy files: every bad field is reported, in one POLICY_INVALID error. */
import { MAX_POLICY_BYTES } from '../../src/core/limits.js';
import { evaluate, parsePolicy, PolicyError, signerMatches } from '../../src/policy/index.js';
import { expectCode } from '../helpers.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const D = `sha256:${'a'.repeat(64)}`;

const signer = { name: 'ci', issuer: GITHUB, claims: { repository: 'acme/app' } };
const goodRule = { scope: 'ghcr.io/acme/**', signers: [signer], threshold: 1 };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const withRule = (patch: Record<string, unknown>) => json({ rules: [{ ...goodRule, ...patch }] });

/** Parses and returns the POLICY_INVALID error, failing the test if anything else happens. */
function invalid(bytes: Uint8Array): PolicyError {
  try {
    parsePolicy(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('POLICY_INVALID');
    return err as PolicyError;
  }
  throw new Error('parsePolicy accepted a bad policy');
}

/** Expects POLICY_INVALID whose message names every one of `fields`. */
function expectFields(bytes: Uint8Array, ...fields: string[]): void {
  const message = invalid(bytes).message;
  for (const f of fields) expect(message).toContain(f);
}

describe('parsePolicy', () => {
  describe('when the file is not JSON', () => {
    it.each([
      ['empty', ''],
      ['truncated', '{"rules": ['],
      ['trailing garbage', '{"rules": []} x'],
    ])('throws POLICY_INVALID (%s)', (_name, text) =>
      expectCode(() => parsePolicy(Buffer.from(text)), 'POLICY_INVALID'),
    );
  });

  describe('when the file is not UTF-8', () => {
    it('throws POLICY_INVALID instead of replacing the bad bytes', () => {
      const bytes = Buffer.concat([
        Buffer.from('{"rules": [{"scope": "'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('", "signers": []}]}'),
      ]);
      return expectCode(() => parsePolicy(bytes), 'POLICY_INVALID');
    });
  });

  describe('when the top level is not an object', () => {
    it.each([
      ['an array', '[]'],
      ['null', 'null'],
      ['a string', '"rules"'],
      ['a number', '1'],
    ])('throws POLICY_INVALID (%s)', (_name, text) => expectFields(Buffer.from(text), 'top level must be an object'));
  });

  describe('when rules is not an array', () => {
    it.each([
      ['missing', {}],
      ['an object', { rules: {} }],
      ['a string', { rules: 'all' }],
      ['null', { rules: null }],
    ])('throws POLICY_INVALID (%s)', (_name, doc) => expectFields(json(doc), 'rules must be an array'));
  });

  describe('when there are more than 1000 rules', () => {
    it('throws POLICY_INVALID', () =>
      expectFields(json({ rules: Array(1001).fill(goodRule) }), 'rules must be an array of at most 1000'));
  });

  describe('when a rule is not an object', () => {
    it('throws POLICY_INVALID naming it', () =>
      expectFields(json({ rules: [goodRule, 'x', null] }), 'rules[1] must be an object', 'rules[2] must be an object'));
  });

  describe('when the scope is missing, empty or not a string', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['a number', 1],
      ['an array', ['**']],
    ])('throws POLICY_INVALID (%s)', (_name, scope) =>
      expectFields(withRule({ scope }), 'rules[0].scope must be a non-empty string'),
    );
  });

  describe('when signers is empty, missing, too long or not an array', () => {
    it.each([
      ['empty', []],
      ['missing', undefined],
      ['an object', signer],
      ['101 signers', Array.from({ length: 101 }, (_, i) => ({ ...signer, name: `s${i}` }))],
    ])('throws POLICY_INVALID (%s)', (_name, signers) =>
      expectFields(withRule({ signers, threshold: 1 }), 'rules[0].signers must list 1..100 signers'),
    );
  });

  describe('when a signer lacks a name or an issuer, or is not an object', () => {
    it('names each bad signer field', () =>
      expectFields(
        withRule({ signers: [{ issuer: GITHUB }, { name: 'x', issuer: '' }, 'ci'], threshold: 1 }),
        'rules[0].signers[0].name',
        'rules[0].signers[1].issuer',
        'rules[0].signers[2] must be an object',
      ));
  });

  describe('when two signers of a rule share a name', () => {
    it('throws POLICY_INVALID (revocation and the verdict refer to signers by name)', () =>
      expectFields(
        withRule({ signers: [signer, { ...signer, claims: { repository: 'acme/other' } }], threshold: 2 }),
        'rules[0].signers must have distinct names',
      ));
  });

  describe('when the threshold is out of range or not an integer', () => {
    it.each([
      ['0', 0],
      ['negative', -1],
      ['more than the signers', 2],
      ['a fraction', 1.5],
      ['a string', '1'],
      ['null', null],
      ['a boolean', true],
      ['huge', 1e400],
    ])('throws POLICY_INVALID (%s)', (_name, threshold) =>
      expectFields(
        Buffer.from(
          JSON.stringify({ rules: [{ ...goodRule, threshold: '__T__' }] }).replace(
            '"__T__"',
            threshold === 1e400 ? '1e400' : JSON.stringify(threshold),
          ),
        ),
        'rules[0].threshold must be an integer from 1 to the number of signers',
      ),
    );
  });

  describe('when require is not a list of non-empty strings', () => {
    it.each([
      ['a string', 'https://spdx.dev/Document'],
      ['holding a number', ['x', 1]],
      ['holding an empty pattern', ['']],
      ['an object', {}],
    ])('throws POLICY_INVALID (%s)', (_name, require) =>
      expectFields(withRule({ require }), 'rules[0].require must be an array of predicate type patterns'),
    );
  });

  describe('when transparencyLog or level has another value', () => {
    it.each([
      ['transparencyLog', 'yes'],
      ['transparencyLog', true],
      ['transparencyLog', 'Required'],
      ['level', 'warn'],
      ['level', 'ENFORCE'],
      ['level', 0],
    ])('throws POLICY_INVALID (%s = %p)', (field, value) =>
      expectFields(withRule({ [field]: value }), `rules[0].${field} must be`),
    );
  });

  describe('when a revoked digest is not a canonical sha256 digest', () => {
    it.each([
      ['upper-case hex', `sha256:${'A'.repeat(64)}`],
      ['short', `sha256:${'a'.repeat(63)}`],
      ['long', `sha256:${'a'.repeat(65)}`],
      ['another algorithm', `sha512:${'a'.repeat(128)}`],
      ['no algorithm', 'a'.repeat(64)],
      ['trailing space', `${D} `],
      ['not a string', 7],
    ])('throws POLICY_INVALID (%s)', (_name, digest) =>
      expectFields(
        json({ rules: [goodRule], revoked: { digests: [D, digest] } }),
        'revoked.digests must be sha256 digests',
      ),
    );
  });

  describe('when revoked or its lists have the wrong shape', () => {
    it('names each', () => {
      expectFields(json({ rules: [goodRule], revoked: [D] }), 'revoked must be an object');
      expectFields(
        json({ rules: [goodRule], revoked: { digests: D, signers: 'ci' } }),
        'revoked.digests',
        'revoked.signers must be signer names',
      );
      expectFields(
        json({ rules: [goodRule], revoked: { signers: ['ci', 3] } }),
        'revoked.signers must be signer names',
      );
    });
  });

  describe('when claims are not a map of strings', () => {
    it.each([
      ['a string', 'acme/app'],
      ['an array', ['acme/app']],
      ['a number value', { repository: 1 }],
      ['a null value', { repository: null }],
      ['a nested object', { repository: { glob: '*' } }],
      ['an array value', { ref: ['a', 'b'] }],
    ])('throws POLICY_INVALID (%s)', (_name, claims) =>
      expectFields(
        withRule({ signers: [{ ...signer, claims }] }),
        'rules[0].signers[0].claims must map claim names to strings',
      ),
    );
  });

  describe('when a field is unknown (a typo must not silently weaken the policy)', () => {
    it('names it', () => {
      expectFields(withRule({ treshold: 2 }), 'rules[0]."treshold" is not a known field');
      expectFields(json({ rules: [goodRule], revoked: { digest: [D] } }), 'revoked."digest" is not a known field');
      expectFields(
        json({ rules: [{ ...goodRule, signers: [{ ...signer, claim: { repository: 'x' } }] }] }),
        'rules[0].signers[0]."claim" is not a known field',
      );
      expectFields(json({ rule: [goodRule], rules: [] }), '"rule" is not a known field');
    });
  });

  describe('when the file is larger than MAX_POLICY_BYTES', () => {
    it('throws POLICY_INVALID before parsing', () => {
      const body = JSON.stringify({ rules: [goodRule] });
      return expectFields(
        Buffer.from(body + ' '.repeat(MAX_POLICY_BYTES - body.length + 1)),
        `larger than ${MAX_POLICY_BYTES} bytes`,
      );
    });
    it('accepts a file of exactly MAX_POLICY_BYTES', () => {
      const body = JSON.stringify({ rules: [goodRule] });
      expect(parsePolicy(Buffer.from(body + ' '.repeat(MAX_POLICY_BYTES - body.length))).rules).toHaveLength(1);
    });
  });

  describe('when many fields are bad at once', () => {
    it('reports all of them in one error', () => {
      const doc = {
        rules: [
          {
            scope: '',
            signers: [{ name: 'ci', issuer: GITHUB, claims: { repository: 1 } }],
            threshold: 3,
            require: [1],
            transparencyLog: 'no',
            level: 'strict',
          },
          { signers: [] },
        ],
        revoked: { digests: ['sha256:XYZ'], signers: [null] },
      };
      expectFields(
        json(doc),
        'rules[0].scope',
        'rules[0].signers[0].claims',
        'rules[0].threshold',
        'rules[0].require',
        'rules[0].transparencyLog',
        'rules[0].level',
        'rules[1].scope',
        'rules[1].signers',
        'revoked.digests',
        'revoked.signers',
      );
    });
    it('keeps the message to one bounded line', () => {
      const message = invalid(json({ rules: Array(500).fill({ scope: 1 }) })).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/and \d+ more/);
      expect(message.length).toBeLessThan(4000);
    });
  });

  describe('when a rule or claim uses prototype-polluting keys', () => {
    const polluted =
      '{"rules": [{"scope": "**", "signers": [{"name": "ci", "issuer": "' +
      GITHUB +
      '", "claims": {"__proto__": "x", "repository": "acme/app"}}]}]}';

    it('keeps __proto__ in claims as a plain claim name that must match like any other', () => {
      const p = parsePolicy(Buffer.from(polluted));
      const claims = p.rules[0]!.signers[0]!.claims;
      expect(Object.keys(claims)).toEqual(['__proto__', 'repository']);
      expect(({} as Record<string, unknown>).repository).toBeUndefined(); // nothing leaked into Object.prototype
      const sig = { issuer: GITHUB, claims: { sub: 's', repository: 'acme/app' }, predicateType: 'p', logged: true };
      expect(signerMatches(p.rules[0]!.signers[0]!, sig)).toBe(false); // the token has no "__proto__" claim
      const rule = p.rules[0]!;
      expect(evaluate(p, rule, D as `sha256:${string}`, [sig]).passed).toBe(false);
      const withClaim = {
        ...sig,
        claims: JSON.parse('{"sub": "s", "repository": "acme/app", "__proto__": "x"}') as Record<string, unknown>,
      };
      expect(signerMatches(rule.signers[0]!, withClaim)).toBe(true);
    });

    it('refuses a __proto__ claim holding an object (it would otherwise become the prototype of the claims)', () =>
      expectFields(
        Buffer.from(polluted.replace('"__proto__": "x"', '"__proto__": {"repository": "**"}')),
        'claims must map claim names to strings',
      ));

    it('refuses __proto__, constructor and prototype as fields', () => {
      expectFields(Buffer.from(`{"__proto__": {"rules": []}, "rules": []}`), '"__proto__" is not a known field');
      expectFields(
        Buffer.from(
          `{"rules": [{"scope": "**", "signers": [{"name": "ci", "issuer": "i"}], "__proto__": {"threshold": 0}}]}`,
        ),
        'rules[0]."__proto__" is not a known field',
      );
      expectFields(
        withRule({ constructor: {}, prototype: {} }),
        '"constructor" is not a known field',
        '"prototype" is not a known field',
      );
    });

    it('does not read defaults from a polluted Object.prototype', () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.threshold = 0;
      proto.transparencyLog = 'optional';
      try {
        const p = parsePolicy(json({ rules: [goodRule] }));
        expect(p.rules[0]).toMatchObject({ threshold: 1, transparencyLog: 'required' });
      } finally {
        delete proto.threshold;
        delete proto.transparencyLog;
      }
    });
  });
});
