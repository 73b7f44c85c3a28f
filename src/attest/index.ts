/** The attest part: in-toto statements, DSSE envelopes with the OpenPubkey extension, and the att/atts binding. */
export { AttestError } from './errors.js';
export type { AttestErrorCode, StatementErrorCode, DsseErrorCode, BindingErrorCode } from './errors.js';
export {
  STATEMENT_TYPE_V1,
  STATEMENT_TYPE_V01,
  DSSE_MEDIA_TYPE,
  PREDICATE_SPDX,
  PREDICATE_CYCLONEDX,
  PREDICATE_SLSA_PROVENANCE_V1,
  parseStatement,
  subjectMatches,
  requireSubject,
  artifactKind,
  artifactTypeFor,
  makeStatement,
  DSSE_ARTIFACT_TYPES,
} from './intoto.js';
export type { ArtifactKind, Statement, Subject, SubjectInput } from './intoto.js';
export { detectSbom } from './sbom.js';
export type { DetectedSbom, SbomFormat } from './sbom.js';
export { GITHUB_WORKFLOW_BUILD_TYPE, generateSlsaProvenance, slsaProvenancePredicate } from './provenance.js';
export type { SlsaProvenanceOptions } from './provenance.js';
export {
  DSSE_PAE_PREFIX,
  OPK_EXTENSION_KIND,
  pae,
  envelopePae,
  buildEnvelope,
  withTransparencyLogEntry,
  serializeEnvelope,
  parseEnvelope,
  verifyEnvelopeSignature,
  envelopeSignatureVerifier,
} from './dsse.js';
export type { Envelope, OpkSignature, OpkExtension, TlogEntryJson, UpkJwk } from './dsse.js';
export { ATT_CLAIM, ATTS_CLAIM, bindingClaims, verifyBinding } from './binding.js';
export type { AttProof, RunBinding } from './binding.js';
export { signEnvelopes } from './sign-envelopes.js';
export type { IssuePkToken, SignEnvelopesOptions, SignedEnvelope } from './sign-envelopes.js';
export { verifyAttestationEnvelope } from './verify-envelope.js';
export type { EnvelopePkToken, VerifyAttestationOptions, VerifiedAttestation } from './verify-envelope.js';
