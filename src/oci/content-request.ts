/**
 * Requests for registry content and the checks every answer gets: transport errors turned into
 * OCI codes, content re-hashed against the digest asked for (go-containerregistry
 * `remote/fetcher.go`), a registry's announced digest compared with what it sent.
 */
import { CoreError } from '../core/errors.js';
import { digestOf, isDigest, type Digest } from '../core/digest.js';
import type { HttpResponse } from '../core/http.js';
import { MAX_MANIFEST_BYTES } from '../core/limits.js';
import { quote } from '../core/quote.js';
import { OciError } from './errors.js';
import type { RegistryRequest, RegistryTransport } from './transport/types.js';

/**
 * Sends through the transport, turning the core primitives' errors into OCI codes.
 * @param what - names the target in errors
 * @throws OciError OCI_TOO_LARGE | OCI_UNREACHABLE and transport codes; CoreError CORE_BUDGET_EXCEEDED
 */
export async function registryRequest(t: RegistryTransport, req: RegistryRequest, what: string): Promise<HttpResponse> {
  try {
    return await t.send(req);
  } catch (err) {
    // A spent budget stays CORE_BUDGET_EXCEEDED: it is the command's limit, not this registry's fault.
    if (!(err instanceof CoreError) || err.code === 'CORE_BUDGET_EXCEEDED') throw err;
    if (err.code === 'CORE_TOO_LARGE') {
      throw new OciError({
        code: 'OCI_TOO_LARGE',
        cause: err,
        message: `${what}: the response exceeds the ${req.maxBytes ?? MAX_MANIFEST_BYTES}-byte limit; refusing to read more`,
      });
    }
    throw new OciError({ code: 'OCI_UNREACHABLE', cause: err, message: `${what}: ${err.message}` });
  }
}

/** Refuses bytes whose digest is not the one asked for. */
export function checkBytesDigest(bytes: Uint8Array, want: Digest, what: string): void {
  const got = digestOf(bytes);
  if (got !== want) {
    throw new OciError({
      code: 'OCI_DIGEST_MISMATCH',
      message: `${what}: registry returned content with digest ${got}, expected ${want}; a proxy or mirror may be rewriting content`,
    });
  }
}

/** Refuses an answer whose announced `Docker-Content-Digest` is not the content's. */
export function checkServerDigest(res: HttpResponse, want: Digest, what: string): void {
  const announced = res.headers.get('docker-content-digest');
  if (announced !== null && announced !== want) {
    throw new OciError({
      code: 'OCI_DIGEST_MISMATCH',
      message: `${what}: registry announced digest ${quote(announced, 200)}, the content hashes to ${want}; a proxy or mirror may be rewriting content`,
    });
  }
}

/** OCI_NOT_FOUND naming the manifest or blob. */
export function notFound(t: RegistryTransport, repository: string, reference: string, kind = 'manifest'): OciError {
  return new OciError({
    code: 'OCI_NOT_FOUND',
    message: `${kind} ${t.registry}/${repository}${refSuffix(reference)} not found; check the repository, tag and digest, and that it was pushed`,
  });
}

/** `@digest` or `:tag`, as a reference is written after the repository. */
export function refSuffix(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`;
}
