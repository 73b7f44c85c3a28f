/**
 * The verify sub-action (`verify/action.yml`): verifies every image the way `opk-attest verify`
 * does (docs/architecture.md, "Verification order"), with trust and policy from a TUF trust repository or from inputs. A thin
 * shell over `verifyImage` and the report formatters: the report is printed, returned as the `result` output and summarised for the job; the step fails unless
 * every image passes.
 */
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { OpkError } from '../core/errors.js';
import { GITHUB_ACTIONS_ISSUER } from '../identity/index.js';
import { loadTrust, parsePolicy, trustMaterialFrom, type Policy } from '../policy/index.js';
import {
  formatReport,
  reportJson,
  simplePolicy,
  simpleTrust,
  verifyImage,
  type TrustMaterial,
  type VerifyReport,
} from '../verify/index.js';
import { DEFAULT_VERIFY_BUDGET_MS, type Deadline } from '../core/deadline.js';
import {
  deadlineOf,
  InputError,
  parseLogInput,
  readInputFile,
  readRegistryCredentials,
  splitList,
  timeoutInput,
} from './inputs.js';
import { htmlText } from './summary.js';
import { dockerfileInputs, dockerfileJobs, type DockerfileInputs } from './verify-dockerfile.js';

/** The verify sub-action's inputs, parsed. */
export interface VerifyActionInputs {
  images: string[];
  platforms: string[];
  referrersRepository?: string;
  transparencyLog: string | false;
  issuers: string[];
  /** The `commitment-claim` input; absent: aud with issuer inputs, and with a trust repository
   *  each issuer's default (aud for GitHub's issuers, nonce for others), as the CLI does. */
  commitmentClaim?: 'aud' | 'nonce';
  /** Claim patterns every signer must match (`NAME=GLOB` lines). */
  signerClaims: Record<string, string>;
  threshold: number;
  require: string[];
  /** PEM texts of the log keys (read from the files named, or given inline). */
  tlogKeys: string[];
  /** Use the key the log serves (trust on first use, warned every time). */
  tlogKeyTofu: boolean;
  /** policy.json bytes, replacing issuer/signer-claims/threshold/require. */
  policy?: Buffer;
  /** A TUF trust repository and its trusted root file, replacing all trust inputs above. */
  tuf?: { repository: string; root: string };
  credentials?: { username: string; password: string };
  /** The `timeout` input: the overall time budget of the run in milliseconds. */
  timeoutMs: number;
  /** Verify the external images of this Dockerfile too (inputs dockerfile, build-args, target). */
  dockerfile?: DockerfileInputs;
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const MAX_THRESHOLD = 100;

/**
 * Reads every input of verify/action.yml.
 * @throws InputError INPUT_INVALID naming the input and the fix
 */
export function readVerifyInputs(): VerifyActionInputs {
  const credentials = readRegistryCredentials();
  const images = core.getMultilineInput('image').flatMap(splitList);
  const dockerfile = dockerfileInputs();
  if (images.length === 0 && dockerfile === undefined)
    throw new InputError({
      code: 'INPUT_INVALID',
      message: 'inputs "image" and "dockerfile" are both empty; pass name@digest or name:tag, or a Dockerfile path',
    });
  const policyPath = core.getInput('policy');
  const issuers = core.getMultilineInput('issuer').flatMap(splitList);
  return {
    images,
    platforms: splitList(core.getInput('platforms')),
    referrersRepository: core.getInput('referrers-repository') || undefined,
    transparencyLog: parseLogInput(core.getInput('transparency-log')),
    issuers: issuers.length > 0 ? issuers : [GITHUB_ACTIONS_ISSUER],
    commitmentClaim: commitmentClaim(core.getInput('commitment-claim')),
    signerClaims: signerClaims(core.getMultilineInput('signer-claims')),
    threshold: threshold(core.getInput('threshold')),
    require: core.getMultilineInput('require').flatMap(splitList),
    tlogKeys: tlogKeys(core.getInput('tlog-key')),
    tlogKeyTofu: tofuInput(core.getInput('tlog-key-tofu')),
    policy: policyPath ? readInputFile('policy', policyPath) : undefined,
    tuf: tufInputs(),
    credentials,
    timeoutMs: timeoutInput(DEFAULT_VERIFY_BUDGET_MS),
    ...(dockerfile === undefined ? {} : { dockerfile }),
  };
}

/** Runs the sub-action; a failed check or any error becomes `core.setFailed` (exit status 1). */
export async function runVerifyAction(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const inputs = readVerifyInputs();
    const deadline = deadlineOf(inputs.timeoutMs);
    const { trust, policy } = await trustFromInputs(inputs, deadline);
    const reports: VerifyReport[] = [];
    const base = await dockerfileJobs(inputs);
    const jobs = [...inputs.images.map((image) => ({ image, platforms: inputs.platforms })), ...(base?.jobs ?? [])];
    for (const { image, platforms } of jobs) {
      const report = await verifyImage({
        image,
        trust,
        policy,
        ...(platforms.length > 0 ? { platforms } : {}),
        ...(inputs.referrersRepository ? { referrersRepository: inputs.referrersRepository } : {}),
        registry: { ...inputs.credentials, env, deadline },
      });
      core.info(formatReport(report));
      reports.push(report);
    }
    const passed = reports.every((r) => r.passed);
    core.setOutput(
      'result',
      JSON.stringify({ passed, images: reports.map((r) => JSON.parse(reportJson(r)) as unknown) }),
    );
    await writeVerifySummary(reports);
    const failed = reports.find((r) => !r.passed);
    if (base && !failed) core.setOutput('pinned-dockerfile', base.pin(reports.slice(inputs.images.length)));
    if (failed) core.setFailed(`${failed.image}: not verified (${firstReason(failed)})`);
  } catch (err) {
    core.setFailed(
      err instanceof OpkError ? `${err.message} [${err.code}]` : `opk-attest/verify: ${(err as Error).message}`,
    );
  }
}

/**
 * Trust material and the policy from inputs: accepted issuers with live OIDC discovery for
 * their keys, the log keys pinned (or Sigstore's trusted root for the public-good log, or with
 * tlog-key-tofu the key the log serves, warned), and policy.json or a one-rule policy.
 * @throws PolicyError POLICY_INVALID; TlogError when a log key is unusable or cannot be fetched
 */
export async function trustFromInputs(
  i: VerifyActionInputs,
  deadline?: Deadline,
): Promise<{ trust: TrustMaterial; policy: Policy }> {
  const http = deadline ? { deadline } : {};
  if (i.tuf) {
    const bundle = await loadTrust({
      repository: i.tuf.repository,
      trustedRoot: i.tuf.root,
      cacheDir: path.join(os.tmpdir(), 'opk-attest-tuf'),
      ...http,
    });
    for (const w of bundle.warnings) core.warning(w);
    const trust = trustMaterialFrom(bundle, {
      live: true,
      http,
      repository: `${i.tuf.repository} (root ${i.tuf.root})`,
    });
    const claim = i.commitmentClaim;
    return {
      trust: claim ? { ...trust, commitmentClaims: Object.fromEntries(trust.issuers.map((x) => [x, claim])) } : trust,
      policy: bundle.policy,
    };
  }
  const trust = await simpleTrust({
    issuers: i.issuers,
    commitmentClaim: i.commitmentClaim ?? 'aud',
    logKeyPems: i.tlogKeys,
    logKeySource: 'input tlog-key',
    tofu: i.tlogKeyTofu,
    transparencyLog: i.transparencyLog,
    warn: (line) => core.warning(line),
    ...http,
  });
  const policy = i.policy
    ? parsePolicy(i.policy, 'policy')
    : simplePolicy(
        {
          issuers: i.issuers,
          claims: i.signerClaims,
          threshold: i.threshold,
          require: i.require,
          transparencyLog: i.transparencyLog,
        },
        'verify inputs (issuer, signer-claims, threshold, require)',
      );
  const source = i.policy ? 'input policy' : 'inputs issuer, signer-claims, threshold, require';
  return { trust: { ...trust, sources: [{ input: 'policy', source }, ...(trust.sources ?? [])] }, policy };
}

/** `tlog-key-tofu`: true or false (default false). */
function tofuInput(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new InputError({ code: 'INPUT_INVALID', message: `tlog-key-tofu is "${v.slice(0, 40)}"; use true or false` });
}

/** `tuf-repository` + `tuf-root`, both or neither. */
function tufInputs(): VerifyActionInputs['tuf'] {
  const repository = core.getInput('tuf-repository');
  const root = core.getInput('tuf-root');
  if (Boolean(repository) !== Boolean(root)) {
    throw new InputError({
      code: 'INPUT_INVALID',
      message: 'tuf-repository and tuf-root must be given together: the root file is what makes the repository trusted',
    });
  }
  return repository ? { repository, root } : undefined;
}

/** `tlog-key`: the PEM itself, or PEM files one per line. */
function tlogKeys(value: string): string[] {
  if (value.includes('-----BEGIN')) {
    const blocks = value.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0)
      throw new InputError({
        code: 'INPUT_INVALID',
        message: 'tlog-key holds PEM text but no complete "PUBLIC KEY" block; paste the whole key or give a file path',
      });
    return blocks;
  }
  return splitList(value).flatMap((file) => {
    const blocks = readInputFile('tlog-key', file).toString('utf8').match(PEM_BLOCK) ?? [];
    if (blocks.length === 0)
      throw new InputError({
        code: 'INPUT_INVALID',
        message: `tlog-key: "${file}" holds no "PUBLIC KEY" PEM block; give the log's public key (GET /api/v1/log/publicKey)`,
      });
    return blocks;
  });
}

/** `signer-claims`: `NAME=GLOB` per line, each name once. Values are globs, not secrets, but are not echoed anyway. */
function signerClaims(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, line] of lines.entries()) {
    const eq = line.indexOf('=');
    const name = line.slice(0, Math.max(eq, 0)).trim();
    if (eq <= 0 || name === '')
      throw new InputError({
        code: 'INPUT_INVALID',
        message: `signer-claims line ${n + 1} is not NAME=GLOB (e.g. repository=acme/*)`,
      });
    if (Object.hasOwn(out, name))
      throw new InputError({
        code: 'INPUT_INVALID',
        message: `signer-claims names claim "${name}" twice; give one pattern per claim`,
      });
    // defineProperty keeps a claim named "__proto__" as plain data.
    Object.defineProperty(out, name, {
      value: line.slice(eq + 1).trim(),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function threshold(value: string): number {
  const v = value.trim();
  if (v === '') return 1;
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n < 1 || n > MAX_THRESHOLD) {
    throw new InputError({
      code: 'INPUT_INVALID',
      message: `threshold must be a whole number from 1 to ${MAX_THRESHOLD}`,
    });
  }
  return n;
}

function commitmentClaim(value: string): 'aud' | 'nonce' | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  if (v !== 'aud' && v !== 'nonce')
    throw new InputError({
      code: 'INPUT_INVALID',
      message: 'commitment-claim must be "aud" (GitHub-style issuers) or "nonce"',
    });
  return v;
}

/** The first reason an image did not pass, for the one-line failure. */
function firstReason(r: VerifyReport): string {
  for (const p of r.platforms) {
    if (p.passed) continue;
    if (!p.verdict) return `${p.platform}: no policy rule matches the image`;
    return `${p.platform}: ${p.verdict.violations[0] ?? 'failed'}${p.rejected.length > 0 ? `; ${p.rejected.length} signature(s) rejected, first ${p.rejected[0]!.code}` : ''}`;
  }
  return r.platforms.length === 0 ? 'no platform found' : 'failed';
}

/** One row per platform; written only when the runner provides a summary file. */
async function writeVerifySummary(reports: readonly VerifyReport[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const rows = reports.flatMap((r) =>
    r.platforms.map((p) =>
      [
        r.image,
        p.platform,
        p.passed ? 'verified' : 'NOT verified',
        String(p.signatures.length),
        (p.verdict?.signers ?? []).join(', ') || '-',
        [...(p.verdict?.violations ?? []), ...p.rejected.map((x) => x.code)].join('; ') || '-',
      ].map(htmlText),
    ),
  );
  const passed = reports.filter((r) => r.passed).length;
  await core.summary
    .addHeading(`opk-attest verify: ${passed} of ${reports.length} image(s) verified`, 3)
    .addTable([
      ['image', 'platform', 'status', 'signatures', 'signers', 'problems'].map((data) => ({ data, header: true })),
      ...rows,
    ])
    .write();
}
