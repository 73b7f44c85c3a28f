/** The transparency-log part: Rekor v1 client, hashedrekord entries, PK-token certificates, offline entry verification. */
export { TlogError, type TlogErrorCode } from './errors.js';
export { LogPublicKey, createLogKeyring, logKeyringFromPems, type LogKeyring } from './keys.js';
export {
  createPkTokenCertificate,
  parsePkTokenCertificate,
  type CertificateSigner,
  type EncodedCertificate,
  type PkTokenCertificate,
  type PkTokenCertificateOptions,
} from './x509.js';
export {
  HASHEDREKORD_API_VERSION,
  HASHEDREKORD_KIND,
  buildHashedRekord,
  checkHashedRekordMatches,
  parseHashedRekordBody,
  type CertificateMemo,
  type ExpectedSignature,
  type HashedRekordInput,
  type HashedRekordProposal,
  type LoggedHashedRekord,
} from './hashedrekord.js';
export { parseTlogEntry, type TlogEntry, type TlogInclusionProof } from './entry.js';
export { RekorClient, MAX_RETRIEVE_QUERIES, type RekorClientOptions } from './rekor.js';
export type { RekorConsistencyProof, RekorLogInfo, RekorTreeInfo } from './rekor-responses.js';
export {
  checkpointTimestamp,
  parseCheckpoint,
  verifyCheckpointSignature,
  type CheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.js';
export { setPayload, verifySignedEntryTimestamp } from './set.js';
export { verifyInclusionProof } from './inclusion.js';
export { verifyCheckpointConsistency } from './consistency.js';
export { verifyTlogEntry, type VerifiedTlogEntry, type VerifyTlogEntryOptions } from './verify-entry.js';
export { parseTrustedRootLogs, MAX_TRUSTED_ROOT_BYTES, type TrustedRootLog } from './trusted-root.js';
