import type { Policy } from '../../../src/policy/model.js';
import {
  addSigner,
  removeSigner,
  revokeDigest,
  revokeSigner,
  setRequire,
  setThreshold,
} from '../../../src/policy/tuf/policy-edits.js';
import { expectCode } from '../../helpers.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const EMPTY: Policy = { rules: [], revoked: { digests: [], signers: [] } };
const signer = (name: string) => ({ name, issuer: ISSUER, claims: { repository: `acme/${name}` } });
const DIGEST = `sha256:${'c'.repeat(64)}` as const;

describe('addSigner', () => {
  describe('when the scope has no rule', () => {
    it('creates one with defaults, before any broader rule', () => {
      const broad = addSigner(EMPTY, '**', signer('ci'));
      const narrow = addSigner(broad, 'ghcr.io/acme/*', signer('app'));
      expect(narrow.rules.map((r) => r.scope)).toEqual(['ghcr.io/acme/*', '**']);
      expect(narrow.rules[0]).toMatchObject({
        threshold: 1,
        require: [],
        transparencyLog: 'required',
        level: 'enforce',
      });
      expect(addSigner(narrow, 'docker.io/x', signer('x')).rules.map((r) => r.scope)).toEqual([
        'ghcr.io/acme/*',
        'docker.io/x',
        '**',
      ]);
    });
  });

  describe('when the rule exists', () => {
    it('appends the signer and leaves the input alone', () => {
      const one = addSigner(EMPTY, '**', signer('a'));
      const two = addSigner(one, '**', signer('b'));
      expect(two.rules[0]!.signers.map((s) => s.name)).toEqual(['a', 'b']);
      expect(one.rules[0]!.signers).toHaveLength(1);
    });

    it('throws POLICY_INVALID for a name it already has', () =>
      expectCode(() => addSigner(addSigner(EMPTY, '**', signer('a')), '**', signer('a')), 'POLICY_INVALID'));
  });
});

describe('removeSigner', () => {
  const p = setThreshold(addSigner(addSigner(EMPTY, '**', signer('a')), '**', signer('b')), '**', 2);

  describe('when a rule would fall below its threshold', () => {
    it('throws POLICY_EDIT_REFUSED', () => expectCode(() => removeSigner(p, 'b'), 'POLICY_EDIT_REFUSED'));
    it('throws POLICY_EDIT_REFUSED for a rule left without signers', () =>
      expectCode(() => removeSigner(addSigner(EMPTY, 'x/*', signer('a')), 'a'), 'POLICY_EDIT_REFUSED'));
  });

  describe('with lowerThreshold', () => {
    it('lowers the threshold to the signers left, and says so', () => {
      const r = removeSigner(p, 'b', undefined, { lowerThreshold: true });
      expect(r.policy.rules[0]).toMatchObject({ threshold: 1, signers: [{ name: 'a' }] });
      expect(r.lowered).toEqual([{ scope: '**', from: 2, to: 1 }]);
    });

    it('removes a rule left without signers', () => {
      const r = removeSigner(addSigner(EMPTY, 'x/*', signer('a')), 'a', undefined, { lowerThreshold: true });
      expect(r.removedRules).toEqual(['x/*']);
      expect(r.policy.rules).toEqual([]);
    });
  });

  it('needs no flag while the threshold is still met', () => {
    const three = addSigner(p, '**', signer('c'));
    expect(removeSigner(three, 'c')).toMatchObject({ lowered: [], removedRules: [] });
  });

  it('throws POLICY_INVALID for an unknown signer', () => expectCode(() => removeSigner(p, 'zz'), 'POLICY_INVALID'));
  it('throws POLICY_NO_RULE for an unknown scope', () =>
    expectCode(() => removeSigner(p, 'a', 'nope/*'), 'POLICY_NO_RULE'));
});

describe('addSigner', () => {
  it.each(['token.actions.githubusercontent.com', 'http://token.actions.githubusercontent.com', 'ftp://x.example'])(
    'throws POLICY_INVALID for the issuer %s',
    (issuer) => expectCode(() => addSigner(EMPTY, '**', { ...signer('a'), issuer }), 'POLICY_INVALID'),
  );
  it.each([
    'https://token.actions.githubusercontent.com',
    'http://127.0.0.1:8080',
    'http://localhost:1/x',
    'http://[::1]:3',
  ])('accepts %s', (issuer) =>
    expect(addSigner(EMPTY, '**', { ...signer('a'), issuer }).rules[0]!.signers[0]!.issuer).toBe(issuer),
  );
});

describe('setThreshold', () => {
  const p = addSigner(EMPTY, '**', signer('a'));
  it('throws POLICY_INVALID above the number of signers', () =>
    expectCode(() => setThreshold(p, '**', 2), 'POLICY_INVALID'));
  it('throws POLICY_NO_RULE for an unknown scope', () => expectCode(() => setThreshold(p, 'x', 1), 'POLICY_NO_RULE'));
});

describe('setRequire', () => {
  it('replaces the required types, without duplicates', () => {
    const p = setRequire(addSigner(EMPTY, '**', signer('a')), '**', [
      'https://slsa.dev/provenance/*',
      'https://slsa.dev/provenance/*',
    ]);
    expect(p.rules[0]!.require).toEqual(['https://slsa.dev/provenance/*']);
  });
});

describe('revokeDigest and revokeSigner', () => {
  const p = addSigner(EMPTY, '**', signer('a'));
  it('add once', () => {
    expect(revokeDigest(revokeDigest(p, DIGEST), DIGEST).revoked.digests).toEqual([DIGEST]);
    expect(revokeSigner(revokeSigner(p, 'a'), 'a').revoked.signers).toEqual(['a']);
  });
  it('accept a delegated signer name', () => expect(revokeSigner(p, 'acme/ci').revoked.signers).toEqual(['acme/ci']));
  it('throw POLICY_INVALID for an unknown signer name', () =>
    expectCode(() => revokeSigner(p, 'typo'), 'POLICY_INVALID'));
});
