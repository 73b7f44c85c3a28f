/**
 * The registry transport: turns `RegistryRequest`s into authenticated HTTP exchanges with one
 * registry (the scheme learnt from the first answer, Basic or Bearer, one re-auth on 401, retries, safe redirects). Operations
 * (manifests, blobs, referrers) sit above it and map non-2xx answers with `registryError`.
 */
import type { Deadline } from '../../core/deadline.js';
import type { HttpResponse } from '../../core/http.js';
import { MAX_ERROR_BODY_BYTES, MAX_MANIFEST_BYTES } from '../../core/limits.js';
import { parseRegistry, registryBaseUrl, type ReferenceOptions } from '../reference.js';
import { Authenticator, type Authorization } from './authenticator.js';
import { exchange } from './exchange.js';
import { RegistryKnowledge } from './registry-knowledge.js';
import { createCaAgent } from './tls.js';
import type { HttpSettings } from './token.js';
import type { RegistryRequest, RegistryTransport } from './types.js';

/** Options of `createTransport`; every field is optional. */
export interface TransportOptions extends ReferenceOptions {
  /** Explicit credentials; win over auth files and helpers. Both or neither. */
  username?: string;
  password?: string;
  /** Environment for auth-file discovery and credential helpers; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** A PEM file of extra CA certificates to trust (private registries); see `tls.ts` for NODE_EXTRA_CA_CERTS.
   *  Implies `scheme: 'https'` unless `scheme` says otherwise (a CA only makes sense with TLS, even on loopback). */
  caFile?: string;
  /** Sent as `User-Agent`; default `opk-attest`. */
  userAgent?: string;
  /** Retry and timeout settings of each exchange (defaults: those of `httpRequest`). */
  attempts?: number;
  timeoutMs?: number;
  totalTimeoutMs?: number;
  backoffMs?: number;
  /** The command's overall time budget, shared with its other network clients. */
  deadline?: Deadline;
}

/** A transport that owns sockets (an extra-CA agent) and can release them. */
export interface ClosableTransport extends RegistryTransport {
  /** Releases the extra-CA agent's sockets, if any. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Creates a transport for one registry. Nothing is sent until the first request.
 * @param registry - as written in references (`ghcr.io`, `127.0.0.1:5000`, `docker.io`)
 * @returns the transport; `send` throws OciError OCI_UNREACHABLE | OCI_TOO_LARGE | OCI_INSECURE_REDIRECT |
 *   OCI_AUTH_FAILED | OCI_DENIED (token flow) | OCI_CREDENTIALS_INVALID | OCI_CREDENTIALS_HELPER_FAILED |
 *   OCI_TLS_CONFIG_INVALID, and returns non-2xx registry answers for `registryError`
 * @throws OciError OCI_REFERENCE_INVALID (not a registry host)
 */
export function createTransport(registry: string, options: TransportOptions = {}): ClosableTransport {
  return new RegistryClient(parseRegistry(registry), options);
}

class RegistryClient implements ClosableTransport {
  private readonly base: string;
  private readonly auth: Authenticator;
  readonly knowledge = new RegistryKnowledge();
  private http: Promise<{ settings: HttpSettings; close(): Promise<void> }> | undefined;

  constructor(
    readonly registry: string,
    private readonly o: TransportOptions,
  ) {
    this.base = registryBaseUrl(registry, { ...o, scheme: o.scheme ?? (o.caFile ? 'https' : undefined) });
    this.auth = new Authenticator(registry, {
      username: o.username,
      password: o.password,
      env: o.env,
      insecureRegistries: o.insecureRegistries,
      settings: () => this.settings(),
      ping: () => this.ping(),
    });
  }

  async send(req: RegistryRequest): Promise<HttpResponse> {
    const http = await this.settings();
    let authz = await this.auth.authorize(req);
    let res: HttpResponse;
    try {
      res = await this.exchange(req, authz, http);
    } catch (err) {
      await this.auth.learnFrom(authz, undefined);
      throw err;
    }
    const retry = res.status === 401 && this.auth.retryAfterUnauthorized(res, authz);
    await this.auth.learnFrom(authz, retry ? undefined : res);
    if (retry) {
      authz = await this.auth.authorize(req);
      // Basic with no credential to send: the same request again would get the same 401.
      if (authz.header === undefined) return res;
      res = await this.exchange(req, authz, http);
    }
    return res;
  }

  async close(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    // An agent that failed to build (bad CA file) holds no sockets: nothing to release.
    if (http)
      await http.then(
        (h) => h.close(),
        () => undefined,
      );
  }

  private exchange(req: RegistryRequest, authz: Authorization, http: HttpSettings): Promise<HttpResponse> {
    return exchange(
      {
        method: req.method,
        url: this.urlOf(req.path),
        headers: { 'user-agent': this.o.userAgent ?? 'opk-attest', ...req.headers },
        ...(authz.header === undefined ? {} : { authorization: authz.header }),
        authOrigin: new URL(this.base).origin,
        ...(req.body === undefined ? {} : { body: req.body }),
        maxBytes: req.maxBytes ?? MAX_MANIFEST_BYTES,
        noRetryStatuses: req.noRetryStatuses ?? [],
        ...(req.bestEffort ? { bestEffort: true } : {}),
      },
      http,
    );
  }

  private async ping(): Promise<HttpResponse> {
    const http = await this.settings();
    return exchange(
      {
        method: 'GET',
        url: `${this.base}/v2/`,
        authOrigin: new URL(this.base).origin,
        headers: { 'user-agent': this.o.userAgent ?? 'opk-attest' },
        maxBytes: MAX_ERROR_BODY_BYTES,
        noRetryStatuses: [],
      },
      http,
    );
  }

  private settings(): Promise<HttpSettings> {
    if (!this.http) this.http = this.buildSettings();
    return this.http.then((h) => h.settings);
  }

  private async buildSettings(): Promise<{ settings: HttpSettings; close(): Promise<void> }> {
    const { attempts, timeoutMs, totalTimeoutMs, backoffMs, caFile, deadline } = this.o;
    const base: HttpSettings = {
      ...(attempts === undefined ? {} : { attempts }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(totalTimeoutMs === undefined ? {} : { totalTimeoutMs }),
      ...(backoffMs === undefined ? {} : { backoffMs }),
      ...(deadline === undefined ? {} : { deadline }),
    };
    if (!caFile) return { settings: base, close: async () => undefined };
    const ca = await createCaAgent(caFile);
    return { settings: { ...base, agent: ca.agent }, close: ca.close };
  }

  private urlOf(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    if (path.startsWith('/')) return `${this.base}${path}`;
    return `${this.base}/v2/${path}`;
  }
}
