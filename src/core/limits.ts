/**
 * Named caps on everything read from the wire. Past a cap we error (never truncate).
 * Each value is generous for honest input and small enough that hostile input cannot
 * exhaust memory or CPU.
 */

/** An OCI manifest or index (the distribution spec recommends registries accept 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** One in-toto statement or DSSE envelope (SBOMs of large images reach tens of MiB). */
export const MAX_STATEMENT_BYTES = 64 * 1024 * 1024;
/** A PK token in JSON form (a GQ256 signature over RSA-4096 is ~11 KiB; COS adds little). */
export const MAX_PK_TOKEN_BYTES = 64 * 1024;
/** A JWKS document, and the number of keys in it. */
export const MAX_JWKS_BYTES = 1024 * 1024;
export const MAX_JWKS_KEYS = 256;
/** An OIDC discovery document or token endpoint response. */
export const MAX_OIDC_RESPONSE_BYTES = 256 * 1024;
/** Hashes in one Merkle inclusion proof (a tree of 2^64 leaves needs 64). */
export const MAX_PROOF_HASHES = 64;
/**
 * Referrers of one subject we list or write: the referrers API's pages and the fallback tag's index
 * together. A signing run adds one per statement and re-runs add none, so honest subjects stay far
 * below it; past it we stop with OCI_TOO_LARGE naming this cap instead of fetching each one
 * (docs/referrers.md).
 */
export const MAX_REFERRERS = 1_000;
/**
 * Tags of one repository we list (`GET /v2/<name>/tags/list`, every page), the pages we follow, and
 * one page's body (1,000 tags of 128 characters fit in 140 KiB). Past a cap: OCI_TOO_LARGE.
 */
export const MAX_TAGS = 10_000;
export const MAX_TAG_PAGES = 1_000;
export const MAX_TAG_PAGE_BYTES = 1024 * 1024;
/** Manifests in one image index. */
export const MAX_INDEX_MANIFESTS = 1024;
/** A transparency-log response (entry, proof, checkpoint). */
export const MAX_TLOG_RESPONSE_BYTES = 1024 * 1024;
/** Error bodies we read only to report them. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** TUF-distributed policy file. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** One DSSE envelope: the base64 of a statement at MAX_STATEMENT_BYTES, plus the PK token
 * (base64), the signature and the transparency-log entry in the extension. */
export const MAX_ENVELOPE_BYTES =
  Math.ceil(MAX_STATEMENT_BYTES / 3) * 4 + 2 * MAX_PK_TOKEN_BYTES + MAX_TLOG_RESPONSE_BYTES;
/** Subjects in one in-toto statement, and digests named for one subject. */
export const MAX_STATEMENT_SUBJECTS = 4096;
export const MAX_SUBJECT_DIGESTS = 16;
/** Nesting depth of a DER structure we parse (an X.509 certificate needs about 8). */
export const MAX_DER_DEPTH = 16;
/** One X.509 certificate in DER: the PK token rides in its SubjectKeyIdentifier. */
export const MAX_CERTIFICATE_BYTES = MAX_PK_TOKEN_BYTES + 16 * 1024;
/** One signed checkpoint (note text plus signature lines), and the lines in it. */
export const MAX_CHECKPOINT_BYTES = 16 * 1024;
export const MAX_CHECKPOINT_LINES = 64;
/** Entry UUIDs accepted from one transparency-log index search. */
export const MAX_TLOG_SEARCH_RESULTS = 256;

/** Nesting depth accepted in a JOSE header or payload (real ones need 3: a JWK inside a header). */
export const MAX_JOSE_JSON_DEPTH = 16;

/** A Dockerfile we parse for its base images (real ones are a few KiB), its stages and its bases. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;
export const MAX_DOCKERFILE_STAGES = 256;
export const MAX_DOCKERFILE_BASES = 512;
/** A saved trust configuration (`opk-attest trust use`): a handful of flags and paths. */
export const MAX_TRUST_CONFIG_BYTES = 64 * 1024;
