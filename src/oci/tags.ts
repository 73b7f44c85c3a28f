/**
 * Listing a repository's tags (distribution spec, "Listing Tags"): `GET /v2/<name>/tags/list?n=`,
 * following `Link: <…>; rel="next"` page by page. Every page is bounded (MAX_TAG_PAGE_BYTES), shape
 * checked and every tag checked against the reference grammar; the whole listing is bounded by
 * MAX_TAGS and MAX_TAG_PAGES, and each page must bring a tag not seen before, so a registry that
 * loops cannot keep the client paging. The transport's deadline bounds the time.
 */
import type { HttpResponse } from '../core/http.js';
import { isRecord } from '../core/guards.js';
import { parseJsonStrict } from '../core/json.js';
import { MAX_TAG_PAGE_BYTES, MAX_TAG_PAGES, MAX_TAGS } from '../core/limits.js';
import { quote } from '../core/quote.js';
import { registryRequest } from './content-request.js';
import { OciError } from './errors.js';
import { nextPagePath } from './next-page.js';
import { isTag } from './reference.js';
import { registryError } from './transport/registry-error.js';
import type { RegistryTransport } from './transport/types.js';

/** Options of `listTags`. */
export interface ListTagsOptions {
  /** Tags asked for per page (`?n=`); the registry may send fewer. Default 1000. */
  pageSize?: number;
  /** Refuse (OCI_TOO_LARGE) a repository with more tags than this. Default MAX_TAGS. */
  maxTags?: number;
}

/** Default `?n=`: large enough that most repositories fit in one page, small enough for every registry. */
export const DEFAULT_TAG_PAGE_SIZE = 1000;

/**
 * Lists every tag of a repository, in the order the registry sends them (lexical, per the spec).
 * @param repository - e.g. `acme/app`
 * @returns the tags, each once
 * @throws OciError OCI_NOT_FOUND (no such repository) | OCI_TOO_LARGE (past a cap) |
 *   OCI_REGISTRY_ERROR (not a tag list, a bad tag, a next link elsewhere, paging that does not
 *   advance) and transport codes; CoreError CORE_BUDGET_EXCEEDED when the deadline runs out
 */
export async function listTags(t: RegistryTransport, repository: string, o: ListTagsOptions = {}): Promise<string[]> {
  const pageSize = o.pageSize ?? DEFAULT_TAG_PAGE_SIZE;
  const maxTags = o.maxTags ?? MAX_TAGS;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize ${pageSize} is not a positive integer`);
  const endpoint = `/v2/${repository}/tags/list`;
  const what = `${t.registry}/${repository} tags list`;
  const seen = new Set<string>();
  let path: string | undefined = `${endpoint}?n=${pageSize}`;
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_TAG_PAGES) throw tooMany(what, `${MAX_TAG_PAGES} pages`, 'MAX_TAG_PAGES');
    const res = await fetchPage(t, repository, path, what);
    const before = seen.size;
    for (const tag of parseTagPage(res.body, what)) seen.add(tag);
    if (seen.size > maxTags) throw tooMany(what, `${maxTags} tags`, 'MAX_TAGS');
    path = nextPagePath(res, endpoint, t, what);
    if (path !== undefined && seen.size === before) {
      throw new OciError({
        code: 'OCI_REGISTRY_ERROR',
        message: `${what}: page ${page + 1} brought no new tag but links to another page; refusing to page on (the registry's pagination is broken)`,
      });
    }
  }
  return [...seen];
}

async function fetchPage(t: RegistryTransport, repository: string, path: string, what: string): Promise<HttpResponse> {
  const res = await registryRequest(
    t,
    {
      method: 'GET',
      repository,
      path,
      actions: ['pull'],
      headers: { accept: 'application/json' },
      maxBytes: MAX_TAG_PAGE_BYTES,
    },
    what,
  );
  if (res.status !== 200) throw registryError(res, `GET ${what}`, t.registry);
  return res;
}

/**
 * One page: `{"name": "<repository>", "tags": ["…", …]}` (`tags` may be null or absent when the
 * repository has none).
 * @throws OciError OCI_REGISTRY_ERROR
 */
export function parseTagPage(body: Uint8Array, what: string): string[] {
  let doc: unknown;
  try {
    doc = parseJsonStrict(body, MAX_TAG_PAGE_BYTES, what);
  } catch (err) {
    throw new OciError({ code: 'OCI_REGISTRY_ERROR', cause: err, message: `${what}: ${(err as Error).message}` });
  }
  if (!isRecord(doc)) throw notATagList(what, 'not a JSON object');
  const tags = doc['tags'];
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw notATagList(what, '"tags" is not an array');
  for (const tag of tags as unknown[]) {
    if (typeof tag !== 'string' || !isTag(tag)) throw notATagList(what, `it lists ${quote(tag)}, which is not a tag`);
  }
  return tags as string[];
}

function notATagList(what: string, why: string): OciError {
  return new OciError({
    code: 'OCI_REGISTRY_ERROR',
    message: `${what}: the registry's answer is not a tag list (${why}); check that this is a registry's /v2/ API`,
  });
}

function tooMany(what: string, limit: string, cap: string): OciError {
  return new OciError({
    code: 'OCI_TOO_LARGE',
    message: `${what}: the repository lists more than ${limit} (${cap}); refusing to read more (inspect a tag by name instead)`,
  });
}
