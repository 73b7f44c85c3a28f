/**
 * The services both stacks talk to, on loopback: CNCF distribution 2.8 (in-memory storage, no
 * referrers API) in its own process, the test registry (referrers API) and the GitHub OIDC fake
 * in the bench's parent, and the transparency logs — our Rekor test log, @sigstore/mock's Fulcio +
 * Rekor for the peer — in a child of their own (harness/log-child.ts). Also the image every run
 * signs, and the check that nothing was lost.
 */
import { distributionAvailable, startDistribution, type Distribution } from '../../__tests__/fakes/distribution.js';
import { startGithubOidc, type GithubOidc } from '../../__tests__/fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../../__tests__/fakes/oci-registry.js';
import { pushBuildkitImage, type BuiltImage } from '../../__tests__/fixtures/buildkit-image.js';
import { listReferrers } from '../../src/oci/referrers.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { startLogChild, type LogChild } from './log-child.js';
import { registryCpuMs } from './registry-cpu.js';
import type { PeerImage } from './peer-child.js';
import type { ServiceMap } from './requests.js';

/** The 8 platforms of the image (SPDX + SLSA each: 16 statements). */
export const PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
];

/** A registry under test, with a transport of the bench's own to push images and check them. */
export interface BenchRegistry {
  label: string;
  /** `host:port` as written in image references. */
  host: string;
  transport: ClosableTransport;
  /** The CPU time its own process has used (ms), for a registry that runs apart from the bench. */
  cpuMs?: () => number | undefined;
}

/** Everything running. */
export interface Services {
  dist: BenchRegistry;
  api: BenchRegistry;
  oidc: GithubOidc;
  logs: LogChild;
  /** Where each service lives, for counting requests. */
  map: ServiceMap;
  stop(): Promise<void>;
}

/**
 * Starts every service.
 * @throws Error when docker-registry is not installed
 */
export async function startServices(): Promise<Services> {
  if (!distributionAvailable()) throw new Error('docker-registry (CNCF distribution 2.8) is not installed');
  const started: Array<() => Promise<void>> = [];
  try {
    const d: Distribution = await startDistribution({ mode: 'plain' });
    started.push(() => d.stop());
    const fake: OciRegistry = await startOciRegistry();
    started.push(() => fake.close());
    const oidc = await startGithubOidc();
    started.push(() => oidc.close());
    const logs = await startLogChild();
    started.push(() => logs.close());
    const dist = { label: 'distribution 2.8', host: d.host, transport: createTransport(d.host), cpuMs: registryCpuMs };
    const api = { label: 'referrers-API test registry', host: fake.host, transport: createTransport(fake.host) };
    started.push(
      () => dist.transport.close(),
      () => api.transport.close(),
    );
    return {
      dist,
      api,
      oidc,
      logs,
      map: { registries: [d.host, fake.host], log: [logs.rekorUrl, logs.sigstoreUrl], oidc: [oidc.url] },
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(stoppers: Array<() => Promise<void>>): Promise<void> {
  await Promise.allSettled(stoppers.reverse().map((s) => s()));
}

/** Pushes a fresh BuildKit image (`platforms`, SPDX + SLSA each) to `r`; nothing of it is signed yet. */
export function pushImage(r: BenchRegistry, repository: string, platforms = PLATFORMS): Promise<BuiltImage> {
  return pushBuildkitImage(r.transport, {
    repository,
    platforms,
    seed: `${repository}-${Date.now()}-${Math.random()}`,
  });
}

/** What the peer is handed for `image`: each platform manifest and its statements. */
export function peerImage(image: BuiltImage): PeerImage {
  return {
    repository: image.repository,
    platforms: image.platforms.map((p) => ({
      digest: p.manifest.digest,
      statements: p.statements.map((s) => ({ predicateType: s.predicateType, b64: s.bytes.toString('base64') })),
    })),
  };
}

/**
 * Referrers missing after a run: each platform manifest must list one per statement.
 * @returns how many are missing (0 when nothing was lost)
 */
export async function lostReferrers(r: BenchRegistry, image: BuiltImage): Promise<number> {
  let lost = 0;
  for (const p of image.platforms) {
    const listed = await listReferrers(r.transport, image.repository, p.manifest.digest as `sha256:${string}`);
    lost += Math.max(0, p.statements.length - listed.referrers.length);
  }
  return lost;
}
