/** Errors of the trust policy part. */
import { OpkError } from '../core/errors.js';

export type PolicyErrorCode =
  | 'POLICY_INVALID' // policy.json does not parse or has bad fields
  | 'POLICY_NO_RULE' // no rule's scope matches the image
  | 'POLICY_EDIT_REFUSED' // an edit that would quietly weaken the policy (e.g. below a threshold) without the flag that allows it
  | 'POLICY_ARCHIVE_INVALID'; // a JWKS archive (oidc/<issuer host>/jwks.json) does not parse or a thumbprint is wrong

/** Thrown when a policy cannot be parsed or applied. */
export class PolicyError extends OpkError<PolicyErrorCode> {}

export type TufErrorCode =
  | 'TUF_ROOT_INVALID' // the trusted root file cannot be read or is not TUF root metadata
  | 'TUF_METADATA_INVALID' // metadata fails its signature threshold or shape checks (tampered, wrong keys)
  | 'TUF_EXPIRED' // metadata has expired (a freeze attack, or the repository needs "trust publish")
  | 'TUF_ROLLBACK' // a version number went backwards
  | 'TUF_TARGET_MISMATCH' // a target's length or hashes differ from the signed metadata
  | 'TUF_TARGET_MISSING' // a target the trust policy needs is not in the repository
  | 'TUF_TARGET_INVALID' // a target's content or custom metadata does not parse
  | 'TUF_TOO_LARGE' // a download is larger than its signed length or our cap
  | 'TUF_DOWNLOAD_FAILED' // the repository cannot be read (network, HTTP status, file)
  | 'TUF_PASSPHRASE' // the key passphrase is missing, too weak or wrong
  | 'TUF_KEY_INVALID' // a key file does not parse, or its private half does not match its public half
  | 'TUF_KEY_MISSING' // no private key at hand for a role that must be signed
  | 'TUF_REPO_INVALID' // the trust directory is missing, not initialised or inconsistent
  | 'TUF_REPO_EXISTS' // "trust init" on a directory that already holds files
  | 'TUF_DELEGATION_INVALID'; // a delegation's name or scope is bad, or a delegated rule leaves its scope

/** Thrown by the TUF client and the trust repository tooling. */
export class TufError extends OpkError<TufErrorCode> {}
