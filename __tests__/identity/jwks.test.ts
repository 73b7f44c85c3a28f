import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_JWKS_BYTES, MAX_JWKS_KEYS } from '../../src/core/limits.js';
import { discoveryKeyFinder, fetchJwks, findJwk, jwksKeyFinder, parseJwks } from '../../src/identity/jwks.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { expectCode, loadVectors } from '../helpers.js';

const V = loadVectors();
const fast = { attempts: 1, timeoutMs: 2000 };
const keys = V.jkt.map((c: { jwk: unknown }) => c.jwk);

describe('parseJwks', () => {
  it('keeps the keys as received', () => {
    expect(parseJwks(JSON.stringify({ keys })).keys).toEqual(keys);
  });
  describe.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['without keys', '{}'],
    ['with keys not an array', '{"keys":{}}'],
    ['with a key lacking kty', '{"keys":[{"kid":"a"}]}'],
    ['with a numeric kid', '{"keys":[{"kty":"RSA","kid":1}]}'],
    ['with a non-object key', '{"keys":["k"]}'],
    [
      `with more than ${MAX_JWKS_KEYS} keys`,
      JSON.stringify({ keys: Array.from({ length: MAX_JWKS_KEYS + 1 }, () => ({ kty: 'RSA' })) }),
    ],
  ])('when the document is %s', (_what, text) => {
    it('throws PKT_JWKS_INVALID', () => expectCode(() => parseJwks(text), 'PKT_JWKS_INVALID'));
  });
  describe('when the document is over MAX_JWKS_BYTES', () => {
    it('throws PKT_TOO_LARGE', () =>
      expectCode(() => parseJwks(Buffer.alloc(MAX_JWKS_BYTES + 1, 0x20)), 'PKT_TOO_LARGE'));
  });
});

describe('findJwk', () => {
  const jwks = parseJwks(JSON.stringify({ keys }));
  it('finds by kid', () => expect(findJwk(jwks, keys[1].kid)).toEqual(keys[1]));
  it('finds nothing for an unknown kid', () => expect(findJwk(jwks, 'nope')).toBeUndefined());
  it('finds nothing without a kid when several keys exist', () => expect(findJwk(jwks, undefined)).toBeUndefined());
  it('takes the only key when the token has no kid', () => {
    expect(findJwk(parseJwks(JSON.stringify({ keys: [keys[0]] })), undefined)).toEqual(keys[0]);
  });
});

describe('jwksKeyFinder', () => {
  const find = jwksKeyFinder({ 'https://gitlab.com': parseJwks(JSON.stringify({ keys })) });
  it('serves keys per issuer', async () => {
    await expect(find('https://gitlab.com', keys[0].kid)).resolves.toEqual(keys[0]);
    await expect(find('https://evil.example', keys[0].kid)).resolves.toBeUndefined();
    await expect(find('constructor', undefined)).resolves.toBeUndefined();
  });
});

describe('fetchJwks', () => {
  let oidc: GithubOidc;
  let other: Server;
  let otherUrl: string;
  const routes: Record<string, { status: number; body: string }> = {};
  beforeAll(async () => {
    oidc = await startGithubOidc();
    other = createServer((req, res) => {
      const r = routes[req.url ?? ''] ?? { status: 404, body: 'not found' };
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await oidc.close();
    await new Promise((r) => other.close(r));
  });

  describe('when the issuer serves discovery and a JWKS on loopback', () => {
    it('returns its keys', async () => {
      const jwks = await fetchJwks(oidc.issuer, fast);
      expect(jwks.keys.map((k) => k.kid)).toEqual([oidc.currentKey().kid]);
    });
  });

  describe('discoveryKeyFinder', () => {
    it('fetches once per issuer and finds keys by kid', async () => {
      const before = { ...oidc.requests };
      const find = discoveryKeyFinder(fast);
      await expect(find(oidc.issuer, oidc.currentKey().kid)).resolves.toMatchObject({ kid: oidc.currentKey().kid });
      await expect(find(oidc.issuer, 'unknown')).resolves.toBeUndefined();
      expect(oidc.requests.discovery - before.discovery).toBe(1);
      expect(oidc.requests.jwks - before.jwks).toBe(1);
    });

    it('prefetch starts the fetch that the next lookup then uses', async () => {
      const before = { ...oidc.requests };
      const find = discoveryKeyFinder(fast);
      find.prefetch(oidc.issuer);
      while (oidc.requests.jwks === before.jwks) await new Promise((r) => setTimeout(r, 5));
      await expect(find(oidc.issuer, oidc.currentKey().kid)).resolves.toMatchObject({ kid: oidc.currentKey().kid });
      expect(oidc.requests.discovery - before.discovery).toBe(1);
      expect(oidc.requests.jwks - before.jwks).toBe(1);
    });

    it('a failed prefetch is fetched again by the lookup, which reports its own outcome', async () => {
      const find = discoveryKeyFinder({ ...fast, attempts: 1 });
      find.prefetch(`${otherUrl}/nowhere`);
      await expectCode(() => find(`${otherUrl}/nowhere`, 'k'), 'PKT_JWKS_FETCH_FAILED');
    });
  });

  describe('when the discovery document names another issuer', () => {
    it('throws PKT_JWKS_INVALID', async () => {
      routes['/mix/.well-known/openid-configuration'] = {
        status: 200,
        body: JSON.stringify({ issuer: 'https://token.actions.githubusercontent.com', jwks_uri: `${otherUrl}/jwks` }),
      };
      await expectCode(() => fetchJwks(`${otherUrl}/mix`, fast), 'PKT_JWKS_INVALID');
    });
  });

  describe('when jwks_uri is plain http off loopback', () => {
    it('throws PKT_JWKS_FETCH_FAILED', async () => {
      routes['/plain/.well-known/openid-configuration'] = {
        status: 200,
        body: JSON.stringify({ issuer: `${otherUrl}/plain`, jwks_uri: 'http://keys.example.com/jwks' }),
      };
      await expectCode(() => fetchJwks(`${otherUrl}/plain`, fast), 'PKT_JWKS_FETCH_FAILED');
    });
  });

  describe('when the issuer is plain http off loopback', () => {
    it('throws PKT_JWKS_FETCH_FAILED without a request', () =>
      expectCode(() => fetchJwks('http://issuer.example.com', fast), 'PKT_JWKS_FETCH_FAILED'));
  });

  describe('when discovery answers 404', () => {
    it('throws PKT_JWKS_FETCH_FAILED', () =>
      expectCode(() => fetchJwks(`${otherUrl}/missing`, fast), 'PKT_JWKS_FETCH_FAILED'));
  });

  describe('when the JWKS is not a JWKS', () => {
    it('throws PKT_JWKS_INVALID', async () => {
      routes['/bad/.well-known/openid-configuration'] = {
        status: 200,
        body: JSON.stringify({ issuer: `${otherUrl}/bad`, jwks_uri: `${otherUrl}/bad/jwks` }),
      };
      routes['/bad/jwks'] = { status: 200, body: '<html>' };
      await expectCode(() => fetchJwks(`${otherUrl}/bad`, fast), 'PKT_JWKS_INVALID');
    });
  });

  describe('when the JWKS is too large', () => {
    it('throws PKT_TOO_LARGE', async () => {
      routes['/big/.well-known/openid-configuration'] = {
        status: 200,
        body: JSON.stringify({ issuer: `${otherUrl}/big`, jwks_uri: `${otherUrl}/big/jwks` }),
      };
      routes['/big/jwks'] = { status: 200, body: ' '.repeat(MAX_JWKS_BYTES + 1) };
      await expectCode(() => fetchJwks(`${otherUrl}/big`, fast), 'PKT_TOO_LARGE');
    });
  });
});
