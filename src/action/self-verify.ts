/**
 * After pushing, the action verifies what it wrote as a consumer would (docs/architecture.md,
 * "Verification order"), with this run's issuer as the only signer — on the bytes it pushed,
 * which it holds, against each subject's referrers as publishing listed them after its writes
 * (`verifyPublished`). Each subject's bytes are checked as publishing starts, during its settle
 * wait, and its listing as soon as publishing has confirmed it, while later subjects are still in
 * flight; signatures an earlier run made are fetched at the end. The run's PK token is verified
 * once for all subjects, its logged certificate parsed once. The log key is fetched
 * from the log itself (as the run starts): that proves the entries are consistent with the log,
 * while consumers pin the key through TUF.
 */
import * as core from '@actions/core';
import type { Deadline } from '../core/deadline.js';
import type { Digest } from '../core/digest.js';
import { discoveryKeyFinder, type KeyFinder } from '../identity/index.js';
import { createTransport, parseReference, type ClosableTransport, type Descriptor } from '../oci/index.js';
import { SignError, type PublishingArtifact, type SignImagesResult } from '../sign/index.js';
import { createLogKeyring, RekorClient, type LogKeyring } from '../tlog/index.js';
import { verifyPublished, type PublishedSubject } from '../verify/published.js';
import { newVerificationMemo, type RejectedSignature, type TrustMaterial } from '../verify/verifier.js';
import type { ActionInputs } from './inputs.js';

/** What signing and the self-check share within one action run. */
export interface SigningRun {
  /** Registry transports by host (signing fills it; the action closes them). */
  transports: Map<string, ClosableTransport>;
  /** The OP's keys, fetched once for signing and verifying. */
  findKey?: KeyFinder;
}

/** The self-check of one action run: started before signing, fed each subject as it is published. */
export class SelfCheck {
  readonly #inputs: ActionInputs;
  readonly #env: NodeJS.ProcessEnv;
  readonly #run: SigningRun;
  readonly #http: { deadline?: Deadline };
  readonly #logs: Promise<LogKeyring>;
  readonly #checks: Array<Promise<RejectedSignature | undefined>> = [];
  /** Every check trusts the same issuer and keys: the run's PK token and its logged certificate
   *  are checked once, not per subject. */
  readonly #memo = newVerificationMemo();

  /** Starts fetching the log key, which every check needs. */
  constructor(inputs: ActionInputs, env: NodeJS.ProcessEnv, run: SigningRun, deadline?: Deadline) {
    this.#inputs = inputs;
    this.#env = env;
    this.#run = run;
    this.#http = deadline ? { deadline } : {};
    const log = inputs.transparencyLog;
    this.#logs =
      log === false
        ? Promise.resolve(createLogKeyring([]))
        : new RekorClient({ url: log, ...this.#http }).getPublicKey().then((k) => createLogKeyring([k]));
    // Awaited by every check and by `finish`; a failure surfaces there, not as an unhandled rejection.
    this.#logs.catch(() => undefined);
  }

  /**
   * Checks one subject's artifacts as this run publishes them (signing's `onPublishing`): their
   * bytes at once, while publishing settles, then that they are discoverable in the listing
   * publishing reads after its writes (its confirming read: the read this check would make).
   */
  publishing(batch: ReadonlyArray<PublishingArtifact>, issuer: string, listing: Promise<readonly Descriptor[]>): void {
    const a = batch[0]!;
    const subject: PublishedSubject = {
      repository: a.repository,
      subject: a.subject,
      via: 'auto', // unused: the listing is given
      artifacts: batch.map(({ artifactDigest, bytes }) => ({ artifactDigest, held: bytes })),
      listing,
    };
    this.#start(parseReference(a.image).registry, [subject], issuer);
  }

  /**
   * Checks what earlier runs signed (fetched), waits for every check, and reports.
   * @throws SignError SIGN_VERIFY_FAILED naming the first signature that does not verify or is not listed
   */
  async finish(result: SignImagesResult, issuer: string): Promise<void> {
    for (const [registry, subjects] of this.#skippedByRegistry(result)) this.#start(registry, subjects, issuer);
    const outcomes = await Promise.all(this.#checks);
    const bad = outcomes.find((x) => x !== undefined);
    if (bad) throw failed(bad);
    const all = [...result.signed, ...result.skipped];
    for (const image of new Set(all.map((s) => s.image))) {
      const mine = all.filter((s) => s.image === image);
      core.info(
        `verified ${image}: ${mine.length} signature(s) on ${new Set(mine.map((s) => s.platform)).size} platform(s)`,
      );
    }
  }

  #start(registry: string, subjects: PublishedSubject[], issuer: string): void {
    const check = this.#check(registry, subjects, issuer);
    // Collected by `finish`; until then a rejection must not count as unhandled.
    check.catch(() => undefined);
    this.#checks.push(check);
  }

  async #check(registry: string, subjects: PublishedSubject[], issuer: string): Promise<RejectedSignature | undefined> {
    const trust: TrustMaterial = {
      issuers: [issuer],
      findKey: this.#run.findKey ?? discoveryKeyFinder(this.#http),
      logs: await this.#logs,
      commitmentClaims: { [issuer]: 'aud' },
    };
    let transport = this.#run.transports.get(registry);
    if (!transport) {
      transport = createTransport(registry, { ...this.#inputs.credentials, env: this.#env, ...this.#http });
      this.#run.transports.set(registry, transport);
    }
    const requireLog = this.#inputs.transparencyLog !== false;
    const outcome = await verifyPublished({
      transport,
      subjects,
      trust,
      requireLog,
      memo: this.#memo,
    });
    return outcome.rejected[0] && { ...outcome.rejected[0], message: `${registry}: ${outcome.rejected[0].message}` };
  }

  /** Signatures earlier runs made, by registry and subject; read as a consumer reads them. */
  #skippedByRegistry(result: SignImagesResult): Map<string, PublishedSubject[]> {
    const bySubject = new Map<string, PublishedSubject & { registry: string }>();
    for (const a of result.skipped) {
      const ref = parseReference(a.image);
      const repository = this.#inputs.referrersRepository ?? ref.repository;
      const key = `${ref.registry}/${repository}@${a.subject}`;
      const s = bySubject.get(key) ?? {
        registry: ref.registry,
        repository,
        subject: a.subject,
        via: 'auto',
        artifacts: [],
      };
      s.artifacts.push({ artifactDigest: a.artifactDigest as Digest });
      bySubject.set(key, s);
    }
    const out = new Map<string, PublishedSubject[]>();
    for (const { registry, ...s } of bySubject.values()) out.set(registry, [...(out.get(registry) ?? []), s]);
    return out;
  }
}

function failed(bad: RejectedSignature): SignError {
  if (bad.code === 'VERIFY_NOT_LISTED')
    return new SignError({
      code: 'SIGN_VERIFY_FAILED',
      message: `pushed signature ${bad.artifactDigest} is not discoverable as a referrer (${bad.message}); check the registry's referrers support`,
    });
  return new SignError({
    code: 'SIGN_VERIFY_FAILED',
    message: `pushed signature ${bad.artifactDigest} does not verify (${bad.code}: ${bad.message})`,
  });
}
