/**
 * Inspecting an image, like `docker trust inspect`: per platform the manifest digest, its BuildKit
 * attestations (predicate type; signed when a referrer artifact carries the same
 * `in-toto.io/predicate-type`), and the signed artifacts attached as OCI referrers with the signer
 * summary from their annotations. Reads only manifests and referrers lists: no layer pulls and no
 * verification, so nothing here is trusted (that is `verifyImage`).
 */
import { DSSE_ARTIFACT_TYPES } from '../attest/index.js';
import {
  createTransport,
  decodeSignatureAnnotations,
  findAttestations,
  formatReference,
  listReferrers,
  parseReference,
  referenceIdentifier,
  type Descriptor,
  type ImageAttestations,
  type ImageReference,
  type PlatformImage,
  type RegistryTransport,
  type SignerSummary,
  type TransportOptions,
} from '../oci/index.js';

/** Options of `inspectImage`. */
export interface InspectImageOptions {
  /** `name@digest` or `name:tag`. */
  image: string;
  /** Only this platform (`os/arch[/variant]`). */
  platform?: string;
  /** Signatures live in this repository of the same registry. */
  referrersRepository?: string;
  registry?: TransportOptions;
}

/** The signer summary a signed artifact carries in its annotations (any field may be missing). */
export type AnnotatedSigner = Partial<SignerSummary>;

/** One signed artifact attached to a platform manifest, as its annotations describe it. */
export interface InspectedSignature {
  artifactDigest: string;
  artifactType: string | null;
  predicateType: string | null;
  signer: AnnotatedSigner;
}

/** One BuildKit attestation of a platform manifest. */
export interface InspectedAttestation {
  predicateType: string | null;
  digest: string;
  signed: boolean;
}

/** What `inspectImage` found for one platform. */
export interface InspectedPlatform {
  platform: string;
  digest: string;
  attestations: InspectedAttestation[];
  signatures: InspectedSignature[];
}

/** What `inspectImage` found (the CLI's `--json` output). */
export interface InspectReport {
  image: string;
  digest: string;
  platforms: InspectedPlatform[];
  notes: string[];
}

/**
 * Reads an image's attestations and signature artifacts, unverified.
 * @param o - the image and how to reach its registry
 * @returns one entry per platform (or only `o.platform`)
 * @throws OciError when the image cannot be read (OCI_NOT_FOUND, OCI_PLATFORM_NOT_FOUND, OCI_PLATFORM_INVALID,
 *   transport codes)
 */
export async function inspectImage(o: InspectImageOptions): Promise<InspectReport> {
  const ref = parseReference(o.image);
  const t = createTransport(ref.registry, o.registry);
  try {
    return await inspectWith(t, ref, o);
  } finally {
    await t.close();
  }
}

/**
 * `inspectImage` over a transport the caller holds (`inspectRepository` inspects every tag over one).
 * @throws OciError as `inspectImage`
 */
export async function inspectWith(
  t: RegistryTransport,
  ref: ImageReference,
  o: Pick<InspectImageOptions, 'platform' | 'referrersRepository'>,
): Promise<InspectReport> {
  const found = await findAttestations(
    t,
    ref.repository,
    referenceIdentifier(ref),
    o.platform === undefined ? {} : { platform: o.platform },
  );
  const platforms = [];
  for (const p of found.platforms) platforms.push(await platformReport(t, found, p, o.referrersRepository));
  return { image: formatReference(ref), digest: found.descriptor.digest, platforms, notes: found.notes };
}

async function platformReport(
  t: RegistryTransport,
  found: ImageAttestations,
  p: PlatformImage,
  referrersRepository?: string,
): Promise<InspectedPlatform> {
  const list = await listReferrers(
    t,
    found.repository,
    p.descriptor.digest,
    referrersRepository === undefined ? {} : { referrersRepository },
  );
  const signatures = list.referrers.filter(isSignedArtifact).map(signatureOf);
  const signedTypes = new Set(signatures.map((s) => s.predicateType));
  const attestations = p.statements.map((s) => ({
    predicateType: s.predicateType ?? null,
    digest: s.layer.digest,
    signed: s.predicateType !== undefined && signedTypes.has(s.predicateType),
  }));
  return { platform: p.platform, digest: p.descriptor.digest, attestations, signatures };
}

/** Ours by artifactType, or any referrer that names the predicate type it signs. */
function isSignedArtifact(d: Descriptor): boolean {
  return (
    (d.artifactType !== undefined && DSSE_ARTIFACT_TYPES.includes(d.artifactType)) ||
    decodeSignatureAnnotations(d.annotations).predicateType !== undefined
  );
}

function signatureOf(d: Descriptor): InspectedSignature {
  const a = decodeSignatureAnnotations(d.annotations);
  return {
    artifactDigest: d.digest,
    artifactType: d.artifactType ?? null,
    predicateType: a.predicateType ?? null,
    signer: a.signer,
  };
}
