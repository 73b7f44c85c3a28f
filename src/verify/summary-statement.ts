/**
 * The optional SLSA verification summary (`https://slsa.dev/verification_summary/v1`) of a
 * verification: an in-toto statement about the image and its platform manifests saying which
 * signed attestations were checked, against which policy, and whether they passed. Consumers
 * can sign and attach it like any other statement.
 */
import { makeStatement } from '../attest/index.js';
import { digestHex, digestOf } from '../core/digest.js';
import type { Policy } from '../policy/index.js';
import type { VerifyReport } from './verifier.js';

/** The VSA predicate type. */
export const PREDICATE_VERIFICATION_SUMMARY_V1 = 'https://slsa.dev/verification_summary/v1';

/** Who verified; the `verifier.id` of the summary. */
export const OPK_ATTEST_VERIFIER_ID = 'https://github.com/opk-attest/opk-attest';

/** Options of `verificationSummary`. */
export interface VerificationSummaryOptions {
  /** The policy that was applied (its digest identifies it in the summary). */
  policy: Policy;
  /** Where the policy came from (a TUF repository URL, a file), for `policy.uri`. */
  policyUri: string;
  /** The verifier's version, for `verifier.version`. */
  version?: string;
  now?: Date;
}

/**
 * Builds the verification summary statement of a report.
 * @returns the statement bytes (subjects: the image and every platform manifest verified)
 * @throws AttestError STMT_MALFORMED only for a report without digests (never for a verifier's own report)
 */
export function verificationSummary(report: VerifyReport, o: VerificationSummaryOptions): Buffer {
  const name = report.image.split('@')[0]!;
  const subjects = [
    { name, digest: report.digest },
    ...report.platforms
      .filter((p) => p.digest !== report.digest)
      .map((p) => ({ name: `${name} ${p.platform}`, digest: p.digest })),
  ];
  const predicate = {
    verifier: { id: OPK_ATTEST_VERIFIER_ID, ...(o.version ? { version: { 'opk-attest': o.version } } : {}) },
    timeVerified: (o.now ?? new Date()).toISOString(),
    resourceUri: report.image,
    policy: { uri: o.policyUri, digest: { sha256: digestHex(digestOf(JSON.stringify(o.policy))) } },
    inputAttestations: report.platforms.flatMap((p) =>
      p.signatures.map((s) => ({
        uri: `${name}@${s.artifactDigest}`,
        digest: { sha256: digestHex(s.artifactDigest) },
      })),
    ),
    verificationResult: report.passed ? 'PASSED' : 'FAILED',
    // opk-attest checks signatures and signer identity, not a SLSA build level.
    verifiedLevels: [],
    slsaVersion: '1.0',
  };
  return makeStatement(subjects, PREDICATE_VERIFICATION_SUMMARY_V1, Buffer.from(JSON.stringify(predicate)));
}
