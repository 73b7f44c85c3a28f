/**
 * Counting a run's requests the way issue 9 defines them: everything sent to the registry (its
 * token endpoint included), the log and the OIDC endpoint, minus the reads of the image itself
 * (index, platform manifests, attestation manifests, statement blobs), which any signer must do.
 */
import type { SentRequest } from './fresh-process.js';

/** Where a stack's services live. */
export interface ServiceMap {
  /** `host:port` of each registry. */
  registries: readonly string[];
  /** Origins of the registry's token endpoint(s). */
  registryAuth?: readonly string[];
  /** Origins (or base URLs) of the transparency log(s) and of Fulcio. */
  log: readonly string[];
  /** Origins of the OIDC endpoint(s). */
  oidc: readonly string[];
}

/** A run's requests, counted. */
export interface RequestCount {
  /** Counted requests (image reads excluded). */
  total: number;
  imageReads: number;
  /** Requests to none of the services (should stay 0). */
  other: number;
  /** Counted requests by "service METHOD what". */
  byKind: Record<string, number>;
}

/** What the image consists of, as `/v2/<repo>/manifests/<ref>` and `/v2/<repo>/blobs/<digest>` paths. */
export function imagePaths(
  repository: string,
  image: {
    digest: string;
    tag?: string;
    platforms: Array<{
      manifest: { digest: string };
      attestation?: { digest: string };
      statements: Array<{ layer: { digest: string } }>;
    }>;
  },
): Set<string> {
  const m = (ref: string): string => `/v2/${repository}/manifests/${ref}`;
  const paths = new Set([m(image.digest), ...(image.tag ? [m(image.tag)] : [])]);
  for (const p of image.platforms) {
    paths.add(m(p.manifest.digest));
    if (p.attestation) paths.add(m(p.attestation.digest));
    for (const s of p.statements) paths.add(`/v2/${repository}/blobs/${s.layer.digest}`);
  }
  return paths;
}

/**
 * Counts `requests` by service and kind; GET/HEAD of any path in `image` is an image read.
 * @throws never
 */
export function countRequests(
  requests: readonly SentRequest[],
  services: ServiceMap,
  image: ReadonlySet<string>,
): RequestCount {
  const out: RequestCount = { total: 0, imageReads: 0, other: 0, byKind: {} };
  for (const r of requests) {
    const url = new URL(r.url);
    if ((r.method === 'GET' || r.method === 'HEAD') && image.has(url.pathname)) {
      out.imageReads++;
      continue;
    }
    const kind = kindOf(r.method, url, services);
    if (kind === undefined) {
      out.other++;
      continue;
    }
    out.total++;
    out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
  }
  return out;
}

/** "12 registry PUT manifest, 16 log POST entries, …", largest first. */
export function formatKinds(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

function kindOf(method: string, url: URL, s: ServiceMap): string | undefined {
  const within = (list: readonly string[] | undefined): boolean =>
    (list ?? []).some((base) => url.href.startsWith(new URL(base.includes('://') ? base : `http://${base}`).origin));
  if (s.registries.includes(url.host)) return `registry ${method} ${registryWhat(url.pathname)}`;
  if (within(s.registryAuth)) return `registry-auth ${method}`;
  if (within(s.log)) return `log ${method} ${lastSegment(url.pathname)}`;
  if (within(s.oidc)) return `OIDC ${method} ${lastSegment(url.pathname)}`;
  return undefined;
}

function registryWhat(p: string): string {
  if (p === '/v2/' || p === '/v2') return 'ping';
  if (/\/referrers\//.test(p)) return 'referrers';
  if (/\/blobs\/uploads\//.test(p)) return 'upload';
  if (/\/blobs\//.test(p)) return 'blob';
  if (/\/manifests\/sha256-[0-9a-f]{64}$/.test(p)) return 'fallback tag';
  if (/\/manifests\//.test(p)) return 'manifest';
  return p;
}

function lastSegment(p: string): string {
  const parts = p.split('/').filter((x) => x.length > 0);
  return parts.at(-1) ?? '/';
}
