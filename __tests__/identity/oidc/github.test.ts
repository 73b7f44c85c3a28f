import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { jest } from '@jest/globals';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { MAX_OIDC_RESPONSE_BYTES } from '../../../src/core/limits.js';
import {
  actionsCoreGithubProvider,
  GITHUB_ACTIONS_ISSUER,
  githubActionsProvider,
  type GithubActionsOptions,
} from '../../../src/identity/oidc/index.js';
import { startGithubOidc, type GithubOidc } from '../../fakes/github-oidc.js';
import { expectCode } from '../../helpers.js';

/** A commitment as the core makes it: base64url of a 32-byte hash. */
const commitment = (): string => randomBytes(32).toString('base64url');
const FAST = { attempts: 3, backoffMs: 1 };

let gh: GithubOidc;
beforeAll(async () => {
  gh = await startGithubOidc();
});
afterAll(() => gh.close());
afterEach(() => gh.reset());

function envFor(fake: GithubOidc, extra: Record<string, string> = {}): Record<string, string> {
  return { ACTIONS_ID_TOKEN_REQUEST_URL: fake.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: fake.requestToken, ...extra };
}

function provider(opts: GithubActionsOptions = {}) {
  return githubActionsProvider({ env: envFor(gh), issuer: gh.issuer, http: FAST, ...opts });
}

/** The error and every cause below it, as text, for secret scans. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.message), String(e));
  }
  return parts.join('\n');
}

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('githubActionsProvider', () => {
  describe('when the endpoint issues a token', () => {
    it('returns an RS256 token whose aud is the commitment, verifiable with the published JWKS', async () => {
      const c = commitment();
      const p = provider();
      const token = await p.requestIdToken(c);
      expect(p).toMatchObject({ name: 'github-actions', commitmentClaim: 'aud', issuer: gh.issuer });
      const jwks = createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks`));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: gh.issuer, audience: c });
      expect(protectedHeader).toMatchObject({ typ: 'JWT', alg: 'RS256', kid: gh.currentKey().kid });
      expect(protectedHeader.kid).toMatch(/^[0-9A-F]{40}$/);
      expect(payload).toMatchObject({
        aud: c,
        sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        repository: 'octo-org/octo-repo',
      });
      expect(payload.nbf).toBe(payload.iat! - 600);
      expect(gh.audiences.at(-1)).toBe(c);
    });
  });

  describe('when the endpoint rotates its signing key', () => {
    it('returns tokens under the new kid, verifiable while the old key is kept or dropped', async () => {
      const old = gh.currentKey().kid;
      const fresh = await gh.rotateKey();
      const token = await provider().requestIdToken(commitment());
      expect(decodeProtectedHeader(token).kid).toBe(fresh.kid);
      expect(gh.jwks().keys.map((k) => k.kid)).toEqual([old, fresh.kid]);
      const newest = await gh.rotateKey({ dropOld: true });
      expect(gh.jwks().keys.map((k) => k.kid)).toEqual([newest.kid]);
      const jwks = createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks`));
      await expect(jwtVerify(token, jwks)).rejects.toThrow(); // the dropped key no longer verifies old tokens
    });
  });

  describe('when the request URL already carries an audience', () => {
    it('replaces it and keeps the other parameters', async () => {
      const c = commitment();
      const env = envFor(gh, { ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.requestUrl}&audience=old` });
      const token = await githubActionsProvider({ env, issuer: gh.issuer, http: FAST }).requestIdToken(c);
      expect(decodeJwt(token).aud).toBe(c); // the fake answers 400 to a repeated audience or a missing api-version
    });
  });

  describe('when the issuer is the real GitHub one', () => {
    it('accepts tokens from GITHUB_ACTIONS_ISSUER by default', async () => {
      const real = await startGithubOidc({ issuer: GITHUB_ACTIONS_ISSUER });
      try {
        const token = await githubActionsProvider({ env: envFor(real), http: FAST }).requestIdToken(commitment());
        expect(decodeJwt(token).iss).toBe(GITHUB_ACTIONS_ISSUER);
      } finally {
        await real.close();
      }
    });
  });

  describe('when the token comes from another issuer', () => {
    it('throws OIDC_TOKEN_INVALID', () =>
      expectCode(
        () => githubActionsProvider({ env: envFor(gh), http: FAST }).requestIdToken(commitment()),
        'OIDC_TOKEN_INVALID',
      ));
  });

  describe('when the issuer is derived from GITHUB_SERVER_URL', () => {
    const slug = `${GITHUB_ACTIONS_ISSUER}/octo-enterprise`;
    it.each([
      ['https://github.com', GITHUB_ACTIONS_ISSUER, GITHUB_ACTIONS_ISSUER],
      ['https://github.com', slug, GITHUB_ACTIONS_ISSUER],
      ['https://octo.ghe.com', 'https://token.actions.octo.ghe.com', 'https://token.actions.octo.ghe.com'],
      [
        'https://ghes.example.com',
        'https://ghes.example.com/_services/token',
        'https://ghes.example.com/_services/token',
      ],
    ])('on %s accepts a token from %s (expecting %s before it)', async (server, iss, expected) => {
      const op = await startGithubOidc({ issuer: iss });
      try {
        const p = githubActionsProvider({ env: envFor(op, { GITHUB_SERVER_URL: server }), http: FAST });
        expect(p.issuer).toBe(expected);
        expect(decodeJwt(await p.requestIdToken(commitment())).iss).toBe(iss);
      } finally {
        await op.close();
      }
    });

    it('throws OIDC_TOKEN_INVALID for a token that does not fit, naming GITHUB_SERVER_URL and the fix', async () => {
      const op = await startGithubOidc({ issuer: slug });
      try {
        const p = githubActionsProvider({ env: envFor(op, { GITHUB_SERVER_URL: 'https://octo.ghe.com' }), http: FAST });
        const err = await caught(() => p.requestIdToken(commitment()));
        expect(err).toMatchObject({
          code: 'OIDC_TOKEN_INVALID',
          message: `GitHub Actions OIDC token: iss "${slug}" does not fit GITHUB_SERVER_URL https://octo.ghe.com (expected https://token.actions.octo.ghe.com); if your GitHub uses another issuer, set the oidc-issuer input (CLI: --issuer)`,
        });
      } finally {
        await op.close();
      }
    });

    it('throws OIDC_NOT_CONFIGURED for a GITHUB_SERVER_URL that is not a server URL', async () => {
      const err = await caught(async () =>
        githubActionsProvider({ env: envFor(gh, { GITHUB_SERVER_URL: 'github.com' }) }),
      );
      expect(err).toMatchObject({
        code: 'OIDC_NOT_CONFIGURED',
        message: expect.stringContaining('GITHUB_SERVER_URL "github.com"'),
      });
    });
  });

  describe('when the endpoint puts another audience in the token', () => {
    it('throws OIDC_TOKEN_INVALID naming aud', async () => {
      gh.setClaims({ aud: 'sigstore' });
      const err = await caught(() => provider().requestIdToken(commitment()));
      expect(err).toMatchObject({ code: 'OIDC_TOKEN_INVALID', message: expect.stringContaining('"aud"') });
    });
  });

  describe('when the variables are missing', () => {
    it.each(['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'])(
      'throws OIDC_NOT_CONFIGURED without %s, naming the permission',
      async (name) => {
        const env: Record<string, string> = envFor(gh);
        delete env[name];
        const err = await caught(async () => githubActionsProvider({ env }));
        expect(err).toMatchObject({
          code: 'OIDC_NOT_CONFIGURED',
          message: expect.stringContaining('permissions: id-token: write'),
        });
      },
    );
  });

  describe('when the request URL is plain http to a non-loopback host', () => {
    it('throws OIDC_NOT_CONFIGURED', () =>
      expectCode(
        async () =>
          githubActionsProvider({
            env: envFor(gh, { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://example.com/idtoken?api-version=2.0' }),
          }),
        'OIDC_NOT_CONFIGURED',
      ));
  });

  describe('when the request token is wrong', () => {
    it('throws OIDC_REQUEST_FAILED with the status, without retrying', async () => {
      const before = gh.requests.idtoken;
      const err = await caught(() =>
        provider({ env: envFor(gh, { ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-token' }) }).requestIdToken(commitment()),
      );
      expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('HTTP 401') });
      expect(gh.requests.idtoken - before).toBe(1);
    });
  });

  describe('when the endpoint fails once with 500', () => {
    it('retries and returns the token', async () => {
      const before = gh.requests.idtoken;
      gh.failNext(1, 500);
      const c = commitment();
      expect(decodeJwt(await provider().requestIdToken(c)).aud).toBe(c);
      expect(gh.requests.idtoken - before).toBe(2);
    });
  });

  describe('when the endpoint keeps failing with 503', () => {
    it('throws OIDC_REQUEST_FAILED after the configured attempts', async () => {
      const before = gh.requests.idtoken;
      gh.failNext(10, 503);
      const err = await caught(() => provider().requestIdToken(commitment()));
      expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('HTTP 503') });
      expect(gh.requests.idtoken - before).toBe(FAST.attempts);
    });
  });

  describe('when nothing listens at the URL', () => {
    it('throws OIDC_REQUEST_FAILED after retrying', async () => {
      const port = await freePort();
      const env = envFor(gh, { ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/idtoken?api-version=2.0` });
      await expectCode(
        () => githubActionsProvider({ env, http: { attempts: 2, backoffMs: 1 } }).requestIdToken(commitment()),
        'OIDC_REQUEST_FAILED',
      );
    });
  });

  describe('when the endpoint redirects', () => {
    it('does not follow and throws OIDC_REQUEST_FAILED', async () => {
      gh.failNext(1, 302);
      const err = await caught(() => provider().requestIdToken(commitment()));
      expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('redirect') });
    });
  });

  describe('when a proxy answers 200 with an HTML page', () => {
    it('throws OIDC_BAD_RESPONSE saying the response is not JSON', async () => {
      gh.failNext(1, 200, '<!doctype html><html><body>Sign in</body></html>', { contentType: 'text/html' });
      const err = await caught(() => provider().requestIdToken(commitment()));
      expect(err).toMatchObject({ code: 'OIDC_BAD_RESPONSE', message: expect.stringContaining('not JSON') });
    });
  });

  describe('when the JSON has no string value', () => {
    it.each([['{"count":1}'], ['{"value":42}'], ['{"value":""}'], ['[]'], ['{"value":"x.y.z","count":"1"}']])(
      'throws OIDC_BAD_RESPONSE for %s',
      (body) => {
        gh.failNext(1, 200, body);
        return expectCode(() => provider().requestIdToken(commitment()), 'OIDC_BAD_RESPONSE');
      },
    );
  });

  describe('when the value is not a JWT', () => {
    it('throws OIDC_TOKEN_INVALID', () => {
      gh.failNext(1, 200, JSON.stringify({ count: 1, value: 'opaque-token' }));
      return expectCode(() => provider().requestIdToken(commitment()), 'OIDC_TOKEN_INVALID');
    });
  });

  describe('when the response exceeds MAX_OIDC_RESPONSE_BYTES', () => {
    const big = JSON.stringify({ count: 1, value: 'a'.repeat(MAX_OIDC_RESPONSE_BYTES) });
    it('throws OIDC_BAD_RESPONSE on a declared length', () => {
      gh.failNext(1, 200, big);
      return expectCode(() => provider().requestIdToken(commitment()), 'OIDC_BAD_RESPONSE');
    });
    it('throws OIDC_BAD_RESPONSE on a chunked body', () => {
      gh.failNext(1, 200, big, { chunked: true });
      return expectCode(() => provider().requestIdToken(commitment()), 'OIDC_BAD_RESPONSE');
    });
  });

  describe('when running in GitHub Actions', () => {
    it('registers the request token, then the ID token, with setSecret', async () => {
      const setSecret = jest.fn<(s: string) => void>();
      const token = await provider({ env: envFor(gh, { GITHUB_ACTIONS: 'true' }), setSecret }).requestIdToken(
        commitment(),
      );
      expect(setSecret.mock.calls).toEqual([[gh.requestToken], [token]]);
    });

    it('uses @actions/core.setSecret by default (::add-mask::)', async () => {
      const written: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      try {
        const token = await provider({ env: envFor(gh, { GITHUB_ACTIONS: 'true' }) }).requestIdToken(commitment());
        expect(written).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`::add-mask::${gh.requestToken}`),
            expect.stringContaining(`::add-mask::${token}`),
          ]),
        );
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('when not running in GitHub Actions', () => {
    it('masks nothing unless setSecret is given', async () => {
      const spy = jest.spyOn(process.stdout, 'write');
      try {
        await provider().requestIdToken(commitment());
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('when any request fails', () => {
    it('never puts the request token or an ID token in the error or its causes', async () => {
      const c = commitment();
      const secrets = [gh.requestToken];
      const failures: (() => void)[] = [
        () => gh.failNext(1, 401),
        () => gh.failNext(1, 200, '<html>'),
        () => gh.failNext(5, 500),
        () => gh.failNext(1, 200, JSON.stringify({ value: 'not-a-jwt' })),
        () => gh.setClaims({ aud: 'other' }),
        () => gh.setClaims({ iss: 'https://evil.example' }),
        () => gh.setClaims({ exp: 1 }),
      ];
      for (const inject of failures) {
        inject();
        const err = await caught(() => provider().requestIdToken(c));
        gh.reset();
        secrets.push(...gh.issued);
        const text = errorText(err);
        for (const s of secrets) expect(text).not.toContain(s);
        for (const s of gh.issued) expect(text).not.toContain(s.split('.')[2]);
      }
    });
  });
});

describe('actionsCoreGithubProvider', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, envFor(gh));
    delete process.env.GITHUB_ACTIONS;
  });
  afterEach(() => {
    for (const k of ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'GITHUB_ACTIONS']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  /** @actions/core prints ::debug:: and ::add-mask:: lines; keep the test output readable. */
  async function quietly<T>(fn: () => Promise<T>): Promise<T> {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      return await fn();
    } finally {
      spy.mockRestore();
    }
  }

  describe('when @actions/core.getIDToken talks to the fake endpoint', () => {
    it('gets a token with aud = commitment, the same request as githubActionsProvider', async () => {
      const c = commitment();
      const token = await quietly(() => actionsCoreGithubProvider({ issuer: gh.issuer }).requestIdToken(c));
      expect(decodeProtectedHeader(token).alg).toBe('RS256');
      expect(decodeJwt(token).aud).toBe(c);
      expect(gh.audiences.at(-1)).toBe(c);
    });
  });

  describe('when the variables are missing', () => {
    it('throws OIDC_NOT_CONFIGURED', () => {
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      return expectCode(async () => actionsCoreGithubProvider(), 'OIDC_NOT_CONFIGURED');
    });
  });

  describe('when the request token is wrong', () => {
    it('throws OIDC_REQUEST_FAILED with the status and no token in the message', async () => {
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'wrong-token';
      const err = await caught(() =>
        quietly(() => actionsCoreGithubProvider({ issuer: gh.issuer }).requestIdToken(commitment())),
      );
      expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('HTTP 401') });
      expect(errorText(err)).not.toContain(gh.requestToken);
    });
  });

  describe('when given a getIDToken function', () => {
    it('checks what it returns', () =>
      expectCode(
        () => actionsCoreGithubProvider({ getIDToken: async () => 'a.b.c' }).requestIdToken(commitment()),
        'OIDC_TOKEN_INVALID',
      ));
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
