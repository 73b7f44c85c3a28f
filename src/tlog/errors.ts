/** Errors of the transparency-log part: DER/X.509, hashedrekord bodies, Rekor API, proofs. */
import { OpkError } from '../core/errors.js';

/** Codes for building, fetching and verifying transparency-log entries. */
export type TlogErrorCode =
  | 'TLOG_DER_INVALID' // DER not minimal, truncated, too deep, trailing bytes
  | 'TLOG_CERT_INVALID' // a certificate that is not the openpubkey PK-token layout
  | 'TLOG_CERT_SIGNATURE_INVALID' // the self-signed certificate is not signed by its own key
  | 'TLOG_KEY_INVALID' // a log public key that is unparseable or not ECDSA P-256
  | 'TLOG_ENTRY_INVALID' // the `ext.tl` entry (or a Rekor entry) has the wrong shape
  | 'TLOG_BODY_INVALID' // the logged body is not a hashedrekord v0.0.1
  | 'TLOG_BODY_HASH_MISMATCH' // the logged hash is not sha256(PAE) of this envelope
  | 'TLOG_BODY_SIGNATURE_MISMATCH' // the logged signature is not this envelope's signature
  | 'TLOG_BODY_CERT_MISMATCH' // the logged certificate does not carry this PK token / key
  | 'TLOG_UUID_MISMATCH' // the entry UUID is not the leaf hash of its body
  | 'TLOG_LOG_UNKNOWN' // the entry's logID is not a trusted log
  | 'TLOG_PROOF_MISSING' // neither an inclusion proof nor a SET (or a required one absent)
  | 'TLOG_SET_INVALID' // the signed entry timestamp does not verify
  | 'TLOG_CHECKPOINT_INVALID' // the checkpoint (signed note) is malformed
  | 'TLOG_CHECKPOINT_SIGNATURE_INVALID' // no checkpoint signature by the log key verifies
  | 'TLOG_CHECKPOINT_MISMATCH' // checkpoint size/root differ from the inclusion proof's
  | 'TLOG_INCLUSION_PROOF_INVALID' // the proof does not lead from the body to the root
  | 'TLOG_CONSISTENCY_INVALID' // a later checkpoint does not extend an earlier one (fork, rollback, other log)
  | 'TLOG_REQUEST_FAILED' // the log could not be reached or answered 5xx
  | 'TLOG_REJECTED' // the log refused the entry (4xx other than 404/409)
  | 'TLOG_NOT_FOUND' // the log has no such entry
  | 'TLOG_RESPONSE_INVALID'; // the log answered something we cannot use

/** Thrown by everything in `src/tlog`. */
export class TlogError extends OpkError<TlogErrorCode> {}
