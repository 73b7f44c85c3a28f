export { OciError, type OciErrorCode } from './errors.js';
export {
  parseReference,
  formatReference,
  referenceIdentifier,
  isTag,
  parseRegistry,
  registryBaseUrl,
  usesPlainHttp,
  DOCKER_HUB,
  DOCKER_HUB_API,
  type ImageReference,
  type ReferenceOptions,
} from './reference.js';
export { createTransport, type TransportOptions, type ClosableTransport } from './transport/client.js';
export { registryError, parseErrorBody, type RegistryErrorEntry } from './transport/registry-error.js';
export { resolveCredential, authFiles, DOCKER_HUB_AUTH_KEY, type CredentialOptions } from './transport/auth.js';
export type { Credential } from './transport/credential.js';
export { parseChallenges, findChallenge, type Challenge } from './transport/challenge.js';
export type { RegistryRequest, RegistryTransport } from './transport/types.js';
export * from './media-types.js';
export {
  signerSummary,
  encodeSignatureAnnotations,
  decodeSignatureAnnotations,
  type SignerSummary,
  type SignatureAnnotations,
} from './signature-annotations.js';
export {
  parseManifest,
  parseIndex,
  parseImageManifest,
  parseDescriptor,
  isIndex,
  encodeManifest,
  descriptorOf,
  type Descriptor,
  type Platform,
  type ImageManifest,
  type ImageIndex,
  type Manifest,
  type ParseManifestOptions,
} from './manifest.js';
export {
  getManifest,
  findManifest,
  getManifestFor,
  headManifest,
  putManifest,
  type FetchedManifest,
  type PutManifestResult,
} from './content-manifests.js';
export { blobExists, cancelUpload, getBlob, openUpload, putBlob, type UploadSession } from './content-blobs.js';
export {
  findAttestations,
  readStatement,
  parsePlatformFilter,
  formatPlatform,
  platformMatches,
  type ImageAttestations,
  type PlatformImage,
  type AttestationStatement,
} from './attestations.js';
export {
  publishReferrer,
  publishReferrers,
  buildArtifactManifest,
  ensureEmptyConfig,
  type ArtifactLayer,
  type PublishRequest,
  type PublishedReferrer,
  type PublishOptions,
} from './referrers.js';
export { listReferrers, type ReferrersList } from './referrers-list.js';
export { listTags, parseTagPage, DEFAULT_TAG_PAGE_SIZE, type ListTagsOptions } from './tags.js';
export { hasReferrersApi } from './referrers-api.js';
export { addToReferrersTag, type TagIndex } from './referrers-tag.js';
export type { ReferrersMode, ReferrersOptions } from './referrers-options.js';
export {
  RegistryKnowledge,
  type RegistryKnowledgeSnapshot,
  type EnforcedPrecondition,
} from './transport/registry-knowledge.js';
