/**
 * Structured registry errors: the distribution spec's `{"errors":[{code,message,detail}]}` body
 * (and the `WWW-Authenticate` error of token auth) turned into one `OciError` whose message starts
 * with the operation and the redacted URL, names the status and registry codes, and the fix.
 */
import { redactUrl, type HttpResponse } from '../../core/http.js';
import { OciError, type OciErrorCode } from '../errors.js';
import { findChallenge } from './challenge.js';

/** One entry of a registry's error body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
}

const MAX_ENTRIES = 8;
const MAX_TEXT = 200;

const BY_REGISTRY_CODE: Record<string, OciErrorCode> = {
  UNAUTHORIZED: 'OCI_AUTH_FAILED',
  DENIED: 'OCI_DENIED',
  MANIFEST_UNKNOWN: 'OCI_NOT_FOUND',
  BLOB_UNKNOWN: 'OCI_NOT_FOUND',
  NAME_UNKNOWN: 'OCI_NOT_FOUND',
  BLOB_UPLOAD_UNKNOWN: 'OCI_NOT_FOUND',
  TOOMANYREQUESTS: 'OCI_RATE_LIMITED',
  MANIFEST_INVALID: 'OCI_MANIFEST_INVALID',
  MANIFEST_BLOB_UNKNOWN: 'OCI_MANIFEST_INVALID',
  MANIFEST_UNVERIFIED: 'OCI_MANIFEST_INVALID',
  DIGEST_INVALID: 'OCI_DIGEST_MISMATCH',
  SIZE_INVALID: 'OCI_REGISTRY_ERROR',
  UNSUPPORTED: 'OCI_UNSUPPORTED',
};

const BY_STATUS: Record<number, OciErrorCode> = {
  401: 'OCI_AUTH_FAILED',
  403: 'OCI_DENIED',
  404: 'OCI_NOT_FOUND',
  409: 'OCI_CONFLICT',
  412: 'OCI_CONFLICT',
  413: 'OCI_TOO_LARGE',
  429: 'OCI_RATE_LIMITED',
};

/**
 * Builds the error for a non-2xx registry response.
 * @param res - the response as returned by `RegistryTransport.send`
 * @param what - the operation, e.g. "GET manifest test/img:v1" or "PUT referrers tag"
 * @param registry - the registry as written in references, for the `docker login` hint
 *   (defaults to the response's host; differs for token realms and Docker Hub)
 * @returns an OciError (not thrown) with a code from the registry's error codes, else the status
 * @throws never
 */
export function registryError(res: HttpResponse, what: string, registry?: string): OciError {
  const entries = parseErrorBody(res.body);
  const insufficientScope =
    findChallenge(res.headers.get('www-authenticate'), 'bearer')?.params['error'] === 'insufficient_scope';
  const code = insufficientScope ? 'OCI_DENIED' : codeOf(res.status, entries);
  const detail =
    entries.length > 0
      ? entries.map((e) => `${e.code}${e.message ? ` (${e.message})` : ''}`).join(', ')
      : statusText(res);
  return new OciError({
    code,
    message: `${what} ${redactUrl(res.url)}: ${res.status} ${detail}; ${fixFor(code, registry ?? hostOf(res.url))}`,
  });
}

/**
 * Parses a registry error body, shape first; anything that is not the spec's shape yields [].
 * @throws never
 */
export function parseErrorBody(body: Uint8Array): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return []; // a plain-text or HTML error page: reported by status
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.slice(0, MAX_ENTRIES).flatMap((e: unknown) => {
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code !== 'string') return [];
    return [{ code: clean(code).toUpperCase(), message: typeof message === 'string' ? clean(message) : '' }];
  });
}

function codeOf(status: number, entries: RegistryErrorEntry[]): OciErrorCode {
  for (const e of entries) {
    const mapped = BY_REGISTRY_CODE[e.code];
    if (mapped) return mapped;
  }
  return BY_STATUS[status] ?? 'OCI_REGISTRY_ERROR';
}

function fixFor(code: OciErrorCode, host: string): string {
  switch (code) {
    case 'OCI_AUTH_FAILED':
      return `unauthorized: check registry-username/registry-password or \`docker login ${host}\``;
    case 'OCI_DENIED':
      return `denied: the credentials lack the needed access (push needs write access; on GHCR give the job "permissions: packages: write")`;
    case 'OCI_NOT_FOUND':
      return 'not found: check the repository name, tag or digest';
    case 'OCI_RATE_LIMITED':
      return 'rate limited: wait and retry, or authenticate to get a higher limit';
    case 'OCI_CONFLICT':
      return 'conflict: another writer changed it first; re-read and retry';
    case 'OCI_TOO_LARGE':
      return 'the registry refused the size; check its upload limits';
    case 'OCI_UNSUPPORTED':
      return 'the registry does not support this operation';
    default:
      return 'the registry rejected the request; see its message';
  }
}

function statusText(res: HttpResponse): string {
  const text = clean(Buffer.from(res.body.subarray(0, MAX_TEXT)).toString('utf8'));
  return text ? `(${text})` : '(no error body)';
}

/** Registry text is untrusted: one line, printable, short. */
function clean(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim()
    .slice(0, MAX_TEXT);
}

function hostOf(url: string): string {
  try {
    const host = new URL(url).host;
    return host === 'registry-1.docker.io' ? 'docker.io' : host;
  } catch {
    return '<registry>';
  }
}
