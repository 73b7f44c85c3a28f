/**
 * After pushing, the action verifies what it wrote the way a consumer would (docs/architecture.md, "Verification order"), with
 * this run's issuer as the only signer. The log key is fetched from the log itself: that proves
 * the entries are consistent with the log, while consumers pin the key through TUF.
 */
import * as core from '@actions/core';
import type { Deadline } from '../core/deadline.js';
import { discoveryKeyFinder } from '../identity/index.js';
import type { Policy } from '../policy/index.js';
import { SignError, type SignImagesResult } from '../sign/index.js';
import { createLogKeyring, RekorClient } from '../tlog/index.js';
import { verifyImage } from '../verify/index.js';
import type { ActionInputs } from './inputs.js';

/** Verifies every signature of the run; throws SIGN_VERIFY_FAILED naming the first that does not verify. */
export async function verifyWhatWasSigned(
  inputs: ActionInputs,
  result: SignImagesResult,
  env: NodeJS.ProcessEnv,
  deadline?: Deadline,
): Promise<void> {
  const http = deadline ? { deadline } : {};
  const issuer = result.signer?.issuer ?? env.OPK_ATTEST_OIDC_ISSUER ?? '';
  const logs =
    inputs.transparencyLog === false
      ? createLogKeyring([])
      : createLogKeyring([await new RekorClient({ url: inputs.transparencyLog, ...http }).getPublicKey()]);
  const policy: Policy = {
    rules: [
      {
        scope: '**',
        signers: [{ name: 'this-run', issuer, claims: {} }],
        threshold: 1,
        require: [],
        transparencyLog: inputs.transparencyLog === false ? 'optional' : 'required',
        level: 'enforce',
      },
    ],
    revoked: { digests: [], signers: [] },
  };
  const artifacts = [...result.signed, ...result.skipped];
  for (const image of new Set(artifacts.map((s) => s.image))) {
    const wanted = new Set(artifacts.filter((s) => s.image === image).map((s) => s.artifactDigest));
    const report = await verifyImage({
      image,
      policy,
      trust: { issuers: [issuer], findKey: discoveryKeyFinder(http), logs, commitmentClaims: { [issuer]: 'aud' } },
      referrersRepository: inputs.referrersRepository,
      registry: { ...inputs.credentials, env, ...http },
    });
    const verified = new Set(report.platforms.flatMap((p) => p.signatures.map((s) => s.artifactDigest)));
    const bad = report.platforms.flatMap((p) => p.rejected).find((r) => wanted.has(r.artifactDigest));
    if (bad) {
      throw new SignError({
        code: 'SIGN_VERIFY_FAILED',
        message: `${image}: pushed signature ${bad.artifactDigest} does not verify (${bad.code}: ${bad.message})`,
      });
    }
    const missing = [...wanted].filter((d) => !verified.has(d));
    if (missing.length > 0) {
      throw new SignError({
        code: 'SIGN_VERIFY_FAILED',
        message: `${image}: ${missing.length} pushed signature(s) are not discoverable as referrers (first: ${missing[0]}); check the registry's referrers support`,
      });
    }
    core.info(`verified ${image}: ${verified.size} signature(s) on ${report.platforms.length} platform(s)`);
  }
}
