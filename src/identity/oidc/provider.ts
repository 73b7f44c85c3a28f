/**
 * The one interface between the OpenPubkey core and whatever issues ID tokens. The core computes
 * the commitment (the CIC hash) and asks a provider for a token that carries it in
 * `commitmentClaim`; a provider returns the compact RS256 ID token exactly as the issuer sent it.
 */

/** Where the issuer puts the commitment (OpenPubkey `AUD_CLAIM` / `NONCE_CLAIM`). */
export type CommitmentClaim = 'aud' | 'nonce';

/** Environment lookup (`process.env` fits); providers take it as a parameter, defaulting to `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A source of OIDC ID tokens bound to a commitment. */
export interface OidcProvider {
  /** Short label for messages and reports, e.g. `github-actions`. */
  readonly name: string;
  /** The `iss` the tokens are expected to carry, when the provider knows it (GitHub.com's also come
   *  with an enterprise slug). */
  readonly issuer?: string;
  /** The claim that carries the commitment. */
  readonly commitmentClaim: CommitmentClaim;
  /**
   * Obtains an ID token whose `commitmentClaim` equals `commitment` exactly.
   * @param commitment - the OpenPubkey commitment (base64url SHA3-256 of the CIC)
   * @returns the compact JWS, RS256-signed by the issuer, unmodified
   * @throws OidcError OIDC_NOT_CONFIGURED | OIDC_REQUEST_FAILED | OIDC_BAD_RESPONSE | OIDC_TOKEN_INVALID
   */
  requestIdToken(commitment: string): Promise<string>;
}
