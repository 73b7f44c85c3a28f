/**
 * Media types, artifact types and annotation keys of the OCI image spec, Docker's
 * distribution formats, BuildKit's attestation layout and opk-attest's own artifacts.
 * Every magic string of the OCI part lives here (as go-containerregistry keeps them in
 * `pkg/v1/types`), so a typo is a compile error rather than a silent mismatch.
 */
import { digestHex, type Digest } from '../core/digest.js';

/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index (also the referrers API response and the fallback tag's content). */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker manifest list (Docker's index). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** The manifest media types we read and write, single-image kinds first. */
export const MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** The index media types we read and write. */
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

/** The `Accept` header of every manifest GET/HEAD: distribution 2.8 answers 404 to an OCI
 * manifest unless an OCI type is listed explicitly (`*∕*` is not enough). */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(', ');

/** OCI image config. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Docker image config. */
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Config media types that describe a runnable image (they carry os/architecture). */
export const IMAGE_CONFIG_TYPES: readonly string[] = [OCI_CONFIG, DOCKER_CONFIG];
/** OCI gzip-compressed tar layer. */
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** The OCI empty descriptor: media type, content `{}`, its digest and size (image spec 1.1). */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_DATA = '{}';
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
export const OCI_EMPTY_SIZE = 2;

/** `artifactType` of BuildKit attestation manifests built with `oci-artifact=true`. */
export const DOCKER_ATTESTATION_ARTIFACT_TYPE = 'application/vnd.docker.attestation.manifest.v1+json';

/** BuildKit's index annotations on an attestation manifest descriptor. */
export const ANNOTATION_DOCKER_REFERENCE_TYPE = 'vnd.docker.reference.type';
export const ANNOTATION_DOCKER_REFERENCE_DIGEST = 'vnd.docker.reference.digest';
/** The value of `vnd.docker.reference.type` on attestation manifests. */
export const DOCKER_REFERENCE_ATTESTATION = 'attestation-manifest';

/** The predicate type of an in-toto layer (BuildKit) and of our signed artifacts. */
export const ANNOTATION_PREDICATE_TYPE = 'in-toto.io/predicate-type';
/** Creation time of an artifact (RFC 3339). */
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
/** Signer summary on our artifacts, so `inspect` needs no layer pulls (docs/formats.md, "OCI layout"). */
export const ANNOTATION_SIGNER_ISSUER = 'dev.opk-attest.signer.issuer';
export const ANNOTATION_SIGNER_SUBJECT = 'dev.opk-attest.signer.subject';
export const ANNOTATION_SIGNER_REPOSITORY = 'dev.opk-attest.signer.repository';
export const ANNOTATION_SIGNER_WORKFLOW = 'dev.opk-attest.signer.workflow';
/** Digest of the signed statement bytes: lets a re-run see it was signed without pulling layers. */
export const ANNOTATION_STATEMENT_DIGEST = 'dev.opk-attest.statement.digest';

/**
 * The tag of the referrers tag schema (distribution spec 1.1, "Referrers Tag Schema"):
 * `sha256:<hex>` becomes `sha256-<hex>` (64 hex characters fit the 128-character tag limit).
 * @param digest - a canonical sha256 digest
 * @throws never
 */
export function referrersTag(digest: Digest): string {
  return `sha256-${digestHex(digest)}`;
}

/**
 * Whether a media type names a manifest or index we can read.
 * @throws never
 */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_TYPES.includes(mediaType) || INDEX_TYPES.includes(mediaType);
}
