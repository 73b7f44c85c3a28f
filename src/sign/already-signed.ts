/**
 * What a signer identity already signed, so that a re-run adds nothing and a second identity
 * still co-signs. The referrers of every subject are listed once per run, each as soon as the
 * subject is known (bounded, all before any answer is looked at); each statement is then checked against an identity twice at most: the one
 * expected before the token is issued, when it is known, and the one the issued token names.
 */
import { digestOf, type Digest } from '../core/digest.js';
import { semaphore } from '../core/map-limit.js';
import { listReferrers, type ImageReference, type ReferrersList, type RegistryTransport } from '../oci/index.js';
import { existingSignature, type ExpectedSigner } from './referrer.js';
import type { StatementToSign } from './statements.js';

/** A statement of the run, with where its image is. */
export interface StatementWork extends StatementToSign {
  image: string;
  ref: ImageReference;
  transport: RegistryTransport;
}

/** A statement this signer had already signed (reported, not duplicated). */
export interface SkippedStatement {
  image: string;
  platform: string;
  subject: Digest;
  predicateType: string;
  artifactDigest: Digest;
}

/** The referrers of each subject of the run as listed, by `subjectKey` (publishing reuses the listings). */
export type SubjectReferrers = ReadonlyMap<string, ReferrersList>;

/** Referrer listings at once. */
const PARALLEL = 8;

/** The key of a statement's subject: registry, repository and platform manifest digest. */
export function subjectKey(w: StatementWork): string {
  return `${w.ref.registry}/${w.ref.repository}@${w.subject.digest}`;
}

/**
 * The run's referrer listings: each subject's started as soon as it is known (while the image's
 * statements are still being read), at most PARALLEL at once, each subject once.
 */
export class SubjectListings {
  readonly #byKey = new Map<string, Promise<ReferrersList>>();
  readonly #slots = semaphore(PARALLEL);
  readonly #referrersRepository: string | undefined;

  constructor(referrersRepository: string | undefined) {
    this.#referrersRepository = referrersRepository;
  }

  /** Starts listing the referrers of `subject` in `ref`'s repository, unless already started. */
  start(transport: RegistryTransport, ref: ImageReference, subject: Digest): void {
    const key = `${ref.registry}/${ref.repository}@${subject}`;
    if (this.#byKey.has(key)) return;
    const referrersRepository = this.#referrersRepository;
    const listing = this.#slots(() => listReferrers(transport, ref.repository, subject, { referrersRepository }));
    listing.catch(() => undefined); // awaited by `of`; a failure before then must not count as unhandled
    this.#byKey.set(key, listing);
  }

  /**
   * The listings of every subject of `work` (starting any not started yet), by `subjectKey`.
   * @throws OciError from listing
   */
  async of(work: readonly StatementWork[]): Promise<SubjectReferrers> {
    for (const w of work) this.start(w.transport, w.ref, w.subject.digest);
    const keys = [...new Set(work.map(subjectKey))];
    const listed = await Promise.all(keys.map((k) => this.#byKey.get(k)!));
    return new Map(keys.map((k, i) => [k, listed[i]!]));
  }
}

/**
 * Splits items into those `signer` has not signed yet and those it has (with the referrer that
 * shows it).
 * @param statementOf - the statement work of an item
 */
export function splitBySigner<T>(
  items: readonly T[],
  statementOf: (item: T) => StatementWork,
  referrers: SubjectReferrers,
  signer: ExpectedSigner,
): { todo: T[]; skipped: SkippedStatement[] } {
  const todo: T[] = [];
  const skipped: SkippedStatement[] = [];
  for (const item of items) {
    const w = statementOf(item);
    const hit = existingSignature(referrers.get(subjectKey(w))?.referrers ?? [], digestOf(w.statement.raw), signer);
    if (hit === undefined) todo.push(item);
    else
      skipped.push({
        image: w.image,
        platform: w.platform,
        subject: w.subject.digest,
        predicateType: w.statement.predicateType,
        artifactDigest: hit.digest,
      });
  }
  return { todo, skipped };
}
