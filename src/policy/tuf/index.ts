/** The TUF side of the trust policy: the client, and the tooling that builds and signs a trust repository. */
export { openTufRepository, type TufClientOptions, type TufTargets, type VerifiedTarget } from './client.js';
export {
  scopeWithin,
  mergePolicies,
  rulesOutsideScope,
  fragmentTargetPath,
  TRUST_INDEX_KEY,
  type Delegation,
  type LoadedFragment,
  type MergedPolicy,
} from './delegations.js';
export { MIN_PASSPHRASE_LENGTH, parsePublicKeyFile, type PublicKeyFile } from './keys.js';
export { trustDir, type TrustDir } from './layout.js';
export { DEFAULT_EXPIRY as DEFAULT_TUF_EXPIRY, type SigningOptions, type TopRole } from './options.js';
export {
  addSigner,
  checkIssuerUrl,
  removeSigner,
  setThreshold,
  setRequire,
  revokeDigest,
  revokeSigner,
  revokeScope,
  unrevoke,
  type Unrevoke,
  type SignerRemoval,
} from './policy-edits.js';
export {
  initRepository,
  publishRepository,
  type InitResult,
  type PublishOptions,
  type PublishResult,
} from './repository.js';
export { generateRoleKey, rotateRoleKey, delegateScope, removeDelegation, type KeyChange } from './roles.js';
export {
  readStaged,
  stagePolicy,
  readStagedPolicy,
  stageArchive,
  readStagedArchive,
  stageLogKey,
  unstageLogKey,
  readDelegations,
  serializePolicy,
  type StagedState,
  type StagedDelegation,
} from './staged.js';
export { summarizeRepository, type RepositorySummary, type RoleSummary } from './summary.js';
export { readPublishedPolicies, type PublishedPolicies } from './published-policy.js';
