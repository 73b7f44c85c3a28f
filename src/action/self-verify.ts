/**
 * After pushing, the action verifies what it wrote as a consumer would (docs/architecture.md, "Verification order"), with this
 * run's issuer as the only signer — on the bytes it pushed, which it holds, plus one read of
 * each subject's referrers to see them listed (`verifyPublished`). Signatures an earlier run
 * made are fetched. The log key is fetched from the log itself: that proves the entries are
 * consistent with the log, while consumers pin the key through TUF.
 */
import * as core from '@actions/core';
import type { Deadline } from '../core/deadline.js';
import type { Digest } from '../core/digest.js';
import { discoveryKeyFinder, type KeyFinder } from '../identity/index.js';
import { createTransport, parseReference, type ClosableTransport } from '../oci/index.js';
import { SignError, type PublishedBytes, type SignImagesResult } from '../sign/index.js';
import { createLogKeyring, RekorClient } from '../tlog/index.js';
import { verifyPublished, type PublishedSubject } from '../verify/published.js';
import type { RejectedSignature } from '../verify/verifier.js';
import type { ActionInputs } from './inputs.js';

/** What signing and the self-check share within one action run. */
export interface SigningRun {
  /** Registry transports by host (signing fills it; the action closes them). */
  transports: Map<string, ClosableTransport>;
  /** The bytes of every artifact the run pushed, by artifact digest. */
  held: Map<string, PublishedBytes>;
  /** The OP's keys, fetched once for signing and verifying. */
  findKey?: KeyFinder;
}

/**
 * Verifies every signature of the run; throws SIGN_VERIFY_FAILED naming the first that does not verify.
 * @param issuer - the run's issuer: its token's, or the one expected when no token was needed
 */
export async function verifyWhatWasSigned(
  inputs: ActionInputs,
  result: SignImagesResult,
  issuer: string,
  env: NodeJS.ProcessEnv,
  run: SigningRun,
  deadline?: Deadline,
): Promise<void> {
  const http = deadline ? { deadline } : {};
  const logs =
    inputs.transparencyLog === false
      ? createLogKeyring([])
      : createLogKeyring([await new RekorClient({ url: inputs.transparencyLog, ...http }).getPublicKey()]);
  const trust = {
    issuers: [issuer],
    findKey: run.findKey ?? discoveryKeyFinder(http),
    logs,
    commitmentClaims: { [issuer]: 'aud' as const },
  };
  for (const [registry, subjects] of subjectsByRegistry(inputs, result, run)) {
    let transport = run.transports.get(registry);
    if (!transport)
      run.transports.set(registry, (transport = createTransport(registry, { ...inputs.credentials, env, ...http })));
    const check = await verifyPublished({ transport, subjects, trust, requireLog: inputs.transparencyLog !== false });
    const bad = check.rejected[0];
    if (bad) throw failed(registry, bad);
  }
  const all = [...result.signed, ...result.skipped];
  for (const image of new Set(all.map((s) => s.image))) {
    const mine = all.filter((s) => s.image === image);
    core.info(
      `verified ${image}: ${mine.length} signature(s) on ${new Set(mine.map((s) => s.platform)).size} platform(s)`,
    );
  }
}

/** The run's artifacts grouped by registry and subject; a subject with an earlier run's artifacts is read as a consumer reads it. */
function subjectsByRegistry(
  inputs: ActionInputs,
  result: SignImagesResult,
  run: SigningRun,
): Map<string, PublishedSubject[]> {
  const bySubject = new Map<string, PublishedSubject & { registry: string }>();
  const add = (image: string, subject: Digest, artifactDigest: Digest, via: PublishedSubject['via']): void => {
    const ref = parseReference(image);
    const repository = inputs.referrersRepository ?? ref.repository;
    const key = `${ref.registry}/${repository}@${subject}`;
    const s = bySubject.get(key) ?? { registry: ref.registry, repository, subject, via, artifacts: [] };
    if (s.via !== via) s.via = 'auto';
    const held = run.held.get(artifactDigest);
    s.artifacts.push({ artifactDigest, ...(held ? { held } : {}) });
    bySubject.set(key, s);
  };
  for (const a of result.signed)
    add(a.image, a.subject, a.artifactDigest, run.held.has(a.artifactDigest) ? a.via : 'auto');
  for (const a of result.skipped) add(a.image, a.subject, a.artifactDigest, 'auto');
  const out = new Map<string, PublishedSubject[]>();
  for (const { registry, ...s } of bySubject.values()) out.set(registry, [...(out.get(registry) ?? []), s]);
  return out;
}

function failed(registry: string, bad: RejectedSignature): SignError {
  if (bad.code === 'VERIFY_NOT_LISTED')
    return new SignError({
      code: 'SIGN_VERIFY_FAILED',
      message: `${registry}: pushed signature ${bad.artifactDigest} is not discoverable as a referrer; check the registry's referrers support`,
    });
  return new SignError({
    code: 'SIGN_VERIFY_FAILED',
    message: `${registry}: pushed signature ${bad.artifactDigest} does not verify (${bad.code}: ${bad.message})`,
  });
}
