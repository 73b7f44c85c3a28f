/**
 * `trust use` then a bare `verify IMAGE` against the real registry; `config` names the file in
 * force; a project file (found walking up) beats the user file; flags beat both.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cli, startConsumerStack, withRegistry, type ConsumerStack } from './consumer-stack.js';

withRegistry('trust use and config', () => {
  let s: ConsumerStack;
  let image: string;
  let repo: string;
  let sub: string;
  let userFile: string;
  let projectFile: string;
  const saved = { cwd: process.cwd(), xdg: process.env.XDG_CONFIG_HOME };

  beforeAll(async () => {
    s = await startConsumerStack();
    image = (await s.push({ repository: 'acme/web', tag: '1.0' })).ref;
    await s.sign([image]);
    repo = path.join(s.dir, 'repo');
    sub = path.join(repo, 'src', 'deep');
    await mkdir(path.join(repo, '.git'), { recursive: true });
    await mkdir(sub, { recursive: true });
    process.env.XDG_CONFIG_HOME = path.join(s.dir, 'config');
    userFile = path.join(s.dir, 'config', 'opk-attest', 'trust.json');
    projectFile = path.join(repo, '.opk-attest.json');
    process.chdir(sub);
  }, 60_000);
  afterAll(async () => {
    process.chdir(saved.cwd);
    if (saved.xdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved.xdg;
    await s?.stop();
  });

  it('config says there is no saved trust at first', async () => {
    const r = await cli('config');
    expect(r.out).toContain('in force:      no saved trust configuration');
    expect(r.code).toBe(0);
  });

  describe('after trust use (per user)', () => {
    beforeAll(async () => {
      const r = await cli('trust', 'use', ...s.trustFlags);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toContain(`saved to ${userFile}`);
    });

    it('saves the flags in $XDG_CONFIG_HOME/opk-attest/trust.json, with absolute paths', async () => {
      const doc = JSON.parse(await readFile(userFile, 'utf8'));
      expect(doc).toEqual({
        version: 1,
        trust: {
          issuer: [s.oidc.issuer],
          jwks: s.jwksFile,
          'transparency-log': s.rekor.url,
          'tlog-key': [s.rekorKeyFile],
          'signer-claim': ['repository=octo-org/octo-repo'],
        },
      });
    });

    it('verify IMAGE needs nothing else, and says where its trust came from', async () => {
      const r = await cli('verify', image);
      expect(r.code).toBe(0);
      expect(r.err).toBe(
        `opk-attest verify: trust from user file ${userFile}: flags: signers with repository=octo-org/octo-repo of ${s.oidc.issuer}, threshold 1\n`,
      );
    });

    it('config names the user file in force and each setting with its origin', async () => {
      const r = await cli('config');
      expect(r.out).toContain(`in force:      user file ${userFile}`);
      expect(r.out).toMatch(/--signer-claim\s+repository=octo-org\/octo-repo {2}\(user file\)/);
      const j = JSON.parse((await cli('config', '--json')).out);
      expect(j.inForce).toEqual({ scope: 'user', path: userFile });
      expect(j.settings['signer-claim']).toEqual({ value: ['repository=octo-org/octo-repo'], origin: 'user' });
    });
  });

  describe('with a project file that allows another repository', () => {
    beforeAll(async () => {
      process.chdir(repo);
      const flags = s.trustFlags.map((f) => (f === 'repository=octo-org/octo-repo' ? 'repository=other/repo' : f));
      const r = await cli('trust', 'use', '--project', ...flags);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`saved to ${projectFile}`);
      process.chdir(sub);
    });

    it('stores paths inside the repository relative to its root', async () => {
      await writeFile(path.join(repo, 'jwks.json'), await readFile(s.jwksFile));
      process.chdir(repo);
      expect((await cli('trust', 'use', '--project', ...s.trustFlags.slice(0, 2), '--jwks', 'jwks.json')).code).toBe(0);
      expect(JSON.parse(await readFile(projectFile, 'utf8')).trust.jwks).toBe('jwks.json');
      const flags = s.trustFlags.map((f) => (f === 'repository=octo-org/octo-repo' ? 'repository=other/repo' : f));
      expect((await cli('trust', 'use', '--project', ...flags)).code).toBe(0);
      process.chdir(sub);
    });

    it('the project file beats the user file: verify, walking up from a subdirectory, fails', async () => {
      const r = await cli('verify', image);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`trust from project file ${projectFile}`);
      expect(r.out).toContain('NOT verified');
    });

    it('config names the project file in force and why', async () => {
      const r = await cli('config');
      expect(r.out).toContain(`project file:  ${projectFile}`);
      expect(r.out).toContain(`in force:      project file ${projectFile} (a project file beats the user file)`);
      expect(r.out).toContain(`ignored:       user file ${userFile}`);
    });

    it('flags beat both', async () => {
      const r = await cli('verify', image, '--signer-claim', 'repository=octo-org/octo-repo');
      expect(r.code).toBe(0);
      const c = await cli('config', '--signer-claim', 'repository=octo-org/octo-repo');
      expect(c.out).toMatch(/--signer-claim\s+repository=octo-org\/octo-repo {2}\(flag\)/);
      expect(c.out).toMatch(/--issuer\s+\S+ {2}\(project file\)/);
    });

    it('a flag given policy replaces the file-given signer claims instead of mixing with them', async () => {
      const policy = path.join(s.dir, 'policy.json');
      const rule = {
        scope: '**',
        signers: [{ name: 'ci', issuer: s.oidc.issuer, claims: { repository: 'octo-org/octo-repo' } }],
      };
      await writeFile(
        policy,
        JSON.stringify({
          rules: [{ ...rule, threshold: 1, require: [], transparencyLog: 'required', level: 'enforce' }],
          revoked: { digests: [], signers: [] },
        }),
      );
      const r = await cli('verify', image, '--policy', policy);
      expect(r.code).toBe(0);
      const c = await cli('config', '--policy', policy);
      expect(c.out).toContain('--signer-claim       from the project file ignored: --policy was given');
    });

    it('trust use --clear --project removes it, and the user file applies again', async () => {
      process.chdir(repo);
      expect((await cli('trust', 'use', '--clear', '--project')).code).toBe(0);
      process.chdir(sub);
      expect((await cli('verify', image)).code).toBe(0);
    });
  });

  describe('when the saved trust is broken', () => {
    it('verify fails naming the file', async () => {
      await writeFile(projectFile, '{"version":1,"trust":{"signer-claims":["x=y"]}}');
      const r = await cli('verify', image);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('CONFIG_INVALID') });
      expect(r.err).toContain(projectFile);
      await writeFile(projectFile, '{"version":1,');
      expect((await cli('config')).err).toContain('is not JSON');
      process.chdir(repo);
      expect((await cli('trust', 'use', '--clear', '--project')).code).toBe(0);
      process.chdir(sub);
    });
  });

  describe('trust use refuses', () => {
    it('nothing to save', async () => {
      expect(await cli('trust', 'use')).toMatchObject({
        code: 2,
        err: expect.stringContaining('give the trust to save'),
      });
    });

    it('a policy file that does not parse, and writes nothing', async () => {
      const bad = path.join(s.dir, 'bad-policy.json');
      await writeFile(bad, '{"rules": 3}');
      const before = await readFile(userFile, 'utf8');
      const r = await cli('trust', 'use', '--policy', bad);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('POLICY_') });
      expect(await readFile(userFile, 'utf8')).toBe(before);
    });

    it('a log key that is not a PEM key', async () => {
      const r = await cli('trust', 'use', '--tlog-key', s.jwksFile);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('TLOG_') });
    });

    it('a bad threshold', async () => {
      expect(await cli('trust', 'use', '--threshold', 'two')).toMatchObject({ code: 2 });
    });

    it('--project outside a repository', async () => {
      process.chdir(s.dir);
      const r = await cli('trust', 'use', '--project', '--issuer', s.oidc.issuer);
      process.chdir(sub);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('CONFIG_NO_PROJECT') });
    });

    it("a TUF root that is not the repository's (the repository is loaded before saving)", async () => {
      const root = path.join(s.dir, 'root.json');
      await writeFile(root, '{}');
      const r = await cli('trust', 'use', '--tuf-repository', `http://${s.registry.host}/nothing`, '--tuf-root', root);
      expect(r.code).toBe(1);
    });
  });
});
