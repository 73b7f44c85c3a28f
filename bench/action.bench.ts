/**
 * `npm run bench action`: the bundled action measured the way a runner runs it (issue 9) — a
 * fresh `node dist/index.js` per run, the runner's environment, action.yml's defaults (so
 * `verify: true`) — on CNCF distribution 2.8 (in-memory storage, no referrers API: the fallback
 * tag), for an 8-platform BuildKit image with SPDX + SLSA per platform (16 statements).
 *
 * Requests: everything the process sends to the registry, the log and the OIDC endpoint,
 * counted inside it by a preloaded hook on undici's diagnostics channel
 * (harness/count-requests.mjs), minus the reads of the image itself (harness/requests.ts).
 */
import { ensureDist, DEFAULT_IDENTITY, runnerEnv } from '../__tests__/fakes/local-stack.js';
import { distributionAvailable, startDistribution } from '../__tests__/fakes/distribution.js';
import { startGithubOidc } from '../__tests__/fakes/github-oidc.js';
import { startRekorLog } from '../__tests__/fakes/rekor-log.js';
import { pushBuildkitImage } from '../__tests__/fixtures/buildkit-image.js';
import { createTransport } from '../src/oci/transport/client.js';
import { runFresh } from './harness/fresh-process.js';
import { countRequests, formatKinds, imagePaths } from './harness/requests.js';
import { judge, median, printMissed, show } from './harness/targets.js';

const QUICK = process.env['OPK_BENCH_QUICK'] === '1';
const RUNS = QUICK ? 2 : 5;
const PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
];
const STATEMENTS = PLATFORMS.length * 2;

if (!distributionAvailable()) throw new Error('docker-registry (CNCF distribution 2.8) is not installed');
ensureDist(process.cwd());
const dist = await startDistribution({ mode: 'plain' });
const oidc = await startGithubOidc();
const rekor = await startRekorLog();
const t = createTransport(dist.host);
try {
  const walls: number[] = [];
  const perStatement: number[] = [];
  let kinds = '';
  for (let run = 0; run < RUNS; run++) {
    const repository = `bench/action-${run}`;
    const image = await pushBuildkitImage(t, { repository, platforms: PLATFORMS, seed: `${run}-${Date.now()}` });
    const r = await runFresh(
      'dist/index.js',
      { image: `${dist.host}/${repository}@${image.digest}`, 'transparency-log': rekor.url },
      runnerEnv(DEFAULT_IDENTITY, oidc, true),
    );
    if (r.code !== 0 || r.outputs['count'] !== String(STATEMENTS))
      throw new Error(`action run ${run}: exit ${r.code}, count ${r.outputs['count']}\n${r.stdout}\n${r.stderr}`);
    const counted = countRequests(
      r.requests,
      { registries: [dist.host], log: [rekor.url], oidc: [oidc.url] },
      imagePaths(repository, image),
    );
    if (counted.other > 0) throw new Error(`action run ${run}: ${counted.other} request(s) to an unknown service`);
    walls.push(r.ms);
    perStatement.push(counted.total / STATEMENTS);
    kinds = `${counted.total} requests: ${formatKinds(counted.byKind)} (+${counted.imageReads} image reads, not counted)`;
  }
  console.log(
    `fresh process (node dist/index.js), action.yml defaults (verify on), distribution 2.8, ${STATEMENTS} statements; median of ${RUNS} runs`,
  );
  show('ours: wall', median(walls), 'ms', `runs ${walls.map((w) => w.toFixed(0)).join(' ')}`);
  show('ours: statements/s', (STATEMENTS * 1000) / median(walls), 'stmts/s');
  judge('ours: requests per statement', median(perStatement), 'req/stmt', { at: 'most', value: 6, unit: 'req/stmt' });
  console.log(`  one run: ${kinds}`);
  printMissed();
} finally {
  await t.close();
  await Promise.all([oidc.close(), rekor.close(), dist.stop()]);
}
