/**
 * Listing the referrers of a subject: through the referrers API when the registry serves it,
 * merged with the fallback tag (entries written before the registry gained the API).
 */
import type { Digest } from '../core/digest.js';
import { MAX_REFERRERS } from '../core/limits.js';
import { isManifestMediaType } from './media-types.js';
import { OciError } from './errors.js';
import type { Descriptor } from './manifest.js';
import { listViaApi, tooManyReferrers } from './referrers-api.js';
import { resolveReferrersOptions, type ReferrersOptions } from './referrers-options.js';
import { readReferrersTag, type TagIndex } from './referrers-tag.js';
import type { RegistryTransport } from './transport/types.js';

/** The referrers of one subject. */
export interface ReferrersList {
  repository: string;
  subject: Digest;
  via: 'api' | 'tag';
  referrers: Descriptor[];
  /** The subject's fallback tag as this listing read it (`tag` undefined: there was none);
   *  absent when the listing did not read it. */
  tagRead?: { tag: TagIndex | undefined };
}

/**
 * Lists the referrers of `subject`, optionally only those of one artifactType (filtered here
 * too: registries may ignore the filter). With the referrers API, entries of the fallback tag
 * (written before the registry gained the API) are merged in. Whether there is an API is
 * probed once per transport and repository, by the first listing's own API read. At most MAX_REFERRERS per subject.
 * `fallbackTag: false` skips that merge when the API answers.
 * @throws OciError OCI_MANIFEST_INVALID | OCI_TOO_LARGE (past MAX_REFERRERS, naming it) | OCI_REGISTRY_ERROR | OCI_UNSUPPORTED (mode "api"
 *   without the API) and transport codes
 */
export async function listReferrers(
  t: RegistryTransport,
  repository: string,
  subject: Digest,
  options: ReferrersOptions & { artifactType?: string; fallbackTag?: boolean } = {},
): Promise<ReferrersList> {
  const o = resolveReferrersOptions(options);
  const repo = o.referrersRepository ?? repository;
  // Without the API the tag is the listing; with it, the tag is merged unless the caller knows
  // every entry it looks for went through the API (`fallbackTag: false`). Either way it is read
  // alongside the probe and the API listing, not after them.
  const early = options.fallbackTag === false ? undefined : readReferrersTag(t, repo, subject);
  early?.catch(() => undefined); // awaited below; a failure before then must not count as unhandled
  // The probe, when this listing is the one that makes it, is this listing's own API read.
  let probed: { list: Descriptor[] | undefined } | undefined;
  const api =
    o.mode === 'api' ||
    (o.mode === 'auto' &&
      (await t.knowledge.referrersApi(repo, async () => {
        probed = { list: await listViaApi(t, repo, subject, options.artifactType) };
        return probed.list !== undefined;
      })));
  const fromApi =
    probed !== undefined ? probed.list : api ? await listViaApi(t, repo, subject, options.artifactType) : undefined;
  if (fromApi !== undefined) t.knowledge.recordReferrersApi(repo);
  if (o.mode === 'api' && fromApi === undefined) throw noApi(t, repo);
  const tagRead =
    early !== undefined
      ? { tag: await early }
      : fromApi === undefined
        ? { tag: await readReferrersTag(t, repo, subject) }
        : undefined;
  const fromTag = tagRead?.tag?.manifest.manifests ?? [];
  const merged = dedupe([...(fromApi ?? []), ...fromTag]);
  if (merged.length > MAX_REFERRERS) throw tooManyReferrers(t, repo, subject);
  const referrers = merged.filter(
    (d) =>
      isManifestMediaType(d.mediaType) &&
      (options.artifactType === undefined || d.artifactType === options.artifactType),
  );
  return {
    repository: repo,
    subject,
    via: fromApi === undefined ? 'tag' : 'api',
    referrers,
    ...(tagRead === undefined ? {} : { tagRead }),
  };
}

function dedupe(list: Descriptor[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const d of list) if (!byDigest.has(d.digest)) byDigest.set(d.digest, d);
  return [...byDigest.values()];
}

function noApi(t: RegistryTransport, repo: string): OciError {
  return new OciError({
    code: 'OCI_UNSUPPORTED',
    message: `${t.registry}/${repo}: the registry has no OCI 1.1 referrers API; use mode "auto" or "tag"`,
  });
}
