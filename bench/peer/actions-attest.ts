/**
 * What `actions/attest` (src/attest.ts, `createAttestation`) does for one subject with
 * `push-to-registry: true`, on the libraries it is built on:
 *  1. `sigstore.attest(statement, 'application/vnd.in-toto+json', {fulcioURL, rekorURL})` —
 *     the identity token comes from `CIContextProvider('sigstore')` (the GitHub Actions OIDC
 *     endpoint named by ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, one request per attestation), a fresh
 *     ephemeral key, one Fulcio certificate, one DSSE signature, one Rekor v1 `dsse` entry;
 *  2. `@sigstore/oci` `attachArtifactToImage` of the JSON bundle to the platform manifest, with
 *     actions/attest's media type, annotations and fetch options.
 * One invocation of actions/attest signs one predicate, so an 8-platform image with SBOM +
 * provenance takes 16 of these. Not reproduced: the upload to GitHub's attestations API (a
 * remote round trip the peer would also pay), which only flatters the peer.
 */
import type { AttachArtifactOptions, Descriptor } from '@sigstore/oci';

/** Where the peer signs and pushes. */
export interface PeerTarget {
  fulcioURL: string;
  rekorURL: string;
  /** `host:port/repository` of the image (http is used for 127.0.0.1, as @sigstore/oci does). */
  imageName: string;
  /** For a registry with token auth; without, @sigstore/oci skips signing in (it needs a 401 challenge). */
  credentials?: { username: string; password: string };
}

/** One statement to attest, about one platform manifest. */
export interface PeerStatement {
  statement: Buffer;
  predicateType: string;
  /** The platform manifest digest (the statement's subject). */
  subjectDigest: string;
}

/** What one attestation produced. */
export interface PeerResult {
  /** Digest of the artifact manifest pushed to the registry. */
  artifactDigest: string;
  /** Rekor log indexes in the bundle (one per attestation). */
  tlogEntries: number;
  bundleBytes: number;
}

const OCI_TIMEOUT = 30_000;
const OCI_RETRY = 3;

/**
 * Signs, logs and attaches one statement the way actions/attest does.
 * @throws whatever sigstore or @sigstore/oci throw (their own error classes)
 */
export async function attestAndAttach(s: PeerStatement, target: PeerTarget): Promise<PeerResult> {
  const [{ attest }, { attachArtifactToImage }] = await Promise.all([import('sigstore'), import('@sigstore/oci')]);
  const bundle = await attest(s.statement, 'application/vnd.in-toto+json', {
    fulcioURL: target.fulcioURL,
    rekorURL: target.rekorURL,
  });
  const artifact = Buffer.from(JSON.stringify(bundle));
  const pushed: Descriptor = await attachArtifactToImage({
    // Declared required; @sigstore/oci signs in only when given some.
    credentials: target.credentials as AttachArtifactOptions['credentials'],
    imageName: target.imageName,
    imageDigest: s.subjectDigest,
    artifact,
    mediaType: bundle.mediaType,
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': s.predicateType,
    },
    // make-fetch-happen ships no types here, so @sigstore/oci's option type is unusable as declared.
    fetchOpts: { timeout: OCI_TIMEOUT, retry: OCI_RETRY } as unknown as AttachArtifactOptions['fetchOpts'],
  });
  return {
    artifactDigest: pushed.digest,
    tlogEntries: bundle.verificationMaterial.tlogEntries.length,
    bundleBytes: artifact.length,
  };
}
