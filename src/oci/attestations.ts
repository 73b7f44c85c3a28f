/**
 * BuildKit attestations of an image: walks the image index, pairs every platform manifest with
 * its attestation manifest(s) — index descriptors annotated `vnd.docker.reference.type:
 * attestation-manifest` + `vnd.docker.reference.digest`, and the `oci-artifact=true` layout whose
 * manifest carries `subject` and artifactType `application/vnd.docker.attestation.manifest.v1+json`
 * — and lists their in-toto layers with the predicate types BuildKit annotates.
 * Statements are read as raw bytes (digest and size checked) and never re-serialised.
 */
import type { Digest } from '../core/digest.js';
import { MAX_MANIFEST_BYTES, MAX_STATEMENT_BYTES } from '../core/limits.js';
import { mapLimit } from '../core/map-limit.js';
import { getBlob } from './content-blobs.js';
import { getManifest, getManifestFor, type FetchedManifest } from './content-manifests.js';
import { OciError } from './errors.js';
import { isIndex, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from './manifest.js';
import {
  ANNOTATION_DOCKER_REFERENCE_DIGEST,
  ANNOTATION_DOCKER_REFERENCE_TYPE,
  ANNOTATION_PREDICATE_TYPE,
  DOCKER_ATTESTATION_ARTIFACT_TYPE,
  DOCKER_REFERENCE_ATTESTATION,
  IMAGE_CONFIG_TYPES,
  INDEX_TYPES,
  MANIFEST_TYPES,
} from './media-types.js';
import { IN_TOTO_MEDIA_TYPE } from '../core/in-toto.js';
import type { RegistryTransport } from './transport/types.js';
import { quote } from '../core/quote.js';

/** A platform filter: `os/arch[/variant]`. */
export interface PlatformFilter {
  os: string;
  architecture: string;
  variant?: string;
}

/** One in-toto statement layer of an attestation manifest. */
export interface AttestationStatement {
  /** The layer descriptor (digest, size, media type, annotations) to read the statement with. */
  layer: Descriptor;
  /** From the layer's `in-toto.io/predicate-type` annotation; the statement itself is authoritative. */
  predicateType?: string;
  /** The attestation manifest the layer belongs to. */
  attestationManifest: Digest;
}

/** An attestation manifest paired with its platform manifest. */
export interface AttestationManifest {
  descriptor: Descriptor;
  /** `annotation`: BuildKit's default layout; `oci-artifact`: `subject` + artifactType (oci-artifact=true). */
  layout: 'annotation' | 'oci-artifact';
}

/** One platform image of the walked image. */
export interface PlatformImage {
  /** `os/arch[/variant]`, or `unknown` when the image does not say. */
  platform: string;
  /** The platform manifest's descriptor: the subject of statements and of our signatures. */
  descriptor: Descriptor;
  attestationManifests: AttestationManifest[];
  statements: AttestationStatement[];
}

/** The result of walking an image. */
export interface ImageAttestations {
  repository: string;
  reference: string;
  /** The descriptor of what `reference` resolved to (index or single manifest). */
  descriptor: Descriptor;
  kind: 'index' | 'manifest';
  platforms: PlatformImage[];
  /** Plain-language remarks: single-platform image, no attestations, orphaned attestation manifests. */
  notes: string[];
}

/** Options of `findAttestations`. */
export interface FindAttestationsOptions {
  /** Only this platform (`os/arch[/variant]`). */
  platform?: string;
  /** Manifests fetched at once. */
  concurrency?: number;
}

const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DEFAULT_CONCURRENCY = 8;
const NO_ATTESTATIONS =
  'no BuildKit attestations found; build with "docker buildx build --provenance=true --sbom=true" (or attest:* in build-push-action) to produce them';

/**
 * Parses a platform filter `os/arch[/variant]` (e.g. `linux/arm64/v8`).
 * @throws OciError OCI_PLATFORM_INVALID
 */
export function parsePlatformFilter(s: string): PlatformFilter {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PLATFORM_PART.test(p))) {
    throw new OciError({
      code: 'OCI_PLATFORM_INVALID',
      message: `platform ${quote(s, 100)} is not os/arch[/variant] in lowercase, e.g. linux/amd64 or linux/arm64/v8`,
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

/**
 * Formats a platform as `os/arch[/variant]`, or `unknown`.
 * @throws never
 */
export function formatPlatform(p: Platform | PlatformFilter | undefined): string {
  if (p === undefined) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Whether a platform matches a filter; a filter without variant matches every variant.
 * @throws never
 */
export function platformMatches(p: Platform | undefined, filter: PlatformFilter): boolean {
  if (p === undefined) return false;
  return (
    p.os === filter.os &&
    p.architecture === filter.architecture &&
    (filter.variant === undefined || p.variant === filter.variant)
  );
}

/**
 * Walks an image and pairs every platform manifest with its BuildKit attestations.
 * A single-platform image (a plain manifest) and an index without attestations are results with
 * an explanatory note, not errors.
 * @param reference - a tag or digest in `repository`
 * @throws OciError OCI_NOT_FOUND (image, or a manifest its index lists) | OCI_PLATFORM_INVALID |
 *   OCI_PLATFORM_NOT_FOUND | OCI_ATTESTATION_INVALID | OCI_DIGEST_MISMATCH | OCI_SIZE_MISMATCH |
 *   OCI_MANIFEST_INVALID | OCI_TOO_LARGE and transport codes
 */
export async function findAttestations(
  t: RegistryTransport,
  repository: string,
  reference: string,
  options: FindAttestationsOptions = {},
): Promise<ImageAttestations> {
  const filter = options.platform === undefined ? undefined : parsePlatformFilter(options.platform);
  const top = await getManifest(t, repository, reference);
  const descriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  const base = { repository, reference, descriptor };
  if (!isIndex(top.manifest)) {
    return { ...base, kind: 'manifest', ...(await walkSingle(t, repository, top, filter)) };
  }
  const walk = new IndexWalk(t, repository, top, options.concurrency ?? DEFAULT_CONCURRENCY);
  return { ...base, kind: 'index', ...(await walk.run(filter)) };
}

/**
 * Reads one statement's raw bytes (digest and size checked, capped at MAX_STATEMENT_BYTES).
 * @throws OciError OCI_NOT_FOUND | OCI_TOO_LARGE | OCI_SIZE_MISMATCH | OCI_DIGEST_MISMATCH and transport codes
 */
export function readStatement(
  t: RegistryTransport,
  repository: string,
  statement: AttestationStatement,
): Promise<Buffer> {
  return getBlob(t, repository, statement.layer, MAX_STATEMENT_BYTES);
}

async function walkSingle(
  t: RegistryTransport,
  repository: string,
  top: FetchedManifest,
  filter?: PlatformFilter,
): Promise<{ platforms: PlatformImage[]; notes: string[] }> {
  const platform = await platformFromConfig(t, repository, top.manifest as ImageManifest);
  const descriptor: Descriptor = {
    mediaType: top.mediaType,
    digest: top.digest,
    size: top.bytes.length,
    ...(platform ? { platform } : {}),
  };
  if (filter !== undefined && !platformMatches(platform, filter))
    throw platformNotFound(t, repository, filter, [formatPlatform(platform)]);
  const image: PlatformImage = {
    platform: formatPlatform(platform),
    descriptor,
    attestationManifests: [],
    statements: [],
  };
  return {
    platforms: [image],
    notes: [`single-platform image (a plain manifest); ${NO_ATTESTATIONS} (BuildKit stores them in an image index)`],
  };
}

/** The os/architecture of a single-platform image, from its config (small, digest-checked). */
async function platformFromConfig(
  t: RegistryTransport,
  repository: string,
  m: ImageManifest,
): Promise<Platform | undefined> {
  if (!IMAGE_CONFIG_TYPES.includes(m.config.mediaType)) return undefined;
  const raw = await getBlob(t, repository, m.config, MAX_MANIFEST_BYTES);
  let config: { os?: unknown; architecture?: unknown; variant?: unknown };
  try {
    config = JSON.parse(raw.toString('utf8')) as typeof config;
  } catch (err) {
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      cause: err,
      message: `image config ${t.registry}/${repository}@${m.config.digest} is not JSON; the image is corrupt`,
    });
  }
  const { os, architecture, variant } = config ?? {};
  if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '') return undefined;
  return { os, architecture, ...(typeof variant === 'string' && variant !== '' ? { variant } : {}) };
}

interface Pair {
  image: PlatformImage;
  attestation: AttestationManifest;
  statements: AttestationStatement[];
}

/** One walk over an index: select platforms, check they exist, pair attestation manifests. */
class IndexWalk {
  private readonly index: ImageIndex;
  private readonly where: string;
  readonly notes: string[] = [];

  constructor(
    private readonly t: RegistryTransport,
    private readonly repository: string,
    top: FetchedManifest,
    private readonly concurrency: number,
  ) {
    this.index = top.manifest as ImageIndex;
    this.where = `${t.registry}/${repository}@${top.digest}`;
  }

  async run(filter?: PlatformFilter): Promise<{ platforms: PlatformImage[]; notes: string[] }> {
    const { images, attestations } = this.classify();
    const selected = filter === undefined ? images : images.filter((d) => platformMatches(d.platform, filter));
    if (filter !== undefined && selected.length === 0) {
      throw platformNotFound(
        this.t,
        this.repository,
        filter,
        images.map((d) => formatPlatform(d.platform)),
      );
    }
    const platforms = selected.map(
      (d) =>
        ({
          platform: formatPlatform(d.platform),
          descriptor: d,
          attestationManifests: [],
          statements: [],
        }) as PlatformImage,
    );
    const bySubject = new Map(platforms.map((p) => [p.descriptor.digest, p] as const));
    const all = new Set(images.map((d) => d.digest as string));
    // The platform manifests are checked while the attestation manifests are read (one round trip,
    // not two); pairs are fetched in parallel and applied in index order, so the result is deterministic.
    const [, pairs] = await Promise.all([
      mapLimit(selected, this.concurrency, (d) => this.checkChild(d)),
      mapLimit(attestations, this.concurrency, (d) => this.pair(d, bySubject, all)),
    ]);
    for (const p of pairs) {
      if (p === undefined) continue;
      p.image.attestationManifests.push(p.attestation);
      p.image.statements.push(...p.statements);
    }
    if (attestations.length === 0) this.notes.push(NO_ATTESTATIONS);
    return { platforms, notes: this.notes };
  }

  /** Splits the index into platform manifests and attestation manifests; notes what it skips. */
  private classify(): { images: Descriptor[]; attestations: Descriptor[] } {
    const images: Descriptor[] = [];
    const attestations: Descriptor[] = [];
    for (const d of this.index.manifests) {
      if (isAttestationDescriptor(d)) attestations.push(d);
      else if (MANIFEST_TYPES.includes(d.mediaType)) images.push(d);
      else if (INDEX_TYPES.includes(d.mediaType))
        this.notes.push(`skipped nested index ${d.digest}: nested indexes are not walked`);
      else this.notes.push(`skipped ${d.digest}: media type ${d.mediaType} is not an image manifest`);
    }
    return { images, attestations };
  }

  /** The index says this platform manifest exists: check it does, with that digest, size and type. */
  private async checkChild(d: Descriptor): Promise<void> {
    try {
      await getManifestFor(this.t, this.repository, d);
    } catch (err) {
      if ((err as OciError).code !== 'OCI_NOT_FOUND') throw err;
      throw new OciError({
        code: 'OCI_NOT_FOUND',
        cause: err,
        message: `index ${this.where} lists ${formatPlatform(d.platform)} manifest ${d.digest}, which the registry does not have; the image is incomplete, re-push it`,
      });
    }
  }

  private async pair(
    d: Descriptor,
    bySubject: Map<string, PlatformImage>,
    all: Set<string>,
  ): Promise<Pair | undefined> {
    const annotated = d.annotations?.[ANNOTATION_DOCKER_REFERENCE_DIGEST];
    // Skip, without fetching, attestations of platforms the filter left out.
    if (annotated !== undefined && all.has(annotated) && !bySubject.has(annotated)) return undefined;
    const fetched = await getManifestFor(this.t, this.repository, d);
    if (isIndex(fetched.manifest)) throw this.invalid(d, 'is an index, expected an attestation manifest');
    const subject = this.subjectOf(d, fetched.manifest);
    const image = bySubject.get(subject);
    if (image === undefined) {
      if (!all.has(subject))
        this.notes.push(
          `attestation manifest ${d.digest} names subject ${subject}, which is not in the index; ignored`,
        );
      return undefined;
    }
    checkSubjectDescriptor(fetched.manifest, image.descriptor, () =>
      this.invalid(d, 'has a subject whose size or media type differs from the index'),
    );
    const layout = fetched.manifest.artifactType === DOCKER_ATTESTATION_ARTIFACT_TYPE ? 'oci-artifact' : 'annotation';
    return { image, attestation: { descriptor: d, layout }, statements: statementsOf(fetched.manifest, d.digest) };
  }

  /** The platform manifest an attestation manifest is about: annotation and `subject` must agree. */
  private subjectOf(d: Descriptor, m: ImageManifest): string {
    const annotated = d.annotations?.[ANNOTATION_DOCKER_REFERENCE_DIGEST];
    const subject = m.subject?.digest;
    if (annotated !== undefined && subject !== undefined && annotated !== subject) {
      throw this.invalid(d, `is annotated for ${annotated} but its subject is ${subject}`);
    }
    const found = annotated ?? subject;
    if (found === undefined)
      throw this.invalid(d, `has neither a ${ANNOTATION_DOCKER_REFERENCE_DIGEST} annotation nor a subject`);
    return found;
  }

  private invalid(d: Descriptor, fault: string): OciError {
    return new OciError({
      code: 'OCI_ATTESTATION_INVALID',
      message: `attestation manifest ${d.digest} in index ${this.where} ${fault}; the image was not built by a conforming BuildKit, rebuild it`,
    });
  }
}

function isAttestationDescriptor(d: Descriptor): boolean {
  return (
    d.annotations?.[ANNOTATION_DOCKER_REFERENCE_TYPE] === DOCKER_REFERENCE_ATTESTATION ||
    d.artifactType === DOCKER_ATTESTATION_ARTIFACT_TYPE
  );
}

function checkSubjectDescriptor(m: ImageManifest, platformDescriptor: Descriptor, fail: () => OciError): void {
  if (m.subject === undefined) return;
  if (m.subject.size !== platformDescriptor.size || m.subject.mediaType !== platformDescriptor.mediaType) throw fail();
}

function statementsOf(m: ImageManifest, attestationManifest: Digest): AttestationStatement[] {
  return m.layers
    .filter((l) => l.mediaType === IN_TOTO_MEDIA_TYPE)
    .map((layer) => {
      const predicateType = layer.annotations?.[ANNOTATION_PREDICATE_TYPE];
      return { layer, attestationManifest, ...(predicateType === undefined ? {} : { predicateType }) };
    });
}

function platformNotFound(
  t: RegistryTransport,
  repository: string,
  filter: PlatformFilter,
  available: string[],
): OciError {
  return new OciError({
    code: 'OCI_PLATFORM_NOT_FOUND',
    message: `image ${t.registry}/${repository} has no ${formatPlatform(filter)} manifest (it has: ${available.join(', ') || 'none'}); pick one of those with --platform`,
  });
}
