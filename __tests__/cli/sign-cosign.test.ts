/**
 * `opk-attest sign` co-signing end to end (issue 8 item 4): two signer identities of one issuer
 * sign the same image on the real CNCF registry, neither with --force, with the loopback GitHub
 * OIDC endpoint and the test Rekor log; a threshold-2 policy then passes, and a re-run by the first
 * identity adds nothing — asking for a token first when the identity is not known before it, and
 * for none when the workflow's environment states it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTransport } from '../../src/oci/transport/client.js';
import type { Policy } from '../../src/policy/index.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { DEFAULT_GITHUB_CLAIMS, startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { describeWith } from '../requirements.js';
import { cli } from './run-cli.js';

interface SignJson {
  signed: Array<{ artifactDigest: string; platform: string }>;
  skipped: Array<{ artifactDigest: string }>;
  signer?: { issuer: string; repository?: string };
}

const RELEASE_BOT = 'octo-org/release-bot';
const RELEASE_BOT_WORKFLOW = `${RELEASE_BOT}/.github/workflows/countersign.yml@refs/heads/main`;
/** What the runner states about the job the OIDC endpoint issues its default claims to. */
const DEFAULT_JOB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: String(DEFAULT_GITHUB_CLAIMS.repository),
  GITHUB_REF: String(DEFAULT_GITHUB_CLAIMS.ref),
  GITHUB_WORKFLOW_REF: String(DEFAULT_GITHUB_CLAIMS.workflow_ref),
  GITHUB_EVENT_NAME: 'push',
};
/** Variables this file sets; whatever the test process had is put back afterwards. */
const TOUCHED = ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', ...Object.keys(DEFAULT_JOB_ENV)];

describeWith(['docker-registry'], 'opk-attest sign by two identities', () => {
  let registry: Distribution;
  let oidc: GithubOidc;
  let rekor: RekorLog;
  let dir: string;
  let image: string;
  let first: SignJson;
  const saved: Record<string, string | undefined> = {};

  const sign = async (): Promise<SignJson> => {
    const r = await cli('sign', image, '--issuer', oidc.issuer, '--transparency-log', rekor.url, '--json');
    expect({ code: r.code, err: r.err.split('\n').filter((l) => /\[[A-Z_]+\]/.test(l)) }).toEqual({ code: 0, err: [] });
    return JSON.parse(r.out) as SignJson;
  };
  const verify = (threshold: 1 | 2) =>
    cli(
      'verify',
      image,
      '--json',
      '--policy',
      path.join(dir, `policy-${threshold}.json`),
      '--issuer',
      oidc.issuer,
      '--commitment-claim',
      'aud',
      '--transparency-log',
      rekor.url,
      '--tlog-key',
      path.join(dir, 'rekor.pem'),
    );

  beforeAll(async () => {
    for (const k of TOUCHED) saved[k] = process.env[k];
    for (const k of Object.keys(DEFAULT_JOB_ENV)) delete process.env[k]; // not a workflow: identity unknown
    [registry, oidc, rekor] = await Promise.all([
      startDistribution({ mode: 'plain' }),
      startGithubOidc(),
      startRekorLog(),
    ]);
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = oidc.requestUrl;
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = oidc.requestToken;
    dir = await mkdtemp(path.join(os.tmpdir(), 'opk-cosign-'));
    await writeFile(path.join(dir, 'rekor.pem'), rekor.publicKeyPem);
    for (const threshold of [1, 2]) {
      const policy: Policy = {
        rules: [
          {
            scope: '**',
            threshold,
            require: ['https://slsa.dev/provenance/*', 'https://spdx.dev/Document'],
            transparencyLog: 'required',
            level: 'enforce',
            signers: [
              { name: 'ci', issuer: oidc.issuer, claims: { repository: String(DEFAULT_GITHUB_CLAIMS.repository) } },
              { name: 'release', issuer: oidc.issuer, claims: { repository: RELEASE_BOT } },
            ],
          },
        ],
        revoked: { digests: [], signers: [] },
      };
      await writeFile(path.join(dir, `policy-${threshold}.json`), JSON.stringify(policy));
    }
    const t = createTransport(registry.host);
    try {
      const built = await pushBuildkitImage(t, { repository: 'acme/cosign', seed: 'cli-cosign' });
      image = `${registry.host}/acme/cosign@${built.digest}`;
    } finally {
      await t.close();
    }
  });
  afterAll(async () => {
    for (const k of TOUCHED) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await Promise.all([registry?.stop(), oidc?.close(), rekor?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('when the first identity signs', () => {
    it('signs all four statements, and a threshold-2 policy does not pass on them', async () => {
      first = await sign();
      expect(first.signed).toHaveLength(4);
      expect(first.signer?.repository).toBe(DEFAULT_GITHUB_CLAIMS.repository);
      const r = await verify(2);
      expect(r.code).toBe(1);
      expect(r.out).toContain('expected 2 distinct signer(s)');
      expect((await verify(1)).code).toBe(0);
    });
  });

  describe('when a second identity of the same issuer signs without --force', () => {
    it('adds its own four signatures, and the threshold-2 policy passes', async () => {
      oidc.setClaims({
        repository: RELEASE_BOT,
        repository_owner: 'octo-org',
        sub: `repo:${RELEASE_BOT}:ref:refs/heads/main`,
        workflow_ref: RELEASE_BOT_WORKFLOW,
        job_workflow_ref: RELEASE_BOT_WORKFLOW,
      });
      let second: SignJson;
      try {
        second = await sign();
      } finally {
        oidc.reset();
      }
      expect(second.signed).toHaveLength(4);
      expect(second.skipped).toEqual([]);
      expect(second.signer?.repository).toBe(RELEASE_BOT);
      const mine = new Set(first.signed.map((s) => s.artifactDigest));
      expect(second.signed.some((s) => mine.has(s.artifactDigest))).toBe(false);

      const r = await verify(2);
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      const report = JSON.parse(r.out) as { platforms: Array<{ signers: string[]; passed: boolean }> };
      expect(report.platforms.map((p) => [p.passed, [...p.signers].sort()])).toEqual([
        [true, ['ci', 'release']],
        [true, ['ci', 'release']],
      ]);
    });
  });

  describe('when the first identity signs a third time', () => {
    it('asks for a token (its identity is not known before), then logs and publishes nothing', async () => {
      const tokens = oidc.issued.length;
      const logged = rekor.size();
      const third = await sign();
      expect(third.signed).toEqual([]);
      expect(third.skipped.map((s) => s.artifactDigest).sort()).toEqual(
        first.signed.map((s) => s.artifactDigest).sort(),
      );
      expect(oidc.issued).toHaveLength(tokens + 1);
      expect(rekor.size()).toBe(logged);
    });

    it("asks for the token in a workflow too (the runner's environment cannot say who signs)", async () => {
      Object.assign(process.env, DEFAULT_JOB_ENV);
      try {
        const tokens = oidc.issued.length;
        const logged = rekor.size();
        const r = await cli('sign', image, '--issuer', oidc.issuer, '--transparency-log', rekor.url, '--json');
        const again = JSON.parse(r.out) as SignJson; // stdout is the data alone
        expect(again.signed).toEqual([]);
        expect(again.skipped).toHaveLength(4);
        expect(oidc.issued).toHaveLength(tokens + 1);
        expect(rekor.size()).toBe(logged);
        // The ID token is masked in the workflow log, by a command on stderr.
        expect(r.err).toContain(`::add-mask::${oidc.issued.at(-1)}\n`);
      } finally {
        for (const k of Object.keys(DEFAULT_JOB_ENV)) delete process.env[k];
      }
    });
  });
});
