/**
 * OIDC providers: where the OpenPubkey core gets an ID token that commits to its ephemeral key.
 *
 * Every provider implements `OidcProvider.requestIdToken(commitment)` and returns the compact RS256
 * ID token exactly as issued, after checking its shape, issuer and commitment claim. All of them
 * throw `OidcError` with one of:
 * - `OIDC_NOT_CONFIGURED`: variables, files or URLs missing or not https (GitHub: the job lacks
 *   `permissions: id-token: write`);
 * - `OIDC_REQUEST_FAILED`: the issuer answered non-200, or could not be reached after retries;
 * - `OIDC_BAD_RESPONSE`: the answer is oversized, not JSON, or holds no token;
 * - `OIDC_TOKEN_INVALID`: the token is not an RS256 JWT for this issuer and commitment.
 *
 * Which to use: in GitHub Actions `githubActionsProvider` (our own client, the default);
 * `actionsCoreGithubProvider` is the same request made by `@actions/core`. Elsewhere
 * `clientCredentialsProvider` (an OP that issues tokens to a CI client), or `staticTokenProvider`
 * (a token obtained by another tool with the commitment as audience or nonce).
 */
export type { CommitmentClaim, Env, OidcProvider } from './provider.js';
export type { OidcHttpOptions } from './transport.js';
export {
  GITHUB_ACTIONS_ISSUER,
  REQUEST_URL_VAR,
  REQUEST_TOKEN_VAR,
  githubActionsProvider,
  actionsCoreGithubProvider,
} from './github.js';
export {
  GITHUB_COM_SERVER,
  githubIssuerFor,
  githubServerOf,
  isGithubActionsIssuer,
  type GithubIssuer,
  type GithubDeployment,
} from './github-issuer.js';
export type { GithubActionsOptions, ActionsCoreOptions, SetSecret } from './github.js';
export { staticTokenProvider, clientCredentialsProvider } from './generic.js';
export type { StaticTokenOptions, ClientCredentialsOptions, ClientAuthMethod } from './generic.js';
export { checkIdToken, decodeIdToken } from './id-token.js';
export type { IdTokenExpectation, IdTokenParts } from './id-token.js';
