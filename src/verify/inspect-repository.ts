/**
 * Inspecting a whole repository, the view `docker trust inspect NAME` gave: every tag (read with
 * the paginated tags list), the digest it points at, and who signed what on it, from the signature
 * artifacts' annotations (unverified, like `inspectImage`). The referrers fallback tags
 * (`sha256-<hex>`, and the `.sig`/`.att`/`.sbom` tags other tools write) are bookkeeping, not
 * images, and are hidden unless asked for. The transport's deadline bounds the work: tags not
 * reached before it runs out are reported as skipped, not failed.
 */
import { isBudgetExceeded } from '../core/deadline.js';
import { OpkError } from '../core/errors.js';
import { mapLimit } from '../core/map-limit.js';
import {
  createTransport,
  formatReference,
  getManifest,
  listTags,
  OciError,
  parseReference,
  type ImageReference,
  type RegistryTransport,
  type TransportOptions,
} from '../oci/index.js';
import { globMatch } from '../policy/index.js';
import { inspectWith, type AnnotatedSigner, type InspectedPlatform } from './inspect.js';

/** Options of `inspectRepository`. */
export interface InspectRepositoryOptions {
  /** `[registry/]name`, without tag or digest. */
  repository: string;
  /** Only tags matching this glob (`*` any run of characters, e.g. `v1.*`). */
  tags?: string;
  /** Also the referrers fallback tags (`sha256-…`), hidden by default. */
  all?: boolean;
  /** Only this platform (`os/arch[/variant]`) of each tag. */
  platform?: string;
  /** Signatures live in this repository of the same registry. */
  referrersRepository?: string;
  /** How to reach the registry; its `deadline` bounds the listing and the inspection. */
  registry?: TransportOptions;
  /** Tags asked for per page of the tags list (`?n=`). */
  pageSize?: number;
  /** Tags inspected at once (default 4). */
  concurrency?: number;
}

/**
 * `signed`: every platform has a signature; `partly-signed`: some do; `fallback`: a referrers
 * fallback tag (shown with `all`), not an image; `skipped`: the time budget ran out first.
 */
export type TagStatus = 'signed' | 'partly-signed' | 'unsigned' | 'fallback' | 'error' | 'skipped';

/** One signer of a tag and what it signed there. */
export interface TagSigner {
  signer: AnnotatedSigner;
  /** Predicate types of the signed statements (`unknown` when an artifact does not name it). */
  predicateTypes: string[];
  /** Platforms it signed something on. */
  platforms: string[];
}

/** One tag of the repository. */
export interface InspectedTag {
  tag: string;
  status: TagStatus;
  /** The digest the tag pointed at when inspected (absent when it could not be read). */
  digest?: string;
  /** For a fallback tag: the digest of the image its artifacts are about. */
  subject?: string;
  signers: TagSigner[];
  /** Per platform, as `inspectImage` reports it. */
  platforms: InspectedPlatform[];
  notes: string[];
  /** Why the tag could not be inspected (status `error` or `skipped`). */
  error?: { code: string; message: string };
}

/** What `inspectRepository` found (the CLI's `--json` output). */
export interface RepositoryReport {
  /** `registry/name`. */
  repository: string;
  /** The `--tags` glob, when given. */
  filter?: string;
  /** Tags the registry listed. */
  listed: number;
  /** Fallback tags left out (without `all`). */
  hidden: number;
  /** Tags the filter left out. */
  filteredOut: number;
  /** The tags shown, in the registry's order. */
  tags: InspectedTag[];
}

const DEFAULT_CONCURRENCY = 4;
/** The referrers tag schema (`sha256-<64 hex>`), and the `.sig`/`.att`/… tags written beside it. */
const FALLBACK_TAG = /^sha256-[0-9a-f]{64}(\.[\w.-]+)?$/;

/**
 * Whether a tag is a referrers fallback tag (or a sibling `.sig`/`.att` tag) rather than an image.
 * @throws never
 */
export function isFallbackTag(tag: string): boolean {
  return FALLBACK_TAG.test(tag);
}

/**
 * Lists a repository's tags and inspects each (unverified).
 * @param o - the repository, the tag filter and how to reach the registry
 * @returns every tag shown, with its digest, status and signers; tags that could not be read carry
 *   their error, tags the deadline did not reach are `skipped`
 * @throws OciError OCI_REFERENCE_INVALID (not a repository reference, or one with a tag or digest),
 *   and listing the tags OCI_NOT_FOUND | OCI_TOO_LARGE | OCI_REGISTRY_ERROR and transport codes;
 *   CoreError CORE_BUDGET_EXCEEDED when the deadline runs out while listing
 */
export async function inspectRepository(o: InspectRepositoryOptions): Promise<RepositoryReport> {
  const ref = parseReference(o.repository);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new OciError({
      code: 'OCI_REFERENCE_INVALID',
      message: `${o.repository} names a tag or digest, not a repository; give the repository alone (e.g. ${ref.registry}/${ref.repository})`,
    });
  }
  const t = createTransport(ref.registry, o.registry);
  try {
    const listed = await listTags(t, ref.repository, o.pageSize === undefined ? {} : { pageSize: o.pageSize });
    const visible = o.all ? listed : listed.filter((tag) => !isFallbackTag(tag));
    const shown = o.tags === undefined ? visible : visible.filter((tag) => globMatch(o.tags!, tag));
    const tags = await mapLimit(shown, o.concurrency ?? DEFAULT_CONCURRENCY, (tag) =>
      inspectTag(t, { ...ref, tag }, o),
    );
    return {
      repository: `${ref.registry}/${ref.repository}`,
      ...(o.tags === undefined ? {} : { filter: o.tags }),
      listed: listed.length,
      hidden: listed.length - visible.length,
      filteredOut: visible.length - shown.length,
      tags,
    };
  } finally {
    await t.close();
  }
}

/** One tag; its failure is its own line, not the listing's. */
async function inspectTag(
  t: RegistryTransport,
  ref: ImageReference & { tag: string },
  o: InspectRepositoryOptions,
): Promise<InspectedTag> {
  const base = { tag: ref.tag, signers: [], platforms: [], notes: [] };
  const deadline = o.registry?.deadline;
  if (deadline?.expired())
    return {
      ...base,
      status: 'skipped',
      error: errorOf(deadline.exceeded(formatReference(ref), 'before this tag was reached')),
    };
  try {
    if (isFallbackTag(ref.tag)) {
      const digest = (await getManifest(t, ref.repository, ref.tag)).digest;
      return { ...base, status: 'fallback', digest, subject: `sha256:${ref.tag.slice('sha256-'.length, 71)}` };
    }
    const r = await inspectWith(t, ref, o);
    return {
      tag: ref.tag,
      status: statusOf(r.platforms),
      digest: r.digest,
      signers: signersOf(r.platforms),
      platforms: r.platforms,
      notes: r.notes,
    };
  } catch (err) {
    // A tag that cannot be read (deleted since the listing, not an image, …) is reported on its own line.
    if (!(err instanceof OpkError)) throw err;
    return { ...base, status: isBudgetExceeded(err) ? 'skipped' : 'error', error: errorOf(err) };
  }
}

function errorOf(err: OpkError<string>): { code: string; message: string } {
  return { code: err.code, message: err.message };
}

function statusOf(platforms: readonly InspectedPlatform[]): TagStatus {
  const signed = platforms.filter((p) => p.signatures.length > 0).length;
  if (signed === 0) return 'unsigned';
  return signed === platforms.length ? 'signed' : 'partly-signed';
}

/** Distinct signers (by every annotated field), each with what and where it signed. */
function signersOf(platforms: readonly InspectedPlatform[]): TagSigner[] {
  const bySigner = new Map<string, { signer: AnnotatedSigner; types: Set<string>; platforms: Set<string> }>();
  for (const p of platforms) {
    for (const s of p.signatures) {
      const key = JSON.stringify([s.signer.issuer, s.signer.subject, s.signer.repository, s.signer.workflow]);
      const entry = bySigner.get(key) ?? { signer: s.signer, types: new Set(), platforms: new Set() };
      entry.types.add(s.predicateType ?? 'unknown');
      entry.platforms.add(p.platform);
      bySigner.set(key, entry);
    }
  }
  return [...bySigner.values()].map((e) => ({
    signer: e.signer,
    predicateTypes: [...e.types],
    platforms: [...e.platforms],
  }));
}
