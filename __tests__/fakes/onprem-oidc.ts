/**
 * On-prem OpenID providers on loopback for the generic OIDC provider's tests.
 *
 * `startOnpremOidc` runs the real `oidc-provider@9` (panva): the OAuth2 client credentials grant
 * with Resource Indicators (RFC 8707) issues an RS256 JWT access token (`typ: at+jwt`) whose
 * `aud` is the resource server's audience. `resource` must be an absolute URI, so the resource
 * `urn:aud:<X>` maps to `aud: <X>` (see shared/notes/test-components.md §6b).
 *
 * `startMinimalOp` is a few lines of node:http + jose for what oidc-provider cannot do with client
 * credentials: an `id_token` carrying a `nonce`, `audience` as a plain parameter, and faults.
 * Neither imports the `src/` code under test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** The slice of oidc-provider's API used here (it ships no type declarations). */
interface ProviderClass {
  new (
    issuer: string,
    config: Record<string, unknown>,
  ): { callback(): (req: IncomingMessage, res: ServerResponse) => void };
  errors: { InvalidTarget: new () => Error };
}

/**
 * Runs `fn` with oidc-provider's own start-up notices (Node 20 "unsupported runtime", in-memory
 * adapter) filtered out of console.warn; anything else still shows.
 */
async function withoutOpNotices<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

export const RESOURCE_PREFIX = 'urn:aud:';

export interface OnpremOp {
  issuer: string;
  /** Clients registered: one per token endpoint auth method. */
  clients: { basic: { id: string; secret: string }; post: { id: string; secret: string } };
  jwks(): { keys: JWK[] };
  close(): Promise<void>;
}

async function signingKey(): Promise<{ privateJwk: JWK; publicJwk: JWK; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  return {
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
}

type Clients = OnpremOp['clients'];

function opConfig(Provider: ProviderClass, clients: Clients, privateJwk: JWK): Record<string, unknown> {
  const client = (c: { id: string; secret: string }, method: string) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: method,
  });
  return {
    clients: [client(clients.basic, 'client_secret_basic'), client(clients.post, 'client_secret_post')],
    jwks: { keys: [privateJwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo(_ctx: unknown, resource: string) {
          if (!resource.startsWith(RESOURCE_PREFIX)) throw new Provider.errors.InvalidTarget();
          return {
            scope: '',
            audience: resource.slice(RESOURCE_PREFIX.length),
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ pipeline: 'onprem-ci' }),
    ttl: { ClientCredentials: 300 },
  };
}

/** Starts `oidc-provider` with client credentials + resource indicators on 127.0.0.1, port 0. */
export async function startOnpremOidc(): Promise<OnpremOp> {
  const key = await signingKey();
  const clients = {
    basic: { id: 'ci-basic', secret: `s-${randomUUID()}` },
    post: { id: 'ci-post', secret: `s-${randomUUID()}` },
  };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handler(req, res));
  const issuer = await listen(server);
  const provider = await withoutOpNotices(async () => {
    const Provider = ((await import('oidc-provider' as string)) as { default: ProviderClass }).default;
    return new Provider(issuer, opConfig(Provider, clients, key.privateJwk));
  });
  handler = provider.callback();
  return { issuer, clients, jwks: () => ({ keys: [key.publicJwk] }), close: closer(server) };
}

export interface MinimalOpOptions {
  /** How the client must authenticate. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** What the token response carries. */
  respond?: 'id_token' | 'access_token_jwt' | 'opaque_only' | 'both';
  /** `issuer` claimed by discovery; default the server's URL. */
  discoveryIssuer?: string;
  /** `token_endpoint` claimed by discovery; default the server's `/token`. */
  tokenEndpoint?: string;
}

export interface MinimalOp {
  issuer: string;
  client: { id: string; secret: string };
  jwks(): { keys: JWK[] };
  /** Token requests seen, as parsed form parameters. */
  tokenRequests: Record<string, string>[];
  close(): Promise<void>;
}

/**
 * A minimal OP: discovery, JWKS and a client-credentials token endpoint that puts `nonce` and
 * `audience` parameters into an RS256 id_token (and, if asked, an RS256 JWT access token).
 */
export async function startMinimalOp(opts: MinimalOpOptions = {}): Promise<MinimalOp> {
  const key = await signingKey();
  const client = { id: 'ci', secret: `s:${randomUUID()}/+` }; // reserved chars exercise form-encoding in Basic auth
  const tokenRequests: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, { error: 'server_error', error_description: String(err) }));
  });
  const url = await listen(server);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', url).pathname;
    if (path === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: opts.discoveryIssuer ?? url,
        token_endpoint: opts.tokenEndpoint ?? `${url}/token`,
        jwks_uri: `${url}/jwks`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    if (path === '/jwks') return json(res, 200, { keys: [key.publicJwk] });
    if (path !== '/token' || req.method !== 'POST') return json(res, 404, { error: 'not_found' });
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    tokenRequests.push(form);
    if (!authenticated(req, form)) return json(res, 401, { error: 'invalid_client' });
    if (form.grant_type !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
    const respond = opts.respond ?? 'id_token';
    const claims = {
      iss: url,
      sub: client.id,
      aud: form.audience ?? client.id,
      ...(form.nonce ? { nonce: form.nonce } : {}),
    };
    const idToken = await jwt(claims, 'JWT');
    const accessJwt = await jwt(claims, 'at+jwt');
    const out: Record<string, unknown> = { token_type: 'Bearer', expires_in: 300 };
    if (respond === 'id_token' || respond === 'both') out.id_token = idToken;
    out.access_token =
      respond === 'access_token_jwt' ? accessJwt : respond === 'both' ? accessJwt : `opaque-${randomUUID()}`;
    return json(res, 200, out);
  }

  function authenticated(req: IncomingMessage, form: Record<string, string>): boolean {
    if ((opts.authMethod ?? 'client_secret_basic') === 'client_secret_post') {
      return form.client_id === client.id && form.client_secret === client.secret;
    }
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!basic || form.client_secret !== undefined) return false;
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent);
    return id === client.id && secret === client.secret;
  }

  function jwt(claims: Record<string, unknown>, typ: string): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ, kid: key.publicJwk.kid! })
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  return { issuer: url, client, jwks: () => ({ keys: [key.publicJwk] }), tokenRequests, close: closer(server) };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
