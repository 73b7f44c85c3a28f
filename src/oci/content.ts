/**
 * Registry content operations over a `RegistryTransport`: manifests (get, head, put) and blobs
 * (exists, get, upload, cross-repository mount). Every byte read is bounded and re-hashed
 * against the digest it was asked for (go-containerregistry `remote/fetcher.go`); every
 * manifest written is parsed first, so we never push a document we could not read back.
 */
import { CoreError } from '../core/errors.js';
import { digestOf, isDigest, type Digest } from '../core/digest.js';
import type { HttpResponse } from '../core/http.js';
import { MAX_MANIFEST_BYTES } from '../core/limits.js';
import { OciError } from './errors.js';
import { parseManifest, type Descriptor, type Manifest, type ParseManifestOptions } from './manifest.js';
import { INDEX_TYPES, MANIFEST_ACCEPT, MANIFEST_TYPES } from './media-types.js';
import { registryError } from './transport/registry-error.js';
import type { RegistryRequest, RegistryTransport } from './transport/types.js';
import { quote } from '../core/quote.js';

/** A manifest as served: the original bytes, their digest, and the parsed document. */
export interface FetchedManifest {
  bytes: Buffer;
  /** sha256 of `bytes`, recomputed here (never taken from a header). */
  digest: Digest;
  mediaType: string;
  manifest: Manifest;
  /** The registry's ETag, for a conditional PUT (`If-Match`). */
  etag?: string;
}

/** What a HEAD on a manifest reported (headers only: informational, not verified). */
export interface ManifestHead {
  digest?: Digest;
  mediaType?: string;
  size?: number;
}

/** Conditions and parsing options of a manifest PUT. */
export interface PutManifestOptions {
  /** `If-Match`: fail with OCI_CONFLICT (412) if the tag moved since it was read. */
  ifMatch?: string;
  /** `If-None-Match: *`: fail with OCI_CONFLICT (412) if the tag already exists. */
  ifNoneMatch?: '*';
  /** Passed to the parser that checks the document before it is sent. */
  maxDescriptors?: number;
}

/** What a manifest PUT produced. */
export interface PutManifestResult {
  descriptor: Descriptor;
  /** The `OCI-Subject` response header: the registry says it indexed the subject (not trusted alone). */
  ociSubject?: string;
}

/** How a blob came to be in the repository. */
export type BlobOutcome = 'existed' | 'mounted' | 'uploaded';

/** Options of `putBlob`. */
export interface PutBlobOptions {
  /** Repository (same registry) to mount the blob from instead of uploading it. */
  mountFrom?: string;
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. */
  chunkSize?: number;
}

/** Default chunk size of blob uploads. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/** Whole-upload attempts: a chunked upload whose session broke restarts from a new session. */
const UPLOAD_ATTEMPTS = 3;

/**
 * Fetches a manifest by tag or digest, with an explicit Accept for the OCI and Docker types,
 * bounded by MAX_MANIFEST_BYTES, re-hashed and parsed.
 * @param reference - a tag or a `sha256:` digest
 * @returns the original bytes with their recomputed digest and the parsed document
 * @throws OciError OCI_NOT_FOUND | OCI_DIGEST_MISMATCH | OCI_TOO_LARGE | OCI_MANIFEST_INVALID and transport codes
 */
export async function getManifest(
  t: RegistryTransport,
  repository: string,
  reference: string,
  options: Pick<ParseManifestOptions, 'maxDescriptors'> = {},
): Promise<FetchedManifest> {
  const found = await findManifest(t, repository, reference, options);
  if (found === undefined) throw notFound(t, repository, reference);
  return found;
}

/**
 * Like `getManifest`, but a missing manifest (404) is `undefined` instead of an error.
 * @throws OciError OCI_DIGEST_MISMATCH | OCI_TOO_LARGE | OCI_MANIFEST_INVALID and transport codes
 */
export async function findManifest(
  t: RegistryTransport,
  repository: string,
  reference: string,
  options: Pick<ParseManifestOptions, 'maxDescriptors'> = {},
): Promise<FetchedManifest | undefined> {
  const what = `${t.registry}/${repository}${refSuffix(reference)}`;
  const res = await registryRequest(
    t,
    {
      method: 'GET',
      repository,
      path: `${repository}/manifests/${reference}`,
      actions: ['pull'],
      headers: { accept: MANIFEST_ACCEPT },
      maxBytes: MAX_MANIFEST_BYTES,
    },
    what,
  );
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw registryError(res, `GET manifest ${what}`, t.registry);
  const digest = checkDigest(res, reference, what);
  const manifest = parseManifest(res.body, { contentType: res.headers.get('content-type'), what, ...options });
  const etag = res.headers.get('etag') ?? undefined;
  return { bytes: res.body, digest, mediaType: manifest.mediaType, manifest, ...(etag === undefined ? {} : { etag }) };
}

/**
 * Fetches the manifest a descriptor points at (by digest) and checks its size and media type too.
 * @throws OciError OCI_NOT_FOUND | OCI_DIGEST_MISMATCH | OCI_SIZE_MISMATCH | OCI_TOO_LARGE | OCI_MANIFEST_INVALID and transport codes
 */
export async function getManifestFor(
  t: RegistryTransport,
  repository: string,
  descriptor: Descriptor,
  options: Pick<ParseManifestOptions, 'maxDescriptors'> = {},
): Promise<FetchedManifest> {
  const what = `${t.registry}/${repository}@${descriptor.digest}`;
  if (descriptor.size > MAX_MANIFEST_BYTES) {
    throw new OciError({
      code: 'OCI_TOO_LARGE',
      message: `manifest ${what} declares ${descriptor.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit; refusing it`,
    });
  }
  const got = await getManifest(t, repository, descriptor.digest, options);
  if (got.bytes.length !== descriptor.size) {
    throw new OciError({
      code: 'OCI_SIZE_MISMATCH',
      message: `manifest ${what} is ${got.bytes.length} bytes, its descriptor says ${descriptor.size}; the referring index is inconsistent`,
    });
  }
  if (got.mediaType !== descriptor.mediaType) {
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      message: `manifest ${what} is a ${got.mediaType}, its descriptor says ${descriptor.mediaType}; the referring index is inconsistent`,
    });
  }
  return got;
}

/**
 * Asks whether a manifest exists (HEAD), with the registry's view of its digest, type and size.
 * @returns `undefined` when the registry answers 404
 * @throws OciError transport codes | OCI_REGISTRY_ERROR
 */
export async function headManifest(
  t: RegistryTransport,
  repository: string,
  reference: string,
): Promise<ManifestHead | undefined> {
  const what = `${t.registry}/${repository}${refSuffix(reference)}`;
  const res = await registryRequest(
    t,
    {
      method: 'HEAD',
      repository,
      path: `${repository}/manifests/${reference}`,
      actions: ['pull'],
      headers: { accept: MANIFEST_ACCEPT },
    },
    what,
  );
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw registryError(res, `HEAD manifest ${what}`, t.registry);
  const digest = res.headers.get('docker-content-digest') ?? undefined;
  const mediaType = res.headers.get('content-type') ?? undefined;
  const size = Number(res.headers.get('content-length') ?? NaN);
  return {
    ...(isDigest(digest) ? { digest } : {}),
    ...(mediaType ? { mediaType } : {}),
    ...(Number.isSafeInteger(size) ? { size } : {}),
  };
}

/**
 * Pushes a manifest under a tag or by its digest. The bytes are parsed first (nothing malformed
 * or oversized is ever sent) and the declared media type must be the document's.
 * @param reference - a tag, or omitted to push by digest
 * @throws OciError OCI_TOO_LARGE | OCI_MANIFEST_INVALID | OCI_CONFLICT (412) | OCI_DIGEST_MISMATCH and transport codes
 */
export async function putManifest(
  t: RegistryTransport,
  repository: string,
  bytes: Uint8Array,
  mediaType: string,
  reference?: string,
  options: PutManifestOptions = {},
): Promise<PutManifestResult> {
  const digest = digestOf(bytes);
  const ref = reference ?? digest;
  const what = `${t.registry}/${repository}${refSuffix(ref)}`;
  const manifest = parseManifest(bytes, {
    contentType: mediaType,
    what,
    ...(options.maxDescriptors === undefined ? {} : { maxDescriptors: options.maxDescriptors }),
  });
  if (manifest.mediaType !== mediaType)
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      message: `${what}: refusing to push a ${manifest.mediaType} document as ${mediaType}`,
    });
  const headers: Record<string, string> = { 'content-type': mediaType };
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch !== undefined) headers['if-none-match'] = options.ifNoneMatch;
  const res = await registryRequest(
    t,
    {
      method: 'PUT',
      repository,
      path: `${repository}/manifests/${ref}`,
      actions: ['pull', 'push'],
      headers,
      body: bytes,
      noRetryStatuses: [412],
    },
    what,
  );
  if (res.status !== 201 && res.status !== 200 && res.status !== 202)
    throw registryError(res, `PUT manifest ${what}`, t.registry);
  checkServerDigest(res, digest, what);
  const subject = res.headers.get('oci-subject') ?? undefined;
  return {
    descriptor: { mediaType, digest, size: bytes.length },
    ...(subject === undefined ? {} : { ociSubject: subject }),
  };
}

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
 * Makes sure a blob is in the repository: skipped when it exists, mounted from `mountFrom` when
 * the registry agrees, else uploaded (POST then PUT, or PATCH chunks above `chunkSize`).
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
  if (await blobExists(t, repository, digest, bytes.length)) return result('existed');
  let lastError: unknown;
  for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++) {
    try {
      const start = await startUpload(t, repository, digest, options.mountFrom);
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

async function startUpload(
  t: RegistryTransport,
  repository: string,
  digest: Digest,
  mountFrom?: string,
): Promise<{ mounted: boolean; location: string }> {
  const what = `${t.registry}/${repository} upload of ${digest}`;
  const query =
    mountFrom === undefined ? '' : `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`;
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

/** The digest of a fetched manifest: recomputed, and equal to the digest asked for or announced. */
function checkDigest(res: HttpResponse, reference: string, what: string): Digest {
  const actual = digestOf(res.body);
  if (isDigest(reference)) checkBytesDigest(res.body, reference, `manifest ${what}`);
  else checkServerDigest(res, actual, what);
  return actual;
}

function checkBytesDigest(bytes: Uint8Array, want: Digest, what: string): void {
  const got = digestOf(bytes);
  if (got !== want) {
    throw new OciError({
      code: 'OCI_DIGEST_MISMATCH',
      message: `${what}: registry returned content with digest ${got}, expected ${want}; a proxy or mirror may be rewriting content`,
    });
  }
}

function checkServerDigest(res: HttpResponse, want: Digest, what: string): void {
  const announced = res.headers.get('docker-content-digest');
  if (announced !== null && announced !== want) {
    throw new OciError({
      code: 'OCI_DIGEST_MISMATCH',
      message: `${what}: registry announced digest ${quote(announced, 200)}, the content hashes to ${want}; a proxy or mirror may be rewriting content`,
    });
  }
}

function notFound(t: RegistryTransport, repository: string, reference: string, kind = 'manifest'): OciError {
  return new OciError({
    code: 'OCI_NOT_FOUND',
    message: `${kind} ${t.registry}/${repository}${refSuffix(reference)} not found; check the repository, tag and digest, and that it was pushed`,
  });
}

function refSuffix(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`;
}

/**
 * Whether a media type names a manifest or index we can read.
 * @throws never
 */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_TYPES.includes(mediaType) || INDEX_TYPES.includes(mediaType);
}
