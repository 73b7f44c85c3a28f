/**
 * Policy edits that cannot quietly weaken the policy: a signer removal that leaves a rule below
 * its threshold is refused (unless --lower-threshold, which says so), issuers must be https://
 * (http:// only on loopback), and `trust inspect` / `trust publish` show the effective rules
 * before and after as a diff. A refused edit leaves the staged and the published policy alone.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { allFiles } from '../policy/tuf/repo-fixture.js';
import { cli } from './run-cli.js';

const SCOPE = 'registry.example/acme/**';
const ISSUER = 'https://token.actions.githubusercontent.com';
let base: string;
let dir: string;
let savedPass: string | undefined;
const trust = (...argv: string[]) => cli('trust', ...argv, '--dir', dir);
const snapshot = async () => ({
  staged: await readFile(path.join(dir, 'staged', 'targets', 'policy.json'), 'utf8'),
  published: await allFiles(path.join(dir, 'repository')),
});

beforeAll(async () => {
  savedPass = process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  process.env.OPK_ATTEST_TRUST_PASSPHRASE = 'guards test passphrase 01';
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-trust-guards-'));
  dir = path.join(base, 'trust');
  expect((await cli('trust', 'init', dir)).code).toBe(0);
  for (const argv of [
    ['signer', 'add', 'ci', '--scope', SCOPE, '--issuer', ISSUER, '--claim', 'repository=acme/app'],
    ['signer', 'add', 'qa', '--scope', SCOPE, '--issuer', ISSUER, '--claim', 'repository=acme/qa'],
    ['threshold', '2', '--scope', SCOPE],
  ])
    expect(await trust(...argv)).toMatchObject({ code: 0 });
});
afterAll(async () => {
  if (savedPass === undefined) delete process.env.OPK_ATTEST_TRUST_PASSPHRASE;
  else process.env.OPK_ATTEST_TRUST_PASSPHRASE = savedPass;
  await rm(base, { recursive: true, force: true });
});

describe('trust inspect and publish', () => {
  it('show the effective rules before and after as a diff', async () => {
    const inspect = await trust('inspect');
    expect(inspect.out).toContain('effective rules (- published, + staged):');
    expect(inspect.out).toContain(`+   scope ${SCOPE}: 2 of 2 signer(s)`);
    expect(inspect.out).toContain(`+     qa: ${ISSUER} repository=acme/qa`);
    const json = JSON.parse((await trust('inspect', '--json')).out);
    expect(json.ruleChanges).toContainEqual({ op: '+', line: `    ci: ${ISSUER} repository=acme/app` });
    const pub = await trust('publish');
    expect(pub.code).toBe(0);
    expect(pub.out).toContain('effective rules (- before publishing, + after):');
    expect(pub.out).toContain('-   (no rules)');
    expect(pub.out).toContain(`+   scope ${SCOPE}: 2 of 2 signer(s)`);
    expect((await trust('inspect')).out).toContain('effective rules (- published, + staged): no change');
  });
});

describe('trust signer remove', () => {
  describe('when the rule would fall below its threshold', () => {
    it('is refused with POLICY_EDIT_REFUSED; staged and published policies stay as they were', async () => {
      const before = await snapshot();
      const r = await trust('signer', 'remove', 'qa');
      expect(r.code).toBe(1);
      expect(r.err).toContain(`rule ${SCOPE} requires 2 signer(s) and would have 1`);
      expect(r.err).toContain('--lower-threshold');
      expect(r.err).toContain('[POLICY_EDIT_REFUSED]');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('with --lower-threshold', () => {
    it('removes it, says so on stderr, and publish shows the weakened rule', async () => {
      const r = await trust('signer', 'remove', 'qa', '--lower-threshold');
      expect(r.code).toBe(0);
      expect(r.err).toContain(`warning: rule ${SCOPE} now requires 1 signer(s) instead of 2 (--lower-threshold)`);
      const pub = await trust('publish');
      expect(pub.out).toContain(`-   scope ${SCOPE}: 2 of 2 signer(s)`);
      expect(pub.out).toContain(`+   scope ${SCOPE}: 1 of 1 signer(s)`);
      expect(pub.out).toContain(`-     qa: ${ISSUER} repository=acme/qa`);
    });
  });
});

describe('trust signer add', () => {
  it.each([['token.actions.githubusercontent.com'], ['http://token.actions.githubusercontent.com']])(
    'refuses the issuer %s; nothing changes',
    async (issuer) => {
      const before = await snapshot();
      const r = await trust('signer', 'add', 'x', '--scope', SCOPE, '--issuer', issuer);
      expect(r.code).toBe(1);
      expect(r.err).toContain('is not an https:// URL (plain http:// only for loopback)');
      expect(await snapshot()).toEqual(before);
    },
  );

  it('accepts plain http on loopback (tests and demos)', async () => {
    expect(
      await trust('signer', 'add', 'local', '--scope', 'x/*', '--issuer', 'http://127.0.0.1:9', '--claim', 'a=b'),
    ).toMatchObject({ code: 0 });
  });
});

describe('trust jwks sync --issuer', () => {
  it('refuses an issuer without a scheme', async () => {
    const r = await trust('jwks', 'sync', '--issuer', 'token.actions.githubusercontent.com');
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining('POLICY_INVALID') });
  });
});
