/**
 * The signer's check of what it just published (the sign action's `verify: true`): every check
 * of the verification order (docs/architecture.md) on the bytes the run holds — exactly the bytes it pushed by digest — and
 * each subject's referrers as listed after publishing (publishing's confirming read, else one
 * read here) to confirm they are discoverable. Nothing the run pushed is
 * read back; artifacts the run did not push (signed by an earlier run) are fetched as a consumer
 * would fetch them.
 */
import type { Digest } from '../core/digest.js';
import { digestOf } from '../core/digest.js';
import { isBudgetExceeded } from '../core/deadline.js';
import { OpkError } from '../core/errors.js';
import { mapLimit } from '../core/map-limit.js';
import { listReferrers, parseImageManifest, type Descriptor, type RegistryTransport } from '../oci/index.js';
import { VerifyError } from './errors.js';
import {
  artifactShape,
  newVerificationMemo,
  verifyArtifactEnvelope,
  type RejectedSignature,
  type TokenRun,
  type TrustMaterial,
  type VerificationMemo,
  type VerifiedSignature,
  verifyListedArtifact,
} from './verifier.js';

/** The bytes of an artifact exactly as the caller pushed them by digest. */
export interface HeldBytes {
  manifest: Uint8Array;
  envelope: Uint8Array;
}

/** One artifact to check: pushed by this run (bytes held) or found by it (fetched). */
export interface PublishedArtifact {
  artifactDigest: Digest;
  /** The bytes this run pushed; absent for an artifact an earlier run published. */
  held?: HeldBytes;
}

/** The artifacts of one subject, and where its referrers are listed. */
export interface PublishedSubject {
  /** The repository holding the referrers (the image's, or the referrers repository). */
  repository: string;
  subject: Digest;
  /** How the run published them: the API's listing or the fallback tag is read; `auto` reads as a consumer. */
  via: 'api' | 'tag' | 'auto';
  artifacts: PublishedArtifact[];
  /**
   * The subject's referrers as a read the caller makes after publishing finds them (its promise
   * while publishing still settles: held bytes are verified meanwhile); read here when absent.
   */
  listing?: readonly Descriptor[] | Promise<readonly Descriptor[]>;
}

/** Options of `verifyPublished`. */
export interface VerifyPublishedOptions {
  transport: RegistryTransport;
  subjects: readonly PublishedSubject[];
  trust: TrustMaterial;
  /** Require a transparency-log entry on every signature. */
  requireLog: boolean;
  allowRs256?: boolean;
  /**
   * What was checked so far under this same trust: calls that share it check the run's one PK
   * token and one logged certificate once (a signing run checks its subjects one call at a time).
   */
  memo?: VerificationMemo;
}

/** The outcome: each artifact verified or rejected; listed ones only count as verified. */
export interface PublishedCheck {
  verified: VerifiedSignature[];
  rejected: RejectedSignature[];
}

const SUBJECTS_AT_ONCE = 4;

/**
 * Verifies what a signing run published: per subject one listing read, then each artifact —
 * from the held bytes when present, else fetched by its listed descriptor. An artifact the
 * listing lacks is rejected with VERIFY_NOT_LISTED.
 * @throws OciError when a listing cannot be read (transport codes, OCI_TOO_LARGE);
 *   CORE_BUDGET_EXCEEDED. Bad signatures are returned as rejected, not thrown.
 */
export async function verifyPublished(o: VerifyPublishedOptions): Promise<PublishedCheck> {
  const run: TokenRun = { trust: o.trust, memo: o.memo ?? newVerificationMemo() };
  if (o.allowRs256 !== undefined) run.allowRs256 = o.allowRs256;
  const outcomes = await mapLimit(o.subjects, SUBJECTS_AT_ONCE, (s) => checkSubject(o, s, run));
  const all = outcomes.flat();
  return {
    verified: all.filter((x): x is VerifiedSignature => !('code' in x)),
    rejected: all.filter((x): x is RejectedSignature => 'code' in x),
  };
}

type Outcome = VerifiedSignature | RejectedSignature;

async function checkSubject(o: VerifyPublishedOptions, s: PublishedSubject, run: TokenRun): Promise<Outcome[]> {
  // Held bytes need no listing: their checks run while the listing is still on its way.
  const early = new Map<string, Promise<Outcome>>();
  for (const a of s.artifacts) {
    const { held } = a;
    if (held === undefined) continue;
    const outcome = outcomeOf(a.artifactDigest, () =>
      verifyHeld(held, a.artifactDigest, `${s.repository}@${a.artifactDigest}`, s.subject, run, o.requireLog),
    );
    outcome.catch(() => undefined); // awaited below, unless the listing read fails first
    early.set(a.artifactDigest, outcome);
  }
  const listed = await (s.listing ??
    listReferrers(o.transport, s.repository, s.subject, {
      mode: s.via,
      // The API lists what went through it; only a consumer-style read merges the fallback tag.
      fallbackTag: s.via !== 'api',
    }).then((l) => l.referrers));
  const byDigest = new Map(listed.map((d) => [d.digest as string, d]));
  const out: Outcome[] = [];
  for (const a of s.artifacts) {
    const d = byDigest.get(a.artifactDigest);
    if (d === undefined) {
      out.push({
        artifactDigest: a.artifactDigest,
        code: 'VERIFY_NOT_LISTED',
        message: `${s.repository}@${a.artifactDigest}: pushed, but the referrers of ${s.subject} do not list it; check the registry's referrers support`,
      });
      continue;
    }
    out.push(
      await (early.get(a.artifactDigest) ??
        outcomeOf(a.artifactDigest, () =>
          verifyListedArtifact(o.transport, s.repository, d, s.subject, run, o.requireLog),
        )),
    );
  }
  return out;
}

/** One bad signature must not hide the others: it is recorded. A spent budget ends the run. */
async function outcomeOf(artifactDigest: Digest, check: () => Promise<VerifiedSignature>): Promise<Outcome> {
  try {
    return await check();
  } catch (err) {
    if (!(err instanceof OpkError) || isBudgetExceeded(err)) throw err;
    return { artifactDigest, code: err.code, message: err.message };
  }
}

/** The checks of a fetched artifact, on the bytes held: digests recomputed, shape, envelope. */
async function verifyHeld(
  held: HeldBytes,
  artifactDigest: Digest,
  what: string,
  subject: Digest,
  run: TokenRun,
  requireLog: boolean,
): Promise<VerifiedSignature> {
  if (digestOf(held.manifest) !== artifactDigest) throw heldMismatch(what, 'manifest');
  const m = artifactShape(parseImageManifest(held.manifest, { what }), what, subject);
  const layer = m.layers[0];
  if (digestOf(held.envelope) !== layer.digest || held.envelope.length !== layer.size)
    throw heldMismatch(what, 'envelope');
  return verifyArtifactEnvelope(Buffer.from(held.envelope), artifactDigest, what, subject, run, requireLog);
}

function heldMismatch(what: string, part: string): VerifyError {
  return new VerifyError({
    code: 'VERIFY_ARTIFACT_INVALID',
    message: `${what}: the ${part} bytes held do not match the digest pushed; this is a bug in the caller`,
  });
}
