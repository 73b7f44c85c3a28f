/**
 * The signing pipeline end to end, in process: the real CNCF registry (fallback tag) or the
 * test registry (referrers API), the loopback GitHub OIDC endpoint and the test Rekor log.
 */
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { discoveryKeyFinder } from '../../src/identity/jwks.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { getManifest } from '../../src/oci/content-manifests.js';
import { signImages } from '../../src/sign/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/keys.js';
import { verifyImage } from '../../src/verify/index.js';
import type { Policy } from '../../src/policy/index.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { itWith, missingTools } from '../requirements.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { expectCode } from '../helpers.js';

const policyFor = (issuer: string, repository?: string): Policy => ({
  rules: [
    {
      scope: '**',
      signers: [{ name: 'ci', issuer, claims: repository ? { repository } : {} }],
      threshold: 1,
      require: ['https://slsa.dev/provenance/*', 'https://spdx.dev/Document'],
      transparencyLog: 'required',
      level: 'enforce',
    },
  ],
  revoked: { digests: [], signers: [] },
});

/** The hex of the empty config blob (`{}`) every artifact manifest names. */
const EMPTY_CONFIG_HEX = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

describe('signImages', () => {
  let oidc: GithubOidc;
  let rekor: RekorLog;
  let api: OciRegistry;
  let dist: Distribution | undefined;

  beforeAll(async () => {
    oidc = await startGithubOidc();
    rekor = await startRekorLog();
    api = await startOciRegistry();
    if (missingTools(['docker-registry']).length === 0) dist = await startDistribution({ mode: 'plain' });
  });
  afterAll(async () => {
    await Promise.all([oidc.close(), rekor.close(), api.close(), dist?.stop()]);
  });

  const env = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
  });
  const provider = () => githubActionsProvider({ env: env(), issuer: oidc.issuer, setSecret: () => {} });
  const trust = () => ({
    issuers: [oidc.issuer],
    findKey: discoveryKeyFinder(),
    logs: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
    commitmentClaims: { [oidc.issuer]: 'aud' as const },
  });

  async function signsEveryStatement(host: string, which: number): Promise<void> {
    const t = createTransport(host);
    const built = await pushBuildkitImage(t, { repository: 'acme/app', seed: `run-${which}` });
    const image = `${host}/acme/app@${built.digest}`;
    const before = await getManifest(t, 'acme/app', built.tag);

    const result = await signImages({ images: [image], provider: provider(), transparencyLog: rekor.url });

    expect(result.signed).toHaveLength(4); // 2 platforms × (SPDX + provenance)
    expect(new Set(result.signed.map((s) => s.logIndex)).size).toBe(4);
    expect(oidc.requests.idtoken).toBeGreaterThan(0);
    const after = await getManifest(t, 'acme/app', built.tag);
    expect(after.digest).toBe(before.digest); // the image index is never rewritten

    const report = await verifyImage({ image, trust: trust(), policy: policyFor(oidc.issuer) });
    expect(report.platforms.map((p) => [p.platform, p.signatures.length, p.rejected.length, p.passed])).toEqual([
      ['linux/amd64', 2, 0, true],
      ['linux/arm64', 2, 0, true],
    ]);
    expect(report.passed).toBe(true);
    await t.close();
  }

  it('signs every statement of a two-platform image and it verifies (referrers API)', () =>
    signsEveryStatement(api.host, 0));
  itWith(['docker-registry'], 'signs every statement of a two-platform image and it verifies (fallback tag)', () =>
    signsEveryStatement(dist!.host, 1),
  );

  describe('when given several images by tag', () => {
    it('reports the index digest each tag resolved to, and names its image on every statement', async () => {
      const t = createTransport(api.host);
      try {
        const a = await pushBuildkitImage(t, { repository: 'acme/by-tag-a', seed: 'by-tag-a' });
        const b = await pushBuildkitImage(t, {
          repository: 'acme/by-tag-b',
          seed: 'by-tag-b',
          tag: '2.0',
          platforms: ['linux/arm64'],
        });
        const images = [`${api.host}/acme/by-tag-a:${a.tag}`, `${api.host}/acme/by-tag-b:${b.tag}`];
        const start = api.requests.length;
        const result = await signImages({ images, provider: provider(), transparencyLog: rekor.url });
        // The images are read at once: b's first read goes out before a's statements are all read.
        const reads = api.requests.slice(start);
        const firstOfB = reads.findIndex((q) => q.path.startsWith('/v2/acme/by-tag-b/'));
        const blobReadsOfA = reads.map((q) => q.method === 'GET' && q.path.startsWith('/v2/acme/by-tag-a/blobs/'));
        expect(firstOfB).toBeGreaterThanOrEqual(0);
        expect(firstOfB).toBeLessThan(blobReadsOfA.lastIndexOf(true));
        expect(result.images).toEqual([
          {
            image: images[0],
            digest: a.digest,
            kind: 'index',
            pinned: `${api.host}/acme/by-tag-a@${a.digest}`,
            platforms: ['linux/amd64', 'linux/arm64'],
          },
          {
            image: images[1],
            digest: b.digest,
            kind: 'index',
            pinned: `${api.host}/acme/by-tag-b@${b.digest}`,
            platforms: ['linux/arm64'],
          },
        ]);
        const subjectsOf = (built: typeof a) => built.platforms.map((p) => p.manifest.digest);
        expect(
          result.signed.map((s) => [s.image, subjectsOf(s.image === images[0] ? a : b).includes(s.subject)]),
        ).toEqual([...Array(4).fill([images[0], true]), ...Array(2).fill([images[1], true])]);
        const again = await signImages({ images, provider: provider(), transparencyLog: rekor.url });
        expect(again.images).toEqual(result.images); // also when nothing is left to sign
        expect(again.signed).toEqual([]);
      } finally {
        await t.close();
      }
    });
  });

  /** The runner's environment of a push to main of `workflow` in `repository` (what GitHub sets). */
  const runnerEnv = (repository = 'octo-org/octo-repo', workflow = 'release.yml') => ({
    ...env(),
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: repository,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/${workflow}@refs/heads/main`,
    GITHUB_EVENT_NAME: 'push',
  });
  /** The claims the OIDC endpoint issues for that workflow. */
  const claimsOf = (repository: string, workflow: string) => ({
    repository,
    sub: `repo:${repository}:ref:refs/heads/main`,
    workflow_ref: `${repository}/.github/workflows/${workflow}@refs/heads/main`,
    job_workflow_ref: `${repository}/.github/workflows/${workflow}@refs/heads/main`,
  });
  const inWorkflow = (e: Record<string, string>) =>
    githubActionsProvider({ env: e, issuer: oidc.issuer, setSecret: () => {} });

  async function pushed(repository: string): Promise<string> {
    const t = createTransport(api.host);
    try {
      const built = await pushBuildkitImage(t, { repository, seed: repository });
      return `${api.host}/${repository}@${built.digest}`;
    } finally {
      await t.close();
    }
  }

  describe('when run again by the same signer identity', () => {
    it('adds nothing in a GitHub workflow, after the one token that says who signs', async () => {
      const image = await pushed('acme/rerun');
      const first = await signImages({
        images: [image],
        provider: inWorkflow(runnerEnv()),
        transparencyLog: rekor.url,
      });
      const tokensBefore = oidc.requests.idtoken;
      const logged = rekor.size();
      const second = await signImages({
        images: [image],
        provider: inWorkflow(runnerEnv()),
        transparencyLog: rekor.url,
      });
      expect(second.signed).toEqual([]);
      expect(second.skipped.map((s) => s.artifactDigest).sort()).toEqual(
        first.signed.map((s) => s.artifactDigest).sort(),
      );
      expect(oidc.requests.idtoken).toBe(tokensBefore + 1); // the environment cannot say who signs: the token does
      expect(rekor.size()).toBe(logged);
    });

    it('asks for the token first and then adds nothing when the identity is not known before', async () => {
      const image = await pushed('acme/rerun-unknown');
      const first = await signImages({ images: [image], provider: provider(), transparencyLog: rekor.url });
      const tokensBefore = oidc.requests.idtoken;
      const logged = rekor.size();
      const second = await signImages({ images: [image], provider: provider(), transparencyLog: rekor.url });
      expect(second.signed).toEqual([]);
      expect(second.skipped.map((s) => s.artifactDigest).sort()).toEqual(
        first.signed.map((s) => s.artifactDigest).sort(),
      );
      expect(second.signer).toMatchObject({ issuer: oidc.issuer, repository: 'octo-org/octo-repo' });
      expect(oidc.requests.idtoken).toBe(tokensBefore + 1);
      expect(rekor.size()).toBe(logged); // nothing logged, nothing published
    });
  });

  describe('when a second signer identity signs', () => {
    /** Signs `image` as `repository`'s `workflow` (the endpoint issues its claims, `extra` on top), in a workflow or not. */
    async function signAs(
      image: string,
      repository: string,
      workflow: string,
      known: boolean,
      extra: Record<string, string> = {},
    ) {
      oidc.setClaims({ ...claimsOf(repository, workflow), ...extra });
      try {
        return await signImages({
          images: [image],
          provider: known ? inWorkflow(runnerEnv(repository, workflow)) : provider(),
          transparencyLog: rekor.url,
        });
      } finally {
        oidc.reset();
      }
    }
    const threshold2 = (signers: Array<[string, Record<string, string>]>): Policy => ({
      rules: [
        {
          scope: '**',
          threshold: 2,
          require: [],
          transparencyLog: 'required',
          level: 'enforce',
          signers: signers.map(([name, claims]) => ({ name, issuer: oidc.issuer, claims })),
        },
      ],
      revoked: { digests: [], signers: [] },
    });

    it.each([
      ['known before the token', true],
      ['not known before the token', false],
    ])('adds its own signatures beside the first (identity %s)', async (_what, known) => {
      const image = await pushed(`acme/two-${known}`);
      await signAs(image, 'octo-org/octo-repo', 'release.yml', known);
      const second = await signAs(image, 'octo-org/release-bot', 'countersign.yml', known);
      expect(second.signed).toHaveLength(4);
      expect(second.skipped).toEqual([]);
      const both = threshold2([
        ['ci', { repository: 'octo-org/octo-repo' }],
        ['release', { repository: 'octo-org/release-bot' }],
      ]);
      const report = await verifyImage({ image, trust: trust(), policy: both });
      expect(report.platforms.map((p) => p.verdict?.signers.sort())).toEqual([
        ['ci', 'release'],
        ['ci', 'release'],
      ]);
      expect(report.passed).toBe(true);
    });

    it('co-signs as another workflow of the same repository (the repository alone is not the identity)', async () => {
      const image = await pushed('acme/two-workflows');
      await signAs(image, 'octo-org/octo-repo', 'release.yml', true);
      const qa = await signAs(image, 'octo-org/octo-repo', 'qa.yml', true);
      expect(qa.signed).toHaveLength(4);
      const both = threshold2([
        ['build', { job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main' }],
        ['qa', { job_workflow_ref: 'octo-org/octo-repo/.github/workflows/qa.yml@refs/heads/main' }],
      ]);
      expect((await verifyImage({ image, trust: trust(), policy: both })).passed).toBe(true);
    });

    it('co-signs as a job with an environment of the same workflow and ref (the runner does not show it)', async () => {
      const image = await pushed('acme/environment-job');
      await signAs(image, 'octo-org/octo-repo', 'release.yml', true);
      // Same runner environment, but GitHub puts the job's environment in sub.
      const qa = await signAs(image, 'octo-org/octo-repo', 'release.yml', true, {
        sub: 'repo:octo-org/octo-repo:environment:qa',
        environment: 'qa',
      });
      expect(qa.signed).toHaveLength(4);
      const both = threshold2([
        ['build', { sub: 'repo:octo-org/octo-repo:ref:refs/heads/main' }],
        ['qa', { sub: 'repo:octo-org/octo-repo:environment:qa' }],
      ]);
      expect((await verifyImage({ image, trust: trust(), policy: both })).passed).toBe(true);
    });
  });

  describe('when the image has no attestations and nothing is given', () => {
    it('throws SIGN_NO_STATEMENTS before asking for a token', async () => {
      const t = createTransport(api.host);
      const built = await pushBuildkitImage(t, { repository: 'acme/bare', attestations: 'none', seed: 'bare' });
      const before = oidc.requests.idtoken;
      await expectCode(
        () =>
          signImages({
            images: [`${api.host}/acme/bare@${built.digest}`],
            provider: provider(),
            transparencyLog: rekor.url,
          }),
        'SIGN_NO_STATEMENTS',
      );
      expect(oidc.requests.idtoken).toBe(before);
      await t.close();
    });
  });

  describe('when the log fails three times with 503', () => {
    it('still converges', async () => {
      const t = createTransport(api.host);
      const built = await pushBuildkitImage(t, { repository: 'acme/flaky', seed: 'flaky' });
      rekor.failNext(3, 503);
      const result = await signImages({
        images: [`${api.host}/acme/flaky@${built.digest}`],
        provider: provider(),
        transparencyLog: rekor.url,
      });
      expect(result.signed).toHaveLength(4);
      await t.close();
    });
  });

  /**
   * Signs a fresh image in `repository` while the log answers every entry with 503; the run must
   * fail. @returns the run's upload requests to that repository, by method, and its PUTs
   */
  async function signWithLogDown(repository: string, platforms?: string[]) {
    const t = createTransport(api.host);
    const built = await pushBuildkitImage(t, { repository, seed: repository, ...(platforms ? { platforms } : {}) });
    const before = api.requests.length;
    rekor.failNext(10_000, 503);
    try {
      await expect(
        signImages({
          images: [`${api.host}/${repository}@${built.digest}`],
          provider: provider(),
          transparencyLog: rekor.url,
        }),
      ).rejects.toThrow(/503/);
    } finally {
      rekor.clearFaults();
      await t.close();
    }
    const seen = api.requests.slice(before).filter((r) => r.path.startsWith(`/v2/${repository}/`));
    return {
      uploads: (method: string) => seen.filter((r) => r.method === method && r.path.includes('/blobs/uploads/')),
      puts: seen.filter((r) => r.method === 'PUT'),
    };
  }

  describe('when the log fails for good', () => {
    it('publishes nothing and cancels the upload sessions opened while logging', async () => {
      const { uploads, puts } = await signWithLogDown('acme/log-down');
      // One session per statement, opened while its envelope was being logged, each one deleted;
      // besides them one upload: the empty config, pushed meanwhile. No manifest is written.
      expect(uploads('DELETE').map((r) => r.status)).toEqual([204, 204, 204, 204]);
      expect(uploads('POST')).toHaveLength(4 + 1);
      expect(puts.map((r) => r.path.includes(EMPTY_CONFIG_HEX))).toEqual([true]);
    });
  });

  describe('when the log fails for good while more subjects wait than are logged at once', () => {
    it('starts no further subject after the first failure', async () => {
      // 18 subjects; at most 16 are logged at once (log-and-publish.ts SUBJECTS_AHEAD).
      const platforms = Array.from({ length: 18 }, (_, i) => `linux/arch${i}`);
      const { uploads } = await signWithLogDown('acme/log-down-wide', platforms);
      // Sessions for the first 16 subjects only (and one upload of the empty config), all cancelled.
      expect(uploads('POST').length).toBe(16 * 2 + 1);
      expect(uploads('DELETE').length).toBe(16 * 2);
    });
  });

  describe('when the OIDC endpoint fails once', () => {
    it('retries and signs', async () => {
      const t = createTransport(api.host);
      const built = await pushBuildkitImage(t, { repository: 'acme/oidc-flaky', seed: 'oidc-flaky' });
      oidc.failNext(1, 500);
      const result = await signImages({
        images: [`${api.host}/acme/oidc-flaky@${built.digest}`],
        provider: provider(),
        transparencyLog: rekor.url,
      });
      expect(result.signed).toHaveLength(4);
      await t.close();
    });
  });

  describe('when the registry has no referrers API', () => {
    it("probes for the API once and writes each platform's fallback tag once, listing both of its envelopes", async () => {
      const noApi = await startOciRegistry({ referrersApi: false });
      const t = createTransport(noApi.host);
      try {
        const built = await pushBuildkitImage(t, {
          repository: 'acme/tag',
          seed: 'tag',
          platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'],
        });
        const before = noApi.requests.length;
        const result = await signImages({
          images: [`${noApi.host}/acme/tag@${built.digest}`],
          provider: provider(),
          transparencyLog: rekor.url,
        });
        expect(result.signed).toHaveLength(6);
        expect(result.signed.every((s) => s.via === 'tag')).toBe(true);
        const seen = noApi.requests.slice(before);
        expect(seen.filter((r) => r.path.includes('/referrers/'))).toHaveLength(1);
        const tagPuts = seen.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/sha256-'));
        // per subject: the skip check (which also stands in for the check before pushing), the
        // read right before the write, the confirming read
        for (const p of built.platforms) {
          const tag = `/v2/acme/tag/manifests/sha256-${p.manifest.digest.slice(7)}`;
          expect(seen.filter((r) => r.method === 'GET' && r.path === tag)).toHaveLength(3);
        }
        // The skip check lists each subject as soon as it is known, while the statements are read.
        const firstTagRead = seen.findIndex((r) => r.method === 'GET' && r.path.includes('/manifests/sha256-'));
        const statementReads = built.platforms.flatMap((p) =>
          p.statements.map((st) => seen.findIndex((r) => r.path.endsWith(`/blobs/${st.layer.digest}`))),
        );
        expect(firstTagRead).toBeGreaterThan(-1);
        expect(firstTagRead).toBeLessThan(Math.max(...statementReads));
        expect(tagPuts.map((r) => r.path).sort()).toEqual(
          built.platforms.map((p) => `/v2/acme/tag/manifests/sha256-${p.manifest.digest.slice(7)}`).sort(),
        );
        for (const p of built.platforms) {
          const index = JSON.parse(noApi.manifest('acme/tag', `sha256-${p.manifest.digest.slice(7)}`)!.toString());
          expect(index.manifests.map((d: { digest: string }) => d.digest).sort()).toEqual(
            result.signed
              .filter((s) => s.subject === p.manifest.digest)
              .map((s) => s.artifactDigest)
              .sort(),
          );
        }
      } finally {
        await t.close();
        await noApi.close();
      }
    });
  });

  describe('when the transparency log is off', () => {
    it('signs without log entries and verifies under an optional-log policy', async () => {
      const t = createTransport(api.host);
      const built = await pushBuildkitImage(t, { repository: 'acme/private', seed: 'private' });
      const image = `${api.host}/acme/private@${built.digest}`;
      const result = await signImages({ images: [image], provider: provider(), transparencyLog: false });
      expect(result.signed.every((s) => s.logIndex === undefined)).toBe(true);
      const required = await verifyImage({ image, trust: trust(), policy: policyFor(oidc.issuer) });
      expect(required.passed).toBe(false);
      expect(required.platforms[0]!.rejected.map((r) => r.code)).toContain('VERIFY_TLOG_MISSING');
      const optional = policyFor(oidc.issuer);
      optional.rules[0]!.transparencyLog = 'optional';
      expect((await verifyImage({ image, trust: trust(), policy: optional })).passed).toBe(true);
      await t.close();
    });
  });
});
