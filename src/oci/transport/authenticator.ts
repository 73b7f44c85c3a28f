/**
 * The auth handshake with one registry: learn its challenge from the first request's answer,
 * resolve the credential only when the registry asks for one, and produce the `Authorization`
 * value per request (Basic, or a Bearer token cached per scope set). On a 401 it adopts the
 * response's challenge and allows one retry.
 *
 * No `/v2/` ping up front (as oras-go, unlike Docker and go-containerregistry): the first request
 * goes out anonymously while the others wait for its answer, which tells the scheme — a 401's
 * challenge, else none. That saves a request and a round trip per registry on every run; the
 * ping is sent only when the first answer is an error that does not come from a registry API,
 * to tell "not a registry" from "not found".
 */
import { type HttpResponse } from '../../core/http.js';
import { OciError } from '../errors.js';
import { resolveCredential, type CredentialOptions } from './auth.js';
import { findChallenge, parseChallenges, type Challenge } from './challenge.js';
import type { Credential } from './credential.js';
import { parseErrorBody, registryError } from './registry-error.js';
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
  /** Sent anonymously before the scheme is known: its answer teaches it (`learnFrom`). */
  probe?: true;
}

/** Settings the authenticator needs from the transport. */
export interface AuthenticatorOptions
  extends ReferenceOptions, Pick<CredentialOptions, 'username' | 'password' | 'env'> {
  /** The transport's HTTP settings (resolved once; holds the TLS agent). */
  settings(): Promise<HttpSettings>;
  /** Sends the unauthenticated ping (the transport's own exchange, with its retries and TLS). */
  ping(): Promise<HttpResponse>;
}

/** The first request in flight while the scheme is unknown; the others wait for it to settle. */
interface Probe {
  settled: Promise<void>;
  settle(): void;
}

/** Auth state for one registry; one instance per transport. */
export class Authenticator {
  /** The scheme once known. */
  private known: AuthScheme | undefined;
  private probe: Probe | undefined;
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  private readonly tokens = new TokenCache();
  private readonly inflight = new Map<string, Promise<RegistryToken>>();

  constructor(
    private readonly registry: string,
    private readonly o: AuthenticatorOptions,
  ) {}

  /**
   * The authorization for a request: anonymous for the first one, while the scheme is unknown.
   * @throws OciError from credential resolution and the token flow
   */
  async authorize(req: RegistryRequest): Promise<Authorization> {
    const scopes = scopesOf(req);
    while (this.known === undefined) {
      if (this.probe === undefined) {
        let settle = (): void => {};
        const settled = new Promise<void>((resolve) => (settle = resolve));
        this.probe = { settled, settle };
        return { scopes, fresh: false, probe: true };
      }
      await this.probe.settled;
    }
    const scheme = this.known;
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

  /**
   * After the probe's exchange (`res` undefined when it failed): the scheme is what its 401
   * adopted, else none — unless the answer is an error no registry API gives, when the ping
   * decides. The requests waiting for the probe go on; after a failure one of them probes next.
   * @throws OciError OCI_REGISTRY_ERROR (the host's /v2/ is not a registry API) and the ping's transport codes
   */
  async learnFrom(used: Authorization, res: HttpResponse | undefined): Promise<void> {
    if (!used.probe || this.probe === undefined) return;
    try {
      if (res !== undefined && this.known === undefined)
        this.known = fromRegistryApi(res) ? { kind: 'none' } : await this.ping();
    } finally {
      const probe = this.probe;
      this.probe = undefined;
      probe.settle();
    }
  }

  private adopt(scheme: AuthScheme): void {
    this.known = scheme;
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

/**
 * Whether an answer to an anonymous request comes from a registry's API: a success, or an error
 * with the spec's JSON error body. (A 401 is handled by `retryAfterUnauthorized` before this.)
 */
function fromRegistryApi(res: HttpResponse): boolean {
  return (res.status >= 200 && res.status < 400) || parseErrorBody(res.body).length > 0;
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
