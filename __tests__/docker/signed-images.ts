/**
 * Signed images the real Docker daemon can pull and run, all on loopback: the CNCF registry
 * (docker-registry), the GitHub-compatible OIDC endpoint and the Rekor test log, a static
 * `/hello` binary built with Go's standard library (it prints `opk-hello ARGS…`, so a container
 * runs without a shell or the network), and images signed by the real signing pipeline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { claimsOf, DEFAULT_IDENTITY } from '../fakes/local-stack.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';

/** The repository every allowed signature comes from. */
export const ALLOWED_REPOSITORY = DEFAULT_IDENTITY.repository;

const HELLO_GO = `package main

import "os"

func main() {
	out := "opk-hello"
	for _, a := range os.Args[1:] {
		out += " " + a
	}
	os.Stdout.WriteString(out + "\\n")
}
`;

/** Why the world cannot be built here (go missing), or undefined. */
export function goMissing(): string | undefined {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'go is not installed (apt-get install golang-go)';
  }
}

/** An image pushed to the registry. */
export interface PushedImage {
  /** `HOST/REPO:TAG`. */
  ref: string;
  /** `HOST/REPO`. */
  name: string;
  digest: string;
}

/** Policy options: revoked digests, and the level of the rule. */
export interface PolicyOptions {
  revoked?: string[];
  level?: 'enforce' | 'audit';
}

/** The running world. */
export interface SigningWorld {
  registry: Distribution;
  host: string;
  oidc: GithubOidc;
  rekor: RekorLog;
  dir: string;
  /** Pushes a runnable single-platform (linux/amd64) image with BuildKit-style attestations. */
  push(repository: string, tag: string, seed: string): Promise<PushedImage>;
  /** Signs `name@digest` as the default identity, or as a workflow of `repository`. */
  sign(image: PushedImage, repository?: string): Promise<void>;
  /** Writes a policy allowing only ALLOWED_REPOSITORY's workflows and returns its trust flags. */
  trustFlags(o?: PolicyOptions): string[];
  stop(): Promise<void>;
}

/**
 * Starts registry, OIDC endpoint and log and builds the `/hello` binary.
 * @throws Error when a part cannot start or go cannot build
 */
export async function startSigningWorld(): Promise<SigningWorld> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opk-docker-world-'));
  const [registry, oidc, rekor] = await Promise.all([
    startDistribution({ mode: 'plain' }),
    startGithubOidc(),
    startRekorLog(),
  ]);
  const hello = buildHello(dir);
  const tlogKey = path.join(dir, 'rekor.pem');
  writeFileSync(tlogKey, rekor.publicKeyPem);
  let policies = 0;
  return {
    registry,
    host: registry.host,
    oidc,
    rekor,
    dir,
    async push(repository, tag, seed) {
      const t = createTransport(registry.host);
      try {
        const built = await pushBuildkitImage(t, {
          repository,
          tag,
          seed,
          platforms: ['linux/amd64'],
          files: [
            { name: 'hello', content: hello, mode: 0o755 },
            { name: 'seed.txt', content: seed },
          ],
        });
        const name = `${registry.host}/${repository}`;
        return { ref: `${name}:${tag}`, name, digest: built.digest };
      } finally {
        await t.close();
      }
    },
    async sign(image, repository) {
      if (repository)
        oidc.setClaims(
          claimsOf({
            ...DEFAULT_IDENTITY,
            repository,
            workflowRef: `${repository}/.github/workflows/release.yml@refs/heads/main`,
          }),
        );
      else oidc.reset();
      const provider = githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      });
      await signImages({ images: [`${image.name}@${image.digest}`], provider, transparencyLog: rekor.url });
      oidc.reset();
    },
    trustFlags(o = {}) {
      const file = path.join(dir, `policy-${++policies}.json`);
      const rule = {
        scope: '**',
        signers: [{ name: 'ci', issuer: oidc.issuer, claims: { repository: ALLOWED_REPOSITORY } }],
        threshold: 1,
        require: [],
        transparencyLog: 'required',
        level: o.level ?? 'enforce',
      };
      writeFileSync(file, JSON.stringify({ rules: [rule], revoked: { digests: o.revoked ?? [], signers: [] } }));
      return ['--policy', file, '--issuer', oidc.issuer, '--transparency-log', rekor.url, '--tlog-key', tlogKey];
    },
    async stop() {
      await Promise.allSettled([registry.stop(), oidc.close(), rekor.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A static linux/amd64 binary from Go's standard library only (no module proxy needed). */
function buildHello(dir: string): Buffer {
  const src = path.join(dir, 'hello.go');
  const out = path.join(dir, 'hello');
  writeFileSync(src, HELLO_GO);
  execFileSync('go', ['build', '-ldflags=-s -w', '-o', out, src], {
    cwd: dir,
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GO111MODULE: 'off',
      GOOS: 'linux',
      GOARCH: 'amd64',
      GOCACHE: path.join(dir, 'gocache'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return readFileSync(out);
}
