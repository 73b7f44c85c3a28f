/**
 * The registry transport: turns `RegistryRequest`s into HTTP exchanges with one registry.
 * First cut: anonymous, no auth handshake yet (auth, redirects and structured errors follow).
 */
import { httpRequest, type HttpResponse } from '../../core/http.js';
import { MAX_MANIFEST_BYTES } from '../../core/limits.js';
import { parseRegistry, registryBaseUrl } from '../reference.js';
import type { RegistryRequest, RegistryTransport } from './types.js';

/** Options of `createTransport`. */
export interface TransportOptions {
  /** Registries to reach over plain http although they are not loopback. */
  insecureRegistries?: readonly string[];
}

/**
 * Creates a transport for one registry.
 * @param registry - as written in references (`ghcr.io`, `127.0.0.1:5000`, `docker.io`)
 * @throws OciError OCI_REFERENCE_INVALID (not a registry host)
 */
export function createTransport(registry: string, options: TransportOptions = {}): RegistryTransport {
  const reg = parseRegistry(registry);
  const base = registryBaseUrl(reg, options);
  return {
    registry: reg,
    send: (req: RegistryRequest): Promise<HttpResponse> => httpRequest(urlOf(base, req.path), {
      method: req.method,
      headers: req.headers ?? {},
      ...(req.body === undefined ? {} : { body: req.body }),
      maxBytes: req.maxBytes ?? MAX_MANIFEST_BYTES,
      noRetryStatuses: req.noRetryStatuses ?? [],
    }),
  };
}

function urlOf(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  if (path.startsWith('/')) return `${base}${path}`;
  return `${base}/v2/${path}`;
}
