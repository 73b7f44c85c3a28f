import fc from 'fast-check';
import { globMatch } from '../../../src/policy/glob.js';
import type { Policy, PolicyRule } from '../../../src/policy/model.js';
import {
  checkRoleName,
  fragmentTargetPath,
  mergePolicies,
  rulesOutsideScope,
  scopeWithin,
} from '../../../src/policy/tuf/delegations.js';
import { evaluate, ruleFor } from '../../../src/policy/evaluate.js';
import { expectCode } from '../../helpers.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const rule = (scope: string, name = 'ci', repository = 'acme/app'): PolicyRule => ({
  scope,
  signers: [{ name, issuer: ISSUER, claims: { repository } }],
  threshold: 1,
  require: [],
  transparencyLog: 'required',
  level: 'enforce',
});
const policy = (rules: PolicyRule[], revoked: Partial<Policy['revoked']> = {}): Policy => ({
  rules,
  revoked: { digests: [], signers: [], ...revoked },
});
const sig = (repository: string) => ({
  issuer: ISSUER,
  claims: { repository, sub: `repo:${repository}` },
  predicateType: 'x',
  logged: true,
});
const ACME = { role: 'acme', scope: 'ghcr.io/acme/**' };

describe('scopeWithin', () => {
  it.each([
    ['ghcr.io/acme/app', 'ghcr.io/acme/**'],
    ['ghcr.io/acme/*', 'ghcr.io/acme/**'],
    ['ghcr.io/acme/team/**', 'ghcr.io/acme/**'],
    ['ghcr.io/acme/*', 'ghcr.io/acme/*'],
    ['ghcr.io/acme/app-*', 'ghcr.io/acme/*'],
    ['ghcr.io/acme/**', 'ghcr.io/acme/**'],
    ['anything/at/all', '**'],
  ])('%s is within %s', (inner, outer) => expect(scopeWithin(inner, outer)).toBe(true));

  it.each([
    ['ghcr.io/**', 'ghcr.io/acme/**'],
    ['**', 'ghcr.io/acme/**'],
    ['ghcr.io/acme*/x', 'ghcr.io/acme/**'],
    ['ghcr.io/acme/**', 'ghcr.io/acme/*'],
    ['ghcr.io/acme/a/b', 'ghcr.io/acme/*'],
    ['ghcr.io/acmeevil/app', 'ghcr.io/acme/**'],
    ['ghcr.io/acme', 'ghcr.io/acme/**'],
  ])('%s is not within %s', (inner, outer) => expect(scopeWithin(inner, outer)).toBe(false));

  it('is sound: whatever the inner scope matches, the outer scope matches', () => {
    const glob = fc.array(fc.constantFrom('a', 'b', '/', '*', '**'), { maxLength: 7 }).map((p) => p.join(''));
    const value = fc.array(fc.constantFrom('a', 'b', '/'), { maxLength: 8 }).map((p) => p.join(''));
    fc.assert(
      fc.property(
        glob,
        glob,
        value,
        (inner, outer, v) => !(scopeWithin(inner, outer) && globMatch(inner, v)) || globMatch(outer, v),
      ),
      { numRuns: 5000 },
    );
  });

  it('refuses patterns longer than its cap', () => expect(scopeWithin('a'.repeat(2000), '**')).toBe(false));
});

describe('checkRoleName', () => {
  it.each(['targets', 'root', 'Acme', '../x', 'a/b', '', '-x'])('refuses %j with TUF_DELEGATION_INVALID', (name) =>
    expectCode(() => checkRoleName(name), 'TUF_DELEGATION_INVALID'),
  );
  it('gives the fragment path of a good name', () => expect(fragmentTargetPath('acme-1')).toBe('policy.d/acme-1.json'));
});

describe('mergePolicies', () => {
  const top = policy([rule('**', 'ci', 'root-org/app')], { signers: ['gone'] });

  describe('when a fragment stays in its scope', () => {
    const merged = mergePolicies(top, [
      {
        delegation: ACME,
        policy: policy([rule('ghcr.io/acme/**')], { signers: ['ci'], digests: [`sha256:${'a'.repeat(64)}`] }),
      },
    ]);

    it('puts its rules first, with role-prefixed signer names', () => {
      expect(merged.warnings).toEqual([]);
      expect(merged.policy.rules.map((r) => [r.scope, r.signers.map((s) => s.name)])).toEqual([
        ['ghcr.io/acme/**', ['acme/ci']],
        ['**', ['ci']],
      ]);
    });

    it('prefixes its revoked signers, so it cannot revoke top-level signers', () => {
      expect(merged.policy.revoked.signers.sort()).toEqual(['acme/ci', 'gone']);
      expect(merged.policy.revoked.digests).toEqual([`sha256:${'a'.repeat(64)}`]);
    });
  });

  describe('when a fragment grants a rule outside its scope', () => {
    const merged = mergePolicies(top, [
      { delegation: ACME, policy: policy([rule('ghcr.io/acme/app'), rule('**', 'evil', 'evil/repo')]) },
    ]);

    it('refuses the whole fragment and warns', () => {
      expect(merged.warnings).toHaveLength(1);
      expect(merged.warnings[0]).toContain('not within the delegated scope');
      expect(merged.policy.rules.flatMap((r) => r.signers.map((s) => s.name))).not.toContain('acme/evil');
    });

    it('leaves images outside the scope to the top-level rules', () => {
      const r = ruleFor(merged.policy, 'docker.io/other/app')!;
      expect(evaluate(merged.policy, r, `sha256:${'b'.repeat(64)}`, [sig('evil/repo')]).passed).toBe(false);
      expect(evaluate(merged.policy, r, `sha256:${'b'.repeat(64)}`, [sig('root-org/app')]).passed).toBe(true);
    });

    it('fails images in its scope closed', () => {
      const r = ruleFor(merged.policy, 'ghcr.io/acme/app')!;
      expect(r.signers[0]!.name).toContain('acme');
      expect(
        evaluate(merged.policy, r, `sha256:${'b'.repeat(64)}`, [sig('acme/app'), sig('root-org/app'), sig('evil/repo')])
          .passed,
      ).toBe(false);
    });
  });

  describe('when a fragment is missing', () => {
    it('fails its scope closed with the reason', () => {
      const merged = mergePolicies(top, [{ delegation: ACME, problem: 'policy.d/acme.json is not published' }]);
      expect(merged.warnings[0]).toContain('is not published');
      expect(ruleFor(merged.policy, 'ghcr.io/acme/app')!.signers[0]!.issuer).toBe('');
    });
  });

  it('rulesOutsideScope names each offending rule', () => {
    expect(rulesOutsideScope(policy([rule('ghcr.io/**'), rule('ghcr.io/acme/x')]), ACME)).toHaveLength(1);
  });
});
