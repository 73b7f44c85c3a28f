/**
 * Publishing referrers (distribution spec 1.1): artifact manifests with `subject` +
 * `artifactType`, pushed by digest, then listed through the referrers API when the registry
 * really serves it (`referrers-api.ts`), else through the fallback tag (`referrers-tag.ts`).
 * Listing lives in `referrers-list.ts`. What is learnt about a registry on the way (API or not,
 * preconditions enforced, empty config pushed) is kept in the transport's `RegistryKnowledge`.
 * The fallback tag's concurrency argument: docs/referrers.md.
 */
import { digestOf, type Digest } from '../core/digest.js';
import { putBlob, type UploadSession } from './content-blobs.js';
import { putManifest } from './content-manifests.js';
import { OciError } from './errors.js';
import { encodeManifest, type Descriptor, type ImageManifest } from './manifest.js';
import { OCI_EMPTY, OCI_EMPTY_DATA, OCI_EMPTY_DIGEST, OCI_EMPTY_SIZE, OCI_MANIFEST } from './media-types.js';
import { hasReferrersApi, listViaApi } from './referrers-api.js';
import {
  pause,
  resolveReferrersOptions,
  type ReferrersOptions,
  type ResolvedReferrersOptions,
} from './referrers-options.js';
import type { ReferrersList } from './referrers-list.js';
import { readReferrersTag, updateReferrersTag } from './referrers-tag.js';
import type { RegistryTransport } from './transport/types.js';

export { listReferrers, type ReferrersList } from './referrers-list.js';
export { hasReferrersApi } from './referrers-api.js';
export { addToReferrersTag } from './referrers-tag.js';
export type { ReferrersMode, ReferrersOptions } from './referrers-options.js';

/** One layer of an artifact to publish (normally the DSSE envelope). */
export interface ArtifactLayer {
  mediaType: string;
  data: Uint8Array;
  annotations?: Record<string, string>;
  /**
   * The bytes cannot be in the registry yet (they carry a signature made in this run): upload
   * without asking first whether the blob exists. Default false.
   */
  fresh?: boolean;
  /** An upload session opened for these bytes while they were being made (`openUpload`). */
  session?: Promise<UploadSession>;
}

/** An artifact to attach to a subject. */
export interface PublishRequest {
  /** The image's repository (where the subject lives). */
  repository: string;
  /** The subject: the platform manifest's descriptor (only digest, size and media type are kept). */
  subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  artifactType: string;
  layers: ArtifactLayer[];
  annotations?: Record<string, string>;
}

/** What `publishReferrer` wrote, once the subject's referrers list it. */
export interface PublishedReferrer {
  /** Where the artifact manifest lives. */
  repository: string;
  /** The referrer descriptor (digest, size, media type, artifactType, annotations). */
  descriptor: Descriptor;
  /** The artifact manifest bytes as pushed. */
  manifest: Buffer;
  /** Which discovery path lists it. */
  via: 'api' | 'tag';
  /**
   * The subject's referrers as the registry listed them once this batch was published (the
   * confirming read of the API or the fallback tag, after the settle wait): shared by the batch.
   */
  listing: readonly Descriptor[];
}

/** Options of `publishReferrers`: those of listing, and listings the caller already holds. */
export interface PublishOptions extends ReferrersOptions {
  /**
   * Listings of the subjects read earlier by the caller (a skip check): each stands in for the
   * read of the subject's fallback tag before anything is pushed. Not for the read right before
   * the tag is written, which stays fresh (docs/referrers.md, "The settle window").
   */
  earlier?: readonly ReferrersList[];
}

const API_CONFIRM_ATTEMPTS = 5;

/**
 * Builds the artifact manifest: OCI image manifest, empty config, the given layers, `subject`
 * and `artifactType` (docs/formats.md, "OCI layout").
 * @returns the exact bytes to push
 * @throws never
 */
export function buildArtifactManifest(req: PublishRequest): Buffer {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: req.artifactType,
    config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_SIZE },
    layers: req.layers.map(layerDescriptor),
    subject: { mediaType: req.subject.mediaType, digest: req.subject.digest, size: req.subject.size },
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  };
  return encodeManifest(manifest);
}

/**
 * Publishes an artifact as a referrer of `subject`: `publishReferrers` with one request.
 * @throws OciError OCI_CONFLICT (fallback tag contended past maxAttempts) | OCI_READBACK_FAILED |
 *   OCI_MANIFEST_INVALID (fallback tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function publishReferrer(
  t: RegistryTransport,
  req: PublishRequest,
  options: PublishOptions = {},
): Promise<PublishedReferrer> {
  const [published] = await publishReferrers(t, [req], options);
  return published!;
}

/**
 * Publishes artifacts as referrers, one batch per subject (subjects one after another): blobs
 * (skipped when present), the manifests by digest, then — when the registry has no referrers
 * API — one update of the subject's fallback tag listing them all, confirmed by a later read of
 * the tag (the API's listing otherwise). Manifests are not read back: a push by digest is
 * checked by the registry and by the digest it answers (`putManifest`). Never touches the
 * image's tags. Nothing is written for a subject whose probe fails or whose fallback tag holds
 * something else.
 * @returns one result per request, in the order given
 * @throws OciError OCI_CONFLICT (fallback tag contended past maxAttempts) | OCI_READBACK_FAILED |
 *   OCI_MANIFEST_INVALID (fallback tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function publishReferrers(
  t: RegistryTransport,
  requests: readonly PublishRequest[],
  options: PublishOptions = {},
): Promise<PublishedReferrer[]> {
  const o = resolveReferrersOptions(options);
  const out = new Array<PublishedReferrer>(requests.length);
  const groups = new Map<string, number[]>();
  requests.forEach((req, i) => {
    const key = `${o.referrersRepository ?? req.repository}@${req.subject.digest}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indexes of groups.values()) {
    const published = await publishBatch(
      t,
      indexes.map((i) => requests[i]!),
      o,
      options.earlier ?? [],
    );
    indexes.forEach((i, k) => {
      out[i] = published[k]!;
    });
  }
  return out;
}

/** Publishes artifacts of ONE subject into one repository (see `publishReferrers`). */
async function publishBatch(
  t: RegistryTransport,
  reqs: readonly PublishRequest[],
  o: ResolvedReferrersOptions,
  earlier: readonly ReferrersList[],
): Promise<PublishedReferrer[]> {
  const repository = o.referrersRepository ?? reqs[0]!.repository;
  const subject = reqs[0]!.subject.digest;
  // Probe before writing anything: a registry that fails the probe is left untouched.
  const api = o.mode === 'api' || (o.mode === 'auto' && (await hasReferrersApi(t, repository, subject)));
  // Likewise a fallback tag we must refuse to overwrite is found before anything is pushed
  // (a listing the caller made read it too, and would have refused it).
  const listed = earlier.find((l) => l.repository === repository && l.subject === subject);
  const early = api ? undefined : (listed?.tagRead ?? { tag: await readReferrersTag(t, repository, subject) });
  const manifests = reqs.map(buildArtifactManifest);
  const descriptors = reqs.map((req, i) => referrerDescriptor(manifests[i]!, req));
  await Promise.all([
    ensureEmptyConfig(t, repository),
    ...reqs.flatMap((req) =>
      req.layers.map((l) =>
        putBlob(t, repository, l.data, { fresh: l.fresh === true, ...(l.session ? { session: l.session } : {}) }),
      ),
    ),
  ]);
  // The read right before the tag write goes out with the manifests: the write still follows it
  // by about one round trip, as the settle argument needs (docs/referrers.md), one sooner.
  const firstRead =
    api || t.knowledge.enforcesPreconditions
      ? undefined
      : { startedAt: performance.now(), tag: readReferrersTag(t, repository, subject) };
  firstRead?.tag.catch(() => undefined); // awaited by the tag update; unhandled until then
  const puts = await Promise.all(manifests.map((m) => putManifest(t, repository, m, OCI_MANIFEST)));
  const byApi = api
    ? await confirmedByApi(
        t,
        repository,
        subject,
        descriptors,
        puts.map((p) => p.ociSubject),
        o,
      )
    : { ours: new Set<string>(), page: [] };
  const forTag = descriptors.filter((d) => !byApi.ours.has(d.digest));
  const tagListing =
    forTag.length === 0
      ? []
      : await updateReferrersTag(t, {
          repository,
          subject,
          entries: forTag,
          options: o,
          ...(early === undefined ? {} : { earlierRead: early }),
          ...(firstRead === undefined ? {} : { firstRead }),
        });
  const listing = [...byApi.page, ...tagListing];
  return descriptors.map((descriptor, i) => ({
    repository,
    descriptor,
    manifest: manifests[i]!,
    via: byApi.ours.has(descriptor.digest) ? 'api' : 'tag',
    listing,
  }));
}

function layerDescriptor(l: ArtifactLayer): Descriptor {
  return {
    mediaType: l.mediaType,
    digest: digestOf(l.data),
    size: l.data.length,
    ...(l.annotations === undefined ? {} : { annotations: l.annotations }),
  };
}

/** The descriptor the referrers index lists: artifactType and all annotations of the manifest (spec). */
function referrerDescriptor(manifest: Buffer, req: PublishRequest): Descriptor {
  return {
    mediaType: OCI_MANIFEST,
    digest: digestOf(manifest),
    size: manifest.length,
    artifactType: req.artifactType,
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  };
}

/**
 * Makes sure `repository` holds the empty config blob every artifact manifest names: pushed once
 * per transport and repository (callers at the same time share the push), mounted from a
 * repository this transport pushed it to before (a fleet's images), else uploaded without asking
 * first. Publishing does it; a caller may start it sooner, while the artifacts are being made.
 * @throws OciError from the upload (a failed push is tried again by the next caller)
 */
export function ensureEmptyConfig(t: RegistryTransport, repository: string): Promise<void> {
  return t.knowledge.ensureEmptyConfig(repository, async (heldIn) => {
    const data = Buffer.from(OCI_EMPTY_DATA);
    if (heldIn !== undefined) {
      // A mount the registry refuses (say, no pull on the other repository) is no failure: upload.
      const done = await putBlob(t, repository, data, { mountFrom: heldIn }).then(
        () => true,
        () => false,
      );
      if (done) return;
    }
    // No HEAD first: where the blob is missing (a repository's first signing) the question adds a
    // round trip before the upload; where it is there, uploading costs one request more than asking.
    await putBlob(t, repository, data, { fresh: true });
  });
}

/**
 * Which of our entries the API lists, and the last page it listed. Bounded re-reads while an
 * entry the registry acknowledged (OCI-Subject) is missing; one look otherwise: without the
 * header the spec sends those entries to the fallback tag.
 */
async function confirmedByApi(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
  entries: readonly Descriptor[],
  ociSubjects: ReadonlyArray<string | undefined>,
  o: ResolvedReferrersOptions,
): Promise<{ ours: Set<string>; page: Descriptor[] }> {
  const ours = new Set(entries.map((d) => d.digest as string));
  const acknowledged = entries.filter((_, i) => ociSubjects[i] !== undefined);
  const attempts = acknowledged.length === 0 ? 1 : API_CONFIRM_ATTEMPTS;
  const listed = new Set<string>();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const page = await listViaApi(t, repo, subject);
    if (page !== undefined) t.knowledge.recordReferrersApi(repo);
    for (const d of page ?? []) if (ours.has(d.digest)) listed.add(d.digest);
    if (acknowledged.every((d) => listed.has(d.digest))) return { ours: listed, page: page ?? [] };
    if (attempt < attempts) await pause(o.backoffMs, attempt);
  }
  const missing = acknowledged.find((d) => !listed.has(d.digest))!;
  throw new OciError({
    code: 'OCI_READBACK_FAILED',
    message: `${t.registry}/${repo}: the registry acknowledged subject ${ociSubjects[entries.indexOf(missing)]} but its referrers API does not list ${missing.digest}; the registry's referrers index is broken, retry later`,
  });
}
