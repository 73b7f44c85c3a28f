/**
 * How a stack reaches the services: straight on loopback, or through latency proxies (one per
 * service, harness/latency-proxy.ts) that give every request a real round trip. The OIDC fake of
 * a proxied route is its own, whose issuer and JWKS URL are the proxy's, so discovery, JWKS and
 * the token all pay the round trip too.
 */
import { startGithubOidc, type GithubOidc } from '../../__tests__/fakes/github-oidc.js';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';
import type { ServiceMap } from './requests.js';
import type { BenchRegistry, Services } from './services.js';

/** Where one stack's requests go. */
export interface Route {
  label: string;
  /** `host:port` written in image references. */
  registryHost: string;
  /** Our transparency log's base URL. */
  logUrl: string;
  /** The peer's Fulcio + Rekor base URL. */
  sigstoreUrl: string;
  /** The OIDC endpoint as the runner names it (issuer, token request URL and token). */
  oidc: GithubOidc;
  /** For counting requests. */
  map: ServiceMap;
  close(): Promise<void>;
}

/** Straight to the services. */
export function directRoute(s: Services, registry: BenchRegistry): Route {
  return {
    label: registry.label,
    registryHost: registry.host,
    logUrl: s.logs.rekorUrl,
    sigstoreUrl: s.logs.sigstoreUrl,
    oidc: s.oidc,
    map: s.map,
    close: async () => undefined,
  };
}

/**
 * Through proxies that delay every chunk by `delayMs` each way.
 * @throws Error when a proxy or the OIDC fake cannot start
 */
export async function proxiedRoute(s: Services, registry: BenchRegistry, delayMs: number): Promise<Route> {
  const proxies: LatencyProxy[] = [];
  const proxy = async (target: string): Promise<LatencyProxy> => {
    const p = await startLatencyProxy(delayMs, target);
    proxies.push(p);
    return p;
  };
  try {
    const reg = await proxy(registry.host);
    const log = await proxy(new URL(s.logs.rekorUrl).host);
    const sigstore = await proxy(new URL(s.logs.sigstoreUrl).host);
    const oidcProxy = await proxy('');
    const fake = await startGithubOidc({ issuer: oidcProxy.url, jwksUri: `${oidcProxy.url}/.well-known/jwks` });
    oidcProxy.target = new URL(fake.url).host;
    const request = new URL(fake.requestUrl);
    const oidc: GithubOidc = { ...fake, requestUrl: `${oidcProxy.url}${request.pathname}${request.search}` };
    return {
      label: `${registry.label}, ${delayMs} ms each way`,
      registryHost: reg.host,
      logUrl: log.url,
      sigstoreUrl: sigstore.url,
      oidc,
      map: { registries: [reg.host], log: [log.url, sigstore.url], oidc: [oidcProxy.url] },
      close: async () => {
        await Promise.all([...proxies.map((p) => p.close()), fake.close()]);
      },
    };
  } catch (err) {
    await Promise.all(proxies.map((p) => p.close()));
    throw err;
  }
}
