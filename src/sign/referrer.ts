/**
 * The registry side of a signature (docs/formats.md, "OCI layout"): the artifact that carries one
 * signed envelope as a referrer of its platform manifest, its annotations (so `inspect` needs no
 * layer pulls), and recognising a signature this signer already published (so re-runs add nothing).
 */
import { artifactTypeFor, serializeEnvelope, type Envelope } from '../attest/index.js';
import { digestOf, type Digest } from '../core/digest.js';
import {
  type Descriptor,
  type PublishRequest,
  type SignerSummary,
  decodeSignatureAnnotations,
  encodeSignatureAnnotations,
} from '../oci/index.js';

/** The signer identity a run expects to have, known before its token is issued. */
export interface ExpectedSigner {
  issuer: string;
  repository?: string;
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
    annotations: encodeSignatureAnnotations({
      predicateType,
      created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      statementDigest: digestOf(envelope.payload),
      signer,
    }),
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
    const a = decodeSignatureAnnotations(r.annotations);
    return (
      a.statementDigest === statement &&
      a.signer.issuer === signer.issuer &&
      (signer.repository === undefined || a.signer.repository === signer.repository)
    );
  });
}
