/**
 * The transport against the real CNCF distribution 2.8 in its three modes: anonymous plain http,
 * Basic over TLS with an extra CA, and the Bearer token flow with an ES256 token server.
 */
import { createTransport, type ClosableTransport } from '../../../src/oci/transport/client.js';
import { registryError } from '../../../src/oci/transport/registry-error.js';
import type { RegistryRequest } from '../../../src/oci/transport/types.js';
import { expectCode } from '../../helpers.js';
import { startDistribution, type Distribution } from '../../fakes/distribution.js';
import { describeWith } from '../../requirements.js';

const EMPTY = Buffer.from('{}');
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const NO_HOME = { HOME: '/nonexistent-home', PATH: process.env['PATH'] ?? '' };

const suite = (title: string, body: () => void) => describeWith(['docker-registry'], title, body);

/** Pushes the empty JSON blob (POST then PUT ?digest=), returning the final status. */
async function pushEmptyBlob(t: ClosableTransport, repository: string): Promise<number> {
  const start = await t.send({
    method: 'POST',
    repository,
    path: `${repository}/blobs/uploads/`,
    actions: ['pull', 'push'],
  });
  if (start.status !== 202) return start.status;
  const location = start.headers.get('location')!;
  const put = await t.send({
    method: 'PUT',
    repository,
    actions: ['pull', 'push'],
    body: EMPTY,
    path: `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(EMPTY_DIGEST)}`,
    headers: { 'content-type': 'application/octet-stream' },
  });
  return put.status;
}

function get(repository: string, path: string): RegistryRequest {
  return { method: 'GET', repository, path, actions: ['pull'] };
}

suite('createTransport against distribution 2.8', () => {
  describe('when the registry is plain http without auth', () => {
    let reg: Distribution;
    let t: ClosableTransport;
    beforeAll(async () => {
      reg = await startDistribution({ mode: 'plain' });
      t = createTransport(reg.host, { env: NO_HOME });
    });
    afterAll(async () => {
      await t?.close();
      await reg?.stop();
    });

    it('pings and GETs anonymously', async () => {
      const res = await t.send(get('', ''));
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    });

    it('pushes a blob through an absolute upload Location and reads it back', async () => {
      expect(await pushEmptyBlob(t, 'test/img')).toBe(201);
      const res = await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`));
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('{}');
    });

    it('returns a 404 that registryError maps to OCI_NOT_FOUND', async () => {
      const res = await t.send({
        ...get('test/img', 'test/img/manifests/nope'),
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status).toBe(404);
      const err = registryError(res, 'GET manifest test/img:nope');
      expect(err.code).toBe('OCI_NOT_FOUND');
      expect(err.message).toMatch(
        /^GET manifest test\/img:nope http:\/\/127\.0\.0\.1:\d+\/v2\/test\/img\/manifests\/nope: 404 MANIFEST_UNKNOWN/,
      );
    });
  });
});

/** Every error message we produced, to prove none carries a secret. */
const messages: string[] = [];
async function captured<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    messages.push((err as Error).message, String((err as Error).cause ?? ''));
    throw err;
  }
}

suite('createTransport with auth against distribution 2.8', () => {
  const secrets: string[] = [];

  describe('when the registry uses htpasswd over TLS', () => {
    let reg: Distribution;
    beforeAll(async () => {
      reg = await startDistribution({ mode: 'htpasswd-tls' });
      secrets.push(reg.password!, Buffer.from(`${reg.username}:${reg.password}`).toString('base64'));
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it('authenticates with Basic when given the CA file', async () => {
      const t = createTransport(reg.host, {
        caFile: reg.caFile!,
        username: reg.username!,
        password: reg.password!,
        env: NO_HOME,
      });
      try {
        expect(await pushEmptyBlob(t, 'test/img')).toBe(201);
        expect((await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`))).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('fails the TLS handshake without the CA file (OCI_UNREACHABLE)', async () => {
      const t = createTransport(reg.host, {
        scheme: 'https',
        attempts: 1,
        username: reg.username!,
        password: reg.password!,
        env: NO_HOME,
      });
      await expectCode(() => captured(t.send(get('test/img', 'test/img/tags/list'))), 'OCI_UNREACHABLE');
    });

    it('returns a 401 that registryError turns into OCI_AUTH_FAILED with the docker login hint', async () => {
      const t = createTransport(reg.host, {
        caFile: reg.caFile!,
        username: reg.username!,
        password: 'wrong-password',
        env: NO_HOME,
      });
      try {
        const res = await t.send(get('test/img', 'test/img/tags/list'));
        expect(res.status).toBe(401);
        const err = registryError(res, 'GET tags test/img', reg.host);
        messages.push(err.message);
        expect(err.code).toBe('OCI_AUTH_FAILED');
        expect(err.message).toContain(`401 UNAUTHORIZED`);
        expect(err.message).toContain(`docker login ${reg.host}`);
      } finally {
        await t.close();
      }
    });

    it('reads the credential from $DOCKER_CONFIG/config.json', async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(`${tmpdir()}/opk-dc-`);
      writeFileSync(
        `${dir}/config.json`,
        JSON.stringify({
          auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString('base64') } },
        }),
      );
      const t = createTransport(reg.host, { caFile: reg.caFile!, env: { ...NO_HOME, DOCKER_CONFIG: dir } });
      try {
        expect((await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`))).status).toBe(200);
      } finally {
        await t.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when the registry uses Bearer tokens', () => {
    let reg: Distribution;
    beforeAll(async () => {
      reg = await startDistribution({ mode: 'token' });
      secrets.push(
        reg.password!,
        reg.readOnlyPassword!,
        reg.identityToken!,
        Buffer.from(`${reg.username}:${reg.password}`).toString('base64'),
      );
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it('gets a push token with Basic credentials and caches it per scope', async () => {
      const t = createTransport(reg.host, { username: reg.username!, password: reg.password!, env: NO_HOME });
      const before = reg.tokenServer!.requests.length;
      expect(await pushEmptyBlob(t, 'test/img')).toBe(201);
      expect((await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`))).status).toBe(200);
      expect((await t.send(get('test/img', 'test/img/tags/list'))).status).toBe(404); // authorized: no tags yet
      const seen = reg.tokenServer!.requests.slice(before);
      expect(seen).toEqual([
        {
          method: 'GET',
          grant: 'basic',
          user: reg.username,
          scopes: ['repository:test/img:pull,push'],
          service: 'registry.test',
        },
      ]);
    });

    it('asks again for a scope it has no token for (another repository)', async () => {
      const t = createTransport(reg.host, { username: reg.username!, password: reg.password!, env: NO_HOME });
      const before = reg.tokenServer!.requests.length;
      await t.send(get('test/a', 'test/a/tags/list'));
      await t.send(get('test/b', 'test/b/tags/list'));
      await t.send(get('test/a', 'test/a/tags/list'));
      expect(reg.tokenServer!.requests.slice(before).map((r) => r.scopes)).toEqual([
        ['repository:test/a:pull'],
        ['repository:test/b:pull'],
      ]);
    });

    it('exchanges an identity token with grant_type=refresh_token', async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(`${tmpdir()}/opk-dc-`);
      writeFileSync(
        `${dir}/config.json`,
        JSON.stringify({ auths: { [reg.host]: { identitytoken: reg.identityToken } } }),
      );
      const t = createTransport(reg.host, { env: { ...NO_HOME, DOCKER_CONFIG: dir } });
      try {
        expect(await pushEmptyBlob(t, 'test/idt')).toBe(201);
        expect(reg.tokenServer!.requests.at(-1)).toMatchObject({
          method: 'POST',
          grant: 'refresh_token',
          user: reg.username,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pulls anonymously with an anonymous token', async () => {
      const t = createTransport(reg.host, { env: NO_HOME });
      expect((await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`))).status).toBe(200);
      expect(reg.tokenServer!.requests.at(-1)).toMatchObject({ grant: 'anonymous' });
    });

    it('throws OCI_AUTH_FAILED naming the fix when the token endpoint refuses the password', async () => {
      const t = createTransport(reg.host, { username: reg.username!, password: 'not-the-password', env: NO_HOME });
      await expectCode(() => captured(t.send(get('test/img', 'test/img/tags/list'))), 'OCI_AUTH_FAILED');
      const message = messages.at(-2)!;
      expect(message).toContain(`docker login ${reg.host}`);
      expect(message).toContain('credentials from explicit username/password');
      expect(message).not.toContain('not-the-password');
    });

    it('returns a 401 insufficient_scope that registryError maps to OCI_DENIED for a pull-only user', async () => {
      const t = createTransport(reg.host, {
        username: reg.readOnlyUsername!,
        password: reg.readOnlyPassword!,
        env: NO_HOME,
      });
      const before = reg.tokenServer!.requests.length;
      const res = await t.send({
        method: 'POST',
        repository: 'test/img',
        path: 'test/img/blobs/uploads/',
        actions: ['pull', 'push'],
      });
      expect(res.status).toBe(401);
      expect(reg.tokenServer!.requests.length - before).toBe(1); // no pointless re-auth loop
      const err = registryError(res, 'POST upload test/img', reg.host);
      messages.push(err.message);
      expect(err.code).toBe('OCI_DENIED');
    });
  });

  afterAll(() => {
    // No error message or cause produced in these suites carries a password, token or Basic blob.
    for (const m of messages) for (const s of secrets) expect(m.includes(s)).toBe(false);
    expect(messages.length).toBeGreaterThan(3);
  });
});
