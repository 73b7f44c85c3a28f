/**
 * A GitHub-Actions-compatible OIDC token endpoint on loopback (node:http + jose).
 *
 * Protocol, as the Actions runtime serves it to `@actions/core.getIDToken`:
 *   GET /idtoken?api-version=2.0&audience=X   Authorization: Bearer <request token>
 *   → 200 {"count":1,"value":"<RS256 JWT>"}
 * plus `/.well-known/openid-configuration` and `/.well-known/jwks` like
 * https://token.actions.githubusercontent.com. Tokens carry GitHub's real claim set and header
 * shape (`typ`, `alg`, `x5t`, `kid` = 40 uppercase hex of the key's SHA-1 thumbprint; GitHub's
 * kid and x5t are the same SHA-1 of its certificate, here of the SPKI since there is no cert).
 * Lifetimes follow GitHub's documented token: nbf = iat − 600, exp = iat + 300.
 *
 * With `tls`, the same endpoints are also served over https on a second port, so that a test can
 * route an issuer's real host name there (`route-hosts.mjs`) and the client reaches discovery and
 * JWKS at `{issuer}/.well-known/…` exactly as it would at GitHub: GitHub.com, an enterprise-slug
 * issuer (`…/<slug>`), GHE.com, and GHES (`https://<host>/_services/token`).
 *
 * The fake signs with its own keys and never imports the `src/` code under test.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export interface GithubOidcOptions {
  /** `iss` of the tokens and discovery; default: the server's own URL. */
  issuer?: string;
  /** `jwks_uri` the discovery document names (e.g. through a proxy); default: the issuer's or the server's own. */
  jwksUri?: string;
  /** The request token the endpoint accepts; default: a random one. */
  requestToken?: string;
  /** Claims merged into every token (a value of `undefined` removes the claim). */
  claims?: Record<string, unknown>;
  /** Also serve over https with this key and certificate (PEM); discovery then names `{issuer}/.well-known/jwks`. */
  tls?: { key: string; cert: string };
}

export interface FaultOptions {
  contentType?: string;
  chunked?: boolean;
}

export interface GithubOidcKey {
  kid: string;
  x5t: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface GithubOidc {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** The https port, with `tls`. */
  tlsPort?: number;
  issuer: string;
  /** Value for ACTIONS_ID_TOKEN_REQUEST_URL (already has `?`, as the runtime's does). */
  requestUrl: string;
  /** Value for ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** The JWKS the server publishes now. */
  jwks(): { keys: JWK[] };
  /** The key currently signing tokens. */
  currentKey(): GithubOidcKey;
  /** Starts signing with a new key (new kid); `dropOld` removes all older keys from the JWKS. */
  rotateKey(opts?: { dropOld?: boolean }): Promise<GithubOidcKey>;
  /** Claims merged into the tokens issued from now on (replaces earlier `setClaims`). */
  setClaims(claims: Record<string, unknown>): void;
  /**
   * Answers the next `n` token requests with `status` (and `body`, default a JSON error) instead of a token;
   * `chunked` omits Content-Length so the client must count bytes itself.
   */
  failNext(n: number, status?: number, body?: string | Buffer, opts?: FaultOptions): void;
  /** Drops pending faults and claim overrides. */
  reset(): void;
  /** Requests seen, per endpoint. */
  requests: { idtoken: number; discovery: number; jwks: number };
  /** Audiences requested, in order (undefined = no audience parameter). */
  audiences: (string | undefined)[];
  /** Every token issued, in order. */
  issued: string[];
  close(): Promise<void>;
}

/** Claims of a push to main in octo-org/octo-repo, as GitHub documents them. */
export const DEFAULT_GITHUB_CLAIMS: Readonly<Record<string, unknown>> = {
  sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
  ref: 'refs/heads/main',
  ref_type: 'branch',
  ref_protected: 'true',
  sha: 'ea1c4f2c1f3e0c4b0b6d2bde7cb3a2ff6e0c1d2a',
  repository: 'octo-org/octo-repo',
  repository_id: '74',
  repository_owner: 'octo-org',
  repository_owner_id: '65',
  repository_visibility: 'public',
  actor: 'octocat',
  actor_id: '12',
  run_id: '9876543210',
  run_number: '10',
  run_attempt: '1',
  runner_environment: 'github-hosted',
  workflow: 'release',
  workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
  workflow_sha: 'ea1c4f2c1f3e0c4b0b6d2bde7cb3a2ff6e0c1d2a',
  job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
  job_workflow_sha: 'ea1c4f2c1f3e0c4b0b6d2bde7cb3a2ff6e0c1d2a',
  event_name: 'push',
  head_ref: '',
  base_ref: '',
};

async function newKey(): Promise<GithubOidcKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const spki = Buffer.from((await exportSPKI(publicKey)).replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const thumb = createHash('sha1').update(spki).digest();
  const kid = thumb.toString('hex').toUpperCase();
  const x5t = thumb.toString('base64url');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, x5t, alg: 'RS256', use: 'sig' };
  return { kid, x5t, privateKey, publicJwk };
}

/** Starts the endpoint on 127.0.0.1, port 0. Close it in afterAll. */
export async function startGithubOidc(opts: GithubOidcOptions = {}): Promise<GithubOidc> {
  let keys = [await newKey()];
  let claims: Record<string, unknown> = { ...opts.claims };
  const faults: { status: number; body?: string | Buffer; opts: FaultOptions }[] = [];
  const requestToken = opts.requestToken ?? `req-${randomUUID()}`;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, JSON.stringify({ message: String(err) })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = opts.issuer ?? url;
  const issuerPath = new URL(issuer).pathname.replace(/\/$/, '');
  const secure = opts.tls
    ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
        handle(req, res).catch((err) => send(res, 500, JSON.stringify({ message: String(err) })));
      })
    : undefined;
  if (secure) await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  const jwksUri = opts.jwksUri ?? (secure ? `${issuer}/.well-known/jwks` : `${url}/.well-known/jwks`);
  const closeServer = (srv: Server) =>
    new Promise<void>((r) => {
      srv.closeAllConnections();
      srv.close(() => r());
    });

  const fake: GithubOidc = {
    url,
    ...(secure ? { tlsPort: (secure.address() as AddressInfo).port } : {}),
    issuer,
    requestToken,
    requestUrl: `${url}/idtoken?api-version=2.0`,
    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
    currentKey: () => keys[keys.length - 1]!,
    async rotateKey({ dropOld = false } = {}) {
      const k = await newKey();
      keys = dropOld ? [k] : [...keys, k];
      return k;
    },
    setClaims(c) {
      claims = { ...c };
    },
    failNext(n, status = 500, body, faultOpts = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, body, opts: faultOpts });
    },
    reset() {
      faults.length = 0;
      claims = { ...opts.claims };
    },
    requests: { idtoken: 0, discovery: 0, jwks: 0 },
    audiences: [],
    issued: [],
    close: async () => {
      await Promise.all([closeServer(server), ...(secure ? [closeServer(secure)] : [])]);
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    const at = (path: string) => u.pathname === path || u.pathname === `${issuerPath}${path}`;
    if (req.method === 'GET' && at('/.well-known/openid-configuration')) {
      fake.requests.discovery++;
      return send(res, 200, JSON.stringify(discovery(issuer, jwksUri)));
    }
    if (req.method === 'GET' && at('/.well-known/jwks')) {
      fake.requests.jwks++;
      return send(res, 200, JSON.stringify(fake.jwks()));
    }
    if (req.method === 'GET' && u.pathname === '/idtoken') return idtoken(req, res, u);
    return send(res, 404, JSON.stringify({ message: 'Not Found' }));
  }

  async function idtoken(req: IncomingMessage, res: ServerResponse, u: URL): Promise<void> {
    fake.requests.idtoken++;
    const fault = faults.shift();
    if (fault) return send(res, fault.status, fault.body ?? JSON.stringify({ message: 'injected fault' }), fault.opts);
    if (req.headers.authorization !== `Bearer ${requestToken}`) {
      return send(res, 401, JSON.stringify({ message: 'Unable to authenticate the request token' }));
    }
    if (u.searchParams.get('api-version') !== '2.0' || u.searchParams.getAll('audience').length > 1) {
      return send(res, 400, JSON.stringify({ message: 'bad query' }));
    }
    const audience = u.searchParams.get('audience') ?? undefined;
    fake.audiences.push(audience);
    const token = await sign(audience);
    fake.issued.push(token);
    return send(res, 200, JSON.stringify({ count: 1, value: token }));
  }

  async function sign(audience: string | undefined): Promise<string> {
    const key = fake.currentKey();
    const iat = Math.floor(Date.now() / 1000);
    const owner = String(claims.repository_owner ?? DEFAULT_GITHUB_CLAIMS.repository_owner);
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      ...DEFAULT_GITHUB_CLAIMS,
      aud: audience ?? `https://github.com/${owner}`,
      iss: issuer,
      nbf: iat - 600,
      exp: iat + 300,
      iat,
      ...claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: key.x5t, kid: key.kid })
      .sign(key.privateKey);
  }

  return fake;
}

function discovery(issuer: string, jwksUri: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: [
      'sub',
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'nbf',
      'ref',
      'repository',
      'repository_id',
      'repository_owner',
      'repository_owner_id',
      'run_id',
      'run_number',
      'run_attempt',
      'actor',
      'actor_id',
      'workflow',
      'workflow_ref',
      'workflow_sha',
      'head_ref',
      'base_ref',
      'event_name',
      'ref_type',
      'environment',
      'environment_node_id',
      'job_workflow_ref',
      'job_workflow_sha',
      'repository_visibility',
      'runner_environment',
    ],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
  };
}

function send(res: ServerResponse, status: number, body: string | Buffer, opts: FaultOptions = {}): void {
  const headers: Record<string, string | number> = {
    'content-type': opts.contentType ?? 'application/json; charset=utf-8',
  };
  if (!opts.chunked) headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}
