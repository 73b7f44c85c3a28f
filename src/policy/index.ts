/** The trust policy: model, parser, evaluation, and the glob matcher for scopes and claims. */
export { PolicyError, type PolicyErrorCode } from './errors.js';
export { globMatch } from './glob.js';
export {
  parsePolicy,
  type Policy,
  type PolicyRule,
  type Revoked,
  type RevokedScope,
  type SignerRule,
} from './model.js';
export { ruleFor, signerMatches, evaluate, type VerifiedSignatureFacts, type PolicyVerdict } from './evaluate.js';
export { signerIdentity } from './signer-identity.js';
export { TufError, type TufErrorCode } from './errors.js';
export {
  parseJwksArchive,
  serializeJwksArchive,
  mergeJwksArchive,
  archiveKeyFinder,
  distrustJwksKey,
  archiveTargetPath,
  emptyJwksArchive,
  MAX_JWKS_ARCHIVE_BYTES,
  MAX_JWKS_ARCHIVE_KEYS,
  type ArchivedKey,
  type JwksArchive,
  type JwksMergeResult,
} from './jwks-archive.js';
export {
  loadTrust,
  trustMaterialFrom,
  policyIssuers,
  type TrustBundle,
  type LoadTrustOptions,
  type BundleTrustMaterial,
  type TrustMaterialOptions,
} from './trust-bundle.js';
export * from './tuf/index.js';
export {
  sigstoreTrustedRoot,
  SIGSTORE_TUF_MIRROR,
  type SigstoreRoot,
  type SigstoreRootOptions,
} from './sigstore-root.js';
