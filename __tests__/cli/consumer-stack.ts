/**
 * What the consumer-side CLI tests share: the real registry (CNCF distribution; under CI=true a
 * missing binary fails the suite, elsewhere it skips), the GitHub-compatible OIDC endpoint, the
 * Rekor-v1 test log, images pushed and signed by the real signing pipeline, trust files (the
 * OIDC JWKS, the log key), and running the CLI in-process with its output captured.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { pushBuildkitImage, type BuildkitImageOptions } from '../fixtures/buildkit-image.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { describeWith } from '../requirements.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';

/** `describe` for a suite needing the real registry (../requirements.ts: fails under CI=true when missing). */
export const withRegistry = (title: string, body: () => void): void => describeWith(['docker-registry'], title, body);

/** A CLI run's exit status and output. */
export { cli, type Run } from './run-cli.js';

/** The running parts and the trust files. */
export interface ConsumerStack {
  registry: Distribution;
  oidc: GithubOidc;
  rekor: RekorLog;
  /** A scratch directory, removed by `stop()`. */
  dir: string;
  /** `--jwks` and `--tlog-key` files. */
  jwksFile: string;
  rekorKeyFile: string;
  /** The trust flags that accept what `sign` signs (octo-org/octo-repo on the OIDC fake). */
  trustFlags: string[];
  /** Pushes an image (two platforms with BuildKit attestations); returns `host/repo:tag` and its digest. */
  push(o: Partial<BuildkitImageOptions> & { repository: string }): Promise<{ ref: string; digest: string }>;
  /** Signs images with the real pipeline (one OIDC round trip for all). */
  sign(images: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the registry, OIDC endpoint and log, and writes the trust files.
 * @throws when the registry binary is missing (the suite is skipped then, except under CI)
 */
export async function startConsumerStack(): Promise<ConsumerStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opk-consumer-'));
  const [registry, oidc, rekor] = await Promise.all([
    startDistribution({ mode: 'plain' }),
    startGithubOidc(),
    startRekorLog(),
  ]);
  const jwksFile = path.join(dir, 'jwks.json');
  const rekorKeyFile = path.join(dir, 'rekor.pem');
  await writeFile(jwksFile, JSON.stringify(oidc.jwks()));
  await writeFile(rekorKeyFile, rekor.publicKeyPem);
  const t = createTransport(registry.host);
  return {
    registry,
    oidc,
    rekor,
    dir,
    jwksFile,
    rekorKeyFile,
    trustFlags: [
      '--issuer',
      oidc.issuer,
      '--jwks',
      jwksFile,
      '--transparency-log',
      rekor.url,
      '--tlog-key',
      rekorKeyFile,
      '--signer-claim',
      'repository=octo-org/octo-repo',
    ],
    async push(o) {
      const built = await pushBuildkitImage(t, { seed: o.repository, ...o });
      return { ref: `${registry.host}/${o.repository}:${built.tag}`, digest: built.digest };
    },
    async sign(images) {
      const provider = githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      });
      await signImages({ images, provider, transparencyLog: rekor.url });
    },
    async stop() {
      await t.close();
      await Promise.all([registry.stop(), oidc.close(), rekor.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
