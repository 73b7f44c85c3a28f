/**
 * A registry token server (distribution "token authentication"), as Docker Hub's auth.docker.io
 * and GHCR run one: GET with optional Basic credentials, or POST `grant_type=refresh_token|password`,
 * answers `{token, access_token, expires_in, issued_at}` with an ES256 JWT whose header carries the
 * signing certificate (`x5c`) that distribution checks against its `rootcertbundle`. Grants are
 * the intersection of what was asked and what the user may do. Records every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { importPKCS8, SignJWT } from 'jose';

export interface TokenUser {
  password: string;
  /** Actions granted on every repository, e.g. ['pull', 'push'] or ['pull']. */
  actions: string[];
}

export interface TokenServerOptions {
  issuer: string;
  service: string;
  /** PKCS#8 PEM of the P-256 signing key and PEM of its certificate. */
  keyPem: string;
  certPem: string;
  users: Record<string, TokenUser>;
  /** Identity (refresh) tokens → user name. */
  refreshTokens?: Record<string, string>;
  /** Actions granted without credentials (default: pull). */
  anonymousActions?: string[];
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

/** One request the server saw (for assertions on caching and flows). */
export interface TokenRequestRecord {
  method: string;
  grant: 'anonymous' | 'basic' | 'refresh_token' | 'password' | 'rejected';
  user?: string;
  scopes: string[];
  service?: string;
}

export interface TokenServer {
  /** The realm URL, e.g. `http://127.0.0.1:PORT/token`. */
  realm: string;
  requests: TokenRequestRecord[];
  close(): Promise<void>;
}

/** Starts the token server on 127.0.0.1, port 0. */
export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const key = await importPKCS8(o.keyPem, 'ES256');
  const x5c = [Buffer.from(new X509Certificate(o.certPem).raw).toString('base64')];
  const requests: TokenRequestRecord[] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') return void res.writeHead(404).end();
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const scopes =
      req.method === 'POST' ? (params.get('scope') ?? '').split(' ').filter(Boolean) : params.getAll('scope');
    const service = params.get('service') ?? undefined;
    const who = authenticate(req, params);
    requests.push({
      method: req.method ?? '',
      grant: who.grant,
      ...(who.user ? { user: who.user } : {}),
      scopes,
      ...(service ? { service } : {}),
    });
    if (who.grant === 'rejected') {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    }
    const allowed = who.user ? o.users[who.user]!.actions : (o.anonymousActions ?? ['pull']);
    const access = scopes
      .map(parseScope)
      .filter((s) => s !== undefined)
      .map((s) => ({ ...s, actions: s.actions.filter((a) => allowed.includes(a)) }));
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = o.expiresIn ?? 300;
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .setIssuer(o.issuer)
      .setAudience(o.service)
      .setSubject(who.user ?? '')
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(key);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date(now * 1000).toISOString(),
      }),
    );
  }

  function authenticate(
    req: IncomingMessage,
    params: URLSearchParams,
  ): { grant: TokenRequestRecord['grant']; user?: string } {
    if (req.method === 'POST') {
      const grant = params.get('grant_type');
      if (grant === 'refresh_token') {
        const user = o.refreshTokens?.[params.get('refresh_token') ?? ''];
        return user ? { grant: 'refresh_token', user } : { grant: 'rejected' };
      }
      if (grant === 'password') {
        const user = params.get('username') ?? '';
        return o.users[user]?.password === params.get('password') ? { grant: 'password', user } : { grant: 'rejected' };
      }
      return { grant: 'rejected' };
    }
    const header = req.headers.authorization;
    if (!header) return { grant: 'anonymous' };
    const m = /^Basic (.+)$/i.exec(header);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    return colon > 0 && o.users[user]?.password === decoded.slice(colon + 1)
      ? { grant: 'basic', user }
      : { grant: 'rejected' };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
