/**
 * One signing run (docs/decisions.md, "Signing"): collect the statements of every image, skip what
 * this signer identity already signed, make one ephemeral key and ONE PK token bound to all
 * envelopes of the run, log each signature, and attach each envelope as a referrer of its platform
 * manifest. Nothing is written to a registry before every envelope is signed; a subject is
 * published once each of its envelopes is logged, while later ones are still being logged
 * (log-and-publish.ts), so a failure leaves whole subjects published and nothing half-done;
 * re-running converges.
 *
 * Who signs is known for sure only from the issued token (in GitHub Actions the runner's
 * environment names neither a job's `environment:` nor its reusable workflow, and either changes
 * `sub` or `job_workflow_ref`). So statements the token's identity already signed are dropped
 * after the token is issued and before anything is logged or published; only a caller that knows
 * the identity for sure (`expectedSigner`) skips before asking. A second identity therefore
 * co-signs, and a re-run by the same identity adds nothing.
 */
import { signEnvelopes, type SignedEnvelope } from '../attest/index.js';
import {
  EphemeralKey,
  discoveryKeyFinder,
  issuePkToken,
  type PkToken,
  type PrefetchingKeyFinder,
  githubServerOf,
} from '../identity/index.js';
import {
  parseReference,
  formatReference,
  createTransport,
  type ClosableTransport,
  signerSummary,
} from '../oci/index.js';
import { mapLimit } from '../core/map-limit.js';
import { SignError } from './errors.js';
import type { ResolvedImage, RunHooks, RunOptions, SignImagesOptions, SignImagesResult } from './run-options.js';
import type { ExpectedSigner } from './referrer.js';
import { collectImage } from './statements.js';
import { logAndPublish } from './log-and-publish.js';
import {
  SubjectListings,
  splitBySigner,
  type SkippedStatement,
  type StatementWork,
  type SubjectReferrers,
} from './already-signed.js';

export type { SkippedStatement } from './already-signed.js';
export type {
  SignImagesOptions,
  RunHooks,
  PublishingArtifact,
  PublishedBytes,
  SignedArtifact,
  ResolvedImage,
  SignImagesResult,
} from './run-options.js';

interface Work extends StatementWork {
  transport: ClosableTransport;
}

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
    // The OP's keys check the ID token; read them while the images are read (discovery, then
    // JWKS), not after the token arrives.
    const findKey = options.findKey ?? discoveryKeyFinder(options.deadline ? { deadline: options.deadline } : {});
    if (options.provider.issuer !== undefined && 'prefetch' in findKey)
      (findKey as PrefetchingKeyFinder).prefetch(options.provider.issuer);
    options.findKey = findKey;
    const listings = options.force ? undefined : new SubjectListings(options.referrersRepository);
    const { work, images } = await collectAll(options, transports, listings, log);
    const referrers = await listings?.of(work);
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
  const published = await logAndPublish(fresh.todo, { key, pkToken, signer }, o, referrers, log);
  return { signed: published, skipped: allSkipped, signer };
}

/** The signer identity in a progress line (its claims are the token's own, no secrets). */
function whose(s: ExpectedSigner): string {
  const claim = (k: string) => (typeof s.claims[k] === 'string' ? (s.claims[k] as string) : undefined);
  const workflow = claim('job_workflow_ref') ?? claim('workflow_ref');
  return `the signature of ${s.issuer} ${claim('sub') ?? '(no sub)'}${workflow ? ` (${workflow})` : ''}`;
}

/** Images read at once: each is a few round trips in a row (index, manifests, statements). */
const IMAGES_AT_ONCE = 4;

async function collectAll(
  o: RunOptions,
  transports: Map<string, ClosableTransport>,
  listings: SubjectListings | undefined,
  log: (l: string) => void,
): Promise<{ work: Work[]; images: ResolvedImage[] }> {
  const collected = await mapLimit(o.images, IMAGES_AT_ONCE, (image) =>
    collectOne(image, o, transports, listings, log),
  );
  return { work: collected.flatMap((c) => c.work), images: collected.map((c) => c.image) };
}

async function collectOne(
  image: string,
  o: RunOptions,
  transports: Map<string, ClosableTransport>,
  listings: SubjectListings | undefined,
  log: (l: string) => void,
): Promise<{ work: Work[]; image: ResolvedImage }> {
  const ref = parseReference(image);
  const transport = transportFor(ref.registry, transports, o);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const collected = await collectImage(
    transport,
    { name: `${ref.registry}/${ref.repository}`, repository: ref.repository, reference },
    o.extra ?? {},
    o.platforms,
    { onSubjects: (subjects) => subjects.forEach((d) => listings?.start(transport, ref, d.digest)) },
  );
  const found = collected.statements;
  const { digest } = collected.resolved;
  const platforms = [...new Set(found.map((f) => f.platform))];
  log(`${image}: ${collected.kind} ${digest}, ${found.length} statement(s) on ${platforms.length} platform(s)`);
  return {
    work: found.map((f) => ({ ...f, image, ref, transport })),
    image: {
      image,
      digest,
      kind: collected.kind,
      pinned: formatReference({ registry: ref.registry, repository: ref.repository, digest }),
      platforms,
    },
  };
}

/** The run's transport to `registry`, created on first use. */
function transportFor(registry: string, transports: Map<string, ClosableTransport>, o: RunOptions): ClosableTransport {
  let transport = transports.get(registry);
  if (!transport) {
    const settings = { ...o.registry, ...(o.deadline ? { deadline: o.deadline } : {}) };
    transports.set(registry, (transport = createTransport(registry, settings)));
  }
  return transport;
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
