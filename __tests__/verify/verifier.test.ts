/**
 * verifyImage end to end: images signed by `signImages` against the test registry (referrers
 * API), the loopback GitHub OIDC endpoint and the test Rekor log; then the registry content is
 * attacked directly and each attacked artifact must be rejected with its code while the good
 * signatures beside it still verify.
 */
import { MAX_ENVELOPE_BYTES } from '../../src/core/limits.js';
import type { Digest } from '../../src/core/digest.js';
import {
  discoveryKeyFinder,
  githubActionsProvider,
  jwksKeyFinder,
  parseJwks,
  type KeyFinder,
} from '../../src/identity/index.js';
import {
  addToReferrersTag,
  buildArtifactManifest,
  createTransport,
  getBlob,
  getManifest,
  publishReferrer,
  putBlob,
  putManifest,
  OCI_EMPTY,
  OCI_EMPTY_DATA,
  OCI_EMPTY_DIGEST,
  OCI_EMPTY_SIZE,
  OCI_MANIFEST,
  type ClosableTransport,
  type Descriptor,
  type ImageManifest,
} from '../../src/oci/index.js';
import type { Policy, PolicyRule } from '../../src/policy/index.js';
import { signImages, type SignImagesResult } from '../../src/sign/index.js';
import { createLogKeyring, LogPublicKey, type LogKeyring } from '../../src/tlog/index.js';
import {
  formatReport,
  reportJson,
  verifyImage,
  type TrustMaterial,
  type VerifyReport,
} from '../../src/verify/index.js';
import { startDistribution } from '../fakes/distribution.js';
import { itWith } from '../requirements.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage, SLSA_V1, SPDX, type BuiltImage } from '../fixtures/buildkit-image.js';

const CI_REPO = 'octo-org/octo-repo';
const BOT_REPO = 'octo-org/release-bot';

/** One signed image and what signing it produced. */
interface Signed {
  image: string;
  built: BuiltImage;
  result: SignImagesResult;
}

describe('verifyImage', () => {
  let oidc: GithubOidc;
  let stranger: GithubOidc;
  let rekor: RekorLog;
  let otherLog: RekorLog;
  let registry: OciRegistry;
  let t: ClosableTransport;
  let main: Signed;

  const provider = (op: GithubOidc) =>
    githubActionsProvider({
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: op.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: op.requestToken },
      issuer: op.issuer,
      setSecret: () => {},
    });
  const logs = (log: RekorLog = rekor): LogKeyring => createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]);
  const trust = (o: Partial<TrustMaterial> = {}): TrustMaterial => ({
    issuers: [oidc.issuer],
    findKey: discoveryKeyFinder(),
    logs: logs(),
    commitmentClaims: { [oidc.issuer]: 'aud', [stranger.issuer]: 'aud' },
    ...o,
  });
  const rule = (o: Partial<PolicyRule> = {}): PolicyRule => ({
    scope: '**',
    threshold: 1,
    require: ['https://slsa.dev/provenance/*', SPDX],
    transparencyLog: 'required',
    level: 'enforce',
    signers: [
      { name: 'ci', issuer: oidc.issuer, claims: { repository: CI_REPO } },
      { name: 'release', issuer: oidc.issuer, claims: { repository: BOT_REPO } },
    ],
    ...o,
  });
  const policy = (o: Partial<PolicyRule> = {}, revoked: Partial<Policy['revoked']> = {}): Policy => ({
    rules: [rule(o)],
    revoked: { digests: [], signers: [], ...revoked },
  });

  async function signNew(repository: string, op: GithubOidc = oidc): Promise<Signed> {
    const built = await pushBuildkitImage(t, { repository, seed: repository });
    const image = `${registry.host}/${repository}@${built.digest}`;
    const result = await signImages({
      images: [image],
      provider: provider(op),
      transparencyLog: rekor.url,
    });
    return { image, built, result };
  }

  /** The artifacts of `s` signed for one platform. */
  const signedFor = (s: Signed, platform: string) => s.result.signed.filter((a) => a.platform === platform);
  const platformOf = (s: Signed, platform: string) => s.built.platforms.find((p) => p.platform === platform)!.manifest;

  async function verify(
    s: Signed,
    p: Policy = policy(),
    tr: TrustMaterial = trust(),
    platforms?: string[],
  ): Promise<VerifyReport> {
    return verifyImage({ image: s.image, trust: tr, policy: p, ...(platforms ? { platforms } : {}) });
  }

  /** The report of one platform as [verified artifact digests, {rejected digest: code}]. */
  function outcome(r: VerifyReport, platform: string): { verified: string[]; rejected: Record<string, string> } {
    const p = r.platforms.find((x) => x.platform === platform)!;
    return {
      verified: p.signatures.map((s) => s.artifactDigest),
      rejected: Object.fromEntries(p.rejected.map((x) => [x.artifactDigest, x.code])),
    };
  }

  /** Every signature `signImages` made for `platform` still verifies. */
  function expectOriginalsVerify(r: VerifyReport, s: Signed, platform: string): void {
    expect(outcome(r, platform).verified).toEqual(
      expect.arrayContaining(signedFor(s, platform).map((a) => a.artifactDigest)),
    );
  }

  async function envelopeOf(
    artifact: Digest,
    repository = main.built.repository,
  ): Promise<{ manifest: ImageManifest; bytes: Buffer; json: any }> {
    const manifest = (await getManifest(t, repository, artifact)).manifest as ImageManifest;
    const bytes = await getBlob(t, repository, manifest.layers[0]!, MAX_ENVELOPE_BYTES);
    return { manifest, bytes, json: JSON.parse(bytes.toString('utf8')) };
  }

  /** Attaches `envelope` as a referrer of `subject` the way a signer would (a new artifact manifest). */
  async function attach(subject: Descriptor, envelope: Buffer, artifactType: string, note: string): Promise<Digest> {
    const published = await publishReferrer(t, {
      repository: main.built.repository,
      subject,
      artifactType,
      layers: [{ mediaType: artifactType, data: envelope }],
      annotations: { 'test.attack': note },
    });
    return published.descriptor.digest;
  }

  /** Pushes a hand-made artifact manifest (blobs must exist) and returns its digest. */
  async function pushManifest(doc: object): Promise<Descriptor> {
    await putBlob(t, main.built.repository, Buffer.from(OCI_EMPTY_DATA));
    return (await putManifest(t, main.built.repository, Buffer.from(JSON.stringify(doc)), OCI_MANIFEST)).descriptor;
  }

  beforeAll(async () => {
    [oidc, stranger, rekor, otherLog, registry] = await Promise.all([
      startGithubOidc(),
      startGithubOidc(),
      startRekorLog(),
      startRekorLog(),
      startOciRegistry(),
    ]);
    t = createTransport(registry.host);
    main = await signNew('acme/app');
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([oidc?.close(), stranger?.close(), rekor?.close(), otherLog?.close(), registry?.close()]);
  });

  describe('when every signature is good', () => {
    it('verifies every platform, with signer, predicate and log index per signature', async () => {
      const r = await verify(main);
      expect(r).toMatchObject({ image: main.image, digest: main.built.digest, level: 'enforce', passed: true });
      expect(r.platforms.map((p) => [p.platform, p.digest, p.passed, p.rejected.length])).toEqual(
        main.built.platforms.map((p) => [p.platform, p.manifest.digest, true, 0]),
      );
      for (const p of r.platforms) {
        expect(p.signatures.map((s) => s.predicateType).sort()).toEqual([SPDX, SLSA_V1].sort());
        expect(p.verdict?.signers).toEqual(['ci']);
        for (const s of p.signatures) {
          expect(s.signer).toMatchObject({ issuer: oidc.issuer, repository: CI_REPO });
          expect(s.logIndex).toEqual(expect.any(Number));
          expect(s.integratedTime).toEqual(expect.any(Number));
          expect(s.claims.repository).toBe(CI_REPO);
        }
      }
    });
  });

  describe('when a statement inside an envelope is tampered with and re-pushed', () => {
    it('rejects that artifact with DSSE_SIGNATURE_INVALID and keeps the others', async () => {
      const victim = signedFor(main, 'linux/amd64').find((a) => a.predicateType === SLSA_V1)!;
      const { manifest, json } = await envelopeOf(victim.artifactDigest);
      const statement = JSON.parse(Buffer.from(json.payload, 'base64').toString('utf8'));
      statement.predicate.runDetails.builder.id = 'https://evil.example/builder';
      json.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      const attacked = await attach(
        platformOf(main, 'linux/amd64'),
        Buffer.from(JSON.stringify(json)),
        manifest.artifactType!,
        'tampered',
      );

      const r = await verify(main);
      expect(outcome(r, 'linux/amd64').rejected[attacked]).toBe('DSSE_SIGNATURE_INVALID');
      expect(outcome(r, 'linux/amd64').verified).not.toContain(attacked);
      expectOriginalsVerify(r, main, 'linux/amd64');
      expect(r.passed).toBe(true);
    });
  });

  describe('when an envelope of one platform is attached to another platform', () => {
    it('rejects it there with STMT_SUBJECT_MISMATCH', async () => {
      const amd = signedFor(main, 'linux/amd64').find((a) => a.predicateType === SPDX)!;
      const { manifest, bytes } = await envelopeOf(amd.artifactDigest);
      const attacked = await attach(platformOf(main, 'linux/arm64'), bytes, manifest.artifactType!, 'swapped');

      const r = await verify(main);
      expect(outcome(r, 'linux/arm64').rejected[attacked]).toBe('STMT_SUBJECT_MISMATCH');
      expectOriginalsVerify(r, main, 'linux/arm64');
      expectOriginalsVerify(r, main, 'linux/amd64');
    });
  });

  describe("when an envelope carries another envelope's log entry", () => {
    it('rejects it with a TLOG_ code', async () => {
      const [a, b] = signedFor(main, 'linux/amd64');
      const { manifest, json } = await envelopeOf(a!.artifactDigest);
      const other = (await envelopeOf(b!.artifactDigest)).json;
      json.signatures[0].extension.ext.tl = other.signatures[0].extension.ext.tl;
      const attacked = await attach(
        platformOf(main, 'linux/amd64'),
        Buffer.from(JSON.stringify(json)),
        manifest.artifactType!,
        'foreign-tl',
      );

      const r = await verify(main);
      expect(outcome(r, 'linux/amd64').rejected[attacked]).toMatch(/^TLOG_/);
      expectOriginalsVerify(r, main, 'linux/amd64');
    });
  });

  describe('when an envelope has its log entry removed', () => {
    it('rejects it with VERIFY_TLOG_MISSING under a log-required policy and accepts it under an optional one', async () => {
      const victim = signedFor(main, 'linux/amd64')[0]!;
      const { manifest, json } = await envelopeOf(victim.artifactDigest);
      delete json.signatures[0].extension.ext.tl;
      const attacked = await attach(
        platformOf(main, 'linux/amd64'),
        Buffer.from(JSON.stringify(json)),
        manifest.artifactType!,
        'no-tl',
      );

      expect(outcome(await verify(main), 'linux/amd64').rejected[attacked]).toBe('VERIFY_TLOG_MISSING');
      const optional = await verify(main, policy({ transparencyLog: 'optional' }));
      expect(optional.platforms[0]!.signatures.find((s) => s.artifactDigest === attacked)?.logIndex).toBeUndefined();
      expect(outcome(optional, 'linux/amd64').verified).toContain(attacked);
    });
  });

  describe('when the log keys are those of another log', () => {
    it('rejects every signature with TLOG_LOG_UNKNOWN and fails', async () => {
      const r = await verify(main, policy(), trust({ logs: logs(otherLog) }));
      for (const p of r.platforms) {
        for (const a of signedFor(main, p.platform))
          expect(outcome(r, p.platform).rejected[a.artifactDigest]).toBe('TLOG_LOG_UNKNOWN');
        expect(p.signatures).toEqual([]);
      }
      expect(r.passed).toBe(false);
    });
  });

  describe("when the keyring maps the log's ID to another key (SET and checkpoint signed by someone else)", () => {
    it('rejects every signature with a signature code', async () => {
      const wrong: LogKeyring = new Map([[rekor.logId, LogPublicKey.fromPem(otherLog.publicKeyPem)]]);
      const r = await verify(main, policy(), trust({ logs: wrong }));
      for (const p of r.platforms) {
        for (const a of signedFor(main, p.platform)) {
          expect(outcome(r, p.platform).rejected[a.artifactDigest]).toMatch(
            /^TLOG_(LOG_UNKNOWN|SET_INVALID|CHECKPOINT_SIGNATURE_INVALID)$/,
          );
        }
      }
      expect(r.passed).toBe(false);
    });
  });

  describe('when an issuer the trust material does not list signs', () => {
    it('rejects its signatures with PKT_ISSUER_NOT_ALLOWED and keeps the trusted ones', async () => {
      const before = new Set(main.result.signed.map((a) => a.artifactDigest));
      const theirs = await signImages({
        images: [main.image],
        provider: provider(stranger),
        transparencyLog: rekor.url,
      });
      expect(theirs.signed).toHaveLength(4);
      expect(theirs.signed.some((a) => before.has(a.artifactDigest))).toBe(false);

      const r = await verify(main);
      for (const a of theirs.signed)
        expect(outcome(r, a.platform).rejected[a.artifactDigest]).toBe('PKT_ISSUER_NOT_ALLOWED');
      for (const p of ['linux/amd64', 'linux/arm64']) expectOriginalsVerify(r, main, p);
      expect(r.passed).toBe(true);
    });
  });

  describe('when an artifact manifest has two layers', () => {
    it('rejects it with VERIFY_ARTIFACT_INVALID', async () => {
      const [a, b] = signedFor(main, 'linux/amd64');
      const first = await envelopeOf(a!.artifactDigest);
      const second = await envelopeOf(b!.artifactDigest);
      const subject = platformOf(main, 'linux/amd64');
      const doc = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: first.manifest.artifactType,
        config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_SIZE },
        layers: [first.manifest.layers[0], second.manifest.layers[0]],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      };
      const attacked = (await pushManifest(doc)).digest;

      const r = await verify(main);
      expect(outcome(r, 'linux/amd64').rejected[attacked]).toBe('VERIFY_ARTIFACT_INVALID');
      expectOriginalsVerify(r, main, 'linux/amd64');
    });
  });

  describe('when a referrers index lists an artifact whose subject is another platform', () => {
    it('rejects it there with VERIFY_ARTIFACT_INVALID', async () => {
      const amd = signedFor(main, 'linux/amd64')[0]!;
      const { manifest, bytes } = await envelopeOf(amd.artifactDigest);
      const amdSubject = platformOf(main, 'linux/amd64');
      const armSubject = platformOf(main, 'linux/arm64');
      const artifact = buildArtifactManifest({
        repository: main.built.repository,
        subject: amdSubject,
        artifactType: manifest.artifactType!,
        layers: [{ mediaType: manifest.artifactType!, data: bytes }],
        annotations: { 'test.attack': 'listed-elsewhere' },
      });
      const descriptor = (await putManifest(t, main.built.repository, artifact, OCI_MANIFEST)).descriptor;
      // The fallback tag is merged into the API's list: a hostile writer of that tag lists it under arm64.
      await addToReferrersTag(t, main.built.repository, armSubject.digest, {
        ...descriptor,
        artifactType: manifest.artifactType!,
      });

      const r = await verify(main);
      expect(outcome(r, 'linux/arm64').rejected[descriptor.digest]).toBe('VERIFY_ARTIFACT_INVALID');
      expectOriginalsVerify(r, main, 'linux/arm64');
    });
  });

  describe('when an envelope layer declares a size over MAX_ENVELOPE_BYTES', () => {
    it('rejects it with OCI_TOO_LARGE without downloading it', async () => {
      const victim = signedFor(main, 'linux/amd64')[0]!;
      const { manifest, bytes } = await envelopeOf(victim.artifactDigest);
      const layer = await putBlob(t, main.built.repository, Buffer.concat([bytes, Buffer.from('\n')])); // a blob of its own
      const subject = platformOf(main, 'linux/amd64');
      const doc = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: manifest.artifactType,
        config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_SIZE },
        layers: [{ mediaType: manifest.artifactType, digest: layer.digest, size: MAX_ENVELOPE_BYTES + 1 }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      };
      const attacked = (await pushManifest(doc)).digest;

      const r = await verify(main);
      expect(outcome(r, 'linux/amd64').rejected[attacked]).toBe('OCI_TOO_LARGE');
      expect(registry.requests.filter((q) => q.method === 'GET' && q.path.endsWith(`/blobs/${layer.digest}`))).toEqual(
        [],
      );
      expectOriginalsVerify(r, main, 'linux/amd64');
    });
  });

  describe('when the registry serves a longer envelope than the layer descriptor says', () => {
    it('rejects it with a size code', async () => {
      const victim = signedFor(main, 'linux/arm64')[0]!;
      const { manifest, bytes } = await envelopeOf(victim.artifactDigest);
      const padded = Buffer.concat([bytes, Buffer.from(' ')]); // a distinct blob of its own
      const layer = await putBlob(t, main.built.repository, padded);
      registry.seedBlob(main.built.repository, Buffer.concat([padded, Buffer.alloc(64 * 1024, 0x20)]), layer.digest);
      const subject = platformOf(main, 'linux/arm64');
      const doc = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: manifest.artifactType,
        config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_SIZE },
        layers: [{ mediaType: manifest.artifactType, digest: layer.digest, size: layer.size }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      };
      const attacked = (await pushManifest(doc)).digest;

      const r = await verify(main);
      expect(outcome(r, 'linux/arm64').rejected[attacked]).toMatch(/^(OCI|CORE)_(TOO_LARGE|SIZE_MISMATCH)$/);
      expectOriginalsVerify(r, main, 'linux/arm64');
    });
  });

  describe('when the OP rotated its key away after signing', () => {
    let op: GithubOidc;
    let rotated: Signed;
    let oldJwks: string;
    beforeAll(async () => {
      op = await startGithubOidc();
      rotated = await signNew('acme/rotated', op);
      oldJwks = JSON.stringify(op.jwks());
      await op.rotateKey({ dropOld: true });
    });
    afterAll(async () => op?.close());

    const opTrust = (findKey: KeyFinder) =>
      trust({ issuers: [op.issuer], findKey, commitmentClaims: { [op.issuer]: 'aud' } });
    const opPolicy = () => policy({ signers: [{ name: 'ci', issuer: op.issuer, claims: { repository: CI_REPO } }] });

    it('rejects every signature with PKT_KID_UNKNOWN when only the live JWKS is consulted', async () => {
      const r = await verify(rotated, opPolicy(), opTrust(discoveryKeyFinder()));
      for (const a of rotated.result.signed)
        expect(outcome(r, a.platform).rejected[a.artifactDigest]).toBe('PKT_KID_UNKNOWN');
      expect(r.passed).toBe(false);
    });

    it('verifies when the key finder also consults the archived JWKS', async () => {
      const live = discoveryKeyFinder();
      const archive = jwksKeyFinder({ [op.issuer]: parseJwks(oldJwks, 'archived JWKS') });
      const both: KeyFinder = async (issuer, kid, jkt) => (await live(issuer, kid, jkt)) ?? archive(issuer, kid, jkt);
      const r = await verify(rotated, opPolicy(), opTrust(both));
      expect(r.passed).toBe(true);
      expect(r.platforms.flatMap((p) => p.rejected)).toEqual([]);
    });
  });

  describe('when the policy needs two distinct signers', () => {
    it('fails with one signer, even with its signatures replayed as new artifacts', async () => {
      const victim = signedFor(main, 'linux/amd64')[0]!;
      const { manifest, bytes } = await envelopeOf(victim.artifactDigest);
      const replay = await attach(platformOf(main, 'linux/amd64'), bytes, manifest.artifactType!, 'replay');

      const r = await verify(main, policy({ threshold: 2 }));
      expect(outcome(r, 'linux/amd64').verified).toContain(replay);
      expect(r.platforms.map((p) => [p.passed, p.verdict?.signers])).toEqual([
        [false, ['ci']],
        [false, ['ci']],
      ]);
      expect(r.platforms[0]!.verdict?.violations).toEqual([expect.stringContaining('expected 2 distinct signer(s)')]);
      expect(r.passed).toBe(false);
    });

    it('passes with two distinct signer identities', async () => {
      const two = await signNew('acme/two');
      oidc.setClaims({ repository: BOT_REPO, sub: `repo:${BOT_REPO}:ref:refs/heads/main` });
      try {
        const second = await signImages({
          images: [two.image],
          provider: provider(oidc),
          transparencyLog: rekor.url,
        });
        expect(second.signed).toHaveLength(4);
      } finally {
        oidc.reset();
      }
      const r = await verify(two, policy({ threshold: 2 }));
      expect(r.platforms.map((p) => [p.passed, p.verdict?.signers])).toEqual([
        [true, ['ci', 'release']],
        [true, ['ci', 'release']],
      ]);
      expect(r.passed).toBe(true);
    });
  });

  describe('when the rule is at audit level', () => {
    it('passes the image but lists the violations', async () => {
      const r = await verify(main, policy({ threshold: 2, level: 'audit' }));
      expect(r.level).toBe('audit');
      expect(r.passed).toBe(true);
      expect(r.platforms.every((p) => !p.passed && (p.verdict?.violations.length ?? 0) > 0)).toBe(true);
      expect(formatReport(r)).toContain('verified (audit: violations reported above)');
    });
  });

  describe('when a digest is revoked', () => {
    it('fails the revoked platform only', async () => {
      const amd = platformOf(main, 'linux/amd64').digest as Digest;
      const r = await verify(main, policy({}, { digests: [amd] }));
      expect(r.platforms.map((p) => [p.platform, p.passed])).toEqual([
        ['linux/amd64', false],
        ['linux/arm64', true],
      ]);
      expect(r.platforms[0]!.verdict?.violations).toEqual([`${amd} is revoked`]);
      expect(r.passed).toBe(false);
    });

    it('fails every platform when the image index is revoked', async () => {
      const r = await verify(main, policy({}, { digests: [main.built.digest as Digest] }));
      expect(r.platforms.map((p) => p.passed)).toEqual([false, false]);
      expect(r.passed).toBe(false);
    });
  });

  describe('when the signer is revoked by name', () => {
    it('no longer counts its signatures', async () => {
      const r = await verify(main, policy({}, { signers: ['ci'] }));
      expect(r.platforms.map((p) => p.verdict?.signers)).toEqual([[], []]);
      expect(r.passed).toBe(false);
    });
  });

  describe('when no policy rule matches the image', () => {
    it('fails every platform with no verdict', async () => {
      const r = await verify(main, policy({ scope: 'ghcr.io/other/**' }));
      expect(r.platforms.map((p) => [p.passed, p.verdict])).toEqual([
        [false, undefined],
        [false, undefined],
      ]);
      expect(r.passed).toBe(false);
      expect(formatReport(r)).toContain('no rule matches this image');
    });
  });

  describe('when platforms are given', () => {
    it('verifies only those', async () => {
      const r = await verify(main, policy(), trust(), ['linux/arm64']);
      expect(r.digest).toBe(main.built.digest);
      expect(r.platforms.map((p) => p.platform)).toEqual(['linux/arm64']);
      expect(r.passed).toBe(true);
    });
    it('verifies a platform named twice once', async () => {
      const r = await verify(main, policy(), trust(), ['linux/arm64', 'linux/amd64', 'linux/arm64']);
      expect(r.platforms.map((p) => p.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    });
    it('throws OCI_PLATFORM_NOT_FOUND for a platform the image lacks', async () => {
      await expect(verify(main, policy(), trust(), ['linux/s390x'])).rejects.toMatchObject({
        code: 'OCI_PLATFORM_NOT_FOUND',
      });
    });
  });

  describe('when the registry has no referrers API (CNCF distribution 2.8, fallback tag)', () => {
    itWith(
      ['docker-registry'],
      'verifies the good signatures and rejects an envelope swapped between platforms',
      async () => {
        const dist = await startDistribution({ mode: 'plain' });
        const dt = createTransport(dist.host);
        try {
          const built = await pushBuildkitImage(dt, { repository: 'acme/dist', seed: 'dist' });
          const image = `${dist.host}/acme/dist@${built.digest}`;
          const result = await signImages({ images: [image], provider: provider(oidc), transparencyLog: rekor.url });
          expect(result.signed.every((a) => a.via === 'tag')).toBe(true);
          const amd = result.signed.find((a) => a.platform === 'linux/amd64')!;
          const m = (await getManifest(dt, 'acme/dist', amd.artifactDigest)).manifest as ImageManifest;
          const envelope = await getBlob(dt, 'acme/dist', m.layers[0]!, MAX_ENVELOPE_BYTES);
          const arm = built.platforms.find((p) => p.platform === 'linux/arm64')!.manifest;
          const swapped = await publishReferrer(dt, {
            repository: 'acme/dist',
            subject: arm,
            artifactType: m.artifactType!,
            layers: [{ mediaType: m.artifactType!, data: envelope }],
          });

          const r = await verifyImage({ image, trust: trust(), policy: policy() });
          const s = { image, built, result };
          expect(outcome(r, 'linux/arm64').rejected).toEqual({ [swapped.descriptor.digest]: 'STMT_SUBJECT_MISMATCH' });
          expectOriginalsVerify(r, s, 'linux/amd64');
          expectOriginalsVerify(r, s, 'linux/arm64');
          expect(r.passed).toBe(true);
        } finally {
          await dt.close();
          await dist.stop();
        }
      },
    );
  });

  describe('when the image has no signatures', () => {
    it('fails and says so', async () => {
      const built = await pushBuildkitImage(t, { repository: 'acme/unsigned', seed: 'unsigned' });
      const r = await verifyImage({
        image: `${registry.host}/acme/unsigned@${built.digest}`,
        trust: trust(),
        policy: policy(),
      });
      expect(r.platforms.map((p) => [p.signatures.length, p.rejected.length, p.passed])).toEqual([
        [0, 0, false],
        [0, 0, false],
      ]);
      expect(formatReport(r)).toContain('no signatures found');
    });
  });

  describe('when the image does not exist', () => {
    it('throws OCI_NOT_FOUND', async () => {
      await expect(
        verifyImage({ image: `${registry.host}/acme/missing:v1`, trust: trust(), policy: policy() }),
      ).rejects.toMatchObject({ code: 'OCI_NOT_FOUND' });
    });
  });
});

describe('formatReport and reportJson', () => {
  const D = (c: string) => `sha256:${c.repeat(64)}` as Digest;
  const r: VerifyReport = {
    image: 'ghcr.io/acme/app@sha256:…',
    digest: D('0'),
    level: 'enforce',
    passed: false,
    platforms: [
      {
        platform: 'linux/amd64',
        digest: D('1'),
        passed: false,
        signatures: [
          {
            artifactDigest: D('2'),
            predicateType: SPDX,
            logIndex: 7,
            integratedTime: 1_700_000_000,
            signer: {
              issuer: 'https://token.actions.githubusercontent.com',
              subject: 'repo:acme/app:ref:refs/heads/main',
              repository: 'acme/app',
              workflow: 'acme/app/.github/workflows/release.yml@refs/heads/main',
            },
            claims: { secret_looking: 'do-not-print', repository: 'acme/app' },
          },
        ],
        rejected: [
          { artifactDigest: D('3'), code: 'DSSE_SIGNATURE_INVALID', message: 'envelope signature does not verify' },
        ],
        verdict: {
          rule: {
            scope: '**',
            signers: [{ name: 'ci', issuer: 'i', claims: {} }],
            threshold: 2,
            require: [],
            transparencyLog: 'required',
            level: 'enforce',
          },
          signers: ['ci'],
          violations: ['expected 2 distinct signer(s) of [ci], got 1 (ci)'],
          passed: false,
        },
      },
    ],
  };

  describe('reportJson', () => {
    it('has stable fields, lists rejected artifacts with their code, and never the token claims', () => {
      const doc = JSON.parse(reportJson(r));
      expect(doc).toEqual({
        image: r.image,
        digest: D('0'),
        passed: false,
        level: 'enforce',
        rule: null,
        trust: [],
        platforms: [
          {
            platform: 'linux/amd64',
            digest: D('1'),
            passed: false,
            signatures: [
              {
                artifactDigest: D('2'),
                predicateType: SPDX,
                logIndex: 7,
                integratedTime: 1_700_000_000,
                signer: r.platforms[0]!.signatures[0]!.signer,
              },
            ],
            rejected: [
              { artifactDigest: D('3'), code: 'DSSE_SIGNATURE_INVALID', message: 'envelope signature does not verify' },
            ],
            violations: ['expected 2 distinct signer(s) of [ci], got 1 (ci)'],
            signers: ['ci'],
          },
        ],
      });
      expect(reportJson(r)).not.toContain('do-not-print');
    });
    it('says so when no rule matched', () => {
      const doc = JSON.parse(reportJson({ ...r, platforms: [{ ...r.platforms[0]!, verdict: undefined }] }));
      expect(doc.platforms[0].violations).toEqual(['no policy rule matches this image']);
      expect(doc.platforms[0].signers).toEqual([]);
    });
  });

  describe('formatReport', () => {
    it('prints a line per signature and per rejected artifact with its code, the violations and the outcome', () => {
      const text = formatReport(r);
      expect(text.split('\n')[0]).toBe(`${r.image}  ${D('0')}`);
      expect(text).toContain('linux/amd64');
      expect(text).toMatch(
        /✓ https:\/\/spdx\.dev\/Document\s+acme\/app acme\/app\/\.github\/workflows\/release\.yml@refs\/heads\/main {2}log 7/,
      );
      expect(text).toContain(`✗ ${D('3').slice(0, 19)}  DSSE_SIGNATURE_INVALID: envelope signature does not verify`);
      expect(text).toContain('policy: expected 2 distinct signer(s)');
      expect(text.trimEnd().split('\n').pop()).toBe('NOT verified: 1 platform(s)');
      expect(text).not.toContain('do-not-print');
    });
  });

  describe('when a policy rule applied', () => {
    it('both name its scope', () => {
      const scoped = { ...r, rule: 'ghcr.io/acme/**' };
      expect(formatReport(scoped).split('\n')[1]).toBe('  policy rule: scope ghcr.io/acme/**');
      expect(JSON.parse(reportJson(scoped)).rule).toBe('ghcr.io/acme/**');
    });
  });

  describe('when no policy rule applied', () => {
    it('both say so', () => {
      expect(formatReport(r).split('\n')[1]).toBe('  policy rule: none matches this image');
      expect(JSON.parse(reportJson(r)).rule).toBeNull();
    });
  });
});
