/**
 * One signing run (docs/decisions.md, "Signing"): collect the statements of every image, skip what
 * this signer identity already signed, make one ephemeral key and ONE PK token bound to all
 * envelopes of the run, log each signature, and attach each envelope as a referrer of its platform
 * manifest. Nothing is written to a registry before every envelope is signed and logged, so a
 * failure leaves nothing half-done; re-running converges.
 *
 * Who signs is known for sure only from the issued token (in GitHub Actions the runner's
 * environment names neither a job's `environment:` nor its reusable workflow, and either changes
 * `sub` or `job_workflow_ref`). So statements the token's identity already signed are dropped
 * after the token is issued and before anything is logged or published; only a caller that knows
 * the identity for sure (`expectedSigner`) skips before asking. A second identity therefore
 * co-signs, and a re-run by the same identity adds nothing.
 */
import { signEnvelopes, withTransparencyLogEntry, type SignedEnvelope, type TlogEntryJson } from '../attest/index.js';
import { EphemeralKey, discoveryKeyFinder, issuePkToken, type PkToken, githubServerOf } from '../identity/index.js';
import {
  parseReference,
  formatReference,
  publishReferrers,
  createTransport,
  type ClosableTransport,
  signerSummary,
  type SignerSummary,
} from '../oci/index.js';
import { buildHashedRekord, createPkTokenCertificate, RekorClient } from '../tlog/index.js';
import { SignError } from './errors.js';
import type {
  ResolvedImage,
  RunHooks,
  RunOptions,
  SignedArtifact,
  SignImagesOptions,
  SignImagesResult,
} from './run-options.js';
import { referrerRequest, type ExpectedSigner } from './referrer.js';
import { mapLimit } from '../core/map-limit.js';
import { collectImage } from './statements.js';
import {
  listSubjectReferrers,
  splitBySigner,
  subjectKey,
  type SkippedStatement,
  type StatementWork,
  type SubjectReferrers,
} from './already-signed.js';

export type { SkippedStatement } from './already-signed.js';
export type {
  SignImagesOptions,
  RunHooks,
  PublishedBytes,
  SignedArtifact,
  ResolvedImage,
  SignImagesResult,
} from './run-options.js';

interface Work extends StatementWork {
  transport: ClosableTransport;
}

const PARALLEL = 8;

/**
 * Signs every attestation of the given images in one run.
 * @throws SignError SIGN_NO_STATEMENTS | SIGN_SUBJECT_MISMATCH | SIGN_CLAIMS_MISMATCH;
 *   OciError, AttestError, PkTokenError, OidcError and TlogError from the parts it drives
 */
export function signImages(options: SignImagesOptions): Promise<SignImagesResult> {
  return signImagesWith(options, {});
}

/**
 * `signImages` with the hooks a shell of this package adds.
 * @throws as `signImages`
 */
export async function signImagesWith(signOptions: SignImagesOptions, hooks: RunHooks): Promise<SignImagesResult> {
  const options: RunOptions = { ...signOptions, ...hooks };
  const log = options.log ?? (() => {});
  const transports = options.transports ?? new Map<string, ClosableTransport>();
  try {
    const { work, images } = await collectAll(options, transports, log);
    const referrers = options.force ? undefined : await listSubjectReferrers(work, options.referrersRepository);
    const expected = referrers === undefined ? undefined : options.expectedSigner;
    const { todo, skipped } =
      referrers && expected ? splitBySigner(work, (w) => w, referrers, expected) : { todo: work, skipped: [] };
    if (todo.length === 0) {
      log(
        `nothing to sign: all ${skipped.length} statement(s) already carry ${whose(expected!)} (use force to sign again)`,
      );
      return { images, signed: [], skipped };
    }
    return { images, ...(await signNew(todo, skipped, referrers, options, log)) };
  } finally {
    if (options.transports === undefined) await Promise.all([...transports.values()].map((t) => t.close()));
  }
}

/**
 * Signs `todo` with one token, then logs and publishes only what the token's identity has not
 * signed yet (`referrers` is undefined under force: then everything).
 */
async function signNew(
  todo: Work[],
  skipped: SkippedStatement[],
  referrers: SubjectReferrers | undefined,
  o: RunOptions,
  log: (l: string) => void,
): Promise<Omit<SignImagesResult, 'images'>> {
  const { signed, pkToken, key } = await signRun(todo, o, log);
  if (o.extra?.provenanceClaims && todo.some((w) => w.source === 'generated')) {
    checkProvenanceClaims(o.extra.provenanceClaims, pkToken.claims);
  }
  const signer = signerSummary(pkToken.claims);
  const mine: ExpectedSigner = { issuer: pkToken.issuer, claims: pkToken.claims };
  const pairs = todo.map((w, i) => ({ w, envelope: signed[i]! }));
  const fresh = referrers ? splitBySigner(pairs, (p) => p.w, referrers, mine) : { todo: pairs, skipped: [] };
  const allSkipped = [...skipped, ...fresh.skipped];
  if (fresh.todo.length === 0) {
    log(`nothing to publish: all ${allSkipped.length} statement(s) already carry ${whose(mine)}; nothing was logged`);
    return { signed: [], skipped: allSkipped, signer };
  }
  if (fresh.skipped.length > 0)
    log(`${fresh.skipped.length} statement(s) already carry ${whose(mine)}: not logged or published again`);
  const logged = await logAll(
    fresh.todo.map((p) => p.envelope),
    key,
    pkToken,
    o,
    log,
  );
  const created = (o.now ?? (() => new Date()))();
  const published = await publishAll(
    fresh.todo.map((p) => p.w),
    logged,
    signer,
    o,
    created,
    log,
    referrers,
  );
  return { signed: published, skipped: allSkipped, signer };
}

/** The signer identity in a progress line (its claims are the token's own, no secrets). */
function whose(s: ExpectedSigner): string {
  const claim = (k: string) => (typeof s.claims[k] === 'string' ? (s.claims[k] as string) : undefined);
  const workflow = claim('job_workflow_ref') ?? claim('workflow_ref');
  return `the signature of ${s.issuer} ${claim('sub') ?? '(no sub)'}${workflow ? ` (${workflow})` : ''}`;
}

async function collectAll(
  o: RunOptions,
  transports: Map<string, ClosableTransport>,
  log: (l: string) => void,
): Promise<{ work: Work[]; images: ResolvedImage[] }> {
  const work: Work[] = [];
  const images: ResolvedImage[] = [];
  for (const image of o.images) {
    const ref = parseReference(image);
    let transport = transports.get(ref.registry);
    if (!transport) {
      const settings = { ...o.registry, ...(o.deadline ? { deadline: o.deadline } : {}) };
      transports.set(ref.registry, (transport = createTransport(ref.registry, settings)));
    }
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const collected = await collectImage(
      transport,
      { name: `${ref.registry}/${ref.repository}`, repository: ref.repository, reference },
      o.extra ?? {},
      o.platforms,
    );
    const found = collected.statements;
    const { digest } = collected.resolved;
    const platforms = [...new Set(found.map((f) => f.platform))];
    images.push({
      image,
      digest,
      kind: collected.kind,
      pinned: formatReference({ registry: ref.registry, repository: ref.repository, digest }),
      platforms,
    });
    log(`${image}: ${collected.kind} ${digest}, ${found.length} statement(s) on ${platforms.length} platform(s)`);
    work.push(...found.map((f) => ({ ...f, image, ref, transport: transport! })));
  }
  return { work, images };
}

/** One key, one OIDC round trip, one PK token for every envelope of the run. */
async function signRun(
  todo: Work[],
  o: RunOptions,
  log: (l: string) => void,
): Promise<{ signed: SignedEnvelope[]; pkToken: PkToken; key: EphemeralKey }> {
  const key = EphemeralKey.generate();
  let pkToken: PkToken | undefined;
  const signed = await signEnvelopes({
    statements: todo.map((w) => w.statement.raw),
    key,
    issuePkToken: async (extraClaims) => {
      pkToken = await issuePkToken({
        requestIdToken: (c) => o.provider.requestIdToken(c),
        commitmentClaim: o.provider.commitmentClaim,
        key,
        extraClaims,
        findKey: o.findKey ?? discoveryKeyFinder(o.deadline ? { deadline: o.deadline } : {}),
        gq: true,
      });
      return pkToken.jsonBytes();
    },
  });
  log(`signed ${signed.length} envelope(s) with one PK token (issuer ${pkToken!.claims.iss})`);
  return { signed, pkToken: pkToken!, key };
}

async function logAll(
  signed: SignedEnvelope[],
  key: EphemeralKey,
  pkToken: PkToken,
  o: RunOptions,
  log: (l: string) => void,
): Promise<Array<{ envelope: SignedEnvelope; logIndex?: number }>> {
  if (o.transparencyLog === false) {
    log('transparency log: off (signatures stay valid through the PK token binding)');
    return signed.map((envelope) => ({ envelope }));
  }
  const rekor = new RekorClient({ url: o.transparencyLog, ...(o.deadline ? { deadline: o.deadline } : {}) });
  const pkTokenJson = pkToken.jsonBytes();
  const cert = createPkTokenCertificate({
    key,
    pkTokenJson,
    subject: String(pkToken.claims.sub),
    issuer: String(pkToken.claims.iss),
  });
  const out = await mapLimit(signed, PARALLEL, async (s) => {
    const entry = await rekor.createEntry(
      buildHashedRekord({ paeSha256: s.paeSha256, signatureDer: s.sigDer, certificatePem: cert.pem }),
    );
    const tl = entry as unknown as TlogEntryJson;
    return { envelope: { ...s, envelope: withTransparencyLogEntry(s.envelope, tl) }, logIndex: entry.logIndex };
  });
  log(`logged ${out.length} signature(s) in ${rekor.url}`);
  return out;
}

/** Publishes envelopes: subjects in parallel, each subject's envelopes as one batch (one fallback-tag update). */
async function publishAll(
  todo: Work[],
  logged: Array<{ envelope: SignedEnvelope; logIndex?: number }>,
  signer: SignerSummary,
  o: RunOptions,
  created: Date,
  log: (l: string) => void,
  referrers: SubjectReferrers | undefined,
): Promise<SignedArtifact[]> {
  const bySubject = new Map<string, number[]>();
  todo.forEach((w, i) => bySubject.set(subjectKey(w), [...(bySubject.get(subjectKey(w)) ?? []), i]));
  const groups = await mapLimit([...bySubject.values()], PARALLEL, async (indexes) => {
    const first = todo[indexes[0]!]!;
    const requests = indexes.map((i) =>
      referrerRequest(
        todo[i]!.ref.repository,
        todo[i]!.subject,
        logged[i]!.envelope.envelope,
        todo[i]!.statement.predicateType,
        signer,
        created,
      ),
    );
    // The skip check's listing stands in for publishing's check of the fallback tag before pushing.
    const listing = referrers?.get(subjectKey(first));
    const published = await publishReferrers(first.transport, requests, {
      referrersRepository: o.referrersRepository,
      ...(listing === undefined ? {} : { earlier: [listing] }),
    });
    return indexes.map((i, k) => {
      const w = todo[i]!;
      const p = published[k]!;
      const logIndex = logged[i]!.logIndex;
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
      o.onPublished?.(artifact, { manifest: p.manifest, envelope: requests[k]!.layers[0]!.data });
      return artifact;
    });
  });
  return groups.flat();
}

/**
 * The generated provenance was built from the environment before the token existed; the token's
 * signed claims must say the same, or the provenance would describe another build.
 */
function checkProvenanceClaims(
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>>,
): void {
  for (const claim of ['iss', 'repository', 'ref', 'sha', 'workflow_ref', 'run_id', 'run_attempt']) {
    if (expected[claim] !== undefined && !sameClaim(claim, expected[claim], actual[claim])) {
      throw new SignError({
        code: 'SIGN_CLAIMS_MISMATCH',
        message: `generated provenance says ${claim}=${JSON.stringify(expected[claim])} but the ID token says ${JSON.stringify(actual[claim])}; nothing was published — run inside the workflow that built the image or pass predicate-path`,
      });
    }
  }
}

/** Equal claims; for `iss`, also two GitHub issuers of one server (GitHub.com with and without an
 *  enterprise slug): the provenance names the server, not the issuer. */
function sameClaim(claim: string, expected: unknown, actual: unknown): boolean {
  if (expected === actual) return true;
  if (claim !== 'iss' || typeof expected !== 'string' || typeof actual !== 'string') return false;
  const server = githubServerOf(expected);
  return server !== undefined && server === githubServerOf(actual);
}
