/**
 * HTTP for the OIDC providers on top of `core/http.ts`: endpoints must be https (plain http only on
 * loopback, for local issuers and tests), bodies are capped at MAX_OIDC_RESPONSE_BYTES, redirects
 * are not followed (requests carry bearer tokens and client secrets), and core failures become
 * OIDC codes. Messages name redacted URLs only, never headers or bodies that could hold a token.
 */
import { isBudgetExceeded } from '../../core/deadline.js';
import { CoreError } from '../../core/errors.js';
import { httpRequest, parseJsonBody, redactUrl, type HttpOptions, type HttpResponse } from '../../core/http.js';
import { MAX_OIDC_RESPONSE_BYTES } from '../../core/limits.js';
import { isHttpsOrLoopback } from '../../core/loopback.js';
import { OidcError } from '../errors.js';

/** Retry and timeout tuning for a provider's HTTP exchanges (defaults: those of `httpRequest`). */
export type OidcHttpOptions = Pick<HttpOptions, 'attempts' | 'backoffMs' | 'timeoutMs' | 'totalTimeoutMs' | 'deadline'>;

/**
 * Parses an endpoint URL, requiring https unless the host is loopback.
 * @param setting - the option or variable the URL came from, named in the message
 * @throws OidcError OIDC_NOT_CONFIGURED
 */
export function secureUrl(raw: string, setting: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new OidcError({
      code: 'OIDC_NOT_CONFIGURED',
      cause: err,
      message: `${setting} is not a valid URL; set it to the issuer's https URL`,
    });
  }
  if (!isHttpsOrLoopback(url) || url.username || url.password) {
    throw new OidcError({
      code: 'OIDC_NOT_CONFIGURED',
      message: `${setting} (${redactUrl(raw)}) must be an https URL without credentials (plain http is allowed only on loopback)`,
    });
  }
  return url;
}

/**
 * One bounded exchange with an OIDC endpoint. Non-2xx statuses are returned for the caller to map.
 * @throws OidcError OIDC_REQUEST_FAILED (connection failed or timed out after retries) | OIDC_BAD_RESPONSE (body over the cap);
 *   CoreError CORE_BUDGET_EXCEEDED
 */
export async function oidcRequest(url: URL, options: HttpOptions & { what: string }): Promise<HttpResponse> {
  try {
    return await httpRequest(url.href, { maxBytes: MAX_OIDC_RESPONSE_BYTES, redirect: 'manual', ...options });
  } catch (err) {
    if (!(err instanceof CoreError) || isBudgetExceeded(err)) throw err;
    throw new OidcError({
      code: err.code === 'CORE_TOO_LARGE' ? 'OIDC_BAD_RESPONSE' : 'OIDC_REQUEST_FAILED',
      cause: err,
      message: err.message,
    });
  }
}

/**
 * Parses a response body as a JSON object.
 * @throws OidcError OIDC_BAD_RESPONSE
 */
export function jsonObject(res: HttpResponse, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonBody(res.body, what);
  } catch (err) {
    throw new OidcError({ code: 'OIDC_BAD_RESPONSE', cause: err, message: (err as Error).message });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OidcError({
      code: 'OIDC_BAD_RESPONSE',
      message: `${what}: response is JSON but not an object; check the URL points at the token API`,
    });
  }
  return value as Record<string, unknown>;
}
