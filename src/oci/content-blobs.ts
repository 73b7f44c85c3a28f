/**
 * Blob operations over a `RegistryTransport`: exists, get (size and digest checked against the
 * descriptor, the read capped at the declared size) and put (skipped when present, mounted from
 * another repository when the registry agrees, else uploaded in one PUT or PATCH chunks, with a
 * fresh session when one breaks). An upload session can be opened before its bytes exist
 * (`openUpload`), so that uploading them is one request once they do.
 */
import { digestOf, type Digest } from '../core/digest.js';
import type { HttpResponse } from '../core/http.js';
import { checkBytesDigest, checkServerDigest, notFound, registryRequest } from './content-request.js';
import { OciError } from './errors.js';
import type { Descriptor } from './manifest.js';
import { registryError } from './transport/registry-error.js';
import type { RegistryRequest, RegistryTransport } from './transport/types.js';

/** How a blob came to be in the repository. */
export type BlobOutcome = 'existed' | 'mounted' | 'uploaded';

/** Options of `putBlob`. */
export interface PutBlobOptions {
  /**
   * Repository (same registry) to mount the blob from instead of uploading it. No HEAD is sent
   * first: a mount of a blob the repository holds already succeeds as well, in one request.
   */
  mountFrom?: string;
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. */
  chunkSize?: number;
  /** Skip the HEAD that asks whether the blob is there: the bytes cannot be yet (a fresh
   *  signature), or are so few that uploading them costs about what asking does. */
  fresh?: boolean;
  /**
   * A session opened for these bytes beforehand (`openUpload`): the first attempt uploads into
   * it, unless it failed to open. A session that breaks is replaced, as any other.
   */
  session?: Promise<UploadSession>;
}

/** An upload session the registry has opened (its POST answered), not yet holding any bytes. */
export interface UploadSession {
  /** Where the bytes go: the `Location` the registry answered. */
  location: string;
}

/** Default chunk size of blob uploads. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/** Whole-upload attempts: a chunked upload whose session broke restarts from a new session. */
const UPLOAD_ATTEMPTS = 3;

/**
 * Whether a blob exists in the repository (HEAD). A size other than `size` (when given) counts as absent.
 * @throws OciError transport codes | OCI_REGISTRY_ERROR
 */
export async function blobExists(
  t: RegistryTransport,
  repository: string,
  digest: Digest,
  size?: number,
): Promise<boolean> {
  const what = `${t.registry}/${repository}@${digest}`;
  const res = await registryRequest(
    t,
    { method: 'HEAD', repository, path: `${repository}/blobs/${digest}`, actions: ['pull'] },
    what,
  );
  if (res.status === 404) return false;
  if (res.status !== 200) throw registryError(res, `HEAD blob ${what}`, t.registry);
  const length = res.headers.get('content-length');
  return size === undefined || length === null || Number(length) === size;
}

/**
 * Fetches a blob, checking its size and digest against the descriptor.
 * @param maxBytes - the caller's cap for this kind of content (descriptors above it are refused unread)
 * @throws OciError OCI_TOO_LARGE | OCI_SIZE_MISMATCH | OCI_DIGEST_MISMATCH | OCI_NOT_FOUND and transport codes
 */
export async function getBlob(
  t: RegistryTransport,
  repository: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  maxBytes: number,
): Promise<Buffer> {
  const what = `${t.registry}/${repository}@${descriptor.digest}`;
  if (descriptor.size > maxBytes) {
    throw new OciError({
      code: 'OCI_TOO_LARGE',
      message: `blob ${what} declares ${descriptor.size} bytes, over the ${maxBytes}-byte limit for this content; refusing to download it`,
    });
  }
  const res = await sendSized(
    t,
    {
      method: 'GET',
      repository,
      path: `${repository}/blobs/${descriptor.digest}`,
      actions: ['pull'],
      maxBytes: descriptor.size,
    },
    what,
  );
  if (res.status === 404) throw notFound(t, repository, descriptor.digest, 'blob');
  if (res.status !== 200) throw registryError(res, `GET blob ${what}`, t.registry);
  if (res.body.length !== descriptor.size) {
    throw new OciError({
      code: 'OCI_SIZE_MISMATCH',
      message: `blob ${what}: registry returned ${res.body.length} bytes, the descriptor says ${descriptor.size}; the content was altered or truncated`,
    });
  }
  checkBytesDigest(res.body, descriptor.digest, `blob ${what}`);
  return res.body;
}

/**
 * Makes sure a blob is in the repository: skipped when it exists (asked unless the bytes are
 * `fresh` or mounted), mounted from `mountFrom` when the registry agrees, else uploaded (POST then
 * PUT, or PATCH chunks above `chunkSize`).
 * @returns the blob's digest and size, and how it got there
 * @throws OciError OCI_DIGEST_MISMATCH | OCI_REGISTRY_ERROR and transport codes
 */
export async function putBlob(
  t: RegistryTransport,
  repository: string,
  bytes: Uint8Array,
  options: PutBlobOptions = {},
): Promise<{ digest: Digest; size: number; outcome: BlobOutcome }> {
  const digest = digestOf(bytes);
  const result = (outcome: BlobOutcome) => ({ digest, size: bytes.length, outcome });
  const ask = !options.fresh && options.mountFrom === undefined;
  if (ask && (await blobExists(t, repository, digest, bytes.length))) return result('existed');
  let lastError: unknown;
  for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++) {
    try {
      const opened = attempt === 1 ? await options.session?.catch(() => undefined) : undefined;
      const start = opened
        ? { mounted: false, location: opened.location }
        : await startUpload(t, repository, digest, options.mountFrom);
      if (start.mounted) return result('mounted');
      await upload(t, repository, start.location, bytes, digest, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
      return result('uploaded');
    } catch (err) {
      // A dropped connection may have hidden a success; the blob's presence is the truth. If even
      // that HEAD fails, the upload's own error below is the one worth reporting.
      if (await blobExists(t, repository, digest, bytes.length).catch(() => false)) return result('uploaded');
      if (!retriableUpload(err)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Opens an upload session before its bytes exist (a signature still being logged): `putBlob`
 * given it uploads in one request. A session that ends up unused is for `cancelUpload`.
 * @throws OciError OCI_REGISTRY_ERROR and transport codes
 */
export async function openUpload(t: RegistryTransport, repository: string): Promise<UploadSession> {
  return { location: (await startUpload(t, repository)).location };
}

/**
 * Cancels a session that will not be used (DELETE), so it does not linger until the registry
 * expires it. Best effort: a registry that refuses, or has expired it already, is left alone.
 * @throws never
 */
export async function cancelUpload(t: RegistryTransport, repository: string, session: UploadSession): Promise<void> {
  await registryRequest(
    t,
    { method: 'DELETE', repository, path: session.location, actions: ['pull', 'push'], bestEffort: true },
    `${t.registry}/${repository} upload session`,
  ).catch(() => undefined);
}

async function startUpload(
  t: RegistryTransport,
  repository: string,
  digest?: Digest,
  mountFrom?: string,
): Promise<{ mounted: boolean; location: string }> {
  const what = `${t.registry}/${repository} upload${digest === undefined ? '' : ` of ${digest}`}`;
  const query =
    mountFrom === undefined || digest === undefined
      ? ''
      : `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`;
  const req: RegistryRequest = {
    method: 'POST',
    repository,
    path: `${repository}/blobs/uploads/${query}`,
    actions: ['pull', 'push'],
    body: new Uint8Array(0),
  };
  if (mountFrom !== undefined) req.mountFrom = mountFrom;
  const res = await registryRequest(t, req, what);
  if (res.status === 201 && mountFrom !== undefined) return { mounted: true, location: '' };
  if (res.status !== 202) throw registryError(res, `POST ${what}`, t.registry);
  return { mounted: false, location: locationOf(res, repository, what) };
}

async function upload(
  t: RegistryTransport,
  repository: string,
  location: string,
  bytes: Uint8Array,
  digest: Digest,
  chunkSize: number,
): Promise<void> {
  let loc = location;
  const what = `${t.registry}/${repository} upload of ${digest}`;
  const chunked = bytes.length > chunkSize;
  for (let offset = 0; chunked && offset < bytes.length; offset += chunkSize) {
    const chunk = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
    const headers = {
      'content-type': 'application/octet-stream',
      'content-range': `${offset}-${offset + chunk.length - 1}`,
    };
    const res = await registryRequest(
      t,
      { method: 'PATCH', repository, path: loc, actions: ['pull', 'push'], headers, body: chunk },
      what,
    );
    if (res.status !== 202) throw registryError(res, `PATCH ${what}`, t.registry);
    loc = locationOf(res, repository, what);
  }
  const body = chunked ? new Uint8Array(0) : bytes;
  const url = `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
  const res = await registryRequest(
    t,
    {
      method: 'PUT',
      repository,
      path: url,
      actions: ['pull', 'push'],
      headers: { 'content-type': 'application/octet-stream' },
      body,
    },
    what,
  );
  if (res.status !== 201 && res.status !== 204) throw registryError(res, `PUT ${what}`, t.registry);
  checkServerDigest(res, digest, what);
}

/** The upload `Location`: absolute URLs are passed on (the transport decides about credentials),
 *  relative ones are resolved against the uploads endpoint, as HTTP says. */
function locationOf(res: HttpResponse, repository: string, what: string): string {
  const loc = res.headers.get('location');
  if (!loc) {
    throw new OciError({
      code: 'OCI_REGISTRY_ERROR',
      message: `${what}: registry answered ${res.status} without a Location header; the registry is not speaking the distribution API`,
    });
  }
  if (/^https?:\/\//i.test(loc) || loc.startsWith('/')) return loc;
  const resolved = new URL(loc, `http://registry.invalid/v2/${repository}/blobs/uploads/`);
  return `${resolved.pathname}${resolved.search}`;
}

// Only faults that a fresh session can fix: a lost or broken session, a dropped connection, a 5xx.
function retriableUpload(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    code === 'OCI_NOT_FOUND' ||
    code === 'OCI_REGISTRY_ERROR' ||
    code === 'OCI_UNREACHABLE' ||
    code === 'CORE_HTTP_ERROR'
  );
}

/** A GET whose body is capped at the declared size: more bytes is a size mismatch, not "too large". */
async function sendSized(t: RegistryTransport, req: RegistryRequest, what: string): Promise<HttpResponse> {
  try {
    return await registryRequest(t, req, what);
  } catch (err) {
    if (!(err instanceof OciError) || err.code !== 'OCI_TOO_LARGE') throw err;
    throw new OciError({
      code: 'OCI_SIZE_MISMATCH',
      cause: err,
      message: `blob ${what}: registry sent more than the descriptor's ${req.maxBytes} bytes; the content was altered`,
    });
  }
}
