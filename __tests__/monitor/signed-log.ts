/**
 * A test log holding real signatures: images pushed to the referrers-API test registry and
 * signed by `signImages` with tokens from the loopback GitHub OIDC endpoint, whose claims each
 * call sets (another workflow, another repository), logged in the Rekor test log.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { githubActionsProvider } from '../../src/identity/index.js';
import { createTransport, type ClosableTransport } from '../../src/oci/index.js';
import type { Policy } from '../../src/policy/index.js';
import { signImages } from '../../src/sign/index.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';

export const REPO = 'octo-org/octo-repo';
export const RELEASE = `${REPO}/.github/workflows/release.yml@refs/heads/main`;
export const EVIL = `${REPO}/.github/workflows/evil.yml@refs/heads/main`;
export const OTHER_REPO = 'octo-org/other-repo';

/** Claims of a token from another workflow of the same repository. */
export const evilWorkflow = { job_workflow_ref: EVIL, workflow_ref: EVIL, workflow: 'evil' };
/** Claims of a token from another repository of the same owner. */
export const otherRepository = {
  repository: OTHER_REPO,
  sub: `repo:${OTHER_REPO}:ref:refs/heads/main`,
  job_workflow_ref: `${OTHER_REPO}/.github/workflows/release.yml@refs/heads/main`,
  workflow_ref: `${OTHER_REPO}/.github/workflows/release.yml@refs/heads/main`,
};
/** Claims of a token from another owner altogether (not watched). */
export const stranger = {
  repository: 'someone/else',
  repository_owner: 'someone',
  sub: 'repo:someone/else:ref:refs/heads/main',
  job_workflow_ref: 'someone/else/.github/workflows/release.yml@refs/heads/main',
};

/** The running pieces. */
export interface SignedLog {
  oidc: GithubOidc;
  registry: OciRegistry;
  rekor: RekorLog;
  t: ClosableTransport;
  dir: string;
  /** The log's state file (copy it to start a fork). */
  logState: string;
  /** Signs a new single-platform image with a token carrying `claims`; returns the log indexes added. */
  signAs(claims?: Record<string, unknown>): Promise<number[]>;
  /** The policy: only the release workflow of REPO signs. */
  policy(revokedSigners?: string[]): Policy;
  close(): Promise<void>;
}

/** Starts OIDC, registry and log. */
export async function startSignedLog(): Promise<SignedLog> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opk-monitor-'));
  const logState = path.join(dir, 'rekor-state.json');
  const [oidc, registry, rekor] = await Promise.all([
    startGithubOidc(),
    startOciRegistry(),
    startRekorLog({ stateFile: logState }),
  ]);
  const t = createTransport(registry.host);
  let seq = 0;
  return {
    oidc,
    registry,
    rekor,
    t,
    dir,
    logState,
    async signAs(claims = {}) {
      const before = rekor.size();
      const repository = `monitor/app-${++seq}`;
      const built = await pushBuildkitImage(t, { repository, seed: repository, platforms: ['linux/amd64'] });
      oidc.setClaims(claims);
      try {
        await signImages({
          images: [`${registry.host}/${repository}@${built.digest}`],
          provider: githubActionsProvider({
            env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
            issuer: oidc.issuer,
            setSecret: () => {},
          }),
          transparencyLog: rekor.url,
        });
      } finally {
        oidc.setClaims({});
      }
      return Array.from({ length: rekor.size() - before }, (_, i) => before + i);
    },
    policy: (revokedSigners = []) => ({
      rules: [
        {
          scope: '**',
          threshold: 1,
          require: [],
          transparencyLog: 'required',
          level: 'enforce',
          signers: [{ name: 'release', issuer: oidc.issuer, claims: { repository: REPO, job_workflow_ref: RELEASE } }],
        },
      ],
      revoked: { digests: [], signers: revokedSigners },
    }),
    async close() {
      await t.close();
      await Promise.all([oidc.close(), registry.close(), rekor.close()]);
    },
  };
}
