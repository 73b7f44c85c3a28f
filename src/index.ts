/**
 * The `opk-attest` library: shared primitives, the OpenPubkey identity (PK tokens, OIDC
 * providers), DSSE attestations, the OCI registry client, the transparency log, the signing
 * pipeline, the trust policy and the verifier. The action and CLI are not part of the library.
 */
export * from './core/index.js';
export * from './identity/index.js';
export * from './attest/index.js';
export * from './oci/index.js';
export * from './tlog/index.js';
export * from './sign/index.js';
export * from './policy/index.js';
export * from './verify/index.js';
