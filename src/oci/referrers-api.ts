/**
 * Discovery through the OCI 1.1 referrers API (distribution spec 1.1, "Listing Referrers"): the
 * probe that decides whether a registry really serves it, and paged listing. The API counts only
 * when `GET /v2/<repo>/referrers/<digest>` answers 200 with an OCI index (an `OCI-Subject`
 * header alone proves nothing). The answer is kept in the transport's `RegistryKnowledge`.
 */
import type { Digest } from '../core/digest.js';
import type { HttpResponse } from '../core/http.js';
import { MAX_MANIFEST_BYTES, MAX_REFERRERS } from '../core/limits.js';
import { registryRequest } from './content-request.js';
import { OciError } from './errors.js';
import { parseIndex, type Descriptor, type ImageIndex } from './manifest.js';
import { OCI_INDEX } from './media-types.js';
import { nextPagePath } from './next-page.js';
import { registryError } from './transport/registry-error.js';
import type { RegistryTransport } from './transport/types.js';

const API_UNAVAILABLE = new Set([400, 404, 405, 501]);
const MAX_REFERRER_PAGES = 100;
/**
 * Descriptors allowed when PARSING a referrers index: the byte cap (MAX_MANIFEST_BYTES) already
 * bounds the work, and the count is checked right after against MAX_REFERRERS, so that the error
 * names the per-subject cap rather than a parse failure.
 */
export const PARSE_ANY_REFERRER_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Whether the registry really serves the referrers API for `repository`: a GET of the subject's
 * referrers must answer 200 with an OCI index. 404/400/405/501, or a 200 that is not an OCI
 * index (an HTML page), mean no. Results are kept per transport and repository
 * (`t.knowledge`); concurrent callers share one probe, and a probe that failed is not kept.
 * @throws OciError transport codes | OCI_AUTH_FAILED | OCI_RATE_LIMITED | OCI_REGISTRY_ERROR (5xx: we cannot tell)
 */
export function hasReferrersApi(t: RegistryTransport, repository: string, subject: Digest): Promise<boolean> {
  return t.knowledge.referrersApi(repository, async () => {
    const page = await fetchApiPage(t, repository, `${repository}/referrers/${subject}`, true);
    return page !== undefined;
  });
}

/**
 * All API pages for a subject, or `undefined` when the first answer is not the API's.
 * @throws OciError OCI_TOO_LARGE (past MAX_REFERRERS or MAX_REFERRER_PAGES) | OCI_MANIFEST_INVALID |
 *   OCI_REGISTRY_ERROR and transport codes
 */
export async function listViaApi(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  const base = `${repo}/referrers/${subject}`;
  let path: string | undefined =
    artifactType === undefined ? base : `${base}?artifactType=${encodeURIComponent(artifactType)}`;
  const out: Descriptor[] = [];
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_REFERRER_PAGES) throw tooManyReferrers(t, repo, subject);
    const got = await fetchApiPage(t, repo, path, page === 0);
    if (got === undefined) return undefined;
    out.push(...got.index.manifests);
    if (out.length > MAX_REFERRERS) throw tooManyReferrers(t, repo, subject);
    path = nextPagePath(got.res, `/v2/${base}`, t, `${t.registry}/${repo} referrers API`);
  }
  return out;
}

/** The error for a subject with more referrers than we read or write (MAX_REFERRERS, docs/referrers.md). */
export function tooManyReferrers(t: RegistryTransport, repo: string, subject: Digest): OciError {
  return new OciError({
    code: 'OCI_TOO_LARGE',
    message: `${t.registry}/${repo}: subject ${subject} has more than ${MAX_REFERRERS} referrers, the cap per subject (MAX_REFERRERS); refusing to read or write more (remove stale referrers from its fallback tag or registry)`,
  });
}

/** One referrers API page; `undefined` (first page only) when the answer is not the API's. */
async function fetchApiPage(
  t: RegistryTransport,
  repo: string,
  path: string,
  first: boolean,
): Promise<{ res: HttpResponse; index: ImageIndex } | undefined> {
  const what = `${t.registry}/${repo} referrers API`;
  const res = await registryRequest(
    t,
    {
      method: 'GET',
      repository: repo,
      path,
      actions: ['pull'],
      headers: { accept: OCI_INDEX },
      maxBytes: MAX_MANIFEST_BYTES,
    },
    what,
  );
  if (first && API_UNAVAILABLE.has(res.status)) return undefined;
  if (res.status !== 200) throw registryError(res, `GET ${what}`, t.registry);
  try {
    const index = parseIndex(res.body, {
      contentType: res.headers.get('content-type'),
      what,
      maxDescriptors: PARSE_ANY_REFERRER_COUNT,
    });
    if (index.mediaType !== OCI_INDEX)
      throw new OciError({
        code: 'OCI_MANIFEST_INVALID',
        message: `${what} answered a ${index.mediaType}, expected an OCI index`,
      });
    return { res, index };
  } catch (err) {
    // A 200 that is not an OCI index (a proxy's HTML page) means "no API" on the probe, not failure.
    if (first && err instanceof OciError && err.code === 'OCI_MANIFEST_INVALID') return undefined;
    throw err;
  }
}
