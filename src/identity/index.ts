/**
 * The identity part: OpenPubkey PK tokens (CIC, commitment, GQ256, JSON and compact forms, hash,
 * OSM), OP key lookup, issuance and verification, plus the OIDC providers that supply ID tokens.
 * Every function documents its `@throws` codes at its definition; all failures are
 * `PkTokenError` (PKT_*, OSM_INVALID) or, from providers, `OidcError` (OIDC_*).
 */
export { PkTokenError, OidcError } from './errors.js';
export type { PkTokenErrorCode, OidcErrorCode } from './errors.js';

// The run's ephemeral ES256 key.
export { EphemeralKey, verifyEs256, es256Verifier, keyidOfJwk } from './ephemeral-key.js';
export type { Es256PublicJwk } from './ephemeral-key.js';

// JSON as Go marshals it (commitments and signed headers).
export { goCanonicalJson } from './go-json.js';
export type { JsonValue, JsonObject } from '../core/guards.js';

// Public JWKs and RFC 7638 thumbprints.
export { parsePublicJwk, jwkThumbprint, MIN_RSA_MODULUS_BITS, MAX_RSA_MODULUS_BITS } from './jwk.js';
export type { PublicJwk, RsaPublicJwk, EcPublicJwk, OkpPublicJwk, JwkInput } from './jwk.js';

// Client instance claims and the commitment.
export { createCic, cicCommitment, parseCicHeader, CIC_RESERVED_CLAIMS, CIC_TYP } from './cic.js';
export type { Cic, ParsedCic } from './cic.js';

// GQ256 tokens.
export { createGqToken, verifyGqToken, decodeGqToken, GQ256 } from './gq256.js';
export type { CreateGqTokenOptions, VerifyGqTokenOptions, GqToken } from './gq256.js';

// The PK token model, parser and builder.
export { PkToken, parsePkToken, buildPkToken, roleOf } from './pk-token.js';
export type { PkTokenSignature, SignatureRole } from './pk-token.js';

// OP keys: JWKS, discovery, the KeyFinder hook.
export { parseJwks, findJwk, jwksKeyFinder, fetchJwks, discoveryKeyFinder } from './jwks.js';
export type { KeyFinder, PrefetchingKeyFinder, Jwks, JwksHttpOptions } from './jwks.js';

// Verification, issuance and signed messages.
export { verifyPkToken, issuedAt, DEFAULT_EXPIRY, MAX_CLOCK_SKEW_SECONDS } from './verify-pk-token.js';
export type { VerifyPkTokenOptions, VerifiedPkToken, ExpiryPolicy } from './verify-pk-token.js';
export { issuePkToken } from './issue-pk-token.js';
export type { IssuePkTokenOptions } from './issue-pk-token.js';
export { signOsm, verifyOsm, OSM_TYP } from './osm.js';
export type { VerifyOsmOptions } from './osm.js';

// OIDC providers (GitHub Actions, generic OPs).
export * from './oidc/index.js';
