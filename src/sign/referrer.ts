/**
 * The registry side of a signature (docs/formats.md, "OCI layout"): the artifact that carries one
 * signed envelope as a referrer of its platform manifest, its annotations (so `inspect` needs no
 * layer pulls), and recognising a signature this signer identity already published (so re-runs add
 * nothing while another identity still co-signs).
 */
import { artifactTypeFor, serializeEnvelope, type Envelope } from '../attest/index.js';
import { digestOf, type Digest } from '../core/digest.js';
import {
  type Descriptor,
  type PublishRequest,
  type SignerSummary,
  type UploadSession,
  decodeSignatureAnnotations,
  encodeSignatureAnnotations,
} from '../oci/index.js';
import { signerIdentity } from '../policy/signer-identity.js';

/**
 * A signer as the PK token names it: the issuer and the token's claims. Only the claims that make
 * the policy's signer identity are compared (`signerIdentity`: `sub` and `job_workflow_ref`, else
 * `workflow_ref`; for GitHub Actions the repository, ref and workflow).
 */
export interface ExpectedSigner {
  issuer: string;
  claims: Readonly<Record<string, unknown>>;
}

/** The publish request for one signed envelope about `subject` (its blob uploaded into `session` when given). */
export function referrerRequest(
  repository: string,
  subject: Descriptor,
  envelope: Envelope,
  predicateType: string,
  signer: SignerSummary,
  created: Date,
  session?: Promise<UploadSession>,
): PublishRequest {
  const artifactType = artifactTypeFor(predicateType);
  return {
    repository,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    artifactType,
    // The envelope carries this run's signature: no registry can hold it yet.
    layers: [
      { mediaType: artifactType, data: serializeEnvelope(envelope), fresh: true, ...(session ? { session } : {}) },
    ],
    annotations: encodeSignatureAnnotations({
      predicateType,
      created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      statementDigest: digestOf(envelope.payload),
      signer,
    }),
  };
}

/**
 * The referrer, if any, by which `signer` already signed the statement with digest `statement`:
 * its annotations carry that statement digest and a signer summary (written from the PK token's
 * claims when it was published) with the same identity as `signer`. Annotations are a hint for
 * skipping work, not trust: verification never relies on them.
 */
export function existingSignature(
  referrers: readonly Descriptor[],
  statement: Digest,
  signer: ExpectedSigner,
): Descriptor | undefined {
  const wanted = signerIdentity(signer.issuer, signer.claims);
  return referrers.find((r) => {
    const a = decodeSignatureAnnotations(r.annotations);
    return a.statementDigest === statement && annotatedIdentity(a.signer) === wanted;
  });
}

/** The identity of an annotated signer summary, in the policy's terms (the summary's `workflow` is
 *  the token's `job_workflow_ref`, else its `workflow_ref`). An artifact without an issuer is nobody's. */
function annotatedIdentity(s: Partial<SignerSummary>): string | undefined {
  if (!s.issuer) return undefined;
  return signerIdentity(s.issuer, {
    ...(s.subject === undefined ? {} : { sub: s.subject }),
    ...(s.workflow === undefined ? {} : { job_workflow_ref: s.workflow }),
  });
}
