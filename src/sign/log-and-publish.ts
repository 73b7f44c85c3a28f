/**
 * Logging and publishing a run's envelopes as one pipeline, subject by subject: a subject's
 * envelopes are logged, then published as one batch (one fallback-tag update) while the next
 * subjects are still being logged. A subject is published only once every one of its envelopes
 * is logged, so a failure leaves whole subjects published — each complete and verifiable — and
 * nothing half-written; a re-run finds them and adds only what is missing. While a subject's
 * envelopes are logged, the upload session of each envelope's blob is opened and the empty config
 * its artifacts name is pushed, so that publishing is then one request per blob and no wait.
 */
import { withTransparencyLogEntry, type SignedEnvelope, type TlogEntryJson } from '../attest/index.js';
import { semaphore } from '../core/map-limit.js';
import type { EphemeralKey, PkToken } from '../identity/index.js';
import { digestOf } from '../core/digest.js';
import {
  buildArtifactManifest,
  cancelUpload,
  ensureEmptyConfig,
  openUpload,
  publishReferrers,
  type ClosableTransport,
  type PublishedReferrer,
  type PublishRequest,
  type SignerSummary,
  type UploadSession,
} from '../oci/index.js';
import { buildHashedRekord, createPkTokenCertificate, RekorClient } from '../tlog/index.js';
import { subjectKey, type StatementWork, type SubjectReferrers } from './already-signed.js';
import { referrerRequest } from './referrer.js';
import type { RunOptions, SignedArtifact } from './run-options.js';

/** A statement to publish, with the envelope the run signed for it. */
export interface ToPublish {
  w: StatementWork & { transport: ClosableTransport };
  envelope: SignedEnvelope;
}

/** What the run signs with: the key, its token, and the signer those claims name. */
export interface RunSigner {
  key: EphemeralKey;
  pkToken: PkToken;
  signer: SignerSummary;
}

/** Subjects published at once; subjects logged or published at once; log entries submitted at once. */
const SUBJECTS_AT_ONCE = 8;
const SUBJECTS_AHEAD = 2 * SUBJECTS_AT_ONCE;
const ENTRIES_AT_ONCE = 16;

/**
 * Logs each envelope (unless the log is off) and publishes each subject's envelopes once they
 * are all logged.
 * @param referrers - the skip check's listings, standing in for publishing's check of the
 *   fallback tag before pushing (undefined under force)
 * @returns the published artifacts, in the order of `items`
 * @throws TlogError and OciError from the log and the registry
 */
export async function logAndPublish(
  items: readonly ToPublish[],
  s: RunSigner,
  o: RunOptions,
  referrers: SubjectReferrers | undefined,
  log: (l: string) => void,
): Promise<SignedArtifact[]> {
  const logOne = entryLogger(s, o, items.length, log);
  const created = (o.now ?? (() => new Date()))();
  const bySubject = new Map<string, number[]>();
  items.forEach((it, i) => bySubject.set(subjectKey(it.w), [...(bySubject.get(subjectKey(it.w)) ?? []), i]));
  const out = new Array<SignedArtifact>(items.length);
  // Logging runs ahead of publishing, by a window of subjects (so what waits to be published,
  // each envelope with its log entry, stays bounded however large the run); each subject is
  // published once its own entries are in.
  const window = semaphore(SUBJECTS_AHEAD);
  const publishing = semaphore(SUBJECTS_AT_ONCE);
  // After a failure no further subject starts, and the failure is reported once the subjects
  // under way have ended (published, or their upload sessions cancelled): nothing runs on behind it.
  let failure: { reason: unknown } | undefined;
  await Promise.all(
    [...bySubject.values()].map((indexes) =>
      window(async () => {
        if (failure) return;
        const uploads = prepareUploads(items[indexes[0]!]!.w, o, indexes.length);
        try {
          const logged = await Promise.all(indexes.map((i) => logOne(items[i]!.envelope)));
          const batch = indexes.map((i, k) => ({ item: items[i]!, ...logged[k]!, session: uploads.sessions[k]! }));
          const published = await publishing(() => publishSubject(batch, s.signer, o, created, referrers, log));
          indexes.forEach((i, k) => (out[i] = published[k]!));
        } catch (err) {
          failure ??= { reason: err };
          await uploads.cancel();
        }
      }),
    ),
  );
  if (failure) throw failure.reason;
  return out;
}

/**
 * Opens `n` upload sessions where `w`'s referrers go, one per envelope of its subject, and starts
 * pushing the empty config there (once per repository). If the subject is not published in full,
 * `cancel` ends the sessions (those its uploads used are gone already; the registry says so and
 * that is ignored) once the config push has ended too.
 */
function prepareUploads(
  w: ToPublish['w'],
  o: RunOptions,
  n: number,
): { sessions: Array<Promise<UploadSession>>; cancel: () => Promise<void> } {
  const repository = o.referrersRepository ?? w.ref.repository;
  const sessions = Array.from({ length: n }, () => openUpload(w.transport, repository));
  const config = ensureEmptyConfig(w.transport, repository);
  // A session that fails to open is replaced by the upload itself, a failed config push is tried
  // again by publishing; until then neither is unhandled.
  for (const p of [...sessions, config]) p.catch(() => undefined);
  return {
    sessions,
    cancel: async () => {
      await config.catch(() => undefined);
      await Promise.all(
        sessions.map(async (s) => {
          const session = await s.catch(() => undefined);
          if (session) await cancelUpload(w.transport, repository, session);
        }),
      );
    },
  };
}

/** Logs one envelope at a time slot; says when the last one is in. */
function entryLogger(
  s: RunSigner,
  o: RunOptions,
  total: number,
  log: (l: string) => void,
): (e: SignedEnvelope) => Promise<{ envelope: SignedEnvelope; logIndex?: number }> {
  if (o.transparencyLog === false) {
    log('transparency log: off (signatures stay valid through the PK token binding)');
    return async (envelope) => ({ envelope });
  }
  const rekor = new RekorClient({ url: o.transparencyLog, ...(o.deadline ? { deadline: o.deadline } : {}) });
  const cert = createPkTokenCertificate({
    key: s.key,
    pkTokenJson: s.pkToken.jsonBytes(),
    subject: String(s.pkToken.claims.sub),
    issuer: String(s.pkToken.claims.iss),
  });
  const slots = semaphore(ENTRIES_AT_ONCE);
  let done = 0;
  return (e) =>
    slots(async () => {
      const entry = await rekor.createEntry(
        buildHashedRekord({ paeSha256: e.paeSha256, signatureDer: e.sigDer, certificatePem: cert.pem }),
      );
      if (++done === total) log(`logged ${total} signature(s) in ${rekor.url}`);
      const tl = entry as unknown as TlogEntryJson;
      return { envelope: { ...e, envelope: withTransparencyLogEntry(e.envelope, tl) }, logIndex: entry.logIndex };
    });
}

/** One subject's logged envelopes as one batch (one fallback-tag update). */
async function publishSubject(
  batch: Array<{ item: ToPublish; envelope: SignedEnvelope; logIndex?: number; session: Promise<UploadSession> }>,
  signer: SignerSummary,
  o: RunOptions,
  created: Date,
  referrers: SubjectReferrers | undefined,
  log: (l: string) => void,
): Promise<SignedArtifact[]> {
  const first = batch[0]!.item.w;
  const requests = batch.map(({ item: { w }, envelope, session }) =>
    referrerRequest(
      w.ref.repository,
      w.subject,
      envelope.envelope,
      w.statement.predicateType,
      signer,
      created,
      session,
    ),
  );
  const listing = referrers?.get(subjectKey(first));
  const publishing = publishReferrers(first.transport, requests, {
    referrersRepository: o.referrersRepository,
    ...(listing === undefined ? {} : { earlier: [listing] }),
  });
  if (o.onPublishing) announce(o.onPublishing, batch, requests, o.referrersRepository, signer, publishing);
  const published = await publishing;
  const artifacts = batch.map(({ item: { w }, logIndex }, k) => {
    const p = published[k]!;
    log(
      `${w.image} ${w.platform} ${w.statement.predicateType} → ${p.repository}@${p.descriptor.digest} (${p.via === 'api' ? 'referrers API' : 'fallback tag'})`,
    );
    const artifact: SignedArtifact = {
      image: w.image,
      platform: w.platform,
      subject: w.subject.digest,
      predicateType: w.statement.predicateType,
      artifactDigest: p.descriptor.digest,
      repository: p.repository,
      via: p.via,
      ...(logIndex === undefined ? {} : { logIndex }),
    };
    return artifact;
  });
  return artifacts;
}

/**
 * Hands a subject's batch to `onPublishing` as publishing starts: the artifact manifests exactly
 * as `publishReferrers` pushes them (the same deterministic bytes), and the listing its
 * confirming read will find.
 */
function announce(
  onPublishing: NonNullable<RunOptions['onPublishing']>,
  batch: ReadonlyArray<{ item: ToPublish }>,
  requests: readonly PublishRequest[],
  referrersRepository: string | undefined,
  signer: SignerSummary,
  publishing: Promise<readonly PublishedReferrer[]>,
): void {
  const listing = publishing.then((p) => p[0]!.listing);
  // Publishing's own failure is thrown by the run; the hook may never await the listing.
  listing.catch(() => undefined);
  const artifacts = batch.map(({ item: { w } }, k) => {
    const manifest = buildArtifactManifest(requests[k]!);
    return {
      image: w.image,
      repository: referrersRepository ?? w.ref.repository,
      subject: w.subject.digest,
      artifactDigest: digestOf(manifest),
      bytes: { manifest, envelope: requests[k]!.layers[0]!.data },
    };
  });
  onPublishing(artifacts, signer, listing);
}
