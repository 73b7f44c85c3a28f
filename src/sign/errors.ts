/** Errors of the signing pipeline (`src/sign`): what to sign, and the run as a whole. */
import { OpkError } from '../core/errors.js';

export type SignErrorCode =
  | 'SIGN_NO_STATEMENTS' // the image has no statements and none were given
  | 'SIGN_SUBJECT_MISMATCH' // a statement names no manifest of the image
  | 'SIGN_INPUT_INVALID' // an option or file given to the run is unusable
  | 'SIGN_CLAIMS_MISMATCH' // the ID token's workflow claims differ from the environment the provenance was built from
  | 'SIGN_VERIFY_FAILED'; // what was pushed does not verify, or is not listed as a referrer

/** Thrown by the signing pipeline. */
export class SignError extends OpkError<SignErrorCode> {}
