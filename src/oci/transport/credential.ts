/** A registry credential, wherever it came from (explicit input, auth file, credential helper). */
export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token realm with `grant_type=refresh_token`. */
  | { kind: 'identity-token'; token: string; source: string };
