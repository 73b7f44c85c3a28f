/**
 * OCI 1.1 referrers (distribution spec 1.1, "Listing Referrers" and "Referrers Tag Schema"):
 * publish an artifact manifest with `subject` + `artifactType` by digest, and list the
 * referrers of a digest.
 *
 * The referrers API is used only when the registry really serves it: `GET /v2/<repo>/referrers/
 * <digest>` must answer 200 with an OCI index (an `OCI-Subject` header alone proves nothing).
 * Otherwise the `sha256-<hex>` tag holds the index, updated read-modify-write: `If-Match` where
 * the registry honours it (412 → re-read, retry), and always a re-read after the write — twice,
 * the second after a jittered settle delay — until our entry and every entry we ever saw are
 * present, so concurrent signers do not lose each other's entries (the TODO go-containerregistry
 * leaves in `commitSubjectReferrers`). A registry that ignores `If-Match` (distribution 2.8) can
 * still lose an entry to a writer whose read is older than our settle delay; the delay is the knob.
 */
import { bytesEqual, digestOf, type Digest } from '../core/digest.js';
import { MAX_MANIFEST_BYTES, MAX_REFERRERS } from '../core/limits.js';
import { findManifest, getManifest, isManifestMediaType, putBlob, putManifest, registryRequest } from './content.js';
import { registryError } from './transport/registry-error.js';
import { OciError } from './errors.js';
import { encodeManifest, isIndex, parseIndex, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.js';
import { OCI_EMPTY, OCI_EMPTY_DATA, OCI_EMPTY_DIGEST, OCI_EMPTY_SIZE, OCI_INDEX, OCI_MANIFEST, referrersTag } from './media-types.js';
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
  /** Wait before the second confirming read of the fallback tag (default 300 ms, jittered up to ×2). */
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

const API_UNAVAILABLE = new Set([400, 404, 405, 501]);
const MAX_REFERRER_PAGES = 100;
const API_CONFIRM_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 5_000;
const probes = new WeakMap<RegistryTransport, Map<string, boolean>>();

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
 * Publishes an artifact as a referrer of `subject`: blobs (skipped when present), the manifest
 * by digest, then the fallback tag when the registry has no referrers API; finally reads the
 * manifest back and confirms the subject's referrers list it. Never touches the image's tags.
 * @throws OciError OCI_CONFLICT (fallback tag contended past maxAttempts) | OCI_READBACK_FAILED |
 *   OCI_MANIFEST_INVALID (fallback tag holds something else) | OCI_TOO_LARGE and transport codes
 */
export async function publishReferrer(t: RegistryTransport, req: PublishRequest, options: ReferrersOptions = {}): Promise<PublishedReferrer> {
  const o = resolve(options);
  const repository = o.referrersRepository ?? req.repository;
  // Probe before writing anything: a registry that fails the probe is left untouched.
  const api = o.mode === 'api' || (o.mode === 'auto' && await hasReferrersApi(t, repository, req.subject.digest));
  // Likewise a fallback tag we must refuse to overwrite is found before anything is pushed.
  if (!api) await readTagIndex(t, repository, req.subject.digest);
  await pushBlobs(t, repository, req);
  const manifest = buildArtifactManifest(req);
  const put = await putManifest(t, repository, manifest, OCI_MANIFEST);
  const descriptor = referrerDescriptor(manifest, req);
  let via: 'api' | 'tag' = 'tag';
  if (api && await confirmedByApi(t, repository, req.subject.digest, descriptor, put.ociSubject, o)) via = 'api';
  else await addToReferrersTag(t, repository, req.subject.digest, descriptor, o);
  await readBack(t, repository, descriptor, manifest);
  return { repository, descriptor, manifest, via };
}

/**
 * Lists the referrers of `subject`, optionally only those of one artifactType (filtered here
 * too: registries may ignore the filter). With the referrers API, entries of the fallback tag
 * (written before the registry gained the API) are merged in.
 * @throws OciError OCI_MANIFEST_INVALID | OCI_TOO_LARGE | OCI_REGISTRY_ERROR and transport codes
 */
export async function listReferrers(t: RegistryTransport, repository: string, subject: Digest, options: ReferrersOptions & { artifactType?: string } = {}): Promise<ReferrersList> {
  const o = resolve(options);
  const repo = o.referrersRepository ?? repository;
  const fromApi = o.mode === 'tag' ? undefined : await listViaApi(t, repo, subject, options.artifactType);
  if (o.mode === 'api' && fromApi === undefined) throw noApi(t, repo);
  const fromTag = (await readTagIndex(t, repo, subject))?.manifest.manifests ?? [];
  const merged = dedupe([...(fromApi ?? []), ...fromTag]);
  const referrers = merged.filter((d) => isManifestMediaType(d.mediaType) && (options.artifactType === undefined || d.artifactType === options.artifactType));
  return { repository: repo, via: fromApi === undefined ? 'tag' : 'api', referrers };
}

/**
 * Whether the registry really serves the referrers API for `repository`: a GET of the subject's
 * referrers must answer 200 with an OCI index. 404/400/405/501, or a 200 that is not an OCI
 * index (an HTML page), mean no. Results are cached per transport and repository.
 * @throws OciError transport codes | OCI_AUTH_FAILED | OCI_RATE_LIMITED | OCI_REGISTRY_ERROR (5xx: we cannot tell)
 */
export async function hasReferrersApi(t: RegistryTransport, repository: string, subject: Digest): Promise<boolean> {
  const cached = probes.get(t)?.get(repository);
  if (cached !== undefined) return cached;
  const page = await fetchApiPage(t, repository, `${repository}/referrers/${subject}`, true);
  remember(t, repository, page !== undefined);
  return page !== undefined;
}

/**
 * Adds `entry` to the referrers tag schema index of `subject` (`sha256-<hex>`), safely against
 * concurrent writers (see the module comment). Idempotent: an entry already listed is kept as is.
 * @throws OciError OCI_CONFLICT (still contended after maxAttempts) | OCI_MANIFEST_INVALID (the tag
 *   holds something other than an index) | OCI_TOO_LARGE (past MAX_REFERRERS) and transport codes
 */
export async function addToReferrersTag(t: RegistryTransport, repository: string, subject: Digest, entry: Descriptor, options: ReferrersOptions = {}): Promise<void> {
  const o = resolve(options);
  const seen = new Map<string, Descriptor>([[entry.digest, entry]]);
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const current = await readTagIndex(t, repository, subject);
    learn(seen, current);
    const wrote = holdsAll(current, seen) || await writeTagIndex(t, repository, subject, current, seen);
    if (wrote && await settled(t, repository, subject, seen, o)) return;
    await pause(o.backoffMs, attempt);
  }
  throw new OciError({
    code: 'OCI_CONFLICT',
    message: `referrers tag ${t.registry}/${repository}:${referrersTag(subject)} kept changing under us for ${o.maxAttempts} attempts; too many concurrent signers, retry later`,
  });
}

interface TagIndex {
  manifest: ImageIndex;
  /** The validator for `If-Match`: the registry's ETag, else the quoted digest. */
  etag: string;
}

function resolve(o: ReferrersOptions): Required<Omit<ReferrersOptions, 'referrersRepository'>> & Pick<ReferrersOptions, 'referrersRepository'> {
  return {
    mode: o.mode ?? 'auto',
    maxAttempts: o.maxAttempts ?? 12,
    backoffMs: o.backoffMs ?? 100,
    settleMs: o.settleMs ?? 300,
    ...(o.referrersRepository === undefined ? {} : { referrersRepository: o.referrersRepository }),
  };
}

function layerDescriptor(l: ArtifactLayer): Descriptor {
  return { mediaType: l.mediaType, digest: digestOf(l.data), size: l.data.length, ...(l.annotations === undefined ? {} : { annotations: l.annotations }) };
}

/** The descriptor the referrers index lists: artifactType and all annotations of the manifest (spec). */
function referrerDescriptor(manifest: Buffer, req: PublishRequest): Descriptor {
  return {
    mediaType: OCI_MANIFEST, digest: digestOf(manifest), size: manifest.length, artifactType: req.artifactType,
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  };
}

async function pushBlobs(t: RegistryTransport, repository: string, req: PublishRequest): Promise<void> {
  await putBlob(t, repository, Buffer.from(OCI_EMPTY_DATA));
  for (const layer of req.layers) await putBlob(t, repository, layer.data);
}

/** Did the API index our manifest? Bounded re-reads when the registry said so (OCI-Subject),
 *  one look otherwise: without the header the spec sends us to the fallback tag. */
async function confirmedByApi(t: RegistryTransport, repo: string, subject: Digest, entry: Descriptor, ociSubject: string | undefined, o: ReturnType<typeof resolve>): Promise<boolean> {
  const attempts = ociSubject === undefined ? 1 : API_CONFIRM_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const listed = await listViaApi(t, repo, subject, entry.artifactType);
    if (listed?.some((d) => d.digest === entry.digest)) return true;
    if (attempt < attempts) await pause(o.backoffMs, attempt);
  }
  if (ociSubject === undefined) return false;
  throw new OciError({
    code: 'OCI_READBACK_FAILED',
    message: `${t.registry}/${repo}: the registry acknowledged subject ${ociSubject} but its referrers API does not list ${entry.digest}; the registry's referrers index is broken, retry later`,
  });
}

async function readBack(t: RegistryTransport, repo: string, entry: Descriptor, manifest: Buffer): Promise<void> {
  let got: Buffer;
  try {
    got = (await getManifest(t, repo, entry.digest)).bytes;
  } catch (err) {
    throw new OciError({ code: 'OCI_READBACK_FAILED', cause: err, message: `${t.registry}/${repo}@${entry.digest}: the artifact manifest cannot be read back after pushing it (${(err as Error).message})` });
  }
  if (!bytesEqual(got, manifest)) {
    throw new OciError({ code: 'OCI_READBACK_FAILED', message: `${t.registry}/${repo}@${entry.digest}: the registry serves different bytes than we pushed` });
  }
}

/** All API pages for a subject, or `undefined` when the registry has no referrers API. */
async function listViaApi(t: RegistryTransport, repo: string, subject: Digest, artifactType?: string): Promise<Descriptor[] | undefined> {
  const base = `${repo}/referrers/${subject}`;
  let path: string | undefined = artifactType === undefined ? base : `${base}?artifactType=${encodeURIComponent(artifactType)}`;
  const out: Descriptor[] = [];
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_REFERRER_PAGES || out.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
    const got = await fetchApiPage(t, repo, path, page === 0);
    if (got === undefined) return undefined;
    remember(t, repo, true);
    out.push(...got.index.manifests);
    path = nextPage(got.res, `/v2/${base}`, t, repo);
  }
  if (out.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
  return out;
}

/** One referrers API page; `undefined` (first page only) when the answer is not the API's. */
async function fetchApiPage(t: RegistryTransport, repo: string, path: string, first: boolean): Promise<{ res: HttpResponse; index: ImageIndex } | undefined> {
  const what = `${t.registry}/${repo} referrers API`;
  const res = await registryRequest(t, { method: 'GET', repository: repo, path, actions: ['pull'], headers: { accept: OCI_INDEX }, maxBytes: MAX_MANIFEST_BYTES }, what);
  if (first && API_UNAVAILABLE.has(res.status)) return undefined;
  if (res.status !== 200) throw registryError(res, `GET ${what}`, t.registry);
  try {
    const index = parseIndex(res.body, { contentType: res.headers.get('content-type'), what, maxDescriptors: MAX_REFERRERS });
    if (index.mediaType !== OCI_INDEX) throw new OciError({ code: 'OCI_MANIFEST_INVALID', message: `${what} answered a ${index.mediaType}, expected an OCI index` });
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
    throw new OciError({ code: 'OCI_REGISTRY_ERROR', message: `${t.registry}/${repo} referrers API: refusing a next-page link to another endpoint (${url.host}${url.pathname})` });
  }
  return `${url.pathname}${url.search}`;
}

async function readTagIndex(t: RegistryTransport, repo: string, subject: Digest): Promise<TagIndex | undefined> {
  const tag = referrersTag(subject);
  const found = await findManifest(t, repo, tag, { maxDescriptors: MAX_REFERRERS });
  if (found === undefined) return undefined;
  if (!isIndex(found.manifest)) {
    throw new OciError({ code: 'OCI_MANIFEST_INVALID', message: `tag ${t.registry}/${repo}:${tag} holds a ${found.mediaType}, not a referrers index; refusing to overwrite it (remove or rename that tag)` });
  }
  return { manifest: found.manifest, etag: found.etag ?? `"${found.digest}"` };
}

/** Writes current ∪ seen; `false` when a concurrent writer won (412). */
async function writeTagIndex(t: RegistryTransport, repo: string, subject: Digest, current: TagIndex | undefined, seen: Map<string, Descriptor>): Promise<boolean> {
  const kept = current?.manifest.manifests ?? [];
  const have = new Set(kept.map((d) => d.digest as string));
  const manifests = [...kept, ...[...seen.values()].filter((d) => !have.has(d.digest))];
  if (manifests.length > MAX_REFERRERS) throw tooMany(t, repo, subject);
  const { mediaType: _old, manifests: _m, ...rest } = current?.manifest ?? { schemaVersion: 2 as const };
  const index: ImageIndex = { ...rest, schemaVersion: 2, mediaType: OCI_INDEX, manifests };
  const condition = current === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: current.etag };
  try {
    await putManifest(t, repo, encodeManifest(index), OCI_INDEX, referrersTag(subject), { ...condition, maxDescriptors: MAX_REFERRERS });
    return true;
  } catch (err) {
    if (err instanceof OciError && err.code === 'OCI_CONFLICT') return false;
    throw err;
  }
}

/** Two reads, the second after a jittered settle delay, must both hold every entry we know of. */
async function settled(t: RegistryTransport, repo: string, subject: Digest, seen: Map<string, Descriptor>, o: ReturnType<typeof resolve>): Promise<boolean> {
  for (const wait of [0, o.settleMs * (1 + Math.random())]) {
    if (wait > 0) await sleep(wait);
    const current = await readTagIndex(t, repo, subject);
    if (!holdsAll(current, seen)) return false;
    learn(seen, current);
  }
  return true;
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

function remember(t: RegistryTransport, repo: string, api: boolean): void {
  let m = probes.get(t);
  if (m === undefined) probes.set(t, (m = new Map()));
  m.set(repo, api);
}

/** Jittered exponential backoff (full jitter over the upper half), capped. */
function pause(baseMs: number, attempt: number): Promise<void> {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return sleep(exp / 2 + Math.random() * (exp / 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tooMany(t: RegistryTransport, repo: string, subject: Digest): OciError {
  return new OciError({ code: 'OCI_TOO_LARGE', message: `${t.registry}/${repo}: subject ${subject} has more than ${MAX_REFERRERS} referrers; refusing to read or write more` });
}

function noApi(t: RegistryTransport, repo: string): OciError {
  return new OciError({ code: 'OCI_UNSUPPORTED', message: `${t.registry}/${repo}: the registry has no OCI 1.1 referrers API; use mode "auto" or "tag"` });
}
