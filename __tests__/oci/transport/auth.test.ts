/**
 * Credential discovery like docker and podman: explicit input, auth files in order, credHelpers,
 * credsStore and identity tokens, with a real `docker-credential-test` script on PATH.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authFiles, resolveCredential } from '../../../src/oci/transport/auth.js';
import { expectCode } from '../../helpers.js';

let root: string;
let home: string;
let bin: string;
let n = 0;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'opk-auth-'));
  bin = path.join(root, 'bin');
  mkdirSync(bin);
  // A credential helper speaking docker's protocol: server URL on stdin, JSON on stdout.
  helper(
    'test',
    `
read -r server
printf '%s' "$server" > "${root}/helper-stdin"
case "$server" in
  ghcr.io) printf '{"ServerURL":"ghcr.io","Username":"helper-user","Secret":"helper-secret"}' ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"hub-identity-token"}' "$server" ;;
  garbage.io) printf 'not json at all: garbage-secret' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
  );
  helper('broken', 'echo "the keychain is locked" >&2; exit 3');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  home = path.join(root, `home-${n++}`);
  mkdirSync(home);
});

function helper(name: string, body: string): void {
  const file = path.join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

function writeJson(file: string, value: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const basic = (user: string, pass: string): string => Buffer.from(`${user}:${pass}`).toString('base64');
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOME: home,
  PATH: `${bin}:/usr/bin:/bin`,
  ...extra,
});

describe('resolveCredential', () => {
  describe('when explicit credentials are given', () => {
    it('uses them over every file', async () => {
      writeJson(path.join(home, '.docker/config.json'), { auths: { 'ghcr.io': { auth: basic('file', 'file-pw') } } });
      expect(await resolveCredential('ghcr.io', { username: 'u', password: 'p', env: env() })).toEqual({
        kind: 'basic',
        username: 'u',
        password: 'p',
        source: 'explicit username/password',
      });
    });

    it('throws OCI_CREDENTIALS_INVALID for a username without password', () =>
      expectCode(() => resolveCredential('ghcr.io', { username: 'u', env: env() }), 'OCI_CREDENTIALS_INVALID'));
  });

  describe('when no file exists', () => {
    it('returns undefined (anonymous)', async () => {
      expect(await resolveCredential('ghcr.io', { env: env() })).toBeUndefined();
    });
  });

  describe('when several auth files exist', () => {
    it('reads ~/.docker/config.json by default', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        auths: { 'ghcr.io': { auth: basic('home', 'pw:with:colons') } },
      });
      expect(await resolveCredential('ghcr.io', { env: env() })).toMatchObject({
        kind: 'basic',
        username: 'home',
        password: 'pw:with:colons',
      });
    });

    it('prefers $DOCKER_CONFIG/config.json over ~/.docker/config.json', async () => {
      writeJson(path.join(home, '.docker/config.json'), { auths: { 'ghcr.io': { auth: basic('home', 'x') } } });
      const dc = path.join(home, 'dc');
      writeJson(path.join(dc, 'config.json'), { auths: { 'ghcr.io': { auth: basic('dockerconfig', 'x') } } });
      expect(await resolveCredential('ghcr.io', { env: env({ DOCKER_CONFIG: dc }) })).toMatchObject({
        username: 'dockerconfig',
      });
    });

    it('prefers $REGISTRY_AUTH_FILE over the docker config', async () => {
      const dc = path.join(home, 'dc');
      writeJson(path.join(dc, 'config.json'), { auths: { 'ghcr.io': { auth: basic('dockerconfig', 'x') } } });
      const raf = writeJson(path.join(home, 'raf.json'), {
        auths: { 'ghcr.io': { username: 'podman', password: 'pp' } },
      });
      expect(await resolveCredential('ghcr.io', { env: env({ DOCKER_CONFIG: dc, REGISTRY_AUTH_FILE: raf }) })).toEqual({
        kind: 'basic',
        username: 'podman',
        password: 'pp',
        source: raf,
      });
    });

    it('falls through files without an entry to podman files', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        auths: { 'other.io': { auth: basic('o', 'x') }, 'ghcr.io': {} },
      });
      const xdg = path.join(home, 'run');
      writeJson(path.join(xdg, 'containers/auth.json'), { auths: { 'ghcr.io': { auth: basic('xdg', 'x') } } });
      writeJson(path.join(home, '.config/containers/auth.json'), {
        auths: { 'ghcr.io': { auth: basic('config', 'x') } },
      });
      expect(await resolveCredential('ghcr.io', { env: env({ XDG_RUNTIME_DIR: xdg }) })).toMatchObject({
        username: 'xdg',
      });
      expect(await resolveCredential('ghcr.io', { env: env() })).toMatchObject({ username: 'config' });
    });

    it('lists the files in precedence order', () => {
      expect(
        authFiles({ HOME: '/h', REGISTRY_AUTH_FILE: '/r.json', DOCKER_CONFIG: '/d', XDG_RUNTIME_DIR: '/run/u' }),
      ).toEqual(['/r.json', '/d/config.json', '/run/u/containers/auth.json', '/h/.config/containers/auth.json']);
      expect(authFiles({ HOME: '/h' })).toEqual(['/h/.docker/config.json', '/h/.config/containers/auth.json']);
    });
  });

  describe('when the auths key is written differently', () => {
    it.each(['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'])(
      'finds Docker Hub under %s',
      async (key) => {
        writeJson(path.join(home, '.docker/config.json'), { auths: { [key]: { auth: basic('hub', 'x') } } });
        expect(await resolveCredential('docker.io', { env: env() })).toMatchObject({ username: 'hub' });
      },
    );

    it('finds https://ghcr.io for ghcr.io and is not fooled by ghcr.io.evil.com', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        auths: {
          'https://ghcr.io.evil.com': { auth: basic('evil', 'x') },
          'https://ghcr.io': { auth: basic('good', 'x') },
        },
      });
      expect(await resolveCredential('ghcr.io', { env: env() })).toMatchObject({ username: 'good' });
    });

    it('prefers the most specific podman namespace key', async () => {
      writeJson(path.join(home, '.config/containers/auth.json'), {
        auths: {
          'quay.io': { auth: basic('registry-wide', 'x') },
          'quay.io/org': { auth: basic('org', 'x') },
          'quay.io/org/app': { auth: basic('app', 'x') },
        },
      });
      expect(await resolveCredential('quay.io', { repository: 'org/app', env: env() })).toMatchObject({
        username: 'app',
      });
      expect(await resolveCredential('quay.io', { repository: 'org/other', env: env() })).toMatchObject({
        username: 'org',
      });
      expect(await resolveCredential('quay.io', { repository: 'else/x', env: env() })).toMatchObject({
        username: 'registry-wide',
      });
    });
  });

  describe('when the entry is an identity token', () => {
    it('returns an identity-token credential', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        auths: { 'ghcr.io': { auth: basic('u', 'x'), identitytoken: 'idt-123' } },
      });
      expect(await resolveCredential('ghcr.io', { env: env() })).toMatchObject({
        kind: 'identity-token',
        token: 'idt-123',
      });
    });
  });

  describe('when a credential helper is configured', () => {
    it('runs credHelpers[registry] with the host on stdin', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        credHelpers: { 'ghcr.io': 'test' },
        auths: { 'ghcr.io': { auth: basic('file', 'x') } },
      });
      expect(await resolveCredential('ghcr.io', { env: env() })).toEqual({
        kind: 'basic',
        username: 'helper-user',
        password: 'helper-secret',
        source: 'docker-credential-test',
      });
      expect(readFileSync(path.join(root, 'helper-stdin'), 'utf8')).toBe('ghcr.io');
    });

    it('passes https://index.docker.io/v1/ for Docker Hub and maps <token> to an identity token', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credsStore: 'test' });
      expect(await resolveCredential('docker.io', { env: env() })).toMatchObject({
        kind: 'identity-token',
        token: 'hub-identity-token',
      });
      expect(readFileSync(path.join(root, 'helper-stdin'), 'utf8')).toBe('https://index.docker.io/v1/');
    });

    it('prefers an auths entry over credsStore and uses credsStore otherwise', async () => {
      writeJson(path.join(home, '.docker/config.json'), {
        credsStore: 'test',
        auths: { 'other.io': { auth: basic('file', 'x') } },
      });
      expect(await resolveCredential('other.io', { env: env() })).toMatchObject({ username: 'file' });
      expect(await resolveCredential('ghcr.io', { env: env() })).toMatchObject({ username: 'helper-user' });
    });

    it('treats "credentials not found" as anonymous and goes on to the next file', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credsStore: 'test' });
      expect(await resolveCredential('unknown.io', { env: env() })).toBeUndefined();
      writeJson(path.join(home, '.config/containers/auth.json'), {
        auths: { 'unknown.io': { auth: basic('podman', 'x') } },
      });
      expect(await resolveCredential('unknown.io', { env: env() })).toMatchObject({ username: 'podman' });
    });

    it('throws OCI_CREDENTIALS_HELPER_FAILED naming a missing helper', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credHelpers: { 'ghcr.io': 'absent' } });
      await expectCode(() => resolveCredential('ghcr.io', { env: env() }), 'OCI_CREDENTIALS_HELPER_FAILED');
      await expect(resolveCredential('ghcr.io', { env: env() })).rejects.toThrow(
        /docker-credential-absent .*not installed/,
      );
    });

    it('throws OCI_CREDENTIALS_HELPER_FAILED when the helper fails', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credsStore: 'broken' });
      await expect(resolveCredential('ghcr.io', { env: env() })).rejects.toThrow(
        /docker-credential-broken for ghcr.io exited with 3/,
      );
    });

    it('throws OCI_CREDENTIALS_HELPER_FAILED without echoing output that is not JSON', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credHelpers: { 'garbage.io': 'test' } });
      const err = await resolveCredential('garbage.io', { env: env() }).catch((e: Error) => e);
      expect((err as { code?: string }).code).toBe('OCI_CREDENTIALS_HELPER_FAILED');
      expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain(
        'garbage-secret',
      );
    });

    it('refuses a helper name that could be a path', async () => {
      writeJson(path.join(home, '.docker/config.json'), { credsStore: '../../bin/sh' });
      await expectCode(() => resolveCredential('ghcr.io', { env: env() }), 'OCI_CREDENTIALS_HELPER_FAILED');
    });
  });

  describe('when an auth file is malformed', () => {
    it.each([
      ['not JSON', '{"auths": {"ghcr.io": {"auth": "c2VjcmV0LXZhbHVl"'],
      ['an array', '[]'],
      ['auths not an object', '{"auths": "x"}'],
      ['credsStore not a string', '{"credsStore": 1}'],
      ['an entry not an object', '{"auths": {"ghcr.io": "x"}}'],
      ['auth not base64', '{"auths": {"ghcr.io": {"auth": "!!!not-base64-secret"}}}'],
      [
        'auth without a colon',
        `{"auths": {"ghcr.io": {"auth": "${Buffer.from('nocolon-secret').toString('base64')}"}}}`,
      ],
    ])('throws OCI_CREDENTIALS_INVALID for %s, naming the file but no secret', async (_name, text) => {
      const file = writeJson(path.join(home, '.docker/config.json'), text);
      const err = await resolveCredential('ghcr.io', { env: env() }).catch((e: Error) => e);
      expect((err as { code?: string }).code).toBe('OCI_CREDENTIALS_INVALID');
      expect((err as Error).message).toContain(file);
      expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toMatch(
        /secret|c2VjcmV0/,
      );
    });

    it('throws OCI_CREDENTIALS_INVALID for a file over 1 MiB', async () => {
      writeJson(path.join(home, '.docker/config.json'), `{"x":"${'a'.repeat(1024 * 1024)}"}`);
      await expectCode(() => resolveCredential('ghcr.io', { env: env() }), 'OCI_CREDENTIALS_INVALID');
    });
  });
});
