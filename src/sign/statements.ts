/**
 * Collects what one image gets signed: every in-toto layer of its BuildKit attestation
 * manifests, a user SBOM and a custom predicate (wrapped as statements about each platform
 * manifest), and — when the image has no provenance at all — a SLSA v1 provenance generated
 * from the workflow's claims. Statements read from the registry are kept as raw bytes.
 */
import {
  detectSbom,
  generateSlsaProvenance,
  makeStatement,
  parseStatement,
  subjectMatches,
  type Statement,
  type SubjectInput,
} from '../attest/index.js';
import {
  findAttestations,
  readStatement,
  type PlatformImage,
  type Descriptor,
  type RegistryTransport,
} from '../oci/index.js';
import { SignError } from './errors.js';
import { mapLimit } from '../core/map-limit.js';

/** A statement to sign, with where it came from. */
export interface StatementToSign {
  platform: string;
  /** The platform manifest the statement is about: the referrer's subject. */
  subject: Descriptor;
  statement: Statement;
  source: 'buildkit' | 'sbom' | 'predicate' | 'generated';
}

/** The image being signed: its name (for generated subjects) and where it is. */
export interface ImageName {
  /** `registry/repository`, used as the subject name of statements we create. */
  name: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
}

/** What the user adds to the image's own statements. */
export interface ExtraStatements {
  /** Bytes of an SPDX or CycloneDX JSON document. */
  sbom?: Uint8Array;
  /** A predicate to wrap as a statement of this type. */
  predicate?: { type: string; bytes: Uint8Array };
  /** Workflow claims to generate a SLSA provenance from when the image has other statements but no
   *  provenance; omit to never generate (re-signing images this run did not build). */
  provenanceClaims?: Readonly<Record<string, unknown>>;
  /** The GitHub server URL for generated provenance; derived from the issuer when omitted
   *  (GitHub.com, GHE.com and GHES issuers), required for any other issuer. */
  serverUrl?: string;
}

const PROVENANCE_PREFIX = 'https://slsa.dev/provenance/';
/** Statement blobs read at once: an 8-platform image's SBOM and provenance in one round trip. */
const READ_CONCURRENCY = 16;

/** One image's statements to sign, and what its reference resolved to. */
export interface CollectedImage {
  /** The index or manifest the reference named when it was read (a tag resolved once, to this). */
  resolved: Descriptor;
  kind: 'index' | 'manifest';
  statements: StatementToSign[];
}

/**
 * Finds every statement to sign for one image.
 * @throws SignError SIGN_SUBJECT_MISMATCH | SIGN_NO_STATEMENTS; OciError and AttestError from reading and parsing
 */
export async function collectStatements(
  t: RegistryTransport,
  image: ImageName,
  extra: ExtraStatements,
  platforms: readonly string[] = [],
): Promise<StatementToSign[]> {
  return (await collectImage(t, image, extra, platforms)).statements;
}

/** What a caller learns while an image is collected. */
export interface CollectHooks {
  /**
   * The platform manifests that will get statements, as soon as they are known (before the
   * statements are read): the run starts listing their referrers meanwhile.
   */
  onSubjects?: (subjects: readonly Descriptor[]) => void;
}

/**
 * Finds every statement to sign for one image, and the digest its reference resolved to: a tag
 * is read once, and every platform is then found under that digest, so a tag moved meanwhile
 * cannot mix two images in one run.
 * @throws SignError SIGN_SUBJECT_MISMATCH | SIGN_NO_STATEMENTS; OciError and AttestError from reading and parsing
 */
export async function collectImage(
  t: RegistryTransport,
  image: ImageName,
  extra: ExtraStatements,
  platforms: readonly string[] = [],
  hooks: CollectHooks = {},
): Promise<CollectedImage> {
  const { name, repository, reference } = image;
  const { resolved, kind, platforms: walked } = await walkPlatforms(t, repository, reference, platforms);
  const everyPlatform =
    extra.sbom !== undefined || extra.predicate !== undefined || extra.provenanceClaims !== undefined;
  hooks.onSubjects?.(walked.filter((p) => everyPlatform || p.statements.length > 0).map((p) => p.descriptor));
  const layers = walked.flatMap((p) => p.statements.map((layer) => ({ p, layer })));
  const raws = await mapLimit(layers, READ_CONCURRENCY, ({ layer }) => readStatement(t, repository, layer));
  const found: StatementToSign[] = layers.map(({ p, layer }, i) => {
    const statement = parseStatement(raws[i]!);
    requireImageSubject(statement, p, `${repository}@${layer.layer.digest}`);
    return { platform: p.platform, subject: p.descriptor, statement, source: 'buildkit' };
  });
  found.push(...userStatements(name, walked, extra));
  // Provenance is generated only beside statements that show this run built or describes the
  // image; for an image with nothing at all it would be an unfounded claim (e.g. when re-signing).
  if (
    extra.provenanceClaims &&
    found.length > 0 &&
    !found.some((s) => s.statement.predicateType.startsWith(PROVENANCE_PREFIX))
  ) {
    found.push(
      ...forEachPlatform(name, walked, 'generated', (subjects) =>
        generateSlsaProvenance({
          subjects,
          claims: extra.provenanceClaims!,
          ...(extra.serverUrl ? { serverUrl: extra.serverUrl } : {}),
        }),
      ),
    );
  }
  if (found.length === 0) {
    throw new SignError({
      code: 'SIGN_NO_STATEMENTS',
      message: `${name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}: no attestations to sign; build with provenance and SBOM (docker/build-push-action "provenance: mode=max" and "sbom: true") or pass sbom-path / predicate-path`,
    });
  }
  return { resolved, kind, statements: found };
}

async function walkPlatforms(
  t: RegistryTransport,
  repository: string,
  reference: string,
  platforms: readonly string[],
): Promise<{ resolved: Descriptor; kind: 'index' | 'manifest'; platforms: PlatformImage[] }> {
  const [first, ...rest] = platforms;
  const top = await findAttestations(t, repository, reference, first === undefined ? {} : { platform: first });
  const others = await Promise.all(
    rest.map((platform) => findAttestations(t, repository, top.descriptor.digest, { platform })),
  );
  return {
    resolved: top.descriptor,
    kind: top.kind,
    platforms: [top, ...others].flatMap((w) => w.platforms),
  };
}

function userStatements(name: string, walked: readonly PlatformImage[], extra: ExtraStatements): StatementToSign[] {
  const out: StatementToSign[] = [];
  if (extra.sbom) {
    const sbom = detectSbom(extra.sbom, 'sbom-path');
    out.push(
      ...forEachPlatform(name, walked, 'sbom', (subjects) => makeStatement(subjects, sbom.predicateType, extra.sbom!)),
    );
  }
  if (extra.predicate) {
    const { type, bytes } = extra.predicate;
    out.push(...forEachPlatform(name, walked, 'predicate', (subjects) => makeStatement(subjects, type, bytes)));
  }
  return out;
}

/** One statement per platform manifest, about that manifest alone (named as the image). */
function forEachPlatform(
  name: string,
  walked: readonly PlatformImage[],
  source: StatementToSign['source'],
  make: (subjects: SubjectInput[]) => Buffer,
): StatementToSign[] {
  return walked.map((p) => ({
    platform: p.platform,
    subject: p.descriptor,
    statement: parseStatement(make([{ name, digest: p.descriptor.digest }])),
    source,
  }));
}

function requireImageSubject(statement: Statement, p: PlatformImage, where: string): void {
  if (!subjectMatches(statement, p.descriptor.digest)) {
    throw new SignError({
      code: 'SIGN_SUBJECT_MISMATCH',
      message: `${where}: statement (${statement.predicateType}) names no manifest of this image (expected ${p.descriptor.digest} for ${p.platform}); refusing to sign it`,
    });
  }
}
