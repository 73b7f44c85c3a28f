/** The policy model: parsing a valid policy with its defaults, rule selection, and evaluation. */
import {
  evaluate,
  parsePolicy,
  ruleFor,
  signerMatches,
  type Policy,
  type PolicyRule,
  type VerifiedSignatureFacts,
} from '../../src/policy/index.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const ONPREM = 'https://sso.example.com';
const SLSA = 'https://slsa.dev/provenance/v1';
const SPDX = 'https://spdx.dev/Document';
const D1 = `sha256:${'1'.repeat(64)}` as const;
const D2 = `sha256:${'2'.repeat(64)}` as const;
const INDEX = `sha256:${'3'.repeat(64)}` as const;

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const FULL = {
  rules: [
    {
      scope: 'ghcr.io/acme/secure-*',
      signers: [
        {
          name: 'ci',
          issuer: GITHUB,
          claims: { repository: 'acme/app', job_workflow_ref: 'acme/app/.github/workflows/release.yml@refs/tags/*' },
        },
        { name: 'release', issuer: GITHUB, claims: { repository: 'acme/release-bot' } },
      ],
      threshold: 2,
      require: ['https://slsa.dev/provenance/*', SPDX],
      transparencyLog: 'optional',
      level: 'audit',
    },
    { scope: 'ghcr.io/acme/**', signers: [{ name: 'any-acme', issuer: GITHUB, claims: { repository_owner: 'acme' } }] },
  ],
  revoked: { digests: [D1], signers: ['old-bot'] },
};

/** A signature as the verifier hands it to the policy. */
function sig(claims: Record<string, unknown>, o: Partial<VerifiedSignatureFacts> = {}): VerifiedSignatureFacts {
  return {
    issuer: GITHUB,
    claims: { iss: GITHUB, sub: `repo:${String(claims.repository)}:ref:refs/heads/main`, ...claims },
    predicateType: SLSA,
    logged: true,
    ...o,
  };
}

function rule(o: Partial<PolicyRule> = {}): PolicyRule {
  return {
    scope: '**',
    threshold: 1,
    require: [],
    transparencyLog: 'required',
    level: 'enforce',
    signers: [
      { name: 'ci', issuer: GITHUB, claims: { repository: 'acme/app' } },
      { name: 'release', issuer: GITHUB, claims: { repository: 'acme/release-bot' } },
    ],
    ...o,
  };
}

function policy(r: PolicyRule, revoked: Partial<Policy['revoked']> = {}): Policy {
  return { rules: [r], revoked: { digests: [], signers: [], ...revoked } };
}

describe('parsePolicy', () => {
  describe('when the policy is complete and valid', () => {
    it('returns every field as written', () => {
      const p = parsePolicy(json(FULL));
      expect(p.rules).toHaveLength(2);
      expect(p.rules[0]).toEqual(FULL.rules[0]);
      expect(p.revoked).toEqual(FULL.revoked);
    });
  });

  describe('when optional fields are left out', () => {
    it('applies the defaults: threshold 1, nothing required, log required, enforce, nothing revoked', () => {
      const p = parsePolicy(json({ rules: [FULL.rules[1]] }));
      expect(p.rules[0]).toEqual({
        scope: 'ghcr.io/acme/**',
        signers: [{ name: 'any-acme', issuer: GITHUB, claims: { repository_owner: 'acme' } }],
        threshold: 1,
        require: [],
        transparencyLog: 'required',
        level: 'enforce',
      });
      expect(p.revoked).toEqual({ digests: [], signers: [] });
    });
    it('treats a signer without claims as "any identity of that issuer"', () => {
      const p = parsePolicy(json({ rules: [{ scope: '**', signers: [{ name: 'anyone', issuer: ONPREM }] }] }));
      expect(p.rules[0]!.signers[0]!.claims).toEqual({});
      expect(signerMatches(p.rules[0]!.signers[0]!, sig({ repository: 'x' }, { issuer: ONPREM }))).toBe(true);
    });
    it('accepts empty revoked lists and an empty rule list', () => {
      expect(parsePolicy(json({ rules: [], revoked: {} }))).toEqual({
        rules: [],
        revoked: { digests: [], signers: [] },
      });
    });
  });

  describe('when given a name for the file', () => {
    it('uses it in the message', () => {
      expect(() => parsePolicy(json({}), 'trust/policy.json')).toThrow(/^trust\/policy\.json: /);
    });
  });
});

describe('ruleFor', () => {
  const p = parsePolicy(json(FULL));
  describe('when several rules match', () => {
    it('returns the first one', () => {
      expect(ruleFor(p, 'ghcr.io/acme/secure-app')?.scope).toBe('ghcr.io/acme/secure-*');
    });
  });
  describe('when only a later rule matches', () => {
    it('returns that one', () => {
      expect(ruleFor(p, 'ghcr.io/acme/team/app')?.scope).toBe('ghcr.io/acme/**');
      expect(ruleFor(p, 'ghcr.io/acme/secure-app/sub')?.scope).toBe('ghcr.io/acme/**');
    });
  });
  describe('when no rule matches', () => {
    it('returns undefined', () => {
      expect(ruleFor(p, 'docker.io/library/alpine')).toBeUndefined();
      expect(ruleFor(p, 'ghcr.io/acmex/app')).toBeUndefined();
    });
  });
});

describe('signerMatches', () => {
  const signer = { name: 'ci', issuer: GITHUB, claims: { repository: 'acme/*', ref: 'refs/tags/v*' } };
  describe('when every claim pattern matches', () => {
    it('is true', () =>
      expect(signerMatches(signer, sig({ repository: 'acme/app', ref: 'refs/tags/v1.0.0' }))).toBe(true));
  });
  describe('when one claim does not match its glob', () => {
    it('is false', () => {
      expect(signerMatches(signer, sig({ repository: 'acme/app', ref: 'refs/heads/main' }))).toBe(false);
      expect(signerMatches(signer, sig({ repository: 'evil/acme/app', ref: 'refs/tags/v1' }))).toBe(false);
    });
  });
  describe('when a claim is missing or not a string', () => {
    it('is false', () => {
      expect(signerMatches(signer, sig({ repository: 'acme/app' }))).toBe(false);
      expect(signerMatches(signer, sig({ repository: 'acme/app', ref: ['refs/tags/v1'] }))).toBe(false);
      expect(signerMatches(signer, sig({ repository: 'acme/app', ref: { toString: () => 'refs/tags/v1' } }))).toBe(
        false,
      );
    });
  });
  describe('when the issuer differs', () => {
    it('is false even if the claims match', () => {
      expect(signerMatches(signer, sig({ repository: 'acme/app', ref: 'refs/tags/v1' }, { issuer: ONPREM }))).toBe(
        false,
      );
      expect(
        signerMatches(signer, sig({ repository: 'acme/app', ref: 'refs/tags/v1' }, { issuer: `${GITHUB}/` })),
      ).toBe(false);
    });
  });
  describe('when a claim pattern names an inherited property', () => {
    it('does not read it from the prototype chain', () => {
      const p = parsePolicy(
        json({
          rules: [
            { scope: '**', signers: [{ name: 'x', issuer: GITHUB, claims: { constructor: '**', toString: '**' } }] },
          ],
        }),
      );
      expect(signerMatches(p.rules[0]!.signers[0]!, sig({ repository: 'acme/app' }))).toBe(false);
    });
  });
});

describe('evaluate', () => {
  describe('when one allowed signer signed', () => {
    it('passes a threshold of 1 and names the signer', () => {
      const r = rule();
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' })]);
      expect(v).toEqual({ rule: r, signers: ['ci'], violations: [], passed: true });
    });
  });

  describe('when nobody allowed signed', () => {
    it('fails the threshold', () => {
      const r = rule();
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'evil/app' })]);
      expect(v.passed).toBe(false);
      expect(v.signers).toEqual([]);
      expect(v.violations).toEqual([expect.stringContaining('expected 1 distinct signer(s)')]);
    });
  });

  describe('when there are no signatures at all', () => {
    it('fails', () => {
      const r = rule();
      expect(evaluate(policy(r), r, D2, []).passed).toBe(false);
    });
  });

  describe('when the threshold is 2', () => {
    const r = rule({ threshold: 2 });
    it('fails with one signer', () => {
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' })]);
      expect(v.passed).toBe(false);
      expect(v.signers).toEqual(['ci']);
    });
    it('passes with two distinct signers', () => {
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' }), sig({ repository: 'acme/release-bot' })]);
      expect(v).toMatchObject({ signers: ['ci', 'release'], violations: [], passed: true });
    });
    it('counts two signatures of the same signer once (a replayed signature is not a second signer)', () => {
      const one = sig({ repository: 'acme/app' });
      const v = evaluate(policy(r), r, D2, [one, one, { ...one, predicateType: SPDX }]);
      expect(v.passed).toBe(false);
      expect(v.signers).toEqual(['ci']);
    });
    it('counts one identity once even when its claims satisfy both signer rules', () => {
      const overlapping = rule({
        threshold: 2,
        signers: [
          { name: 'org', issuer: GITHUB, claims: { repository: 'acme/*' } },
          { name: 'release', issuer: GITHUB, claims: { repository: 'acme/release-bot' } },
        ],
      });
      const bot = sig({ repository: 'acme/release-bot' });
      const v = evaluate(policy(overlapping), overlapping, D2, [bot, { ...bot, predicateType: SPDX }]);
      expect(v.passed).toBe(false);
      expect(v.signers).toHaveLength(1);
    });
    it('assigns identities to rules so that both rules are covered when possible', () => {
      const overlapping = rule({
        threshold: 2,
        signers: [
          { name: 'org', issuer: GITHUB, claims: { repository: 'acme/*' } },
          { name: 'release', issuer: GITHUB, claims: { repository: 'acme/release-bot' } },
        ],
      });
      // The bot could fill either rule; the app only "org". A greedy count would give the bot "org" and stop at 1.
      const v = evaluate(policy(overlapping), overlapping, D2, [
        sig({ repository: 'acme/release-bot' }),
        sig({ repository: 'acme/app' }),
      ]);
      expect(v).toMatchObject({ signers: ['org', 'release'], passed: true });
    });
    it('tells two workflows of one repository apart (same sub, different job_workflow_ref)', () => {
      const byWorkflow = rule({
        threshold: 2,
        signers: [
          { name: 'build', issuer: GITHUB, claims: { job_workflow_ref: 'acme/app/.github/workflows/build.yml@**' } },
          { name: 'scan', issuer: GITHUB, claims: { job_workflow_ref: 'acme/security/.github/workflows/scan.yml@**' } },
        ],
      });
      const v = evaluate(policy(byWorkflow), byWorkflow, D2, [
        sig({ repository: 'acme/app', job_workflow_ref: 'acme/app/.github/workflows/build.yml@refs/heads/main' }),
        sig({ repository: 'acme/app', job_workflow_ref: 'acme/security/.github/workflows/scan.yml@refs/heads/main' }),
      ]);
      expect(v).toMatchObject({ signers: ['build', 'scan'], passed: true });
    });
  });

  describe('when a signer rule names another issuer', () => {
    it('does not count a token of that name from the wrong issuer', () => {
      const r = rule();
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' }, { issuer: ONPREM })]);
      expect(v.passed).toBe(false);
    });
  });

  describe('when the subject digest is revoked', () => {
    it('fails even with enough signers', () => {
      const r = rule();
      const v = evaluate(policy(r, { digests: [D2] }), r, D2, [sig({ repository: 'acme/app' })]);
      expect(v.passed).toBe(false);
      expect(v.violations).toEqual([`${D2} is revoked`]);
    });
    it('fails when the image index containing the platform is revoked', () => {
      const r = rule();
      const v = evaluate(policy(r, { digests: [INDEX] }), r, [D2, INDEX], [sig({ repository: 'acme/app' })]);
      expect(v.violations).toEqual([`${INDEX} is revoked`]);
    });
    it('is not affected by other revoked digests', () => {
      const r = rule();
      expect(evaluate(policy(r, { digests: [D1] }), r, [D2, INDEX], [sig({ repository: 'acme/app' })]).passed).toBe(
        true,
      );
    });
  });

  describe('when a signer name is revoked', () => {
    it('no longer counts that signer', () => {
      const r = rule({ threshold: 2 });
      const sigs = [sig({ repository: 'acme/app' }), sig({ repository: 'acme/release-bot' })];
      expect(evaluate(policy(r), r, D2, sigs).passed).toBe(true);
      const v = evaluate(policy(r, { signers: ['release'] }), r, D2, sigs);
      expect(v.passed).toBe(false);
      expect(v.signers).toEqual(['ci']);
    });
  });

  describe('when predicate types are required', () => {
    const r = rule({ require: ['https://slsa.dev/provenance/*', SPDX] });
    it('passes when allowed signers cover each of them', () => {
      const v = evaluate(policy(r), r, D2, [
        sig({ repository: 'acme/app' }),
        sig({ repository: 'acme/app' }, { predicateType: SPDX }),
      ]);
      expect(v.passed).toBe(true);
    });
    it('reports each one that is missing', () => {
      const v = evaluate(policy(r), r, D2, [
        sig({ repository: 'acme/app' }, { predicateType: 'https://example.com/custom' }),
      ]);
      expect(v.violations).toEqual([
        expect.stringContaining('https://slsa.dev/provenance/*'),
        expect.stringContaining(SPDX),
      ]);
    });
    it('is not satisfied by a signature of someone not allowed', () => {
      const v = evaluate(policy(r), r, D2, [
        sig({ repository: 'acme/app' }),
        sig({ repository: 'evil/app' }, { predicateType: SPDX }),
      ]);
      expect(v.violations).toEqual([expect.stringContaining(SPDX)]);
    });
    it('is not satisfied by a revoked signer', () => {
      const v = evaluate(policy(r, { signers: ['release'] }), r, D2, [
        sig({ repository: 'acme/app' }),
        sig({ repository: 'acme/release-bot' }, { predicateType: SPDX }),
      ]);
      expect(v.violations).toEqual([expect.stringContaining(SPDX)]);
    });
    it('matches the glob against the whole predicate type', () => {
      const v = evaluate(policy(r), r, D2, [
        sig({ repository: 'acme/app' }, { predicateType: 'https://slsa.dev/provenance/v1/extra' }),
        sig({ repository: 'acme/app' }, { predicateType: SPDX }),
      ]);
      expect(v.violations).toEqual([expect.stringContaining('https://slsa.dev/provenance/*')]);
    });
  });

  describe('when the log is required', () => {
    const r = rule();
    it('does not count signatures without a verified log entry', () => {
      const v = evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' }, { logged: false })]);
      expect(v.passed).toBe(false);
      expect(v.violations[0]).toContain('without a verified log entry');
    });
    it('does not let an unlogged signature cover a required predicate', () => {
      const req = rule({ require: [SPDX] });
      const v = evaluate(policy(req), req, D2, [
        sig({ repository: 'acme/app' }),
        sig({ repository: 'acme/app' }, { logged: false, predicateType: SPDX }),
      ]);
      expect(v.violations).toEqual([expect.stringContaining(SPDX)]);
    });
    it('ignores an extra unlogged signature when the logged ones suffice', () => {
      const v = evaluate(policy(r), r, D2, [
        sig({ repository: 'acme/app' }),
        sig({ repository: 'evil/app' }, { logged: false }),
      ]);
      expect(v.passed).toBe(true);
    });
  });

  describe('when the log is optional', () => {
    it('counts signatures without a log entry', () => {
      const r = rule({ transparencyLog: 'optional' });
      expect(evaluate(policy(r), r, D2, [sig({ repository: 'acme/app' }, { logged: false })]).passed).toBe(true);
    });
  });

  describe('when the rule is at audit level', () => {
    it('still lists the violations and does not pass the verdict (the verifier decides the exit)', () => {
      const r = rule({ level: 'audit', threshold: 2, require: [SPDX] });
      const v = evaluate(policy(r, { digests: [D2] }), r, D2, [sig({ repository: 'acme/app' })]);
      expect(v.passed).toBe(false);
      expect(v.violations).toHaveLength(3);
      expect(v.rule.level).toBe('audit');
    });
  });
});
