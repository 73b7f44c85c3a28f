/**
 * `npm run bench oci`: publishing referrers and walking indexes.
 * - attach N=64 referrers to one subject, one after the other: through the referrers API (the
 *   in-process test registry) and through the fallback tag (the test registry without API, and
 *   the real distribution 2.8 when `docker-registry` is installed); time per attach;
 * - attach 8 at once through the fallback tag (contention: 412 / re-read-and-retry);
 * - walk a 16-platform BuildKit index (platform manifests + attestation manifests).
 * "settle" is the fallback path's wait before its confirming read: 3 measured read-modify-write
 * cycles, jittered up to ×1.5, at least `settleMs` (default floor 25 ms), at most 2 s
 * (docs/referrers.md). "s=50ms" rows raise the floor to 50 ms; "default settle" rows use the library's.
 */
import { findAttestations } from '../src/oci/attestations.js';
import { listReferrers, publishReferrer, type PublishRequest, type ReferrersOptions } from '../src/oci/referrers.js';
import { createTransport } from '../src/oci/transport/client.js';
import type { RegistryTransport } from '../src/oci/transport/types.js';
import { distributionAvailable, startDistribution } from '../__tests__/fakes/distribution.js';
import { startOciRegistry } from '../__tests__/fakes/oci-registry.js';
import { pushBuildkitImage, type BuiltImage } from '../__tests__/fixtures/buildkit-image.js';
import { opsPerSecond, report } from './util.js';

const N = 64;
const TYPE = 'application/vnd.in-toto.spdx+dsse';

function request(img: BuiltImage, i: number): PublishRequest {
  return {
    repository: img.repository,
    subject: img.platforms[0]!.manifest,
    artifactType: TYPE,
    layers: [
      {
        mediaType: TYPE,
        data: Buffer.from(
          JSON.stringify({
            payloadType: 'application/vnd.in-toto+json',
            payload: Buffer.from(`statement ${i}`).toString('base64'),
            signatures: [],
          }),
        ),
      },
    ],
    annotations: {
      'in-toto.io/predicate-type': 'https://spdx.dev/Document',
      'dev.opk-attest.signer.subject': `signer-${i}`,
    },
  };
}

/** Attaches `n` referrers one after the other; reports mean and p95 ms per attach. */
async function attachSequential(
  label: string,
  t: RegistryTransport,
  repo: string,
  n: number,
  options: ReferrersOptions,
): Promise<void> {
  const img = await pushBuildkitImage(t, { repository: repo, platforms: ['linux/amd64'] });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await publishReferrer(t, request(img, i), options);
    times.push(performance.now() - start);
  }
  const listed = (await listReferrers(t, repo, img.platforms[0]!.manifest.digest)).referrers.length;
  if (listed !== n) throw new Error(`${label}: ${listed} of ${n} referrers listed`);
  times.sort((a, b) => a - b);
  report(`${label}: attach mean N=${n}`, times.reduce((a, b) => a + b, 0) / n, 'ms');
  report(`${label}: attach p95 N=${n}`, times[Math.floor(n * 0.95)]!, 'ms');
}

/** Eight writers attach at once; reports the wall time until all are confirmed. */
async function attachConcurrent(
  label: string,
  host: string,
  t: RegistryTransport,
  repo: string,
  options: ReferrersOptions,
): Promise<void> {
  const img = await pushBuildkitImage(t, { repository: repo, platforms: ['linux/amd64'] });
  const writers = Array.from({ length: 8 }, () => createTransport(host));
  const start = performance.now();
  await Promise.all(writers.map((w, i) => publishReferrer(w, request(img, i), options)));
  report(`${label}: 8 writers at once`, performance.now() - start, 'ms');
  const listed = (await listReferrers(t, repo, img.platforms[0]!.manifest.digest)).referrers.length;
  if (listed !== 8) throw new Error(`${label}: ${listed} of 8 referrers listed`);
  await Promise.all(writers.map((w) => w.close()));
}

async function onFakeRegistry(): Promise<void> {
  const api = await startOciRegistry();
  const fallback = await startOciRegistry({ referrersApi: false });
  const ta = createTransport(api.host);
  const tf = createTransport(fallback.host);
  try {
    await attachSequential('API fake', ta, 'bench/api', N, {});
    await attachSequential('tag+If-Match fake s=50ms', tf, 'bench/tag', N, { settleMs: 50 });
    await attachConcurrent('tag+If-Match fake s=50ms', fallback.host, tf, 'bench/tag8', { settleMs: 50 });
    const platforms = Array.from({ length: 16 }, (_, i) => `linux/arch${i}`);
    await pushBuildkitImage(ta, { repository: 'bench/wide', platforms });
    const walk = await opsPerSecond(() => findAttestations(ta, 'bench/wide', 'v1'), 2000);
    report('walk 16-platform index (32 children)', 1000 / walk, 'ms');
  } finally {
    await ta.close();
    await tf.close();
    await api.close();
    await fallback.close();
  }
}

async function onDistribution(): Promise<void> {
  if (!distributionAvailable()) {
    console.log('distribution 2.8 (docker-registry) not installed: fallback-tag figures on the real registry skipped');
    return;
  }
  const dist = await startDistribution({ mode: 'plain' });
  const t = createTransport(dist.host);
  try {
    await attachSequential('tag dist2.8 s=50ms', t, 'bench/dist', N, { settleMs: 50 });
    await attachSequential('tag dist2.8 default settle', t, 'bench/dist-default', 8, {});
    await attachConcurrent('tag dist2.8 s=50ms', dist.host, t, 'bench/dist8', { settleMs: 50 });
  } finally {
    await t.close();
    await dist.stop();
  }
}

await onFakeRegistry();
await onDistribution();
