/** The signing pipeline: collect statements, one PK token per run, log, attach as referrers. */
export { SignError, type SignErrorCode } from './errors.js';
export {
  signImages,
  signImagesWith,
  type RunHooks,
  type SignImagesOptions,
  type SignImagesResult,
  type ResolvedImage,
  type SignedArtifact,
  type SkippedStatement,
  type PublishedBytes,
  type PublishingArtifact,
} from './sign-images.js';
export {
  collectStatements,
  collectImage,
  type CollectedImage,
  type StatementToSign,
  type ExtraStatements,
  type ImageName,
} from './statements.js';
export { referrerRequest, existingSignature, type ExpectedSigner } from './referrer.js';
