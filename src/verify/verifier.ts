/**
 * Verifies an image's signed attestations in the order of docs/architecture.md ("Verification order"), per platform:
 * discover referrers → DSSE signature with the PK token's upk → PK token (CIC, GQ256 with the OP
 * key by kid, issuer, commitment, iat not after now) → att/atts binding → log entry (and iat not
 * after the log's vouched time, docs/time.md) → statement subject → policy.
 * Trust material (issuers, OP keys, log keys) and the policy are passed in; nothing is fetched
 * from the signer's side of the wire without being verified.
 */
import { DSSE_ARTIFACT_TYPES, verifyAttestationEnvelope, type EnvelopePkToken } from '../attest/index.js';
import type { Digest } from '../core/digest.js';
import { isBudgetExceeded } from '../core/deadline.js';
import { P256PublicKey } from '../core/ecdsa-p256.js';
import { OpkError } from '../core/errors.js';
import { MAX_ENVELOPE_BYTES } from '../core/limits.js';
import { mapLimit } from '../core/map-limit.js';
import { issuedAt, type KeyFinder, parsePkToken, verifyPkToken, type VerifiedPkToken } from '../identity/index.js';
import {
  findAttestations,
  type PlatformImage,
  getBlob,
  getManifestFor,
  isIndex,
  type Descriptor,
  type ImageManifest,
  type Manifest,
  parseReference,
  listReferrers,
  createTransport,
  type TransportOptions,
  type RegistryTransport,
  signerSummary,
  type SignerSummary,
} from '../oci/index.js';
import { evaluate, ruleFor, type PolicyVerdict } from '../policy/evaluate.js';
import type { Policy } from '../policy/model.js';
import { type CertificateMemo, type LogKeyring, type VerifiedTlogEntry, verifyTlogEntry } from '../tlog/index.js';
import { VerifyError } from './errors.js';
import { checkIssuedBeforeLogged } from './log-time.js';

/** What the verifier trusts, handed in (from TUF, flags, or a test). */
export interface TrustMaterial {
  /** OIDC issuers whose PK tokens are considered at all. */
  issuers: readonly string[];
  /** OP keys by issuer and kid: the live JWKS, the TUF archive, or both. */
  findKey: KeyFinder;
  /** Transparency-log keys by log ID. */
  logs: LogKeyring;
  /** Where each issuer puts the commitment. Default: `aud` for GitHub Actions issuers (GitHub.com, its
   *  enterprise-slug form, GHE.com, GHES), `nonce` for others. */
  commitmentClaims?: Readonly<Record<string, 'aud' | 'nonce'>>;
  /** Where each trust input came from (policy, OIDC provider keys, log keys), named in the report. */
  sources?: readonly TrustSource[];
}

/** One trust input and where it came from. */
export interface TrustSource {
  /** What is trusted: "policy", "OIDC provider keys", "log keys", … */
  input: string;
  /** Where it came from, in one line (a file, a TUF repository, a trusted root, trust on first use). */
  source: string;
}

/** Options of `verifyImage`. */
export interface VerifyImageOptions {
  image: string;
  trust: TrustMaterial;
  policy: Policy;
  platforms?: readonly string[];
  referrersRepository?: string;
  registry?: TransportOptions;
  /** Accept legacy RS256 PK tokens (default false: GQ256 only). */
  allowRs256?: boolean;
}

/** One signature that verified. */
export interface VerifiedSignature {
  artifactDigest: Digest;
  predicateType: string;
  signer: SignerSummary;
  claims: Readonly<Record<string, unknown>>;
  logIndex?: number;
  /**
   * The log's integrated time (seconds), only when its SET vouches for it (docs/time.md); token
   * expiry does not apply to stored signatures.
   */
  integratedTime?: number;
  /** Logged signatures: whether `integratedTime` is vouched for; false means the log time is unverified. */
  integratedTimeVerified?: boolean;
}

/** One referrer that did not verify, with the reason. */
export interface RejectedSignature {
  artifactDigest: Digest;
  code: string;
  message: string;
}

/** The verdict for one platform image. */
export interface PlatformReport {
  platform: string;
  digest: Digest;
  signatures: VerifiedSignature[];
  rejected: RejectedSignature[];
  verdict: PolicyVerdict | undefined;
  passed: boolean;
}

/** The verdict for the image. */
export interface VerifyReport {
  image: string;
  digest: Digest;
  platforms: PlatformReport[];
  /** Policy level of the matching rule: in `audit`, violations are reported but do not fail. */
  level: 'enforce' | 'audit';
  /** The scope of the policy rule that applied (none matched: undefined). */
  rule?: string;
  /** Where each trust input came from. */
  trust?: readonly TrustSource[];
  passed: boolean;
}

/**
 * Verifies every platform of an image (or those of `platforms`) against the trust material and the
 * policy. No matching policy rule is not an error: each platform then fails with no verdict
 * (`verdict: undefined`), so the report still shows what was found.
 * @returns the report; `passed` is true when every platform passed, or when the rule's level is `audit`
 * @throws OciError when the image cannot be read (OCI_NOT_FOUND, OCI_PLATFORM_NOT_FOUND, transport codes).
 *   Bad signatures are not thrown: they are reported per artifact with their code.
 */
export async function verifyImage(options: VerifyImageOptions): Promise<VerifyReport> {
  // Each distinct PK token and logged certificate is checked once per call: a signing run puts
  // the same token in every envelope and logs them all with the same certificate.
  const o: VerifyRun = { ...options, memo: newVerificationMemo() };
  const ref = parseReference(o.image);
  const name = `${ref.registry}/${ref.repository}`;
  const rule = ruleFor(o.policy, name);
  const t = createTransport(ref.registry, o.registry);
  try {
    const walked = await walk(t, ref.repository, ref.digest ?? ref.tag ?? 'latest', o.platforms);
    const platforms: PlatformReport[] = [];
    for (const p of walked.platforms)
      platforms.push(await verifyPlatform(t, ref.repository, p, walked.digest, o, rule, name));
    const passed = platforms.length > 0 && platforms.every((p) => p.passed);
    return {
      image: o.image,
      digest: walked.digest,
      platforms,
      level: rule?.level ?? 'enforce',
      ...(rule ? { rule: rule.scope } : {}),
      trust: o.trust.sources ?? [],
      passed: passed || rule?.level === 'audit',
    };
  } finally {
    await t.close();
  }
}

/** The platforms to verify. With filters, the first walk pins the image digest so that a tag
 *  moving meanwhile cannot mix two images, and a platform named twice is verified once. */
async function walk(
  t: RegistryTransport,
  repository: string,
  reference: string,
  platforms?: readonly string[],
): Promise<{ digest: Digest; platforms: PlatformImage[] }> {
  if (!platforms || platforms.length === 0) {
    const all = await findAttestations(t, repository, reference);
    return { digest: all.descriptor.digest, platforms: all.platforms };
  }
  const first = await findAttestations(t, repository, reference, { platform: platforms[0]! });
  const digest = first.descriptor.digest;
  const rest = await Promise.all(
    platforms.slice(1).map((platform) => findAttestations(t, repository, digest, { platform })),
  );
  const byDigest = new Map<string, PlatformImage>();
  for (const p of [first, ...rest].flatMap((w) => w.platforms))
    if (!byDigest.has(p.descriptor.digest)) byDigest.set(p.descriptor.digest, p);
  return { digest, platforms: [...byDigest.values()] };
}

/** Referrer artifacts fetched and verified at once (a bound: a listing may hold up to MAX_REFERRERS). */
const ARTIFACT_CONCURRENCY = 4;

/** A PK token as verified, with what the envelope check needs. */
export type VerifiedToken = EnvelopePkToken & VerifiedPkToken;

/** The options of one `verifyImage` call with what that call has verified so far. */
type VerifyRun = VerifyImageOptions & { memo: VerificationMemo };

async function verifyPlatform(
  t: RegistryTransport,
  repository: string,
  p: PlatformImage,
  imageDigest: Digest,
  o: VerifyRun,
  rule: ReturnType<typeof ruleFor>,
  name: string,
): Promise<PlatformReport> {
  const subject = p.descriptor.digest;
  const listed = await listReferrers(t, repository, subject, { referrersRepository: o.referrersRepository });
  const candidates = listed.referrers.filter(
    (d) => d.artifactType !== undefined && DSSE_ARTIFACT_TYPES.includes(d.artifactType),
  );
  const outcomes = await mapLimit(candidates, ARTIFACT_CONCURRENCY, async (d) => {
    try {
      return await verifyListedArtifact(t, listed.repository, d, subject, o, rule?.transparencyLog === 'required');
    } catch (err) {
      // One bad or hostile referrer must not hide the good ones: record it and go on. A spent
      // time budget is not the referrer's fault: it ends the run.
      if (!(err instanceof OpkError) || isBudgetExceeded(err)) throw err;
      return { artifactDigest: d.digest, code: err.code, message: err.message } satisfies RejectedSignature;
    }
  });
  const signatures = outcomes.filter((x): x is VerifiedSignature => !('code' in x));
  const rejected = outcomes.filter((x): x is RejectedSignature => 'code' in x);
  const facts = signatures.map((s) => ({
    issuer: s.signer.issuer,
    claims: s.claims,
    predicateType: s.predicateType,
    logged: s.logIndex !== undefined,
    ...(s.integratedTime !== undefined ? { integratedTime: s.integratedTime } : {}),
  }));
  // Revoking the image index (the digest users see and pin) revokes each of its platforms.
  const verdict = rule
    ? evaluate(o.policy, rule, subject === imageDigest ? subject : [subject, imageDigest], facts, name)
    : undefined;
  const passed = verdict?.passed ?? false;
  return { platform: p.platform, digest: subject, signatures, rejected, verdict, passed };
}

/**
 * Verifies one listed referrer artifact, fetched by its descriptor: one DSSE envelope about
 * `subject`, every check of the verification order (docs/architecture.md).
 * @throws OciError (fetching) | VerifyError VERIFY_ARTIFACT_INVALID and the codes of `verifyArtifactEnvelope`
 */
export async function verifyListedArtifact(
  t: RegistryTransport,
  repository: string,
  d: Descriptor,
  subject: Digest,
  o: TokenRun,
  requireLog: boolean,
): Promise<VerifiedSignature> {
  const m = artifactShape((await getManifestFor(t, repository, d)).manifest, `${repository}@${d.digest}`, subject);
  const envelope = await getBlob(t, repository, m.layers[0]!, MAX_ENVELOPE_BYTES);
  return verifyArtifactEnvelope(envelope, d.digest, `${repository}@${d.digest}`, subject, o, requireLog);
}

/**
 * The artifact manifest of one signature: a single-envelope image manifest about `subject`.
 * @throws VerifyError VERIFY_ARTIFACT_INVALID
 */
export function artifactShape(m: Manifest, what: string, subject: Digest): ImageManifest & { layers: [Descriptor] } {
  if (isIndex(m) || m.subject?.digest !== subject || m.layers.length !== 1) {
    throw new VerifyError({
      code: 'VERIFY_ARTIFACT_INVALID',
      message: `${what}: not a single-envelope artifact about ${subject}; ignoring it`,
    });
  }
  return m as ImageManifest & { layers: [Descriptor] };
}

/**
 * What a verification has checked so far, by exact bytes: a signing run's envelopes share one PK
 * token and one logged certificate, each then checked once. Tokens are verified under one trust:
 * share a memo only between calls with the same trust.
 */
export interface VerificationMemo {
  tokens: Map<string, Promise<VerifiedToken>>;
  certificates: CertificateMemo;
}

/** An empty memo. */
export function newVerificationMemo(): VerificationMemo {
  return { tokens: new Map(), certificates: new Map() };
}

/** What verifying an envelope needs: the trust, and what this verification has checked so far. */
export type TokenRun = Pick<VerifyImageOptions, 'trust' | 'allowRs256'> & { memo: VerificationMemo };

/**
 * Verifies the envelope bytes of artifact `artifactDigest` (`what` names it in errors): DSSE
 * with the PK token's key, the PK token (once per run), the binding, the log entry and the log
 * time, the statement's subject.
 * @throws AttestError | PkTokenError | TlogError | VerifyError VERIFY_TLOG_MISSING (their codes)
 */
export async function verifyArtifactEnvelope(
  envelope: Buffer,
  artifactDigest: Digest,
  what: string,
  subject: Digest,
  o: TokenRun,
  requireLog: boolean,
): Promise<VerifiedSignature> {
  const v = await verifyAttestationEnvelope<VerifiedToken>(envelope, {
    expectedSubjectDigest: subject,
    verifyPkToken: (pkt) => verifyTokenOnce(pkt, o),
  });
  let logged: VerifiedTlogEntry | undefined;
  if (v.tl !== undefined) {
    logged = verifyTlogEntry(
      v.tl,
      {
        paeSha256: v.paeSha256,
        signatureDer: v.sigDer,
        pkTokenJson: v.pktJson,
        // The logged certificate must be for the key that signed the envelope, so the entry a
        // monitor reads names the same signer the verifier counted.
        spkiDer: P256PublicKey.fromJwk(v.pkToken.upk).spkiDer,
      },
      o.trust.logs,
      { certificates: o.memo.certificates },
    );
    checkIssuedBeforeLogged(issuedAt(v.pkToken.token), logged, what);
  } else if (requireLog) {
    throw new VerifyError({
      code: 'VERIFY_TLOG_MISSING',
      message: `${what}: signature has no transparency-log entry and the policy requires one; re-sign with transparency-log enabled`,
    });
  }
  return {
    artifactDigest,
    predicateType: v.statement.predicateType,
    signer: signerSummary(v.pkToken.claims),
    claims: v.pkToken.claims,
    ...(logged
      ? {
          logIndex: logged.logIndex,
          ...(logged.integratedTime !== undefined ? { integratedTime: logged.integratedTime } : {}),
          integratedTimeVerified: logged.integratedTimeVerified,
        }
      : {}),
  };
}

/** Verifies a PK token once per `verifyImage` call (same bytes, same verdict: a rejection is shared too). */
function verifyTokenOnce(pkt: Buffer, o: TokenRun): Promise<VerifiedToken> {
  const key = pkt.toString('base64');
  let verified = o.memo.tokens.get(key);
  if (verified === undefined) {
    verified = verifyToken(pkt, o);
    o.memo.tokens.set(key, verified);
  }
  return verified;
}

async function verifyToken(pkt: Buffer, o: Omit<TokenRun, 'memo'>): Promise<VerifiedToken> {
  const issuer = parsePkToken(pkt).issuer;
  const token = await verifyPkToken(pkt, {
    allowedIssuers: o.trust.issuers,
    findKey: o.trust.findKey,
    requireGq: !o.allowRs256,
    expiry: { kind: 'never' },
    ...(o.trust.commitmentClaims && Object.hasOwn(o.trust.commitmentClaims, issuer)
      ? { commitmentClaim: o.trust.commitmentClaims[issuer] }
      : {}),
  });
  return { ...token, cicClaims: token.cic.header };
}
