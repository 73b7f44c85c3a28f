/** Errors of the attest part: in-toto statements (`STMT_`), DSSE envelopes (`DSSE_`), att/atts binding (`BIND_`). */
import { OpkError } from '../core/errors.js';

/** Codes for in-toto statements and the predicates we read or generate. */
export type StatementErrorCode =
  | 'STMT_TOO_LARGE' // statement or predicate file past MAX_STATEMENT_BYTES
  | 'STMT_MALFORMED' // not UTF-8 JSON, or a field of the wrong shape
  | 'STMT_TYPE_UNSUPPORTED' // `_type` is neither in-toto Statement v1 nor v0.1
  | 'STMT_SUBJECT_MISMATCH' // no subject names the expected platform manifest digest
  | 'STMT_SBOM_UNRECOGNISED' // a user SBOM file is neither SPDX JSON nor CycloneDX JSON
  | 'STMT_CLAIMS_INVALID'; // OIDC claims unusable for generating SLSA provenance

/** Codes for DSSE envelopes and their signatures. */
export type DsseErrorCode =
  | 'DSSE_TOO_LARGE' // envelope, payload, PK token or signature past its cap
  | 'DSSE_MALFORMED' // not UTF-8 JSON, unknown or missing field, wrong type
  | 'DSSE_ENCODING_INVALID' // base64 or hex that is not canonical
  | 'DSSE_PAYLOAD_TYPE_INVALID'
  | 'DSSE_SIGNATURE_COUNT' // our envelopes carry exactly one signature
  | 'DSSE_EXTENSION_KIND' // extension kind is not "OPK"
  | 'DSSE_EXTENSION_INVALID' // OPK extension fields missing or malformed
  | 'DSSE_KEY_INVALID' // the PK token's upk is not a usable P-256 key
  | 'DSSE_KEYID_MISMATCH'
  | 'DSSE_SIGNATURE_INVALID';

/** Codes for the CIC `att` / `atts` claims that bind a PK token to a run's envelopes. */
export type BindingErrorCode =
  | 'BIND_RUN_EMPTY' // asked to bind zero envelopes
  | 'BIND_CLAIMS_MISSING' // CIC has neither `att` nor `atts`
  | 'BIND_CLAIMS_CONFLICT' // CIC has both `att` and `atts`
  | 'BIND_CLAIM_INVALID' // `att`/`atts` is not 64 lowercase hex characters
  | 'BIND_ATT_MISMATCH' // `att` is the hash of another PAE
  | 'BIND_ATTS_MISMATCH' // the inclusion proof leads to another root
  | 'BIND_PROOF_MISSING' // `atts` without an attProof
  | 'BIND_PROOF_UNEXPECTED' // attProof beside an `att` claim
  | 'BIND_SIZE_INVALID' // attProof size below 2 (one envelope uses `att`)
  | 'BIND_INDEX_OUT_OF_RANGE'
  | 'BIND_PROOF_INVALID'; // proof hash count or shape wrong for index and size

/** Every code the attest part throws. */
export type AttestErrorCode = StatementErrorCode | DsseErrorCode | BindingErrorCode;

/** Thrown when a statement, envelope or binding cannot be built, parsed or verified. */
export class AttestError extends OpkError<AttestErrorCode> {}
