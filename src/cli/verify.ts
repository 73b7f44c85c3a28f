/**
 * `opk-attest verify IMAGE`: verifies every platform's signed attestations (DESIGN §4.6) and
 * applies the policy. Exit 0 only when the policy passes (in audit level: 0 with violations shown).
 */
import { writeFile } from 'node:fs/promises';
import { formatReport, reportJson, verificationSummary, verifyImage } from '../verify/index.js';
import { runCommand } from './args.js';
import { printable } from './terminal-text.js';
import { TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from './trust-options.js';

const USAGE = `usage: opk-attest verify IMAGE [options]

Verifies the signed attestations of IMAGE (name@digest or name:tag): for each platform, every
referrer's DSSE signature, PK token, binding, log entry and subject; then the policy.
Exit status: 0 verified, 1 not verified, 2 usage error.

options:
  --platform OS/ARCH         only this platform; repeatable
  --referrers-repository R   signatures are stored in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --json                     print the report as JSON
  --vsa FILE                 also write a SLSA verification summary (in-toto statement) to FILE
${TRUST_USAGE}`;

const SPEC = {
  name: 'verify',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    ...TRUST_OPTIONS,
    platform: { type: 'string', multiple: true },
    'referrers-repository': { type: 'string' },
    'insecure-registry': { type: 'string', multiple: true },
    json: { type: 'boolean' },
    vsa: { type: 'string' },
  },
} as const;

/** Runs `verify`. */
export function verifyCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v, positionals }) => {
    const { trust, policy } = await trustFromFlags(v);
    if (!v.policy && !v['tuf-repository'] && !v['signer-claim']?.length) {
      process.stderr.write(
        `opk-attest verify: warning: any identity of ${trust.issuers.join(', ')} is accepted as a signer; pin yours with --signer-claim repository=OWNER/REPO or --policy FILE\n`,
      );
    }
    const report = await verifyImage({
      image: positionals[0]!,
      trust,
      policy,
      ...(v.platform ? { platforms: v.platform } : {}),
      ...(v['referrers-repository'] ? { referrersRepository: v['referrers-repository'] } : {}),
      registry: { insecureRegistries: v['insecure-registry'] ?? [] },
    });
    process.stdout.write(`${v.json ? reportJson(report) : printable(formatReport(report))}\n`);
    if (v.vsa) {
      const policyUri = v['tuf-repository'] ?? (v.policy ? `file:${v.policy}` : 'opk-attest:verify-flags');
      await writeFile(v.vsa, verificationSummary(report, { policy, policyUri }));
    }
    return report.passed ? 0 : 1;
  });
}
