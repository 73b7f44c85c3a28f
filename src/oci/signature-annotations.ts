/**
 * The annotations of a signature artifact (docs/formats.md, "OCI layout"): written by the signer,
 * read by `inspect` and by a re-run looking for its own earlier signature. One codec, so the
 * writer and the readers cannot drift apart. Annotations are hints for display and for skipping
 * work, never trust: verification reads the envelope.
 */
import {
  ANNOTATION_CREATED,
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_SIGNER_ISSUER,
  ANNOTATION_SIGNER_REPOSITORY,
  ANNOTATION_SIGNER_SUBJECT,
  ANNOTATION_SIGNER_WORKFLOW,
  ANNOTATION_STATEMENT_DIGEST,
} from './media-types.js';

/** Who signed, as the PK token's verified claims say. */
export interface SignerSummary {
  issuer: string;
  subject: string;
  repository?: string;
  /** `job_workflow_ref` (the reusable workflow that ran) or else `workflow_ref`. */
  workflow?: string;
}

/** What a signature artifact's annotations say about it (any field may be missing on a foreign artifact). */
export interface SignatureAnnotations {
  predicateType?: string;
  /** RFC 3339, seconds precision. */
  created?: string;
  /** `sha256:` digest of the signed statement bytes. */
  statementDigest?: string;
  signer: Partial<SignerSummary>;
}

/**
 * The summary of a PK token's claims that goes into annotations and reports.
 * @param claims - the verified ID token claims
 * @returns issuer and subject ('' when absent), repository and workflow when present
 * @throws never
 */
export function signerSummary(claims: Readonly<Record<string, unknown>>): SignerSummary {
  const str = (k: string) => (typeof claims[k] === 'string' && claims[k] !== '' ? (claims[k] as string) : undefined);
  const workflow = str('job_workflow_ref') ?? str('workflow_ref');
  const repository = str('repository');
  return {
    issuer: str('iss') ?? '',
    subject: str('sub') ?? '',
    ...(repository ? { repository } : {}),
    ...(workflow ? { workflow } : {}),
  };
}

/**
 * Encodes a signature artifact's annotations.
 * @param a - predicate type, creation time, statement digest and signer (all required when writing)
 * @returns the annotation map; optional signer fields are left out when empty
 * @throws never
 */
export function encodeSignatureAnnotations(
  a: Required<SignatureAnnotations> & { signer: SignerSummary },
): Record<string, string> {
  return {
    [ANNOTATION_PREDICATE_TYPE]: a.predicateType,
    [ANNOTATION_CREATED]: a.created,
    [ANNOTATION_STATEMENT_DIGEST]: a.statementDigest,
    [ANNOTATION_SIGNER_ISSUER]: a.signer.issuer,
    [ANNOTATION_SIGNER_SUBJECT]: a.signer.subject,
    ...(a.signer.repository ? { [ANNOTATION_SIGNER_REPOSITORY]: a.signer.repository } : {}),
    ...(a.signer.workflow ? { [ANNOTATION_SIGNER_WORKFLOW]: a.signer.workflow } : {}),
  };
}

/**
 * Decodes whatever of the signature annotations a descriptor carries.
 * @param annotations - a descriptor's or manifest's annotations (absent means none)
 * @returns the fields present; unknown annotations are ignored
 * @throws never
 */
export function decodeSignatureAnnotations(annotations: Readonly<Record<string, string>> = {}): SignatureAnnotations {
  const get = (k: string) => (Object.hasOwn(annotations, k) ? annotations[k] : undefined);
  const signer: Partial<SignerSummary> = {};
  const fields = [
    ['issuer', ANNOTATION_SIGNER_ISSUER],
    ['subject', ANNOTATION_SIGNER_SUBJECT],
    ['repository', ANNOTATION_SIGNER_REPOSITORY],
    ['workflow', ANNOTATION_SIGNER_WORKFLOW],
  ] as const;
  for (const [field, key] of fields) {
    const v = get(key);
    if (v !== undefined) signer[field] = v;
  }
  const predicateType = get(ANNOTATION_PREDICATE_TYPE);
  const created = get(ANNOTATION_CREATED);
  const statementDigest = get(ANNOTATION_STATEMENT_DIGEST);
  return {
    ...(predicateType === undefined ? {} : { predicateType }),
    ...(created === undefined ? {} : { created }),
    ...(statementDigest === undefined ? {} : { statementDigest }),
    signer,
  };
}
