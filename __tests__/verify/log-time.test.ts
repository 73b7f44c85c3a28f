/**
 * Time that is true (docs/time.md): a PK token's `iat` must not be after the log's vouched time
 * (plus skew), nor after now (plus skew) without a log; an integrated time no SET vouches for is
 * never reported as fact. Images are signed by `signImages` against the referrers-API test
 * registry, the loopback GitHub OIDC endpoint and test Rekor logs whose clocks the tests set.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { MAX_ENVELOPE_BYTES } from '../../src/core/limits.js';
import type { Digest } from '../../src/core/digest.js';
import { discoveryKeyFinder, githubActionsProvider, MAX_CLOCK_SKEW_SECONDS } from '../../src/identity/index.js';
import {
  createTransport,
  getBlob,
  getManifest,
  publishReferrer,
  type ClosableTransport,
  type ImageManifest,
} from '../../src/oci/index.js';
import type { Policy } from '../../src/policy/index.js';
import { signImages } from '../../src/sign/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/index.js';
import { formatReport, reportJson, verifyImage, type VerifyReport } from '../../src/verify/index.js';
import { checkIssuedBeforeLogged } from '../../src/verify/log-time.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { expectCode } from '../helpers.js';

const HOUR = 3600;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('checkIssuedBeforeLogged', () => {
  const at = 1_700_000_000;
  describe('when the SET vouches for the integrated time', () => {
    it('accepts iat up to integratedTime plus the skew and throws VERIFY_IAT_AFTER_LOG_TIME after', async () => {
      expect(() =>
        checkIssuedBeforeLogged(at + MAX_CLOCK_SKEW_SECONDS, { integratedTime: at, logIndex: 1 }, 'sig'),
      ).not.toThrow();
      await expectCode(
        () => checkIssuedBeforeLogged(at + MAX_CLOCK_SKEW_SECONDS + 1, { integratedTime: at, logIndex: 1 }, 'sig'),
        'VERIFY_IAT_AFTER_LOG_TIME',
      );
    });
    it('prefers it over a later checkpoint time', () =>
      expectCode(
        () =>
          checkIssuedBeforeLogged(at + HOUR, { integratedTime: at, checkpointTime: at + 2 * HOUR, logIndex: 1 }, 's'),
        'VERIFY_IAT_AFTER_LOG_TIME',
      ));
  });
  describe('when only a signed checkpoint time bounds the entry', () => {
    it('compares iat with it', async () => {
      expect(() => checkIssuedBeforeLogged(at, { checkpointTime: at, logIndex: 1 }, 'sig')).not.toThrow();
      await expectCode(
        () => checkIssuedBeforeLogged(at + HOUR, { checkpointTime: at, logIndex: 1 }, 'sig'),
        'VERIFY_IAT_AFTER_LOG_TIME',
      );
    });
  });
  describe('when no log time is vouched for', () => {
    it('has nothing to compare with (the identity part compared iat with now)', () =>
      expect(() => checkIssuedBeforeLogged(at + 10 * HOUR, { logIndex: 1 }, 'sig')).not.toThrow());
  });
});

describe('verifyImage and time', () => {
  let oidc: GithubOidc;
  let registry: OciRegistry;
  let rekor: RekorLog;
  let lagging: RekorLog;
  let laggingStamped: RekorLog;
  let t: ClosableTransport;
  let seq = 0;

  const policy = (transparencyLog: 'required' | 'optional' = 'required'): Policy => ({
    rules: [
      {
        scope: '**',
        threshold: 1,
        require: [],
        transparencyLog,
        level: 'enforce',
        signers: [{ name: 'ci', issuer: oidc.issuer, claims: { repository: 'octo-org/octo-repo' } }],
      },
    ],
    revoked: { digests: [], signers: [] },
  });
  const verify = (image: string, log: RekorLog = rekor, p: Policy = policy()): Promise<VerifyReport> =>
    verifyImage({
      image,
      policy: p,
      trust: {
        issuers: [oidc.issuer],
        findKey: discoveryKeyFinder(),
        logs: createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]),
        commitmentClaims: { [oidc.issuer]: 'aud' },
      },
    });

  async function signNew(transparencyLog: string | false): Promise<{ image: string; artifacts: Digest[] }> {
    const repository = `time/app-${++seq}`;
    const built = await pushBuildkitImage(t, { repository, seed: repository, platforms: ['linux/amd64'] });
    const image = `${registry.host}/${repository}@${built.digest}`;
    const result = await signImages({
      images: [image],
      provider: githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      }),
      transparencyLog,
    });
    return { image, artifacts: result.signed.map((s) => s.artifactDigest) };
  }

  /** Re-attaches the first envelope of `image` with `edit` applied to its `ext.tl`; returns the new artifact. */
  async function reattach(image: string, artifact: Digest, edit: (tl: any) => void): Promise<Digest> {
    const repository = image.slice(registry.host.length + 1).split('@')[0]!;
    const manifest = (await getManifest(t, repository, artifact)).manifest as ImageManifest;
    const json = JSON.parse((await getBlob(t, repository, manifest.layers[0]!, MAX_ENVELOPE_BYTES)).toString('utf8'));
    edit(json.signatures[0].extension.ext.tl);
    const published = await publishReferrer(t, {
      repository,
      subject: manifest.subject!,
      artifactType: manifest.artifactType!,
      layers: [{ mediaType: manifest.artifactType!, data: Buffer.from(JSON.stringify(json)) }],
      annotations: { 'test.attack': 'time' },
    });
    return published.descriptor.digest;
  }

  const signatureOf = (r: VerifyReport, artifact: Digest) =>
    r.platforms.flatMap((p) => p.signatures).find((s) => s.artifactDigest === artifact);
  const rejectionOf = (r: VerifyReport, artifact: Digest) =>
    r.platforms.flatMap((p) => p.rejected).find((x) => x.artifactDigest === artifact)?.code;

  beforeAll(async () => {
    [oidc, registry, rekor, lagging, laggingStamped] = await Promise.all([
      startGithubOidc(),
      startOciRegistry(),
      startRekorLog(),
      // Logs whose clocks run an hour behind the OP: every token looks issued after its entry.
      startRekorLog({ now: () => nowSeconds() - HOUR }),
      startRekorLog({ now: () => nowSeconds() - HOUR, checkpointTimestamp: true }),
    ]);
    t = createTransport(registry.host);
  });
  afterEach(() => oidc.setClaims({}));
  afterAll(async () => {
    await t?.close();
    await Promise.all([oidc?.close(), registry?.close(), rekor?.close(), lagging?.close(), laggingStamped?.close()]);
  });

  describe('when the token and the log agree on time', () => {
    it('passes and reports the SET-vouched integrated time', async () => {
      const { image, artifacts } = await signNew(rekor.url);
      const r = await verify(image);
      expect(r.passed).toBe(true);
      const s = signatureOf(r, artifacts[0]!)!;
      expect(s.integratedTimeVerified).toBe(true);
      expect(Math.abs(s.integratedTime! - nowSeconds())).toBeLessThan(HOUR);
      expect(formatReport(r)).toMatch(/log \d+ at \d{4}-\d\d-\d\dT/);
    });
  });

  describe("when the token's iat is after the log's integrated time plus the skew", () => {
    it('rejects every signature with VERIFY_IAT_AFTER_LOG_TIME', async () => {
      const { image, artifacts } = await signNew(lagging.url);
      const r = await verify(image, lagging);
      expect(r.passed).toBe(false);
      for (const a of artifacts) expect(rejectionOf(r, a)).toBe('VERIFY_IAT_AFTER_LOG_TIME');
    });
  });

  describe('when the SET is stripped and only the signed checkpoint time bounds the entry', () => {
    it("rejects with VERIFY_IAT_AFTER_LOG_TIME when iat is after the checkpoint's time", async () => {
      const { image, artifacts } = await signNew(laggingStamped.url);
      const stripped = await reattach(image, artifacts[0]!, (tl) => delete tl.verification.signedEntryTimestamp);
      expect(rejectionOf(await verify(image, laggingStamped), stripped)).toBe('VERIFY_IAT_AFTER_LOG_TIME');
    });
  });

  describe('when the token is dated years in the future', () => {
    const future = () => ({ iat: nowSeconds() + 3 * 365 * 86_400 });
    it('rejects it with PKT_ISSUED_IN_FUTURE with a log', async () => {
      oidc.setClaims(future());
      const { image, artifacts } = await signNew(rekor.url);
      const r = await verify(image);
      expect(r.passed).toBe(false);
      for (const a of artifacts) expect(rejectionOf(r, a)).toBe('PKT_ISSUED_IN_FUTURE');
    });
    it('rejects it with PKT_ISSUED_IN_FUTURE without a log', async () => {
      oidc.setClaims(future());
      const { image, artifacts } = await signNew(false);
      const r = await verify(image, rekor, policy('optional'));
      expect(r.passed).toBe(false);
      for (const a of artifacts) expect(rejectionOf(r, a)).toBe('PKT_ISSUED_IN_FUTURE');
    });
    it('passes without a log when iat is now (the control)', async () => {
      const { image } = await signNew(false);
      expect((await verify(image, rekor, policy('optional'))).passed).toBe(true);
    });
  });

  describe('when the SET is stripped, the inclusion proof kept and the claimed time changed', () => {
    let image: string;
    let stripped: Digest;
    beforeAll(async () => {
      const signed = await signNew(rekor.url);
      image = signed.image;
      stripped = await reattach(image, signed.artifacts[0]!, (tl) => {
        delete tl.verification.signedEntryTimestamp;
        tl.integratedTime = 4_000_000_000;
      });
    });
    it('verifies the signature but reports its integrated time as unverified, in text and JSON', async () => {
      const r = await verify(image);
      const s = signatureOf(r, stripped)!;
      expect(s).toMatchObject({ integratedTimeVerified: false });
      expect(s).not.toHaveProperty('integratedTime');
      const doc = JSON.parse(reportJson(r));
      const listed = doc.platforms[0].signatures.find((x: any) => x.artifactDigest === stripped);
      expect(listed.integratedTimeVerified).toBe(false);
      expect(listed).not.toHaveProperty('integratedTime');
      expect(reportJson(r)).not.toContain('4000000000');
      expect(formatReport(r)).toContain(`(time unverified)  ${stripped.slice(0, 19)}`);
    });
    it('rejects it with TLOG_CHECKPOINT_SIGNATURE_INVALID when its checkpoint is not signed by the trusted log key', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const hint = createHash('sha256')
        .update(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))
        .digest()
        .subarray(0, 4);
      const signed = await signNew(rekor.url);
      const forged = await reattach(signed.image, signed.artifacts[0]!, (tl) => {
        delete tl.verification.signedEntryTimestamp;
        const cp: string = tl.verification.inclusionProof.checkpoint;
        const note = cp.slice(0, cp.indexOf('\n\n') + 1);
        const sig = sign('sha256', Buffer.from(note), { key: privateKey, dsaEncoding: 'der' });
        tl.verification.inclusionProof.checkpoint = `${note}\n\u2014 ${rekor.hostname} ${Buffer.concat([hint, sig]).toString('base64')}\n`;
      });
      expect(rejectionOf(await verify(signed.image), forged)).toBe('TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });
});
