/** The saved trust configuration: where files are found, how they merge with flags, what is refused. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  findProjectConfig,
  readTrustConfig,
  resolveTrustConfig,
  writeTrustConfig,
} from '../../src/consumer/trust-config.js';
import { expectCode } from '../helpers.js';

let base: string;
let repo: string;
let home: string;
const write = (file: string, trust: unknown) => writeFile(file, JSON.stringify({ version: 1, trust }));

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-trust-config-'));
  repo = path.join(base, 'outer', 'repo');
  home = path.join(base, 'home');
  await mkdir(path.join(repo, '.git'), { recursive: true });
  await mkdir(path.join(repo, 'a', 'b'), { recursive: true });
  await mkdir(path.join(home, 'opk-attest'), { recursive: true });
});
afterEach(() => rm(base, { recursive: true, force: true }));

describe('findProjectConfig', () => {
  it('walks up to the repository root', async () => {
    await write(path.join(repo, '.opk-attest.json'), {});
    expect(await findProjectConfig(path.join(repo, 'a', 'b'))).toEqual({
      path: path.join(repo, '.opk-attest.json'),
      searchedUpTo: repo,
    });
  });

  describe('when the only file lies above the repository root', () => {
    it('finds none (a parent directory never applies)', async () => {
      await write(path.join(base, 'outer', '.opk-attest.json'), {});
      expect(await findProjectConfig(path.join(repo, 'a'))).toEqual({ searchedUpTo: repo });
    });
  });
});

describe('resolveTrustConfig', () => {
  const resolve = (flags = {}) => resolveTrustConfig({ cwd: path.join(repo, 'a'), configHome: home, flags });

  it('takes the project file over the user file, whole', async () => {
    await write(path.join(home, 'opk-attest', 'trust.json'), { issuer: ['https://u'], threshold: '2' });
    await write(path.join(repo, '.opk-attest.json'), { issuer: ['https://p'] });
    const r = await resolve();
    expect(r.settings).toEqual({ issuer: ['https://p'] });
    expect(r.file?.scope).toBe('project');
    expect(r.shadowedUserFile).toBe(path.join(home, 'opk-attest', 'trust.json'));
  });

  it('resolves file paths relative to the file', async () => {
    await write(path.join(repo, '.opk-attest.json'), {
      'tuf-repository': 'trust/repo',
      'tuf-root': 'trust/1.root.json',
    });
    expect((await resolve()).settings).toEqual({
      'tuf-repository': path.join(repo, 'trust', 'repo'),
      'tuf-root': path.join(repo, 'trust', '1.root.json'),
    });
  });

  it('keeps URLs as they are', async () => {
    await write(path.join(repo, '.opk-attest.json'), { 'tuf-repository': 'https://trust.example/repo' });
    expect((await resolve()).settings['tuf-repository']).toBe('https://trust.example/repo');
  });

  describe('when flags are given', () => {
    beforeEach(() =>
      write(path.join(repo, '.opk-attest.json'), {
        issuer: ['https://p'],
        'signer-claim': ['repository=a/b'],
        threshold: '2',
      }),
    );

    it('replaces settings key by key', async () => {
      const r = await resolve({ threshold: '3' });
      expect(r.settings).toEqual({ issuer: ['https://p'], 'signer-claim': ['repository=a/b'], threshold: '3' });
      expect(r.origins).toEqual({ issuer: 'project', 'signer-claim': 'project', threshold: 'flag' });
    });

    it('a TUF repository replaces every file-given trust flag', async () => {
      const r = await resolve({ 'tuf-repository': 'https://t', 'tuf-root': '/r.json' });
      expect(r.settings).toEqual({ 'tuf-repository': 'https://t', 'tuf-root': '/r.json' });
      expect(r.replaced.map((x) => x.key)).toEqual(['issuer', 'signer-claim', 'threshold']);
    });

    it('--policy replaces the one-rule policy flags but keeps the issuers', async () => {
      const r = await resolve({ policy: '/p.json' });
      expect(r.settings).toEqual({ issuer: ['https://p'], policy: '/p.json' });
    });
  });

  it('trust flags replace a file-given TUF repository', async () => {
    await write(path.join(repo, '.opk-attest.json'), { 'tuf-repository': 'https://t', 'tuf-root': '/r.json' });
    const r = await resolve({ 'signer-claim': ['repository=x/y'] });
    expect(r.settings).toEqual({ 'signer-claim': ['repository=x/y'] });
  });

  it('makes flag paths absolute against the working directory', async () => {
    expect((await resolve({ jwks: 'k.json' })).settings.jwks).toBe(path.join(repo, 'a', 'k.json'));
  });
});

describe('readTrustConfig', () => {
  const file = () => path.join(home, 'x.json');
  it.each([
    ['not JSON', '{'],
    ['not an object', '[]'],
    ['another version', '{"version":2,"trust":{}}'],
    ['an unknown top-level field', '{"version":1,"trust":{},"extra":1}'],
    ['an unknown setting', '{"version":1,"trust":{"issuers":["x"]}}'],
    ['a string where a list belongs', '{"version":1,"trust":{"issuer":"https://x"}}'],
    ['an empty string', '{"version":1,"trust":{"policy":""}}'],
    ['a list where a string belongs', '{"version":1,"trust":{"threshold":["1"]}}'],
    ['more than 64 KiB', `{"version":1,"trust":{"issuer":["${'x'.repeat(70_000)}"]}}`],
  ])('refuses %s with CONFIG_INVALID', async (_what, text) => {
    await writeFile(file(), text);
    await expectCode(() => readTrustConfig(file(), 'user'), 'CONFIG_INVALID');
  });

  it('returns undefined for a missing file', async () => {
    expect(await readTrustConfig(path.join(home, 'none.json'), 'user')).toBeUndefined();
  });
});

describe('writeTrustConfig', () => {
  it('round-trips, storing paths inside the file directory relatively and others absolutely', async () => {
    const f = path.join(repo, '.opk-attest.json');
    await writeTrustConfig(f, { 'tuf-root': 'trust/1.root.json', jwks: '/etc/jwks.json', issuer: ['https://i'] }, repo);
    expect((await readTrustConfig(f, 'project'))!.settings).toEqual({
      'tuf-root': path.join(repo, 'trust', '1.root.json'),
      jwks: '/etc/jwks.json',
      issuer: ['https://i'],
    });
  });
});
