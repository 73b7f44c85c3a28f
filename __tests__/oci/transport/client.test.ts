/**
 * The transport's HTTP behaviour against small scripted servers: credentials never cross origins,
 * no https → http downgrade, retries (429 + Retry-After, dropped connections), one re-auth on 401,
 * and clear coded errors without secrets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransport } from '../../../src/oci/transport/client.js';
import type { RegistryRequest } from '../../../src/oci/transport/types.js';
import { expectCode } from '../../helpers.js';
import { makeTlsCert } from '../../fakes/distribution.js';
import { json, serve, type TestServer } from './servers.js';

const USER = 'alice';
const PASS = 'pw-correct-horse-battery';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
const NO_HOME = { HOME: '/nonexistent-home', PATH: process.env['PATH'] ?? '' };
const FAST = { env: NO_HOME, backoffMs: 10 };
const SECRETS = [PASS, BASIC.slice(6), 'tok-', 'sig-secret'];

const servers: TestServer[] = [];
const messages: string[] = [];
let certDir: string;
let tls: { keyFile: string; certFile: string };

beforeAll(() => {
  certDir = mkdtempSync(path.join(tmpdir(), 'opk-tls-'));
  tls = makeTlsCert(certDir);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(certDir, { recursive: true, force: true });
  for (const m of messages) for (const s of SECRETS) expect(m.includes(s)).toBe(false);
});

async function start(...args: Parameters<typeof serve>): Promise<TestServer> {
  const s = await serve(...args);
  servers.push(s);
  return s;
}

/** Records the message and cause of a rejection for the secret scan, then rethrows. */
async function captured<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    messages.push((err as Error).message, String((err as Error).cause ?? ''));
    throw err;
  }
}

const get = (path: string, extra: Partial<RegistryRequest> = {}): RegistryRequest => ({
  method: 'GET',
  repository: 'r',
  path,
  actions: ['pull'],
  ...extra,
});

describe('createTransport', () => {
  describe('when a blob GET is redirected to another origin', () => {
    it('follows it without sending Authorization there', async () => {
      const storage = await start((_req, res) => {
        res.writeHead(200);
        res.end('blob-bytes');
      });
      const registry = await start((req, res) => {
        if (req.headers.authorization !== BASIC)
          return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        res.writeHead(307, { location: `${storage.origin}/bucket/blob?X-Amz-Signature=sig-secret` }).end();
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      const res = await t.send(get('r/blobs/sha256:x', { headers: { cookie: 'session=1', accept: '*/*' } }));
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('blob-bytes');
      expect(registry.hits.at(-1)!.headers.authorization).toBe(BASIC);
      expect(storage.hits).toHaveLength(1);
      expect(storage.hits[0]!.headers.authorization).toBeUndefined();
      expect(storage.hits[0]!.headers.cookie).toBeUndefined();
      expect(storage.hits[0]!.headers.accept).toBe('*/*');
    });
  });

  describe('when a redirect stays on the registry origin', () => {
    it('keeps Authorization', async () => {
      const registry = await start((req, res) => {
        if (req.headers.authorization !== BASIC)
          return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        if (req.url === '/v2/r/manifests/a') return void res.writeHead(308, { location: '/v2/r/manifests/b' }).end();
        res.writeHead(200).end('b');
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      expect((await t.send(get('r/manifests/a'))).body.toString()).toBe('b');
      expect(registry.hits.at(-1)!.url).toBe('/v2/r/manifests/b');
      expect(registry.hits.at(-1)!.headers.authorization).toBe(BASIC);
    });
  });

  describe('when the registry hands out an absolute URL on another origin', () => {
    it('sends it there without Authorization', async () => {
      const other = await start((_req, res) => void res.writeHead(202).end());
      const registry = await start((req, res) => {
        if (req.headers.authorization !== BASIC)
          return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        res.writeHead(200).end();
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      await t.send(get(''));
      expect(
        (
          await t.send({
            method: 'PATCH',
            repository: 'r',
            path: `${other.origin}/upload?state=1`,
            actions: ['pull', 'push'],
            body: Buffer.from('x'),
          })
        ).status,
      ).toBe(202);
      expect(other.hits[0]!.headers.authorization).toBeUndefined();
    });
  });

  describe('when Basic auth is required but no credential exists', () => {
    it('returns the 401 without a pointless retry', async () => {
      const registry = await start(
        (_req, res) => void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end(),
      );
      const t = createTransport(registry.host, FAST);
      expect((await t.send(get('r/manifests/v1'))).status).toBe(401);
      expect(registry.hits.map((h) => h.url)).toEqual(['/v2/r/manifests/v1']);
      expect((await t.send(get('r/manifests/v2'))).status).toBe(401);
      expect(registry.hits.map((h) => h.url)).toEqual(['/v2/r/manifests/v1', '/v2/r/manifests/v2']);
    });
  });

  describe('when the first request is refused with a Basic challenge', () => {
    it('adopts the challenge, retries once with the credential, and sends it from then on', async () => {
      const registry = await start((req, res) => {
        if (req.headers.authorization === BASIC) return void res.writeHead(200).end();
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      expect((await t.send(get('r/manifests/v1'))).status).toBe(200);
      expect((await t.send(get('r/manifests/v2'))).status).toBe(200);
      expect(registry.hits.map((h) => [h.url, h.headers.authorization])).toEqual([
        ['/v2/r/manifests/v1', undefined],
        ['/v2/r/manifests/v1', BASIC],
        ['/v2/r/manifests/v2', BASIC],
      ]);
    });
  });

  describe('when an anonymous /v2/ answers but a repository asks for Basic', () => {
    it('adopts the challenge there and retries once with the credential', async () => {
      const registry = await start((req, res) => {
        if (req.url === '/v2/r/public' || req.headers.authorization === BASIC) return void res.writeHead(200).end();
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      expect((await t.send(get('r/public'))).status).toBe(200);
      expect((await t.send(get('r/manifests/v1'))).status).toBe(200);
      expect(registry.hits.map((h) => h.headers.authorization)).toEqual([undefined, undefined, BASIC]);
    });
  });

  describe('while the first request is in flight', () => {
    it('holds the others until its answer tells the scheme, then sends them with the credential', async () => {
      const registry = await start((req, res) => {
        if (req.headers.authorization === BASIC) return void setTimeout(() => res.writeHead(200).end(), 5);
        setTimeout(() => res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end(), 20);
      });
      const t = createTransport(registry.host, { ...FAST, username: USER, password: PASS });
      const answers = await Promise.all([1, 2, 3, 4].map((n) => t.send(get(`r/manifests/v${n}`))));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(registry.hits.filter((h) => h.headers.authorization === undefined)).toHaveLength(1);
      expect(registry.hits).toHaveLength(5);
    });
  });

  describe('when the first request fails to connect', () => {
    it('lets the next request learn the scheme', async () => {
      let first = true;
      const registry = await start((req, res) => {
        if (first) {
          first = false;
          return void req.socket.destroy();
        }
        res.writeHead(200).end();
      });
      const t = createTransport(registry.host, { ...FAST, attempts: 1 });
      await expect(t.send(get('r/manifests/v1'))).rejects.toThrow();
      expect((await t.send(get('r/manifests/v1'))).status).toBe(200);
    });
  });

  describe('when an https registry redirects to plain http', () => {
    it('throws OCI_INSECURE_REDIRECT and never contacts the http URL', async () => {
      const plain = await start((_req, res) => void res.writeHead(200).end());
      const registry = await start((req, res) => {
        if (req.url === '/v2/') return void res.writeHead(200).end();
        res.writeHead(302, { location: `${plain.origin}/blob` }).end();
      }, tls);
      const t = createTransport(registry.host, { ...FAST, caFile: tls.certFile });
      try {
        await expectCode(() => captured(t.send(get('r/blobs/x'))), 'OCI_INSECURE_REDIRECT');
        expect(plain.hits).toHaveLength(0);
      } finally {
        await t.close();
      }
    });
  });

  describe('when redirects loop', () => {
    it('throws OCI_INSECURE_REDIRECT after 5 hops', async () => {
      const registry = await start((req, res) => {
        if (req.url === '/v2/') return void res.writeHead(200).end();
        res.writeHead(302, { location: '/v2/r/blobs/x' }).end();
      });
      const t = createTransport(registry.host, FAST);
      await expectCode(() => captured(t.send(get('r/blobs/x'))), 'OCI_INSECURE_REDIRECT');
      expect(registry.hits.length).toBe(6); // the request and 5 hops
    });
  });

  describe('when the registry answers 429 with Retry-After', () => {
    it('waits as told and retries', async () => {
      let n = 0;
      const registry = await start((req, res) => {
        if (req.url === '/v2/') return void res.writeHead(200).end();
        if (n++ === 0)
          return void json(
            res,
            429,
            { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] },
            { 'retry-after': '1' },
          );
        res.writeHead(200).end('ok');
      });
      const t = createTransport(registry.host, FAST);
      const started = Date.now();
      const res = await t.send(get('r/manifests/v1'));
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(registry.hits.filter((h) => h.url === '/v2/r/manifests/v1')).toHaveLength(2);
    });
  });

  describe('when the connection drops', () => {
    it('retries and succeeds', async () => {
      let n = 0;
      const registry = await start((req, res) => {
        if (req.url === '/v2/') return void res.writeHead(200).end();
        if (n++ === 0) return void req.socket.destroy();
        res.writeHead(200).end('ok');
      });
      const t = createTransport(registry.host, FAST);
      expect((await t.send(get('r/manifests/v1'))).body.toString()).toBe('ok');
      expect(n).toBe(2);
    });

    it('throws OCI_UNREACHABLE when nothing listens', async () => {
      const gone = await start(() => undefined);
      await gone.close();
      const t = createTransport(gone.host, { ...FAST, attempts: 2 });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_UNREACHABLE');
    });
  });

  describe('when a status must not be retried', () => {
    it('honours noRetryStatuses', async () => {
      const registry = await start((req, res) => void res.writeHead(req.url === '/v2/' ? 200 : 503).end());
      const t = createTransport(registry.host, FAST);
      expect((await t.send(get('r/manifests/v1', { noRetryStatuses: [503] }))).status).toBe(503);
      expect(registry.hits.filter((h) => h.url !== '/v2/')).toHaveLength(1);
    });

    it('never repeats a PATCH (an upload chunk)', async () => {
      const registry = await start((req, res) => void res.writeHead(req.url === '/v2/' ? 200 : 503).end());
      const t = createTransport(registry.host, FAST);
      const res = await t.send({
        method: 'PATCH',
        repository: 'r',
        path: 'r/blobs/uploads/u',
        actions: ['pull', 'push'],
        body: Buffer.from('chunk'),
      });
      expect(res.status).toBe(503);
      expect(registry.hits.filter((h) => h.method === 'PATCH')).toHaveLength(1);
    });
  });

  describe('when the response is larger than maxBytes', () => {
    it('throws OCI_TOO_LARGE', async () => {
      const registry = await start(
        (req, res) => void res.writeHead(200).end(req.url === '/v2/' ? '' : 'x'.repeat(5000)),
      );
      const t = createTransport(registry.host, FAST);
      await expectCode(() => captured(t.send(get('r/blobs/x', { maxBytes: 1000 }))), 'OCI_TOO_LARGE');
    });
  });

  describe('when /v2/ is not a registry API', () => {
    it('throws OCI_REGISTRY_ERROR from the ping', async () => {
      const web = await start(
        (_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>nope</html>'),
      );
      const t = createTransport(web.host, FAST);
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_REGISTRY_ERROR');
    });
  });
});

/** A Bearer registry whose valid token can be rotated, with its token endpoint. */
async function bearerRegistry(
  o: {
    tokenBody?: (n: number) => unknown;
    tokenStatus?: number;
    tokenHeaders?: Record<string, string>;
    realm?: string;
    tls?: boolean;
  } = {},
) {
  let tokens = 0;
  let valid = 'tok-1';
  const auth = await start((req, res) => {
    tokens++;
    if (o.tokenStatus)
      return void json(
        res,
        o.tokenStatus,
        { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] },
        o.tokenHeaders ?? {},
      );
    if (req.headers.authorization !== BASIC)
      return void json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad creds' }] });
    json(res, 200, o.tokenBody ? o.tokenBody(tokens) : { token: valid, expires_in: 300 });
  });
  const realm = o.realm ?? `${auth.origin}/token`;
  const challenge = (error?: string): string =>
    `Bearer realm="${realm}",service="svc",scope="repository:r:pull"${error ? `,error="${error}"` : ''}`;
  const registry = await start(
    (req, res) => {
      if (req.headers.authorization === `Bearer ${valid}`) return void res.writeHead(200).end('ok');
      res
        .writeHead(401, { 'www-authenticate': challenge(req.headers.authorization ? 'invalid_token' : undefined) })
        .end();
    },
    o.tls ? tls : undefined,
  );
  return {
    registry,
    auth,
    tokenRequests: () => tokens,
    rotate: (next: string) => {
      valid = next;
    },
  };
}

describe('createTransport with Bearer auth', () => {
  describe('when the registry stops accepting a cached token', () => {
    it('fetches a new token once and retries', async () => {
      const b = await bearerRegistry({ tokenBody: (n) => ({ token: `tok-${n}`, expires_in: 300 }) });
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      expect((await t.send(get('r/manifests/v1'))).status).toBe(200);
      expect(b.tokenRequests()).toBe(1);
      b.rotate('tok-2');
      expect((await t.send(get('r/manifests/v1'))).status).toBe(200);
      expect(b.tokenRequests()).toBe(2);
    });
  });

  describe('when the registry keeps refusing', () => {
    it('returns the 401 after one re-auth instead of looping', async () => {
      const b = await bearerRegistry({ tokenBody: () => ({ token: 'tok-never-valid' }) });
      b.rotate('something-else');
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      expect((await t.send(get('r/manifests/v1'))).status).toBe(401);
      expect(b.registry.hits.filter((h) => h.url !== '/v2/').length).toBe(2);
    });
  });

  describe('when requests run in parallel', () => {
    it('asks for the token once', async () => {
      const b = await bearerRegistry();
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      const all = await Promise.all(Array.from({ length: 5 }, () => t.send(get('r/manifests/v1'))));
      expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(b.tokenRequests()).toBe(1);
    });
  });

  describe('when the token endpoint misbehaves', () => {
    it.each([
      ['no token', { token: '' }],
      ['a non-string token', { token: 42 }],
      ['a token with spaces', { token: 'a b' }],
      ['an array', ['tok']],
    ])('throws OCI_AUTH_FAILED for %s', async (_name, body) => {
      const b = await bearerRegistry({ tokenBody: () => body });
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_AUTH_FAILED');
    });

    it('throws OCI_RATE_LIMITED when it answers 429', async () => {
      const b = await bearerRegistry({ tokenStatus: 429, tokenHeaders: { 'retry-after': '0' } });
      const t = createTransport(b.registry.host, { ...FAST, attempts: 2, username: USER, password: PASS });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_RATE_LIMITED');
    });

    it('does not follow a redirect with the credentials (OCI_AUTH_FAILED)', async () => {
      const elsewhere = await start((_req, res) => void json(res, 200, { token: 'tok-stolen' }));
      const redirecting = await start(
        (_req, res) => void res.writeHead(302, { location: `${elsewhere.origin}/token` }).end(),
      );
      const b = await bearerRegistry({ realm: `${redirecting.origin}/token` });
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_AUTH_FAILED');
      expect(elsewhere.hits).toHaveLength(0);
    });

    it('refuses to send credentials to a plain-http realm of an https registry (OCI_INSECURE_REDIRECT)', async () => {
      const b = await bearerRegistry({ realm: 'http://auth.registry.invalid/token', tls: true });
      const t = createTransport(b.registry.host, { ...FAST, caFile: tls.certFile, username: USER, password: PASS });
      try {
        await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_INSECURE_REDIRECT');
      } finally {
        await t.close();
      }
    });

    it('refuses a realm that is not an http(s) URL', async () => {
      const b = await bearerRegistry({ realm: 'file:///etc/passwd' });
      const t = createTransport(b.registry.host, { ...FAST, username: USER, password: PASS });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_AUTH_FAILED');
    });
  });

  describe('when the CA file is unusable', () => {
    it('throws OCI_TLS_CONFIG_INVALID', async () => {
      const t = createTransport('127.0.0.1:1', { ...FAST, caFile: path.join(certDir, 'tls.key') });
      await expectCode(() => captured(t.send(get('r/manifests/v1'))), 'OCI_TLS_CONFIG_INVALID');
      const u = createTransport('127.0.0.1:1', { ...FAST, caFile: path.join(certDir, 'missing.pem') });
      await expectCode(() => captured(u.send(get('r/manifests/v1'))), 'OCI_TLS_CONFIG_INVALID');
    });
  });
});
