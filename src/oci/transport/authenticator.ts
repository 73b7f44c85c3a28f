/**
 * The auth handshake with one registry: ping `/v2/` once to learn its challenge, resolve the
 * credential only when the registry asks for one, and produce the `Authorization` value per
 * request (Basic, or a Bearer token cached per scope set). On a 401 it adopts the response's
 * challenge and allows one retry.
 */
import { type HttpResponse } from '../../core/http.js';
import { OciError } from '../errors.js';
import { resolveCredential, type CredentialOptions } from './auth.js';
import { findChallenge, parseChallenges, type Challenge } from './challenge.js';
import type { Credential } from './credential.js';
import { registryError } from './registry-error.js';
import { fetchToken, repositoryScope, TokenCache, type HttpSettings, type RegistryToken } from './token.js';
import type { RegistryRequest } from './types.js';
import type { ReferenceOptions } from '../reference.js';

/** What the registry asks for: nothing, Basic, or Bearer with its realm. */
type AuthScheme = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

/** The authorization chosen for one request, kept to decide whether a 401 deserves a retry. */
export interface Authorization {
  header?: string;
  scopes: string[];
  /** The token was fetched for this very request: a 401 with insufficient scope will not improve. */
  fresh: boolean;
}

/** Settings the authenticator needs from the transport. */
export interface AuthenticatorOptions
  extends ReferenceOptions, Pick<CredentialOptions, 'username' | 'password' | 'env'> {
  /** The transport's HTTP settings (resolved once; holds the TLS agent). */
  settings(): Promise<HttpSettings>;
  /** Sends the unauthenticated ping (the transport's own exchange, with its retries and TLS). */
  ping(): Promise<HttpResponse>;
}

/** Auth state for one registry; one instance per transport. */
export class Authenticator {
  private scheme: Promise<AuthScheme> | undefined;
  /** The scheme once known, for the synchronous 401 decision. */
  private known: AuthScheme | undefined;
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  private readonly tokens = new TokenCache();
  private readonly inflight = new Map<string, Promise<RegistryToken>>();

  constructor(
    private readonly registry: string,
    private readonly o: AuthenticatorOptions,
  ) {}

  /**
   * The authorization for a request (pings the registry on first use).
   * @throws OciError from the ping, credential resolution and the token flow
   */
  async authorize(req: RegistryRequest): Promise<Authorization> {
    const scheme = await this.learnScheme();
    const scopes = scopesOf(req);
    if (scheme.kind === 'none') return { scopes, fresh: false };
    const credential = await this.credential(req.repository);
    if (scheme.kind === 'basic') {
      if (credential?.kind !== 'basic') return { scopes, fresh: false };
      return {
        header: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
        scopes,
        fresh: false,
      };
    }
    const cached = this.tokens.get(scopes);
    if (cached) return { header: `Bearer ${cached.token}`, scopes, fresh: false };
    const token = await this.token(scheme, scopes, credential);
    return { header: `Bearer ${token.token}`, scopes, fresh: true };
  }

  /**
   * Called on a 401: adopts the response's challenge and forgets the used token.
   * @returns whether one retry can succeed
   * @throws never
   */
  retryAfterUnauthorized(res: HttpResponse, used: Authorization): boolean {
    const header = res.headers.get('www-authenticate');
    const bearer = findChallenge(header, 'bearer');
    if (bearer?.params['realm']) {
      if (bearer.params['error'] === 'insufficient_scope' && used.fresh) return false;
      this.tokens.delete(used.scopes);
      this.adopt(bearerScheme(bearer));
      return true;
    }
    if (findChallenge(header, 'basic') && used.header === undefined && this.known?.kind !== 'basic') {
      this.adopt({ kind: 'basic' });
      return true;
    }
    return false;
  }

  private learnScheme(): Promise<AuthScheme> {
    if (!this.scheme) {
      this.scheme = this.ping();
      this.scheme.then(
        (s) => {
          this.known = s;
        },
        () => {
          this.scheme = undefined;
        },
      ); // a failed ping is retried by the next request
    }
    return this.scheme;
  }

  private adopt(scheme: AuthScheme): void {
    this.known = scheme;
    this.scheme = Promise.resolve(scheme);
  }

  private async ping(): Promise<AuthScheme> {
    const res = await this.o.ping();
    if (res.status >= 200 && res.status < 300) return { kind: 'none' };
    if (res.status !== 401) {
      const err = registryError(res, 'ping', this.registry);
      throw new OciError({
        code: err.code === 'OCI_NOT_FOUND' ? 'OCI_REGISTRY_ERROR' : err.code,
        message: `${err.message}; is ${this.registry} a registry (the API lives under /v2/)?`,
      });
    }
    return schemeOf(parseChallenges(res.headers.get('www-authenticate')));
  }

  private credential(repository: string): Promise<Credential | undefined> {
    let p = this.credentials.get(repository);
    if (!p) {
      p = resolveCredential(this.registry, {
        username: this.o.username,
        password: this.o.password,
        env: this.o.env,
        repository,
      });
      this.credentials.set(repository, p);
      p.catch(() => this.credentials.delete(repository)); // a failing helper is asked again next time
    }
    return p;
  }

  /** One token request per scope set at a time, however many requests wait for it. */
  private token(
    scheme: Extract<AuthScheme, { kind: 'bearer' }>,
    scopes: string[],
    credential: Credential | undefined,
  ): Promise<RegistryToken> {
    const key = scopes.join(' ');
    let p = this.inflight.get(key);
    if (!p) {
      p = this.o
        .settings()
        .then((http) =>
          fetchToken({ realm: scheme.realm, service: scheme.service, scopes, registry: this.registry }, credential, {
            ...http,
            insecureRegistries: this.o.insecureRegistries,
          }),
        )
        .then((t) => {
          this.tokens.set(scopes, t);
          return t;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }
}

function scopesOf(req: RegistryRequest): string[] {
  const scopes = req.actions.length > 0 ? [repositoryScope(req.repository, req.actions)] : [];
  if (req.mountFrom && req.mountFrom !== req.repository) scopes.push(repositoryScope(req.mountFrom, ['pull']));
  return scopes;
}

function schemeOf(challenges: Challenge[]): AuthScheme {
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params['realm']);
  if (bearer) return bearerScheme(bearer);
  if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
  return { kind: 'none' }; // an unknown scheme: requests go anonymous and report the 401
}

function bearerScheme(c: Challenge): AuthScheme {
  const service = c.params['service'];
  return { kind: 'bearer', realm: c.params['realm']!, ...(service ? { service } : {}) };
}
