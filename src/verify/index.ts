/** The verifier: the steps of docs/architecture.md, "Verification order", and its report. */
export { VerifyError, type VerifyErrorCode } from './errors.js';
export {
  verifyImage,
  type VerifyImageOptions,
  type VerifyReport,
  type PlatformReport,
  type VerifiedSignature,
  type RejectedSignature,
  type TrustMaterial,
  type TrustSource,
} from './verifier.js';
export {
  verifyPublished,
  type VerifyPublishedOptions,
  type PublishedSubject,
  type PublishedArtifact,
  type PublishedCheck,
  type HeldBytes,
} from './published.js';
export { formatReport, reportJson } from './report.js';
export { checkIssuedBeforeLogged } from './log-time.js';
export {
  simplePolicy,
  simpleTrust,
  defaultSigstoreCache,
  PUBLIC_GOOD_REKOR,
  type SimplePolicyOptions,
  type SimpleTrustOptions,
} from './trust-options.js';
export {
  verificationSummary,
  PREDICATE_VERIFICATION_SUMMARY_V1,
  OPK_ATTEST_VERIFIER_ID,
  type VerificationSummaryOptions,
} from './summary-statement.js';
export {
  inspectImage,
  type InspectImageOptions,
  type InspectReport,
  type InspectedPlatform,
  type InspectedAttestation,
  type InspectedSignature,
  type AnnotatedSigner,
} from './inspect.js';
export {
  inspectRepository,
  isFallbackTag,
  type InspectRepositoryOptions,
  type RepositoryReport,
  type InspectedTag,
  type TagSigner,
  type TagStatus,
} from './inspect-repository.js';
