/**
 * OCI 1.1 referrers (distribution spec 1.1, "Listing Referrers" and "Referrers Tag Schema"):
 * publish artifact manifests with `subject` + `artifactType` by digest, and list the referrers
 * of a digest.
 *
 * The referrers API is used only when the registry really serves it: `GET /v2/<repo>/referrers/
 * <digest>` must answer 200 with an OCI index (an `OCI-Subject` header alone proves nothing).
 * The answer is cached per transport and repository, and one probe in flight serves every caller.
 *
 * Otherwise the `sha256-<hex>` tag holds the index. A subject's artifacts are published as one
 * batch: blobs and artifact manifests first, then ONE read-modify-write of the tag adding every
 * descriptor, so the tag is never rewritten once per artifact. The write is conditional
 * (`If-Match` with the ETag read, `If-None-Match: *` when there was no tag; 412 → re-read,
 * retry), and after it one confirming read must list our entries and every entry we ever saw
 * (the TODO go-containerregistry leaves in `commitSubjectReferrers`).
 *
 * Why a settle wait before that read, and how long. A registry that ignores the preconditions
 * (distribution 2.8 does) lets a concurrent writer B that read the tag before our write landed
 * overwrite our entry afterwards. B's write lands less than one of B's read-to-write windows
 * after B's read, which came before our write; if our confirming read comes later than that, it
 * sees the loss and we write again. B runs the same loop against the same registry, so its
 * window is about as long as our own read-modify-write cycle (a read and a write, request to
 * answer: longer than the span from B's read being served to B's write being applied), which we
 * measure each time: the wait is SETTLE_CYCLES (3) × our cycle, jittered up to ×1.5 (writers
 * that retry do not stay in step), at least `settleMs` (a floor for a writer slower than us,
 * default 25 ms) and at most MAX_SETTLE_MS (2 s). The read before each write is therefore done
 * right before it (a read made earlier, e.g. before pushing blobs, would widen every window).
 * On distribution 2.8, 8 writers of one subject lose entries without the wait and none with it.
 * Not covered: a writer stalled between its read and its write for longer than our wait, and a
 * chain in which a third writer reads in the brief gap a second one opened; both call for a
 * larger `settleMs`.
 * When the registry has provably enforced both preconditions on this transport (a 412 to an
 * `If-Match` whose ETag the next read shows was stale, and one to an `If-None-Match: *` the next
 * read shows was violated), a lost update cannot happen between writers that use them, so no
 * wait is needed and a tag read made earlier is reused.
 */
import { bytesEqual, digestOf, type Digest } from '../core/digest.js';
import { MAX_MANIFEST_BYTES, MAX_REFERRERS } from '../core/limits.js';
import { findManifest, getManifest, isManifestMediaType, putBlob, putManifest, registryRequest } from './content.js';
import { registryError } from './transport/registry-error.js';
import { OciError } from './errors.js';
import {
  encodeManifest,
  isIndex,
  parseIndex,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './manifest.js';
import {
  OCI_EMPTY,
  OCI_EMPTY_DATA,
  OCI_EMPTY_DIGEST,
  OCI_EMPTY_SIZE,
  OCI_INDEX,
  OCI_MANIFEST,
  referrersTag,
} from './media-types.js';
import type { HttpResponse } from '../core/http.js';
import type { RegistryTransport } from './transport/types.js';

/** How referrers are published and discovered. */
export type ReferrersMode = 'auto' | 'api' | 'tag';

/** Options of publishing and listing; defaults are resolved once in `resolve()`. */
export interface ReferrersOptions {
  /** Store and look up referrers in this repository (same registry) instead of the image's. */
  referrersRepository?: string;
  /** `auto` (default) probes the registry; `api` / `tag` force a path. */
  mode?: ReferrersMode;
  /** Attempts of the fallback tag's read-modify-write loop (default 12). */
  maxAttempts?: number;
  /** Base of the jittered exponential wait between attempts (default 100 ms). */
  backoffMs?: number;
  /**
   * Least wait between writing the fallback tag and the read that confirms it (default 25 ms).
   * The wait itself is 3× the measured read-modify-write cycle, jittered, at most 2 s (or this
   * floor when it is larger); none once the registry has proven it enforces If-Match and
   * If-None-Match. See the module comment.
   */
  settleMs?: number;
}

/** One layer of an artifact to publish (normally the DSSE envelope). */
export interface ArtifactLayer {
  mediaType: string;
  data: Uint8Array;
  annotations?: Record<string, string>;
}

/** An artifact to attach to a subject. */
export interface PublishRequest {
  /** The image's repository (where the subject lives). */
  repository: string;
  /** The subject: the platform manifest's descriptor (only digest, size and media type are kept). */
  subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  artifactType: string;
  layers: ArtifactLayer[];
  annotations?: Record<string, string>;
}

/** What `publishReferrer` wrote, after reading it back. */
export interface PublishedReferrer {
  /** Where the artifact manifest lives. */
  repository: string;
  /** The referrer descriptor (digest, size, media type, artifactType, annotations). */
  descriptor: Descriptor;
  /** The artifact manifest bytes as pushed. */
  manifest: Buffer;
  /** Which discovery path lists it. */
  via: 'api' | 'tag';
}

/** The referrers of one subject. */
export interface ReferrersList {
  repository: string;
  via: 'api' | 'tag';
  referrers: Descriptor[];
}

type Resolved = Required<Omit<ReferrersOptions, 'referrersRepository'>> & Pick<ReferrersOptions, 'referrersRepository'>;

interface TagIndex {
  manifest: ImageIndex;
  /** The validator for `If-Match`: the registry's ETag, else the quoted digest. */
  etag: string;
  /** sha256 of the index bytes as served: tells whether the tag moved between two reads. */
  digest: Digest;
}

/** The precondition a fallback-tag PUT was sent with. */
type Precondition = { ifMatch: string; digest: Digest } | { ifNoneMatch: '*' };

const API_UNAVAILABLE = new Set([400, 404, 405, 501]);
const MAX_REFERRER_PAGES = 100;
const API_CONFIRM_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 5_000;
/** The settle wait in read-modify-write cycles, its default floor and its cap (module comment). */
const SETTLE_CYCLES = 3;
const DEFAULT_SETTLE_FLOOR_MS = 25;
const MAX_SETTLE_MS = 2_000;
/** What we learnt about a registry, per transport (one registry each) and repository. */
const probes = new WeakMap<RegistryTransport, Map<string, Promise<boolean>>>();
const emptyConfigs = new WeakMap<RegistryTransport, Map<string, Promise<void>>>();
const enforced = new WeakMap<RegistryTransport, Set<'if-match' | 'if-none-match'>>();

/**
 * Builds the artifact manifest: OCI image manifest, empty config, the given layers, `subject`
 * and `artifactType` (DESIGN §4.3).
 * @returns the exact bytes to push
 * @throws never
 */
export function buildArtifactManifest(req: PublishRequest): Buffer {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: req.artifactType,
    config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_SIZE },
    layers: req.layers.map(layerDescriptor),
    subject: { mediaType: req.subject.mediaType, digest: req.subject.digest, size: req.subject.size },
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  };
  return encodeManifest(manifest);
}

/**
 * Publishes an artifact as a referrer of `subject`: `publishReferrers` with one request.
 * @throws OciError OCI_CONFLICT (fallback tag contended past maxAttempts) | OCI_READBACK_FAILED |
 *   OCI_MANIFEST_INVALID (fallback tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function publishReferrer(
  t: RegistryTransport,
  req: PublishRequest,
  options: ReferrersOptions = {},
): Promise<PublishedReferrer> {
  const [published] = await publishReferrers(t, [req], options);
  return published!;
}

/**
 * Publishes artifacts as referrers, one batch per subject (subjects one after another): blobs
 * (skipped when present), the manifests by digest, then — when the registry has no referrers
 * API — one update of the subject's fallback tag listing them all; finally reads every manifest
 * back and confirms the subject's referrers list them. Never touches the image's tags. Nothing
 * is written for a subject whose probe fails or whose fallback tag holds something else.
 * @returns one result per request, in the order given
 * @throws OciError OCI_CONFLICT (fallback tag contended past maxAttempts) | OCI_READBACK_FAILED |
 *   OCI_MANIFEST_INVALID (fallback tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function publishReferrers(
  t: RegistryTransport,
  requests: readonly PublishRequest[],
  options: ReferrersOptions = {},
): Promise<PublishedReferrer[]> {
  const o = resolve(options);
  const out = new Array<PublishedReferrer>(requests.length);
  const groups = new Map<string, number[]>();
  requests.forEach((req, i) => {
    const key = `${o.referrersRepository ?? req.repository}@${req.subject.digest}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indexes of groups.values()) {
    const published = await publishBatch(
      t,
      indexes.map((i) => requests[i]!),
      o,
    );
    indexes.forEach((i, k) => {
      out[i] = published[k]!;
    });
  }
  return out;
}

/**
 * Lists the referrers of `subject`, optionally only those of one artifactType (filtered here
 * too: registries may ignore the filter). With the referrers API, entries of the fallback tag
 * (written before the registry gained the API) are merged in. Whether there is an API is
 * probed once per transport and repository (`hasReferrersApi`).
 * @throws OciError OCI_MANIFEST_INVALID | OCI_TOO_LARGE | OCI_REGISTRY_ERROR | OCI_UNSUPPORTED (mode "api"
 *   without the API) and transport codes
 */
export async function listReferrers(
  t: RegistryTransport,
  repository: string,
  subject: Digest,
  options: ReferrersOptions & { artifactType?: string } = {},
): Promise<ReferrersList> {
  const o = resolve(options);
  const repo = o.referrersRepository ?? repository;
  const api = o.mode === 'api' || (o.mode === 'auto' && (await hasReferrersApi(t, repo, subject)));
  const fromApi = api ? await listViaApi(t, repo, subject, options.artifactType) : undefined;
  if (o.mode === 'api' && fromApi === undefined) throw noApi(t, repo);
  const fromTag = (await readTagIndex(t, repo, subject))?.manifest.manifests ?? [];
  const merged = dedupe([...(fromApi ?? []), ...fromTag]);
  const referrers = merged.filter(
    (d) =>
      isManifestMediaType(d.mediaType) &&
      (options.artifactType === undefined || d.artifactType === options.artifactType),
  );
  return { repository: repo, via: fromApi === undefined ? 'tag' : 'api', referrers };
}

/**
 * Whether the registry really serves the referrers API for `repository`: a GET of the subject's
 * referrers must answer 200 with an OCI index. 404/400/405/501, or a 200 that is not an OCI
 * index (an HTML page), mean no. Results are cached per transport and repository; concurrent
 * callers share one probe, and a probe that failed is not cached.
 * @throws OciError transport codes | OCI_AUTH_FAILED | OCI_RATE_LIMITED | OCI_REGISTRY_ERROR (5xx: we cannot tell)
 */
export function hasReferrersApi(t: RegistryTransport, repository: string, subject: Digest): Promise<boolean> {
  const known = mapOf(probes, t);
  const cached = known.get(repository);
  if (cached !== undefined) return cached;
  const probe = fetchApiPage(t, repository, `${repository}/referrers/${subject}`, true).then(
    (page) => page !== undefined,
  );
  known.set(repository, probe);
  // Forget a failed probe so the next caller asks again; this caller still gets the error.
  probe.catch(() => {
    if (known.get(repository) === probe) known.delete(repository);
  });
  return probe;
}

/**
 * Adds `entry` to the referrers tag schema index of `subject` (`sha256-<hex>`), safely against
 * concurrent writers (see the module comment). Idempotent: an entry already listed is kept as is.
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
  await addAllToReferrersTag(t, repository, subject, [entry], resolve(options));
}

function resolve(o: ReferrersOptions): Resolved {
  return {
    mode: o.mode ?? 'auto',
    maxAttempts: o.maxAttempts ?? 12,
    backoffMs: o.backoffMs ?? 100,
    settleMs: o.settleMs ?? DEFAULT_SETTLE_FLOOR_MS,
    ...(o.referrersRepository === undefined ? {} : { referrersRepository: o.referrersRepository }),
  };
}

/** Publishes artifacts of ONE subject into one repository (see `publishReferrers`). */
async function publishBatch(
  t: RegistryTransport,
  reqs: readonly PublishRequest[],
  o: Resolved,
): Promise<PublishedReferrer[]> {
  const repository = o.referrersRepository ?? reqs[0]!.repository;
  const subject = reqs[0]!.subject.digest;
  // Probe before writing anything: a registry that fails the probe is left untouched.
  const api = o.mode === 'api' || (o.mode === 'auto' && (await hasReferrersApi(t, repository, subject)));
  // Likewise a fallback tag we must refuse to overwrite is found before anything is pushed.
  const early = api ? undefined : { tag: await readTagIndex(t, repository, subject) };
  const manifests = reqs.map(buildArtifactManifest);
  const descriptors = reqs.map((req, i) => referrerDescriptor(manifests[i]!, req));
  await Promise.all([
    pushEmptyConfig(t, repository),
    ...reqs.flatMap((req) => req.layers.map((l) => putBlob(t, repository, l.data))),
  ]);
  const puts = await Promise.all(manifests.map((m) => putManifest(t, repository, m, OCI_MANIFEST)));
  const byApi = api
    ? await confirmedByApi(
        t,
        repository,
        subject,
        descriptors,
        puts.map((p) => p.ociSubject),
        o,
      )
    : new Set<string>();
  const forTag = descriptors.filter((d) => !byApi.has(d.digest));
  const readBackAll = async (): Promise<void> => {
    await Promise.all(descriptors.map((d, i) => readBack(t, repository, d, manifests[i]!)));
  };
  // The manifests are read back while the fallback tag settles: that wait is idle time anyway.
  if (forTag.length > 0) await addAllToReferrersTag(t, repository, subject, forTag, o, early, readBackAll);
  else await readBackAll();
  return descriptors.map((descriptor, i) => ({
    repository,
    descriptor,
    manifest: manifests[i]!,
    via: byApi.has(descriptor.digest) ? 'api' : 'tag',
  }));
}

function layerDescriptor(l: ArtifactLayer): Descriptor {
  return {
    mediaType: l.mediaType,
    digest: digestOf(l.data),
    size: l.data.length,
    ...(l.annotations === undefined ? {} : { annotations: l.annotations }),
  };
}

/** The descriptor the referrers index lists: artifactType and all annotations of the manifest (spec). */
function referrerDescriptor(manifest: Buffer, req: PublishRequest): Descriptor {
  return {
    mediaType: OCI_MANIFEST,
    digest: digestOf(manifest),
    size: manifest.length,
    artifactType: req.artifactType,
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  };
}

/** The empty config blob, pushed once per transport and repository (every artifact shares it).
 *  A failed push is forgotten so the next artifact tries again. */
function pushEmptyConfig(t: RegistryTransport, repository: string): Promise<void> {
  const pushed = mapOf(emptyConfigs, t);
  const known = pushed.get(repository);
  if (known !== undefined) return known;
  const push = putBlob(t, repository, Buffer.from(OCI_EMPTY_DATA)).then(() => undefined);
  pushed.set(repository, push);
  push.catch(() => {
    if (pushed.get(repository) === push) pushed.delete(repository);
  });
  return push;
}

/**
 * Which entries the API lists. Bounded re-reads while an entry the registry acknowledged
 * (OCI-Subject) is missing; one look otherwise: without the header the spec sends those
 * entries to the fallback tag.
 */
async function confirmedByApi(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
  entries: readonly Descriptor[],
  ociSubjects: ReadonlyArray<string | undefined>,
  o: Resolved,
): Promise<Set<string>> {
  const ours = new Set(entries.map((d) => d.digest as string));
  const acknowledged = entries.filter((_, i) => ociSubjects[i] !== undefined);
  const attempts = acknowledged.length === 0 ? 1 : API_CONFIRM_ATTEMPTS;
  const listed = new Set<string>();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    for (const d of (await listViaApi(t, repo, subject)) ?? []) if (ours.has(d.digest)) listed.add(d.digest);
    if (acknowledged.every((d) => listed.has(d.digest))) return listed;
    if (attempt < attempts) await pause(o.backoffMs, attempt);
  }
  const missing = acknowledged.find((d) => !listed.has(d.digest))!;
  throw new OciError({
    code: 'OCI_READBACK_FAILED',
    message: `${t.registry}/${repo}: the registry acknowledged subject ${ociSubjects[entries.indexOf(missing)]} but its referrers API does not list ${missing.digest}; the registry's referrers index is broken, retry later`,
  });
}

async function readBack(t: RegistryTransport, repo: string, entry: Descriptor, manifest: Buffer): Promise<void> {
  let got: Buffer;
  try {
    got = (await getManifest(t, repo, entry.digest)).bytes;
  } catch (err) {
    throw new OciError({
      code: 'OCI_READBACK_FAILED',
      cause: err,
      message: `${t.registry}/${repo}@${entry.digest}: the artifact manifest cannot be read back after pushing it (${(err as Error).message})`,
    });
  }
  if (!bytesEqual(got, manifest)) {
    throw new OciError({
      code: 'OCI_READBACK_FAILED',
      message: `${t.registry}/${repo}@${entry.digest}: the registry serves different bytes than we pushed`,
    });
  }
}

/** All API pages for a subject, or `undefined` when the registry has no referrers API. */
async function listViaApi(
  t: RegistryTransport,
  repo: string,
  subject: Digest,
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  const base = `${repo}/referrers/${subject}`;
  let path: string | undefined =
    artifactType === undefined ? base : `${base}?artifactType=${encodeURIComponent(artifactType)}`;
  const out: Descriptor[] = [];
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_REFERRER_PAGES || out.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
    const got = await fetchApiPage(t, repo, path, page === 0);
    if (got === undefined) return undefined;
    if (page === 0) mapOf(probes, t).set(repo, Promise.resolve(true));
    out.push(...got.index.manifests);
    path = nextPage(got.res, `/v2/${base}`, t, repo);
  }
  if (out.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
  return out;
}

/** One referrers API page; `undefined` (first page only) when the answer is not the API's. */
async function fetchApiPage(
  t: RegistryTransport,
  repo: string,
  path: string,
  first: boolean,
): Promise<{ res: HttpResponse; index: ImageIndex } | undefined> {
  const what = `${t.registry}/${repo} referrers API`;
  const res = await registryRequest(
    t,
    {
      method: 'GET',
      repository: repo,
      path,
      actions: ['pull'],
      headers: { accept: OCI_INDEX },
      maxBytes: MAX_MANIFEST_BYTES,
    },
    what,
  );
  if (first && API_UNAVAILABLE.has(res.status)) return undefined;
  if (res.status !== 200) throw registryError(res, `GET ${what}`, t.registry);
  try {
    const index = parseIndex(res.body, {
      contentType: res.headers.get('content-type'),
      what,
      maxDescriptors: MAX_REFERRERS,
    });
    if (index.mediaType !== OCI_INDEX)
      throw new OciError({
        code: 'OCI_MANIFEST_INVALID',
        message: `${what} answered a ${index.mediaType}, expected an OCI index`,
      });
    return { res, index };
  } catch (err) {
    // A 200 that is not an OCI index (a proxy's HTML page) means "no API" on the probe, not failure.
    if (first && err instanceof OciError && err.code === 'OCI_MANIFEST_INVALID') return undefined;
    throw err;
  }
}

/** The `Link: <…>; rel="next"` of a page, only if it stays on the same endpoint of the same registry. */
function nextPage(res: HttpResponse, expectedPath: string, t: RegistryTransport, repo: string): string | undefined {
  const link = res.headers.get('link');
  const m = link === null ? null : /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link);
  if (m === null) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  const sameHost = url.host === 'registry.invalid' || url.host === t.registry;
  if (!sameHost || url.pathname !== expectedPath) {
    throw new OciError({
      code: 'OCI_REGISTRY_ERROR',
      message: `${t.registry}/${repo} referrers API: refusing a next-page link to another endpoint (${url.host}${url.pathname})`,
    });
  }
  return `${url.pathname}${url.search}`;
}

/**
 * Adds `entries` to the fallback tag of `subject` in one read-modify-write, then settles and
 * confirms (module comment). `early` is a read of the tag made before the blobs were pushed:
 * reused only when the registry has proven it enforces the preconditions, since otherwise it
 * would widen the window the settle must cover. `whileSettling` runs once, during the first wait.
 */
async function addAllToReferrersTag(
  t: RegistryTransport,
  repository: string,
  subject: Digest,
  entries: readonly Descriptor[],
  o: Resolved,
  early?: { tag: TagIndex | undefined },
  whileSettling?: () => Promise<void>,
): Promise<void> {
  const seen = new Map<string, Descriptor>(entries.map((e) => [e.digest, e]));
  let alongside: Promise<void> | undefined;
  let reusable = early !== undefined && enforcesPreconditions(t) ? early : undefined;
  let refused: Precondition | undefined;
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const start = performance.now();
    const current = reusable === undefined ? await readTagIndex(t, repository, subject) : reusable.tag;
    reusable = undefined;
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
      alongside ??= whileSettling?.();
      await Promise.all([sleep(settleDelay(t, cycleMs, o)), alongside]);
      const confirmed = await readTagIndex(t, repository, subject);
      if (holdsAll(confirmed, seen)) return;
      learn(seen, confirmed);
    }
    await pause(o.backoffMs, attempt);
  }
  throw new OciError({
    code: 'OCI_CONFLICT',
    message: `referrers tag ${t.registry}/${repository}:${referrersTag(subject)} kept changing under us for ${o.maxAttempts} attempts; too many concurrent signers, retry later`,
  });
}

/** How long to wait before the confirming read (module comment); 0 on a registry that enforces preconditions. */
function settleDelay(t: RegistryTransport, cycleMs: number, o: Resolved): number {
  if (enforcesPreconditions(t)) return 0;
  const wait = SETTLE_CYCLES * cycleMs * (1 + Math.random() / 2);
  return Math.min(Math.max(wait, o.settleMs), Math.max(o.settleMs, MAX_SETTLE_MS));
}

function enforcesPreconditions(t: RegistryTransport): boolean {
  return enforced.get(t)?.size === 2;
}

/**
 * After a PUT refused with 412/409, the next read tells whether the refusal was earned: a tag
 * that moved away from the ETag we sent, or a tag that exists although we sent
 * `If-None-Match: *`. Only such a refusal proves the registry enforces that precondition
 * (a proxy's or a faulty 412 proves nothing).
 */
function learnEnforcement(t: RegistryTransport, refused: Precondition, now: TagIndex | undefined): void {
  const earned = 'ifMatch' in refused ? now !== undefined && now.digest !== refused.digest : now !== undefined;
  if (!earned) return;
  let kinds = enforced.get(t);
  if (kinds === undefined) enforced.set(t, (kinds = new Set()));
  kinds.add('ifMatch' in refused ? 'if-match' : 'if-none-match');
}

async function readTagIndex(t: RegistryTransport, repo: string, subject: Digest): Promise<TagIndex | undefined> {
  const tag = referrersTag(subject);
  const found = await findManifest(t, repo, tag, { maxDescriptors: MAX_REFERRERS });
  if (found === undefined) return undefined;
  if (!isIndex(found.manifest)) {
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      message: `tag ${t.registry}/${repo}:${tag} holds a ${found.mediaType}, not a referrers index; refusing to overwrite it (remove or rename that tag)`,
    });
  }
  return { manifest: found.manifest, etag: found.etag ?? `"${found.digest}"`, digest: found.digest };
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
  if (manifests.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
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

function dedupe(list: Descriptor[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const d of list) if (!byDigest.has(d.digest)) byDigest.set(d.digest, d);
  return [...byDigest.values()];
}

function mapOf<V>(store: WeakMap<RegistryTransport, Map<string, V>>, t: RegistryTransport): Map<string, V> {
  let m = store.get(t);
  if (m === undefined) store.set(t, (m = new Map()));
  return m;
}

/** Jittered exponential backoff (full jitter over the upper half), capped. */
function pause(baseMs: number, attempt: number): Promise<void> {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return sleep(exp / 2 + Math.random() * (exp / 2));
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}

function tooMany(t: RegistryTransport, repo: string, subject: Digest): OciError {
  return new OciError({
    code: 'OCI_TOO_LARGE',
    message: `${t.registry}/${repo}: subject ${subject} has more than ${MAX_REFERRERS} referrers; refusing to read or write more`,
  });
}

function noApi(t: RegistryTransport, repo: string): OciError {
  return new OciError({
    code: 'OCI_UNSUPPORTED',
    message: `${t.registry}/${repo}: the registry has no OCI 1.1 referrers API; use mode "auto" or "tag"`,
  });
}
