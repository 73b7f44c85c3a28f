/**
 * `opk-attest verify IMAGE…`: verifies every platform's signed attestations (docs/architecture.md, "Verification order") and
 * applies the policy, for one image (a full report), several (`IMAGE…`, `--file LIST`: one line
 * each), or the bases of a Dockerfile (`--dockerfile`). Trust comes from the flags, else from the
 * saved configuration (`trust use`). Exit 0 only when every image passes (in audit level: 0 with
 * violations shown).
 */
import { writeFile } from 'node:fs/promises';
import { formatReport, reportJson, verificationSummary } from '../verify/index.js';
import { runCommand, UsageError } from './args.js';
import { verifyingTrust } from './trust-config.js';
import { printable } from './terminal-text.js';
import { DEFAULT_VERIFY_BUDGET_MS } from '../core/deadline.js';
import { deadlineFromFlag, TIMEOUT_OPTION, timeoutUsage } from './timeout-option.js';
import { TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js';
import {
  outcomeJson,
  outcomeLine,
  passedOutcome,
  readImageList,
  verifyAll,
  VERIFY_CONCURRENCY,
} from './verify-many.js';
import { verifyDockerfile } from './verify-dockerfile.js';

const USAGE = `usage: opk-attest verify IMAGE… [options]
       opk-attest verify --file LIST [options]
       opk-attest verify --dockerfile PATH [--build-arg K=V]… [--target STAGE] [--platform P] [--pin|--write]

Verifies the signed attestations of each IMAGE (name@digest or name:tag): for each platform, every
referrer's DSSE signature, PK token, binding, log entry and subject; then the policy. Several
images are verified concurrently, one line each. Without trust options, the trust saved by
"opk-attest trust use" applies ("opk-attest config" shows which); given options override it.
Exit status: 0 all verified, 1 any not verified, 2 usage error.

options:
  --file LIST                verify the references in LIST too (one a line, # comments; - is stdin)
  --dockerfile PATH          verify every external image the build pulls (FROM, COPY --from,
                             RUN --mount from=, # syntax=), after ARG and build-arg substitution
  --build-arg K=V            a build arg (as docker build takes it); repeatable
  --target STAGE             only the stages STAGE needs (default the last stage)
  --pin                      print the Dockerfile pinned to exactly the digests verified
                             (report lines go to stderr then)
  --write                    write the pinned Dockerfile back to PATH
  --platform OS/ARCH         only this platform; repeatable
  --referrers-repository R   signatures are stored in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --json                     print the report as JSON (an array when several images)
  --vsa FILE                 also write a SLSA verification summary (in-toto statement) to FILE (one image)
${timeoutUsage(DEFAULT_VERIFY_BUDGET_MS)}                             one budget for the whole run; the default adds as much per 4 images
${TRUST_USAGE}`;

const SPEC = {
  name: 'verify',
  usage: USAGE,
  positionals: { min: 0, max: 10_000 },
  options: {
    ...TRUST_OPTIONS,
    file: { type: 'string' },
    ...TIMEOUT_OPTION,
    dockerfile: { type: 'string' },
    'build-arg': { type: 'string', multiple: true },
    target: { type: 'string' },
    pin: { type: 'boolean' },
    write: { type: 'boolean' },
    platform: { type: 'string', multiple: true },
    'referrers-repository': { type: 'string' },
    'insecure-registry': { type: 'string', multiple: true },
    json: { type: 'boolean' },
    vsa: { type: 'string' },
  },
} as const;

/** Runs `verify`. */
export function verifyCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: flags, positionals }) => {
    const images = [...positionals, ...(flags.file === undefined ? [] : await readImageList(flags.file))];
    const dockerfile = flags.dockerfile;
    if (dockerfile !== undefined && images.length > 0) throw new UsageError('--dockerfile takes no IMAGE or --file');
    if (dockerfile === undefined && (flags.pin || flags.write || flags.target || flags['build-arg'])) {
      throw new UsageError('--pin, --write, --target and --build-arg go with --dockerfile');
    }
    if (images.length === 0 && dockerfile === undefined)
      throw new UsageError('give IMAGE…, --file LIST or --dockerfile PATH');
    const several = images.length > 1 || flags.file !== undefined;
    if ((several || dockerfile !== undefined) && flags.vsa) throw new UsageError('--vsa takes one image');
    // The images are verified VERIFY_CONCURRENCY at a time: the default budget grows with the rounds.
    const rounds = Math.max(1, Math.ceil(images.length / VERIFY_CONCURRENCY));
    const deadline = deadlineFromFlag(flags.timeout, DEFAULT_VERIFY_BUDGET_MS * rounds);
    const { values: v, trust, policy } = await verifyingTrust('opk-attest verify', flags, deadline);
    const common = {
      trust,
      policy,
      ...(v['referrers-repository'] ? { referrersRepository: v['referrers-repository'] } : {}),
      registry: { insecureRegistries: v['insecure-registry'] ?? [], deadline },
    };
    if (dockerfile !== undefined) return verifyDockerfile({ ...v, dockerfile }, common);
    const outcomes = await verifyAll(
      images.map((image) => ({ image })),
      { ...common, ...(v.platform ? { platforms: v.platform } : {}) },
    );
    if (several) {
      const out = v.json
        ? JSON.stringify(outcomes.map(outcomeJson), null, 2)
        : outcomes.map((o) => printable(outcomeLine(o))).join('\n');
      process.stdout.write(`${out}\n`);
      return outcomes.every(passedOutcome) ? 0 : 1;
    }
    const one = outcomes[0]!;
    if ('error' in one) throw one.error;
    const report = one.report;
    process.stdout.write(`${v.json ? reportJson(report) : printable(formatReport(report))}\n`);
    if (v.vsa) {
      const policyUri = v['tuf-repository'] ?? (v.policy ? `file:${v.policy}` : 'opk-attest:verify-flags');
      await writeFile(v.vsa, verificationSummary(report, { policy, policyUri }));
    }
    return report.passed ? 0 : 1;
  });
}
