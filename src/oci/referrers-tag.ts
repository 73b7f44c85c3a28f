/**
 * Publishing through the fallback tag (distribution spec 1.1, "Referrers Tag Schema"): the
 * `sha256-<hex>` tag holds an OCI index listing a subject's referrers. Entries are added in ONE
 * read-modify-write per batch with a conditional PUT (`If-Match` with the ETag read,
 * `If-None-Match: *` when there was no tag; 412 → re-read, retry), then, after a settle wait,
 * one confirming read must list our entries and every entry we ever saw. Why the wait and how
 * long: docs/referrers.md ("The settle window").
 */
import type { Digest } from '../core/digest.js';
import { MAX_REFERRERS } from '../core/limits.js';
import { findManifest, putManifest } from './content-manifests.js';
import { OciError } from './errors.js';
import { encodeManifest, isIndex, type Descriptor, type ImageIndex } from './manifest.js';
import { OCI_INDEX, referrersTag } from './media-types.js';
import { PARSE_ANY_REFERRER_COUNT, tooManyReferrers } from './referrers-api.js';
import {
  pause,
  resolveReferrersOptions,
  sleep,
  type ReferrersOptions,
  type ResolvedReferrersOptions,
} from './referrers-options.js';
import type { RegistryTransport } from './transport/types.js';

/** The fallback tag's index as read, with what a conditional write needs. */
export interface TagIndex {
  manifest: ImageIndex;
  /** The validator for `If-Match`: the registry's ETag, else the quoted digest. */
  etag: string;
  /** sha256 of the index bytes as served: tells whether the tag moved between two reads. */
  digest: Digest;
}

/** One update of a subject's fallback tag (see `updateReferrersTag`). */
export interface TagUpdate {
  repository: string;
  subject: Digest;
  /** The descriptors to add. */
  entries: readonly Descriptor[];
  options: ResolvedReferrersOptions;
  /** A read of the tag made earlier (before blobs were pushed); reused only on a registry that
   *  provably enforces preconditions, since otherwise it would widen the settle window. */
  earlierRead?: { tag: TagIndex | undefined };
  /** The first attempt's read, already sent (with the last pushes) at `startedAt`; its cycle is
   *  measured from then, so the settle wait stays as long as for a read sent here. */
  firstRead?: { startedAt: number; tag: Promise<TagIndex | undefined> };
}

/** The precondition a fallback-tag PUT was sent with. */
type Precondition = { ifMatch: string; digest: Digest } | { ifNoneMatch: '*' };

/** The settle wait in read-modify-write cycles and its cap (docs/referrers.md). */
const SETTLE_CYCLES = 3;
const MAX_SETTLE_MS = 2_000;

/**
 * Adds `entry` to the referrers tag schema index of `subject` (`sha256-<hex>`), safely against
 * concurrent writers (docs/referrers.md). Idempotent: an entry already listed is kept as is.
 * @throws OciError OCI_CONFLICT (still contended after maxAttempts) | OCI_MANIFEST_INVALID (the tag
 *   holds something other than an index) | OCI_TOO_LARGE (past MAX_REFERRERS) and transport codes
 */
export async function addToReferrersTag(
  t: RegistryTransport,
  repository: string,
  subject: Digest,
  entry: Descriptor,
  options: ReferrersOptions = {},
): Promise<void> {
  await updateReferrersTag(t, { repository, subject, entries: [entry], options: resolveReferrersOptions(options) });
}

/**
 * Adds `u.entries` to the fallback tag of `u.subject` in one read-modify-write, then settles and
 * confirms; repeats (re-reading) until a confirming read lists every entry ever seen.
 * @returns the tag's entries as that confirming read found them
 * @throws OciError OCI_CONFLICT | OCI_MANIFEST_INVALID | OCI_TOO_LARGE and transport codes
 */
export async function updateReferrersTag(t: RegistryTransport, u: TagUpdate): Promise<Descriptor[]> {
  const { repository, subject, options: o } = u;
  const seen = new Map<string, Descriptor>(u.entries.map((e) => [e.digest, e]));
  let reusable = u.earlierRead !== undefined && t.knowledge.enforcesPreconditions ? u.earlierRead : undefined;
  let refused: Precondition | undefined;
  let first = reusable === undefined ? u.firstRead : undefined;
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const start = first?.startedAt ?? performance.now();
    const current =
      reusable !== undefined
        ? reusable.tag
        : first !== undefined
          ? await first.tag
          : await readReferrersTag(t, repository, subject);
    reusable = undefined;
    first = undefined;
    if (refused !== undefined) learnEnforcement(t, refused, current);
    refused = undefined;
    learn(seen, current);
    let cycleMs: number;
    if (holdsAll(current, seen)) {
      // Nothing to write; a writer's cycle is about a read and a write, so count the read twice.
      cycleMs = 2 * (performance.now() - start);
    } else {
      refused = await writeTagIndex(t, repository, subject, current, seen);
      cycleMs = performance.now() - start;
    }
    if (refused === undefined) {
      await sleep(settleDelay(t, cycleMs, attempt, o));
      const confirmed = await readReferrersTag(t, repository, subject);
      if (holdsAll(confirmed, seen)) return confirmed?.manifest.manifests ?? [];
      learn(seen, confirmed);
    }
    await pause(o.backoffMs, attempt);
  }
  throw new OciError({
    code: 'OCI_CONFLICT',
    message: `referrers tag ${t.registry}/${repository}:${referrersTag(subject)} kept changing under us for ${o.maxAttempts} attempts; too many concurrent signers, retry later`,
  });
}

/**
 * Reads the fallback tag of `subject`; `undefined` when there is none.
 * @throws OciError OCI_MANIFEST_INVALID (the tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function readReferrersTag(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
): Promise<TagIndex | undefined> {
  const tag = referrersTag(subject);
  const found = await findManifest(t, repo, tag, { maxDescriptors: PARSE_ANY_REFERRER_COUNT });
  if (found === undefined) return undefined;
  if (!isIndex(found.manifest)) {
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      message: `tag ${t.registry}/${repo}:${tag} holds a ${found.mediaType}, not a referrers index; refusing to overwrite it (remove or rename that tag)`,
    });
  }
  if (found.manifest.manifests.length > MAX_REFERRERS) throw tooManyReferrers(t, repo, subject);
  return { manifest: found.manifest, etag: found.etag ?? `"${found.digest}"`, digest: found.digest };
}

/**
 * How long to wait before the confirming read (docs/referrers.md); 0 on a registry that enforces
 * preconditions. Retries are jittered, so that writers who lost to each other do not meet again;
 * a first attempt is not: a run's subjects settle at once, and would all wait for the longest draw.
 */
function settleDelay(t: RegistryTransport, cycleMs: number, attempt: number, o: ResolvedReferrersOptions): number {
  if (t.knowledge.enforcesPreconditions) return 0;
  const wait = SETTLE_CYCLES * cycleMs * (attempt === 1 ? 1 : 1 + Math.random() / 2);
  return Math.min(Math.max(wait, o.settleMs), Math.max(o.settleMs, MAX_SETTLE_MS));
}

/**
 * After a PUT refused with 412/409, the next read tells whether the refusal was earned: a tag
 * that moved away from the ETag we sent, or a tag that exists although we sent
 * `If-None-Match: *`. Only such a refusal proves the registry enforces that precondition
 * (a proxy's or a faulty 412 proves nothing).
 */
function learnEnforcement(t: RegistryTransport, refused: Precondition, now: TagIndex | undefined): void {
  const earned = 'ifMatch' in refused ? now !== undefined && now.digest !== refused.digest : now !== undefined;
  if (earned) t.knowledge.recordEnforced('ifMatch' in refused ? 'if-match' : 'if-none-match');
}

/** Writes current ∪ seen; returns the precondition a concurrent writer's change made the registry refuse (412/409). */
async function writeTagIndex(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
  current: TagIndex | undefined,
  seen: Map<string, Descriptor>,
): Promise<Precondition | undefined> {
  const kept = current?.manifest.manifests ?? [];
  const have = new Set(kept.map((d) => d.digest as string));
  const manifests = [...kept, ...[...seen.values()].filter((d) => !have.has(d.digest))];
  if (manifests.length > MAX_REFERRERS) throw tooManyReferrers(t, repo, subject);
  const { mediaType: _old, manifests: _m, ...rest } = current?.manifest ?? { schemaVersion: 2 as const };
  const index: ImageIndex = { ...rest, schemaVersion: 2, mediaType: OCI_INDEX, manifests };
  const condition: Precondition =
    current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag, digest: current.digest };
  const headers = 'ifMatch' in condition ? { ifMatch: condition.ifMatch } : { ifNoneMatch: condition.ifNoneMatch };
  try {
    await putManifest(t, repo, encodeManifest(index), OCI_INDEX, referrersTag(subject), {
      ...headers,
      maxDescriptors: MAX_REFERRERS,
    });
    return undefined;
  } catch (err) {
    if (err instanceof OciError && err.code === 'OCI_CONFLICT') return condition;
    throw err;
  }
}

function learn(seen: Map<string, Descriptor>, current: TagIndex | undefined): void {
  for (const d of current?.manifest.manifests ?? []) if (!seen.has(d.digest)) seen.set(d.digest, d);
}

function holdsAll(current: TagIndex | undefined, seen: Map<string, Descriptor>): boolean {
  const have = new Set((current?.manifest.manifests ?? []).map((d) => d.digest as string));
  return [...seen.keys()].every((k) => have.has(k));
}
