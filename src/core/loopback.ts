/**
 * Loopback hosts: the one exception to "https only" for issuers, JWKS, OIDC endpoints and
 * registries (local providers, registries and logs in tests and development). One rule, so a
 * host that one part treats as local is local for all of them.
 */
import { isIP } from 'node:net';

/**
 * Whether a host is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `[::1]`.
 * @param hostname - as `URL.hostname` gives it, or a registry host without its port
 * @throws never
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * Whether a URL is https, or plain http to a loopback host.
 * @throws never
 */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
