/**
 * One registry exchange with redirects followed by hand, because only we know which headers are
 * credentials: blob GETs are commonly redirected to object storage (S3, GCS, a CDN) with a
 * signed URL, and the registry's `Authorization` must never reach another origin. An https → http
 * redirect is refused. Transport failures become `OciError`s.
 */
import { isBudgetExceeded } from '../../core/deadline.js';
import { httpRequest, redactUrl, type HttpResponse } from '../../core/http.js';
import { OciError } from '../errors.js';
import type { HttpSettings } from './token.js';

/** One request as the exchange sends it. */
export interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The `Authorization` value; sent only to `authOrigin`. */
  authorization?: string;
  /** The registry's origin (`https://ghcr.io`): the only origin that sees `authorization`. */
  authOrigin: string;
  body?: Uint8Array;
  maxBytes: number;
  noRetryStatuses: number[];
  /** One attempt of at most BEST_EFFORT_TIMEOUT_MS (see `RegistryRequest.bestEffort`). */
  bestEffort?: boolean;
}

const MAX_REDIRECTS = 5;
/** A best-effort request must not hold up the failure it tidies after. */
const BEST_EFFORT_TIMEOUT_MS = 5_000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials and must not cross origins (callers should not set them, but may). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Sends the request, following up to 5 redirects; non-2xx answers are returned.
 * @throws OciError OCI_INSECURE_REDIRECT | OCI_UNREACHABLE | OCI_TOO_LARGE; CoreError CORE_BUDGET_EXCEEDED
 */
export async function exchange(x: Exchange, http: HttpSettings): Promise<HttpResponse> {
  let { method, body } = x;
  let url = x.url;
  if (new URL(url).protocol === 'http:' && x.authOrigin.startsWith('https:')) {
    throw insecure(x, 'the registry handed out a plain-http URL for an https registry; refusing to downgrade');
  }
  let sameOrigin = new URL(url).origin === x.authOrigin;
  for (let hop = 0; ; hop++) {
    const headers = sameOrigin
      ? { ...x.headers, ...(x.authorization ? { authorization: x.authorization } : {}) }
      : withoutCredentials(x.headers);
    const res = await send(url, method, headers, body, x, http);
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || !location) return res;
    if (hop >= MAX_REDIRECTS) throw insecure(x, `more than ${MAX_REDIRECTS} redirects`);
    const next = resolveLocation(location, url, x);
    if (next.protocol === 'http:' && new URL(url).protocol === 'https:') {
      throw insecure(x, `redirect from https to plain http (${redactUrl(next.toString())}); refusing to downgrade`);
    }
    // Once off the origin, credentials stay off, even if a later hop comes back.
    sameOrigin = sameOrigin && next.origin === x.authOrigin;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    url = next.toString();
  }
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  x: Exchange,
  http: HttpSettings,
): Promise<HttpResponse> {
  try {
    return await httpRequest(url, {
      ...http,
      // A PATCH appends an upload chunk: repeating it after a lost answer could corrupt the upload.
      ...(method === 'PATCH' ? { attempts: 1 } : {}),
      ...(x.bestEffort
        ? { attempts: 1, timeoutMs: Math.min(http.timeoutMs ?? BEST_EFFORT_TIMEOUT_MS, BEST_EFFORT_TIMEOUT_MS) }
        : {}),
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      maxBytes: x.maxBytes,
      noRetryStatuses: x.noRetryStatuses,
      what: `${method} ${redactUrl(url)}`,
    });
  } catch (err) {
    if (isBudgetExceeded(err)) throw err; // the command's budget, not this registry, is what ran out
    const tooLarge = (err as { code?: string }).code === 'CORE_TOO_LARGE';
    throw new OciError({
      code: tooLarge ? 'OCI_TOO_LARGE' : 'OCI_UNREACHABLE',
      cause: err,
      message: (err as Error).message,
    });
  }
}

function resolveLocation(location: string, base: string, x: Exchange): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    throw insecure(x, 'redirect to an unparseable Location');
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') throw insecure(x, `redirect to a ${next.protocol} URL`);
  return next;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
}

function insecure(x: Exchange, what: string): OciError {
  return new OciError({
    code: 'OCI_INSECURE_REDIRECT',
    message: `${x.method} ${redactUrl(x.url)}: ${what}; check the registry's storage redirect configuration`,
  });
}
