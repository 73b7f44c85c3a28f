/** Errors of the verifier that concern a signature as a whole (the parts throw their own codes). */
import { OpkError } from '../core/errors.js';

export type VerifyErrorCode =
  | 'VERIFY_ARTIFACT_INVALID' // the referrer is not one envelope about this platform manifest
  | 'VERIFY_NOT_LISTED' // an artifact the signer pushed is not among the subject's referrers
  | 'VERIFY_TLOG_MISSING' // no log entry where the policy requires one
  | 'VERIFY_TLOG_KEY_UNPINNED' // no trusted key for the log: not pinned, not in a trusted root, no TOFU
  | 'VERIFY_IAT_AFTER_LOG_TIME'; // the PK token's iat is after the log's vouched time (plus skew)

/** Thrown by the verifier for problems not owned by a single part. */
export class VerifyError extends OpkError<VerifyErrorCode> {}
