/**
 * The contract between the registry transport (auth, retries, redirects, structured errors)
 * and the registry operations above it (manifests, blobs, referrers).
 */
import type { HttpResponse } from '../../core/http.js';
import type { RegistryKnowledge } from './registry-knowledge.js';

/** One request to a registry's distribution API. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** The repository this request is about (decides the auth scope), e.g. `library/alpine`. */
  repository: string;
  /** Either a path below `/v2/` (e.g. `library/alpine/manifests/sha256:…`), or an absolute
   *  URL the registry handed out (an upload `Location`). */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Auth scope actions this request needs on `repository`. */
  actions: Array<'pull' | 'push'>;
  /** Also request pull on this repository (cross-repository blob mount). */
  mountFrom?: string;
  /** Cap on the response body (defaults to a small cap suitable for manifests). */
  maxBytes?: number;
  /** Statuses that must not be retried by the transport (e.g. 412 for If-Match). */
  noRetryStatuses?: number[];
  /** Tidying up after a failure (cancelling an upload): one short attempt, never retried. */
  bestEffort?: boolean;
}

/** Sends authenticated requests to one registry. Non-2xx responses are returned, not thrown. */
export interface RegistryTransport {
  /** The registry as written in references (`ghcr.io`, `127.0.0.1:5000`, `docker.io`). */
  readonly registry: string;
  /** What has been learnt about this registry (referrers API, preconditions); lives as long as the transport. */
  readonly knowledge: RegistryKnowledge;
  send(req: RegistryRequest): Promise<HttpResponse>;
}
