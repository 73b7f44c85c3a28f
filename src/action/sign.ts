/**
 * The sign action: read inputs, sign every image in one run, verify what was pushed, set the
 * outputs and the job summary. A thin shell over `signImages` and `verifyImage`.
 */
import * as core from '@actions/core';
import { OpkError } from '../core/errors.js';
import {
  discoveryKeyFinder,
  GITHUB_ACTIONS_ISSUER,
  GITHUB_COM_SERVER,
  githubActionsProvider,
  githubIssuerFor,
  type OidcProvider,
} from '../identity/index.js';
import { signImagesWith, type RunHooks, type SignImagesResult } from '../sign/index.js';
import type { Deadline } from '../core/deadline.js';
import { DEFAULT_LOG, deadlineOf, readActionInputs, readInputFile, type ActionInputs } from './inputs.js';
import { SelfCheck, type SigningRun } from './self-verify.js';
import { writeSignSummary } from './summary.js';
import { workflowClaims } from './workflow-claims.js';

/** Runs the action; failures become `core.setFailed` with the error's one-line message. */
export async function runSignAction(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Shared by signing and the self-check: what each registry taught the transport, the OP's keys.
  const run: SigningRun = { transports: new Map() };
  try {
    const inputs = readActionInputs();
    const deadline = deadlineOf(inputs.timeoutMs);
    run.findKey = discoveryKeyFinder({ deadline });
    const provider = providerOf(inputs, env, deadline);
    const check = inputs.verify ? new SelfCheck(inputs, env, run, deadline) : undefined;
    const result = await sign(inputs, provider, env, deadline, run, check);
    const issuer = result.signer?.issuer ?? provider.issuer!;
    const all = [...result.signed, ...result.skipped];
    core.setOutput('signed', JSON.stringify(result.signed.map(({ repository: _r, via: _v, ...s }) => s)));
    core.setOutput('count', String(result.signed.length));
    core.setOutput('verify-command', verifyCommand(inputs, result, issuer));
    if (check && all.length > 0) await check.finish(result, issuer);
    await writeSignSummary(result, inputs);
    core.info(`opk-attest: ${result.signed.length} envelope(s) signed, ${result.skipped.length} already signed`);
  } catch (err) {
    core.setFailed(err instanceof OpkError ? `${err.message} [${err.code}]` : `opk-attest: ${(err as Error).message}`);
  } finally {
    await Promise.all([...run.transports.values()].map((t) => t.close()));
  }
}

/**
 * The job's OIDC provider. The token's issuer must fit the GitHub server the job runs on
 * (GITHUB_SERVER_URL: GitHub.com with or without an enterprise slug, GHE.com, GHES), or be exactly
 * the `oidc-issuer` input. On GHES the public log is usually out of reach: say so.
 */
function providerOf(inputs: ActionInputs, env: NodeJS.ProcessEnv, deadline: Deadline): OidcProvider {
  const github = githubIssuerFor(env.GITHUB_SERVER_URL || GITHUB_COM_SERVER);
  if (github.deployment === 'ghes' && inputs.transparencyLog === DEFAULT_LOG) {
    core.warning(
      `GITHUB_SERVER_URL ${github.serverUrl} is GitHub Enterprise Server: the public transparency log ${DEFAULT_LOG} is usually unreachable from it; set transparency-log: false, or the URL of a private Rekor log`,
    );
  }
  return githubActionsProvider({
    env,
    ...(inputs.oidcIssuer ? { issuer: inputs.oidcIssuer } : { serverUrl: github.serverUrl }),
    http: { deadline },
  });
}

async function sign(
  inputs: ActionInputs,
  provider: OidcProvider,
  env: NodeJS.ProcessEnv,
  deadline: Deadline,
  run: SigningRun,
  check: SelfCheck | undefined,
): Promise<SignImagesResult> {
  const claims = workflowClaims(env, provider.issuer!);
  const hooks: RunHooks = {
    transports: run.transports,
    ...(check ? { onPublishing: (batch, signer, listing) => check.publishing(batch, signer.issuer, listing) } : {}),
  };
  return signImagesWith(
    {
      ...(run.findKey ? { findKey: run.findKey } : {}),
      images: inputs.images,
      provider,
      platforms: inputs.platforms,
      extra: {
        ...(inputs.sbomPath ? { sbom: readInputFile('sbom-path', inputs.sbomPath) } : {}),
        ...(inputs.predicate
          ? {
              predicate: { type: inputs.predicate.type, bytes: readInputFile('predicate-path', inputs.predicate.path) },
            }
          : {}),
        ...(claims && inputs.generateProvenance ? { provenanceClaims: claims } : {}),
        ...(env.GITHUB_SERVER_URL ? { serverUrl: env.GITHUB_SERVER_URL } : {}),
      },
      referrersRepository: inputs.referrersRepository,
      transparencyLog: inputs.transparencyLog,
      registry: { ...inputs.credentials, env },
      force: inputs.force,
      deadline,
      log: (line) => core.info(line),
    },
    hooks,
  );
}

/**
 * The command a consumer runs: one line per image, pinned to the digest this run resolved and
 * signed (never the tag, which may move), and to this signer's issuer and repository.
 */
function verifyCommand(inputs: ActionInputs, result: SignImagesResult, issuer: string): string {
  const flags = [
    ...(issuer !== GITHUB_ACTIONS_ISSUER ? [`--issuer ${issuer}`] : []),
    ...(result.signer?.repository ? [`--signer-claim repository=${result.signer.repository}`] : []),
    ...(inputs.transparencyLog === false
      ? ['--transparency-log false']
      : inputs.transparencyLog !== DEFAULT_LOG
        ? // Only the public-good log's key has a root to come from; for another log the consumer
          // pins it (--tlog-key) or accepts it knowingly: the flag makes verify warn every time.
          [`--transparency-log ${inputs.transparencyLog} --tlog-key-tofu`]
        : []),
    ...(inputs.referrersRepository ? [`--referrers-repository ${inputs.referrersRepository}`] : []),
  ].join(' ');
  return result.images.map((i) => `npx opk-attest verify ${i.pinned}${flags ? ` ${flags}` : ''}`).join('\n');
}
