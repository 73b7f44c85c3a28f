/**
 * The registry token flow (distribution "token authentication", as Docker Hub and GHCR use it):
 * exchange a credential (or nothing) at the challenge's realm for a short-lived bearer token
 * covering a set of scopes, and cache tokens per scope set until shortly before they expire.
 */
import { isBudgetExceeded } from '../../core/deadline.js';
import { httpRequest, redactUrl, type HttpOptions, type HttpResponse } from '../../core/http.js';
import { OciError } from '../errors.js';
import { usesPlainHttp, type ReferenceOptions } from '../reference.js';
import type { Credential } from './credential.js';
import { registryError } from './registry-error.js';
import { quote } from '../../core/quote.js';

/** What a token request needs besides the credential. */
export interface TokenRequest {
  /** The challenge's `realm` (token endpoint URL). */
  realm: string;
  service?: string;
  /** e.g. `repository:test/img:pull,push`. */
  scopes: string[];
  /** The registry as written in references, for messages and hints. */
  registry: string;
}

/** A bearer token and when to stop using it (ms since epoch). */
export interface RegistryToken {
  token: string;
  expiresAt: number;
}

/** HTTP settings shared with the transport (retries, timeouts, TLS agent). */
export type HttpSettings = Pick<
  HttpOptions,
  'attempts' | 'timeoutMs' | 'totalTimeoutMs' | 'backoffMs' | 'agent' | 'deadline'
>;

const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;
const MAX_TOKEN_LENGTH = 64 * 1024;
/** The distribution spec's default and minimum lifetime when `expires_in` is absent or smaller. */
const MIN_LIFETIME_S = 60;
/** Stop using a token this long before it expires (clock skew, request duration). */
const EXPIRY_MARGIN_MS = 15_000;
const CLIENT_ID = 'opk-attest';

/**
 * Gets a bearer token from the realm: anonymous GET, GET with Basic, or (identity token)
 * POST `grant_type=refresh_token`.
 * @throws OciError OCI_AUTH_FAILED (realm refused the credential or gave no token) | OCI_DENIED |
 *   OCI_RATE_LIMITED | OCI_REGISTRY_ERROR | OCI_INSECURE_REDIRECT (credential to a plain-http realm) |
 *   OCI_UNREACHABLE | OCI_TOO_LARGE
 */
export async function fetchToken(
  req: TokenRequest,
  credential: Credential | undefined,
  http: HttpSettings & ReferenceOptions,
): Promise<RegistryToken> {
  const realm = checkRealm(req, credential, http);
  const what = `token request for ${req.scopes.join(' ') || 'registry access'} at`;
  const res =
    credential?.kind === 'identity-token'
      ? await postRefreshToken(realm, req, credential.token, http)
      : await getToken(realm, req, credential, http);
  if (res.status >= 300) throw tokenError(res, what, req, credential);
  return parseTokenResponse(res, req);
}

async function getToken(
  realm: URL,
  req: TokenRequest,
  credential: Credential | undefined,
  http: HttpSettings,
): Promise<HttpResponse> {
  const url = new URL(realm);
  if (req.service) url.searchParams.set('service', req.service);
  for (const s of req.scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  if (credential?.kind === 'basic') {
    url.searchParams.set('account', credential.username);
    headers['authorization'] =
      `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
  }
  return send(url.toString(), { method: 'GET', headers }, http);
}

async function postRefreshToken(
  realm: URL,
  req: TokenRequest,
  refreshToken: string,
  http: HttpSettings,
): Promise<HttpResponse> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID });
  if (req.service) form.set('service', req.service);
  if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
  return send(
    realm.toString(),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
    http,
  );
}

async function send(url: string, o: HttpOptions, http: HttpSettings): Promise<HttpResponse> {
  try {
    // Manual redirects: a token endpoint that redirects would carry the credential elsewhere.
    return await httpRequest(url, {
      ...http,
      ...o,
      redirect: 'manual',
      maxBytes: MAX_TOKEN_RESPONSE_BYTES,
      what: `token request to ${redactUrl(url)}`,
    });
  } catch (err) {
    if (isBudgetExceeded(err)) throw err;
    throw new OciError({
      code: (err as { code?: string }).code === 'CORE_TOO_LARGE' ? 'OCI_TOO_LARGE' : 'OCI_UNREACHABLE',
      cause: err,
      message: `token endpoint ${redactUrl(url)}: ${(err as Error).message}`,
    });
  }
}

function checkRealm(req: TokenRequest, credential: Credential | undefined, o: ReferenceOptions): URL {
  let realm: URL;
  try {
    realm = new URL(req.realm);
  } catch {
    realm = new URL('invalid:');
  }
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
    throw new OciError({
      code: 'OCI_AUTH_FAILED',
      message: `registry ${req.registry}: its Bearer challenge names realm ${quote(req.realm, 200)}, which is not an http(s) URL; the registry is misconfigured`,
    });
  }
  if (realm.username || realm.password) realm.username = realm.password = '';
  if (credential && realm.protocol === 'http:' && !usesPlainHttp(realm.host, o)) {
    throw new OciError({
      code: 'OCI_INSECURE_REDIRECT',
      message: `registry ${req.registry}: token realm ${redactUrl(realm.toString())} is plain http; refusing to send credentials from ${credential.source} in clear text (add it to insecure registries only if you trust the network)`,
    });
  }
  return realm;
}

function tokenError(res: HttpResponse, what: string, req: TokenRequest, credential: Credential | undefined): OciError {
  if (res.status >= 300 && res.status < 400) {
    return new OciError({
      code: 'OCI_AUTH_FAILED',
      message: `${what} ${redactUrl(res.url)}: ${res.status} redirect; token endpoints must answer directly, check the registry's auth configuration`,
    });
  }
  const err = registryError(res, what, req.registry);
  if (err.code !== 'OCI_AUTH_FAILED' || !credential) return err;
  return new OciError({ code: 'OCI_AUTH_FAILED', message: `${err.message} (credentials from ${credential.source})` });
}

function parseTokenResponse(res: HttpResponse, req: TokenRequest): RegistryToken {
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    body = undefined; // reported below as "no token"; the body may hold a token
  }
  const { token, access_token: accessToken, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
  const value = typeof token === 'string' && token !== '' ? token : accessToken;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TOKEN_LENGTH || /[\s,"]/.test(value)) {
    throw new OciError({
      code: 'OCI_AUTH_FAILED',
      message: `token endpoint ${redactUrl(res.url)} for ${req.registry} answered ${res.status} without a usable "token" or "access_token"; check the registry's auth configuration`,
    });
  }
  const lifetime =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > MIN_LIFETIME_S
      ? expiresIn
      : MIN_LIFETIME_S;
  return { token: value, expiresAt: Date.now() + lifetime * 1000 - EXPIRY_MARGIN_MS };
}

/** Tokens per scope set, dropped once expired. Methods never throw. */
export class TokenCache {
  private readonly tokens = new Map<string, RegistryToken>();

  /** The live token for exactly these scopes, or one whose scopes cover them (a pull,push token serves pull). */
  get(scopes: string[]): RegistryToken | undefined {
    for (const key of [scopeKey(scopes), scopeKey(scopes.map(widen))]) {
      const t = this.tokens.get(key);
      if (t && t.expiresAt > Date.now()) return t;
      if (t) this.tokens.delete(key);
    }
    return undefined;
  }

  /** Stores the token for this scope set. */
  set(scopes: string[], token: RegistryToken): void {
    this.tokens.set(scopeKey(scopes), token);
  }

  /** Forgets the token of this scope set (the registry refused it). */
  delete(scopes: string[]): void {
    this.tokens.delete(scopeKey(scopes));
  }
}

/**
 * The scope string for a repository and actions (`repository:test/img:pull,push`).
 * @throws never
 */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  const ordered = ['pull', 'push', 'delete', '*'].filter((a) => actions.includes(a));
  return `repository:${repository}:${ordered.join(',')}`;
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ');
}

function widen(scope: string): string {
  return scope.endsWith(':pull') ? `${scope},push` : scope;
}
