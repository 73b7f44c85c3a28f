/**
 * Manifest operations over a `RegistryTransport`: get (by tag or digest, or for a descriptor),
 * head and put. Every manifest read is bounded, re-hashed and parsed; every manifest written is
 * parsed first, so we never push a document we could not read back.
 */
import { digestOf, isDigest, type Digest } from '../core/digest.js';
import type { HttpResponse } from '../core/http.js';
import { MAX_MANIFEST_BYTES } from '../core/limits.js';
import { checkBytesDigest, checkServerDigest, notFound, refSuffix, registryRequest } from './content-request.js';
import { OciError } from './errors.js';
import { parseManifest, type Descriptor, type Manifest, type ParseManifestOptions } from './manifest.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { registryError } from './transport/registry-error.js';
import type { RegistryTransport } from './transport/types.js';

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

/** The digest of a fetched manifest: recomputed, and equal to the digest asked for or announced. */
function checkDigest(res: HttpResponse, reference: string, what: string): Digest {
  const actual = digestOf(res.body);
  if (isDigest(reference)) checkBytesDigest(res.body, reference, `manifest ${what}`);
  else checkServerDigest(res, actual, what);
  return actual;
}
