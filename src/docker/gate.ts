/**
 * The gate in front of every docker wrapper (docs/docker.md): resolve the reference to one
 * digest, verify exactly that digest, and hand docker `NAME@DIGEST`, so the tag cannot move
 * between the check and the use. What `DOCKER_CONTENT_TRUST=1` did, with OpenPubkey signatures.
 */
import type { Digest } from '../core/digest.js';
import { createTransport, getManifest, parseReference, type TransportOptions } from '../oci/index.js';
import type { Policy } from '../policy/index.js';
import { verifyImage, type TrustMaterial, type VerifyReport } from '../verify/index.js';
import { DockerError } from './errors.js';

/** What the gate checks against. */
export interface GateOptions {
  trust: TrustMaterial;
  policy: Policy;
  /** Only these platforms (docker's `--platform`); default every platform of the image. */
  platforms?: readonly string[];
  referrersRepository?: string;
  registry?: TransportOptions;
}

/** An image that passed. */
export interface VerifiedImage {
  /** The reference as the user wrote it. */
  image: string;
  /** The name part as written (`alpine`, `127.0.0.1:5000/acme/app`): what docker is given. */
  name: string;
  /** The tag as written, if any. */
  tag?: string;
  /** The digest that was verified. */
  digest: Digest;
  /** `NAME@DIGEST`: the only reference docker is given. */
  pinned: string;
  report: VerifyReport;
  /** Policy violations let through because the matching rule is at `audit` level. */
  auditViolations: string[];
}

/** Thrown when images do not verify; carries their reports for the reasons. */
export class NotVerifiedError extends DockerError {
  constructor(
    readonly reports: readonly VerifyReport[],
    message: string,
  ) {
    super({ code: 'DOCKER_NOT_VERIFIED', message });
  }
}

/**
 * Resolves `image` to a digest (a digest in the reference wins over its tag) and verifies that
 * digest against the trust and policy.
 * @param image - as the user wrote it (`alpine`, `host:5000/a/b:v1`, `a/b@sha256:…`)
 * @param what - names the image in a refusal (`image`, `base image of stage build`)
 * @returns the verified image and the pinned reference for docker
 * @throws NotVerifiedError DOCKER_NOT_VERIFIED with the report; OciError when the image cannot be
 *   resolved or read (OCI_NOT_FOUND, OCI_REFERENCE_INVALID, transport codes)
 */
export async function verifyForDocker(image: string, o: GateOptions, what = 'image'): Promise<VerifiedImage> {
  const ref = parseReference(image);
  const digest = ref.digest ?? (await resolveTag(ref.registry, ref.repository, ref.tag ?? 'latest', o.registry));
  const report = await verifyImage({
    image: `${ref.registry}/${ref.repository}@${digest}`,
    trust: o.trust,
    policy: o.policy,
    ...(o.platforms?.length ? { platforms: o.platforms } : {}),
    ...(o.referrersRepository ? { referrersRepository: o.referrersRepository } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
  if (!report.passed) {
    throw new NotVerifiedError(
      [{ ...report, image }],
      `${what} ${image} (${digest}) is NOT verified: ${reasons(report).join('; ')}`,
    );
  }
  const name = nameOf(image);
  return {
    image,
    name,
    ...(ref.tag === undefined ? {} : { tag: ref.tag }),
    digest,
    pinned: `${name}@${digest}`,
    report: { ...report, image },
    auditViolations: report.platforms.some((p) => !p.passed) ? reasons(report) : [],
  };
}

/** The digest a tag points at now: the manifest is fetched and re-hashed, never taken from a header. */
async function resolveTag(
  registry: string,
  repository: string,
  tag: string,
  options: TransportOptions | undefined,
): Promise<Digest> {
  const t = createTransport(registry, options);
  try {
    return (await getManifest(t, repository, tag)).digest;
  } finally {
    await t.close();
  }
}

/**
 * The name part of a reference as written: without `@digest` and without `:tag` (a `:` after the
 * last `/`; one before it is a registry port).
 * @throws never
 */
export function nameOf(image: string): string {
  const at = image.indexOf('@');
  const nameAndTag = at === -1 ? image : image.slice(0, at);
  const colon = nameAndTag.lastIndexOf(':');
  return colon === -1 || colon < nameAndTag.lastIndexOf('/') ? nameAndTag : nameAndTag.slice(0, colon);
}

/**
 * Why a report fails, one entry per failing platform: policy violations, rejected signatures,
 * or no signatures at all.
 * @throws never
 */
export function reasons(r: VerifyReport): string[] {
  const out: string[] = [];
  for (const p of r.platforms) {
    if (p.passed) continue;
    const why: string[] = [];
    if (!p.verdict) why.push('no policy rule matches this image');
    else why.push(...p.verdict.violations);
    if (p.signatures.length === 0 && p.rejected.length === 0) why.push('no signatures found');
    else if (p.signatures.length > 0 && p.verdict && p.verdict.signers.length === 0) {
      const who = new Set(p.signatures.map((s) => s.signer.repository ?? s.signer.subject));
      why.push(`signed only by ${[...who].join(', ')}, which the policy does not allow`);
    }
    for (const x of p.rejected) why.push(`signature ${x.artifactDigest.slice(0, 19)} rejected (${x.code})`);
    out.push(`${p.platform}: ${[...new Set(why)].join(', ')}`);
  }
  if (r.platforms.length === 0) out.push('no platform image to verify');
  return out;
}

/**
 * The lines a wrapper prints before docker runs: exactly which digest was verified, by whom, and
 * any audit-level violations it lets through.
 * @throws never
 */
export function verifiedLines(v: VerifiedImage): string[] {
  const signers = [...new Set(v.report.platforms.flatMap((p) => p.verdict?.signers ?? []))];
  const platforms = v.report.platforms.map((p) => p.platform).join(', ');
  const lines = [
    `verified ${v.image} = ${v.pinned} (platforms: ${platforms}; signers: ${signers.join(', ') || 'none'})`,
  ];
  for (const x of v.auditViolations) lines.push(`warning: audit-level policy, proceeding despite: ${x}`);
  return lines;
}
