/** Errors of the identity part: OIDC providers and OpenPubkey PK tokens. */
import { OpkError } from '../core/errors.js';

/** Codes for OIDC token acquisition (signing side). */
export type OidcErrorCode =
  | 'OIDC_NOT_CONFIGURED' // e.g. ACTIONS_ID_TOKEN_REQUEST_URL missing: needs `permissions: id-token: write`
  | 'OIDC_REQUEST_FAILED' // the provider answered with an error status
  | 'OIDC_BAD_RESPONSE' // the provider's response does not carry a usable token
  | 'OIDC_TOKEN_INVALID'; // the ID token itself is unusable (wrong alg, wrong audience, …)

/** Thrown when an ID token cannot be obtained from the OIDC provider. */
export class OidcError extends OpkError<OidcErrorCode> {}

/** Codes for building, parsing and verifying PK tokens, CICs, GQ256 and OSMs. */
export type PkTokenErrorCode =
  | 'PKT_MALFORMED'
  | 'PKT_TOO_LARGE'
  | 'PKT_ROLE_INVALID' // unknown typ, duplicate or missing OP/CIC signature
  | 'PKT_ALG_INVALID' // alg none, alg not allowed, alg mismatch between CIC and upk
  | 'PKT_CIC_INVALID' // CIC header fields missing or malformed
  | 'PKT_CIC_SIGNATURE_INVALID'
  | 'PKT_COMMITMENT_MISMATCH'
  | 'PKT_ISSUER_NOT_ALLOWED'
  | 'PKT_KID_UNKNOWN'
  | 'PKT_KEY_DISTRUSTED' // the OP key is marked distrusted in the trust archive ("trust jwks remove")
  | 'PKT_JWKS_INVALID'
  | 'PKT_JWKS_FETCH_FAILED'
  | 'PKT_GQ_REQUIRED' // an RS256 OP signature where GQ256 is required
  | 'PKT_GQ_INVALID'
  | 'PKT_OP_SIGNATURE_INVALID'
  | 'PKT_EXPIRED'
  | 'PKT_ISSUED_IN_FUTURE' // iat after now plus the allowed clock skew
  | 'PKT_CLAIM_INVALID'
  | 'PKT_BASE64_INVALID' // a segment that is not canonical unpadded base64url
  | 'PKT_JKT_MISMATCH' // the GQ header's jkt is not the thumbprint of the OP key found by kid
  | 'OSM_INVALID';

/** Thrown when a PK token (or its parts) cannot be built, parsed or verified. */
export class PkTokenError extends OpkError<PkTokenErrorCode> {}
