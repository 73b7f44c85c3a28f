/**
 * The `opk-attest` library (dist/lib.js): what a program needs to sign container images, verify
 * and inspect an image, issue and verify OpenPubkey PK tokens, and sign and verify DSSE envelopes
 * with the OpenPubkey extension; the error classes every one of them throws; and their option and
 * result types. Every other module is internal and may change in any release. The action and the
 * CLI are not part of the library. `api/opk-attest.d.ts` (`npm run api`) is the reviewed record of
 * this surface: a change here is a change there.
 */

// Sign images: one PK token per run, logged, attached as OCI referrers.
export { signImages } from './sign/sign-images.js';
export type { SignImagesOptions, SignImagesResult } from './sign/sign-images.js';
export type { ExtraStatements } from './sign/statements.js';
export type { SignerSummary } from './oci/signature-annotations.js';

// Where a signing run's ID token comes from.
export { githubActionsProvider } from './identity/oidc/github.js';
export type { GithubActionsOptions } from './identity/oidc/github.js';
export { clientCredentialsProvider, staticTokenProvider } from './identity/oidc/generic.js';
export type { ClientCredentialsOptions, StaticTokenOptions } from './identity/oidc/generic.js';
export type { OidcProvider } from './identity/oidc/provider.js';

// Shared by signing and verification: OP keys, registry settings, the time budget.
export { discoveryKeyFinder } from './identity/jwks.js';
export type { KeyFinder } from './identity/jwks.js';
export type { TransportOptions } from './oci/transport/client.js';
export { Deadline } from './core/deadline.js';

// Verify an image against trust material and a policy, from plain options or a TUF repository.
export { verifyImage } from './verify/verifier.js';
export type { VerifyImageOptions, VerifyReport, TrustMaterial } from './verify/verifier.js';
export type { Policy } from './policy/model.js';
export { simplePolicy, simpleTrust } from './verify/trust-options.js';
export type { SimplePolicyOptions, SimpleTrustOptions } from './verify/trust-options.js';
export { loadTrust, trustMaterialFrom } from './policy/trust-bundle.js';
export type { LoadTrustOptions, TrustBundle, TrustMaterialOptions } from './policy/trust-bundle.js';

// Inspect an image: what is attached and who signed it, without verifying.
export { inspectImage } from './verify/inspect.js';
export type { InspectImageOptions, InspectReport } from './verify/inspect.js';

// PK tokens: issue with a run's ephemeral key, verify against OP keys.
export { EphemeralKey } from './identity/ephemeral-key.js';
export { PkToken } from './identity/pk-token.js';
export { issuePkToken } from './identity/issue-pk-token.js';
export type { IssuePkTokenOptions } from './identity/issue-pk-token.js';
export { verifyPkToken } from './identity/verify-pk-token.js';
export type { VerifyPkTokenOptions, VerifiedPkToken } from './identity/verify-pk-token.js';

// DSSE envelopes with the OpenPubkey extension (one PK token bound to every envelope of a run).
export { parseEnvelope } from './attest/dsse.js';
export type { Envelope } from './attest/dsse.js';
export { signEnvelopes } from './attest/sign-envelopes.js';
export type { SignEnvelopesOptions, SignedEnvelope } from './attest/sign-envelopes.js';
export { verifyAttestationEnvelope } from './attest/verify-envelope.js';
export type { VerifyAttestationOptions, VerifiedAttestation } from './attest/verify-envelope.js';

// Errors: every failure is one of these, with a part-prefixed `code` (typed per class).
export { OpkError, CoreError } from './core/errors.js';
export { OidcError, PkTokenError } from './identity/errors.js';
export { AttestError } from './attest/errors.js';
export { TlogError } from './tlog/errors.js';
export { OciError } from './oci/errors.js';
export { PolicyError, TufError } from './policy/errors.js';
export { SignError } from './sign/errors.js';
export { VerifyError } from './verify/errors.js';
