/**
 * The `opk-attest` library. Re-exports the public parts: shared primitives, the OpenPubkey
 * identity (PK tokens), DSSE attestations, the OCI client, the transparency log and the
 * verifier. The action and CLI are not part of the library.
 */
export * from './core/index.js';
