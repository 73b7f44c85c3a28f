/**
 * The registry side of a signature (DESIGN §4.3): the artifact that carries one signed envelope
 * as a referrer of its platform manifest, its annotations (so `inspect` needs no layer pulls),
 * and recognising a signature this signer already published (so re-runs add nothing).
 */
import { artifactTypeFor, serializeEnvelope, type Envelope } from '../attest/index.js';
import { digestOf, type Digest } from '../core/digest.js';
import {
  type Descriptor,
  ANNOTATION_CREATED,
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_SIGNER_ISSUER,
  ANNOTATION_SIGNER_REPOSITORY,
  ANNOTATION_SIGNER_SUBJECT,
  ANNOTATION_SIGNER_WORKFLOW,
  type PublishRequest,
} from '../oci/index.js';

/** Digest of the signed statement bytes: lets a re-run see it was signed without pulling layers. */
export const ANNOTATION_STATEMENT_DIGEST = 'dev.opk-attest.statement.digest';

/** Who signed, as the PK token's verified claims say. */
export interface SignerSummary {
  issuer: string;
  subject: string;
  repository?: string;
  /** `job_workflow_ref` (the reusable workflow that ran) or else `workflow_ref`. */
  workflow?: string;
}

/** The signer identity a run expects to have, known before its token is issued. */
export interface ExpectedSigner {
  issuer: string;
  repository?: string;
}

/** The summary of a PK token's claims that goes into annotations. */
export function signerSummary(claims: Readonly<Record<string, unknown>>): SignerSummary {
  const str = (k: string) => (typeof claims[k] === 'string' && claims[k] !== '' ? (claims[k] as string) : undefined);
  return {
    issuer: str('iss') ?? '',
    subject: str('sub') ?? '',
    ...(str('repository') ? { repository: str('repository') } : {}),
    ...((str('job_workflow_ref') ?? str('workflow_ref'))
      ? { workflow: (str('job_workflow_ref') ?? str('workflow_ref'))! }
      : {}),
  };
}

/** The publish request for one signed envelope about `subject`. */
export function referrerRequest(
  repository: string,
  subject: Descriptor,
  envelope: Envelope,
  predicateType: string,
  signer: SignerSummary,
  created: Date,
): PublishRequest {
  const artifactType = artifactTypeFor(predicateType);
  return {
    repository,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    artifactType,
    layers: [{ mediaType: artifactType, data: serializeEnvelope(envelope) }],
    annotations: {
      [ANNOTATION_PREDICATE_TYPE]: predicateType,
      [ANNOTATION_CREATED]: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      [ANNOTATION_STATEMENT_DIGEST]: digestOf(envelope.payload),
      [ANNOTATION_SIGNER_ISSUER]: signer.issuer,
      [ANNOTATION_SIGNER_SUBJECT]: signer.subject,
      ...(signer.repository ? { [ANNOTATION_SIGNER_REPOSITORY]: signer.repository } : {}),
      ...(signer.workflow ? { [ANNOTATION_SIGNER_WORKFLOW]: signer.workflow } : {}),
    },
  };
}

/**
 * The referrer, if any, by which `signer` already signed the statement with digest `statement`.
 * Annotations are a hint for skipping work, not trust: verification never relies on them.
 */
export function existingSignature(
  referrers: readonly Descriptor[],
  statement: Digest,
  signer: ExpectedSigner,
): Descriptor | undefined {
  return referrers.find((r) => {
    const a = r.annotations ?? {};
    return (
      a[ANNOTATION_STATEMENT_DIGEST] === statement &&
      a[ANNOTATION_SIGNER_ISSUER] === signer.issuer &&
      (signer.repository === undefined || a[ANNOTATION_SIGNER_REPOSITORY] === signer.repository)
    );
  });
}
