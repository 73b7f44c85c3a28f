/**
 * Pagination by the `Link: <…>; rel="next"` response header (distribution spec: listing tags,
 * listing referrers). The link is the registry's, so it is followed only while it stays on the
 * same endpoint of the same registry: a page cannot send the client (and its credentials) elsewhere.
 */
import type { HttpResponse } from '../core/http.js';
import { OciError } from './errors.js';
import type { RegistryTransport } from './transport/types.js';

/**
 * The next page of a paged listing, as a path below the registry for the next request.
 * @param res - the page's response
 * @param expectedPath - the endpoint every page must stay on, e.g. `/v2/acme/app/tags/list`
 * @param what - names the listing in the error (`127.0.0.1:5000/acme/app tags list`)
 * @returns `path?query` of the next page, or undefined on the last page
 * @throws OciError OCI_REGISTRY_ERROR when the link leaves the endpoint or the registry
 */
export function nextPagePath(
  res: HttpResponse,
  expectedPath: string,
  t: RegistryTransport,
  what: string,
): string | undefined {
  const link = res.headers.get('link');
  const m = link === null ? null : /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link);
  if (m === null) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  const sameHost = url.host === 'registry.invalid' || url.host === t.registry;
  if (!sameHost || url.pathname !== expectedPath) {
    throw new OciError({
      code: 'OCI_REGISTRY_ERROR',
      message: `${what}: refusing a next-page link to another endpoint (${url.host}${url.pathname})`,
    });
  }
  return `${url.pathname}${url.search}`;
}
