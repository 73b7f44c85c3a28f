import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
} from 'jose';
import { MAX_OIDC_RESPONSE_BYTES } from '../../../src/core/limits.js';
import {
  clientCredentialsProvider,
  staticTokenProvider,
  type ClientCredentialsOptions,
} from '../../../src/identity/oidc/index.js';
import {
  RESOURCE_PREFIX,
  startMinimalOp,
  startOnpremOidc,
  type MinimalOp,
  type OnpremOp,
} from '../../fakes/onprem-oidc.js';
import { expectCode } from '../../helpers.js';

const commitment = (): string => randomBytes(32).toString('base64url');
const ISSUER = 'https://ci.example.internal';
const FAST = { attempts: 2, backoffMs: 1 };

let key: CryptoKey;
let dir: string;
beforeAll(async () => {
  key = (await generateKeyPair('RS256')).privateKey;
  dir = await mkdtemp(path.join(tmpdir(), 'opk-oidc-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: 'pipeline-7', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(String(e.message));
  return parts.join('\n');
}

describe('staticTokenProvider', () => {
  describe('when the token is in an environment variable', () => {
    it('returns it when aud is the commitment', async () => {
      const c = commitment();
      const raw = await token({ aud: c });
      const p = staticTokenProvider({
        source: { env: 'CI_ID_TOKEN' },
        env: { CI_ID_TOKEN: `${raw}\n` },
        commitmentClaim: 'aud',
        issuer: ISSUER,
      });
      expect(await p.requestIdToken(c)).toBe(raw);
      expect(p).toMatchObject({ name: 'static-token', commitmentClaim: 'aud', issuer: ISSUER });
    });

    it('returns it when nonce is the commitment', async () => {
      const c = commitment();
      const raw = await token({ aud: 'ci-client', nonce: c });
      expect(
        await staticTokenProvider({ source: { env: 'T' }, env: { T: raw }, commitmentClaim: 'nonce' }).requestIdToken(
          c,
        ),
      ).toBe(raw);
    });
  });

  describe('when the token was requested for another commitment', () => {
    it.each(['aud', 'nonce'] as const)('throws OIDC_TOKEN_INVALID naming %s', async (claim) => {
      const raw = await token({ [claim]: commitment() });
      const err = await caught(() =>
        staticTokenProvider({ source: { env: 'T' }, env: { T: raw }, commitmentClaim: claim }).requestIdToken(
          commitment(),
        ),
      );
      expect(err).toMatchObject({ code: 'OIDC_TOKEN_INVALID', message: expect.stringContaining(`"${claim}"`) });
      expect(errorText(err)).not.toContain(raw.split('.')[1]);
    });
  });

  describe('when the token names another issuer', () => {
    it('throws OIDC_TOKEN_INVALID', async () => {
      const c = commitment();
      const raw = await token({ aud: c, iss: 'https://other.example' });
      await expectCode(
        () =>
          staticTokenProvider({
            source: { env: 'T' },
            env: { T: raw },
            commitmentClaim: 'aud',
            issuer: ISSUER,
          }).requestIdToken(c),
        'OIDC_TOKEN_INVALID',
      );
    });
  });

  describe('when the variable is not set', () => {
    it('throws OIDC_NOT_CONFIGURED', () =>
      expectCode(
        () =>
          staticTokenProvider({ source: { env: 'T' }, env: {}, commitmentClaim: 'aud' }).requestIdToken(commitment()),
        'OIDC_NOT_CONFIGURED',
      ));
  });

  describe('when the token is in a file', () => {
    it('reads it when requestIdToken is called, so it can be written after the commitment is known', async () => {
      const file = path.join(dir, 'late.jwt');
      const p = staticTokenProvider({ source: { file }, commitmentClaim: 'aud' });
      const c = commitment();
      const raw = await token({ aud: c });
      await writeFile(file, `${raw}\n`);
      expect(await p.requestIdToken(c)).toBe(raw);
    });

    it('throws OIDC_TOKEN_INVALID on a mismatching commitment', async () => {
      const file = path.join(dir, 'other.jwt');
      await writeFile(file, await token({ aud: commitment() }));
      await expectCode(
        () => staticTokenProvider({ source: { file }, commitmentClaim: 'aud' }).requestIdToken(commitment()),
        'OIDC_TOKEN_INVALID',
      );
    });

    it('throws OIDC_NOT_CONFIGURED when the file is missing', () =>
      expectCode(
        () =>
          staticTokenProvider({ source: { file: path.join(dir, 'absent') }, commitmentClaim: 'aud' }).requestIdToken(
            commitment(),
          ),
        'OIDC_NOT_CONFIGURED',
      ));

    it('throws OIDC_TOKEN_INVALID when the file is over MAX_OIDC_RESPONSE_BYTES', async () => {
      const file = path.join(dir, 'huge.jwt');
      await writeFile(file, 'a'.repeat(MAX_OIDC_RESPONSE_BYTES + 1));
      await expectCode(
        () => staticTokenProvider({ source: { file }, commitmentClaim: 'aud' }).requestIdToken(commitment()),
        'OIDC_TOKEN_INVALID',
      );
    });
  });
});

describe('clientCredentialsProvider', () => {
  describe('with oidc-provider (resource indicators, JWT access tokens)', () => {
    let op: OnpremOp;
    beforeAll(async () => {
      op = await startOnpremOidc();
    });
    afterAll(() => op.close());

    const options = (o: Partial<ClientCredentialsOptions> = {}): ClientCredentialsOptions => ({
      issuer: op.issuer,
      clientId: op.clients.basic.id,
      clientSecret: op.clients.basic.secret,
      commitmentParameter: 'resource',
      commitmentPrefix: RESOURCE_PREFIX,
      http: FAST,
      ...o,
    });

    describe('when the commitment is sent as resource urn:aud:<commitment>', () => {
      it.each([
        ['client_secret_basic', 'basic'],
        ['client_secret_post', 'post'],
      ] as const)('returns an RS256 JWT with aud = commitment (%s)', async (authMethod, which) => {
        const c = commitment();
        const p = clientCredentialsProvider(
          options({ authMethod, clientId: op.clients[which].id, clientSecret: op.clients[which].secret }),
        );
        const jwt = await p.requestIdToken(c);
        const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(op.jwks()), {
          issuer: op.issuer,
          audience: c,
        });
        expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
        expect(payload).toMatchObject({ aud: c, client_id: op.clients[which].id, pipeline: 'onprem-ci' });
        expect(p).toMatchObject({ name: 'client-credentials', issuer: op.issuer, commitmentClaim: 'aud' });
      });
    });

    describe('when the secret is wrong', () => {
      it('throws OIDC_REQUEST_FAILED naming invalid_client, without the secret', async () => {
        const secret = `wrong-${randomBytes(8).toString('hex')}`;
        const err = await caught(() =>
          clientCredentialsProvider(options({ clientSecret: secret })).requestIdToken(commitment()),
        );
        expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('invalid_client') });
        expect(errorText(err)).not.toContain(secret);
      });
    });

    describe('when the resource is not an absolute URI', () => {
      it('throws OIDC_REQUEST_FAILED naming invalid_target', async () => {
        const err = await caught(() =>
          clientCredentialsProvider(options({ commitmentPrefix: '' })).requestIdToken(commitment()),
        );
        expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('invalid_target') });
      });
    });

    describe('when the issuer ignores the audience parameter and returns an opaque token', () => {
      it('throws OIDC_BAD_RESPONSE', () =>
        expectCode(
          () =>
            clientCredentialsProvider(
              options({ commitmentParameter: undefined, commitmentPrefix: undefined }),
            ).requestIdToken(commitment()),
          'OIDC_BAD_RESPONSE',
        ));
    });
  });

  describe('with a minimal OP (audience and nonce parameters, id_token)', () => {
    const ops: MinimalOp[] = [];
    async function op(o: Parameters<typeof startMinimalOp>[0] = {}): Promise<MinimalOp> {
      const started = await startMinimalOp(o);
      ops.push(started);
      return started;
    }
    afterAll(() => Promise.all(ops.map((o) => o.close())));

    const options = (m: MinimalOp, o: Partial<ClientCredentialsOptions> = {}): ClientCredentialsOptions => ({
      issuer: m.issuer,
      clientId: m.client.id,
      clientSecret: m.client.secret,
      http: FAST,
      ...o,
    });

    describe('when the commitment goes in nonce', () => {
      it('returns the id_token whose nonce is the commitment', async () => {
        const m = await op();
        const c = commitment();
        const jwt = await clientCredentialsProvider(options(m, { commitmentClaim: 'nonce' })).requestIdToken(c);
        expect(decodeJwt(jwt)).toMatchObject({ nonce: c, iss: m.issuer });
        expect(m.tokenRequests.at(-1)).toMatchObject({ grant_type: 'client_credentials', nonce: c });
      });
    });

    describe('when the commitment goes in audience with client_secret_post', () => {
      it('sends client_id and client_secret in the form', async () => {
        const m = await op({ authMethod: 'client_secret_post' });
        const c = commitment();
        const jwt = await clientCredentialsProvider(
          options(m, { authMethod: 'client_secret_post', scope: 'ci' }),
        ).requestIdToken(c);
        expect(decodeJwt(jwt).aud).toBe(c);
        expect(m.tokenRequests.at(-1)).toMatchObject({ audience: c, client_id: m.client.id, scope: 'ci' });
      });
    });

    describe('when the auth method is not the one the OP requires', () => {
      it('throws OIDC_REQUEST_FAILED naming invalid_client', async () => {
        const m = await op({ authMethod: 'client_secret_post' });
        const err = await caught(() => clientCredentialsProvider(options(m)).requestIdToken(commitment()));
        expect(err).toMatchObject({ code: 'OIDC_REQUEST_FAILED', message: expect.stringContaining('invalid_client') });
        expect(errorText(err)).not.toContain(m.client.secret);
      });
    });

    describe('when the response has both id_token and a JWT access_token', () => {
      it('prefers the id_token', async () => {
        const m = await op({ respond: 'both' });
        const jwt = await clientCredentialsProvider(options(m)).requestIdToken(commitment());
        expect(decodeProtectedHeader(jwt).typ).toBe('JWT');
      });
    });

    describe('when the response has only a JWT access_token', () => {
      it('returns the access token', async () => {
        const m = await op({ respond: 'access_token_jwt' });
        const jwt = await clientCredentialsProvider(options(m)).requestIdToken(commitment());
        expect(decodeProtectedHeader(jwt).typ).toBe('at+jwt');
      });
    });

    describe('when the response has only an opaque access_token', () => {
      it('throws OIDC_BAD_RESPONSE', async () => {
        const m = await op({ respond: 'opaque_only' });
        await expectCode(() => clientCredentialsProvider(options(m)).requestIdToken(commitment()), 'OIDC_BAD_RESPONSE');
      });
    });

    describe('when discovery names another issuer', () => {
      it('throws OIDC_BAD_RESPONSE', async () => {
        const m = await op({ discoveryIssuer: 'https://impostor.example' });
        await expectCode(() => clientCredentialsProvider(options(m)).requestIdToken(commitment()), 'OIDC_BAD_RESPONSE');
      });

      it('is skipped when tokenEndpoint is set', async () => {
        const m = await op({ discoveryIssuer: 'https://impostor.example' });
        const c = commitment();
        const jwt = await clientCredentialsProvider(options(m, { tokenEndpoint: `${m.issuer}/token` })).requestIdToken(
          c,
        );
        expect(decodeJwt(jwt).aud).toBe(c);
      });
    });

    describe('when discovery points at a plain-http token endpoint off loopback', () => {
      it('throws OIDC_NOT_CONFIGURED', async () => {
        const m = await op({ tokenEndpoint: 'http://idp.example.com/token' });
        await expectCode(
          () => clientCredentialsProvider(options(m)).requestIdToken(commitment()),
          'OIDC_NOT_CONFIGURED',
        );
      });
    });

    describe('when nothing answers at the issuer', () => {
      it('throws OIDC_REQUEST_FAILED and rediscovers on the next call', async () => {
        const m = await op();
        const p = clientCredentialsProvider(options(m, { issuer: `${m.issuer}/missing` }));
        await expectCode(() => p.requestIdToken(commitment()), 'OIDC_REQUEST_FAILED');
        await expectCode(() => p.requestIdToken(commitment()), 'OIDC_REQUEST_FAILED');
      });
    });
  });

  describe('when configured insecurely', () => {
    it('throws OIDC_NOT_CONFIGURED for a plain-http issuer off loopback', () =>
      expectCode(
        async () => clientCredentialsProvider({ issuer: 'http://idp.example.com', clientId: 'a', clientSecret: 'b' }),
        'OIDC_NOT_CONFIGURED',
      ));

    it('throws OIDC_NOT_CONFIGURED for a reserved commitment parameter', () =>
      expectCode(
        async () =>
          clientCredentialsProvider({
            issuer: ISSUER,
            clientId: 'a',
            clientSecret: 'b',
            commitmentParameter: 'client_id',
          }),
        'OIDC_NOT_CONFIGURED',
      ));
  });
});
