/** Errors of the trust policy part. */
import { OpkError } from '../core/errors.js';

export type PolicyErrorCode =
  | 'POLICY_INVALID'          // policy.json does not parse or has bad fields
  | 'POLICY_NO_RULE';         // no rule's scope matches the image

/** Thrown when a policy cannot be parsed or applied. */
export class PolicyError extends OpkError<PolicyErrorCode> {}
