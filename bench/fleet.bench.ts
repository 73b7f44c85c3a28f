/**
 * `npm run bench fleet`: whole fleets signed in ONE run with one PK token (issue 9, "Fleets" and
 * "Growth"), on CNCF distribution 2.8 (in-memory storage, no referrers API: fallback tags), every
 * image 2 platforms × (SPDX + SLSA) = 4 statements, pushed fresh for each run (nothing skipped).
 * - Fleets: the bundled action as the runner runs it, which is what sign-images.yml does per job
 *   (fresh `node dist/index.js`, runner environment, action.yml defaults so `verify: true`), with
 *   1, 4, 16, 64 and 200 images in its `image` input.
 * - Growth: the CLI (`node dist/cli.js sign IMAGE…`, GitHub provider), 4 → 512 statements.
 * Per run: wall time from spawn to exit, statements/s, ms per statement, the marginal ms per
 * statement from the size before, requests per statement (registry, log and OIDC, minus the
 * reads of the images themselves, as harness/requests.ts counts them), peak RSS of the process,
 * and ID-token requests (the OIDC fake's own count; one run, one token).
 * Targets: time per statement flat (largest ÷ smallest ≤ 1.5, and the marginal cost of the last
 * step ≤ 1.5 × that of the first: linear growth), peak RSS flat (largest ÷ smallest ≤ 1.25: only
 * what is in flight should cost memory), exactly 1 ID token per run.
 * Small sizes (≤ 16 images) are the median of 3 runs; `--quick` stops at 16 images / 128 statements.
 * Knob: OPK_FLEET_CPU_PROF=DIR adds `--cpu-prof --cpu-prof-dir=DIR` to every run.
 */
import { ensureDist, DEFAULT_IDENTITY, runnerEnv } from '../__tests__/fakes/local-stack.js';
import { distributionAvailable, startDistribution } from '../__tests__/fakes/distribution.js';
import { startGithubOidc } from '../__tests__/fakes/github-oidc.js';
import { startRekorLog } from '../__tests__/fakes/rekor-log.js';
import { pushBuildkitImage } from '../__tests__/fixtures/buildkit-image.js';
import { mapLimit } from '../src/core/map-limit.js';
import { createTransport } from '../src/oci/transport/client.js';
import { runFresh, type ProcessRun } from './harness/fresh-process.js';
import { countRequests, formatKinds, imagePaths } from './harness/requests.js';
import { judge, median, printMissed, show } from './harness/targets.js';

const QUICK = process.env['OPK_BENCH_QUICK'] === '1';
const FLEETS = QUICK ? [1, 4, 16] : [1, 4, 16, 64, 200];
/** Images per growth run: 4, 32, 128, 512 statements. */
const GROWTH = QUICK ? [1, 8, 32] : [1, 8, 32, 128];
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const PER_IMAGE = PLATFORMS.length * 2;
const REPEAT_UP_TO = 16;
const REPEATS = 3;
const PUSH_AT_ONCE = 4;
const PROF = process.env['OPK_FLEET_CPU_PROF'];

/** One measured size. */
interface Row {
  images: number;
  statements: number;
  wallMs: number;
  requestsPerStatement: number;
  peakRssMiB: number;
  idTokens: number;
  kinds: string;
}

if (!distributionAvailable()) throw new Error('docker-registry (CNCF distribution 2.8) is not installed');
ensureDist(process.cwd());
const dist = await startDistribution({ mode: 'plain' });
const oidc = await startGithubOidc();
const rekor = await startRekorLog();
const t = createTransport(dist.host);
const services = { registries: [dist.host], log: [rekor.url], oidc: [oidc.url] };
let pushed = 0;
try {
  const fleets: Row[] = [];
  for (const n of FLEETS) fleets.push(await measureSize(n, 'action'));
  report('fleets: the action (fresh node dist/index.js, action.yml defaults: verify on)', 'fleet', fleets, 'images');
  const growth: Row[] = [];
  for (const n of GROWTH) growth.push(await measureSize(n, 'cli'));
  report('growth: the CLI (node dist/cli.js sign IMAGE…)', 'growth', growth, 'statements');
  printMissed();
} finally {
  await t.close();
  await Promise.all([oidc.close(), rekor.close(), dist.stop()]);
}

/** Median row of REPEATS runs for small sizes, one run for large ones; fresh images each run. */
async function measureSize(images: number, shell: 'action' | 'cli'): Promise<Row> {
  const runs: Row[] = [];
  for (let r = 0; r < (images <= REPEAT_UP_TO ? REPEATS : 1); r++) runs.push(await runOnce(images, shell));
  const mid = median(runs.map((x) => x.wallMs));
  return runs.find((x) => x.wallMs === mid) ?? runs[0]!;
}

async function runOnce(n: number, shell: 'action' | 'cli'): Promise<Row> {
  const fleet = await mapLimit([...Array(n).keys()], PUSH_AT_ONCE, async (i) => {
    const repository = `bench/fleet-${pushed}/img-${i}`;
    const image = await pushBuildkitImage(t, {
      repository,
      platforms: PLATFORMS,
      seed: `${pushed}-${i}-${Date.now()}`,
    });
    return { repository, image, ref: `${dist.host}/${repository}@${image.digest}` };
  });
  pushed++;
  const statements = n * PER_IMAGE;
  const refs = fleet.map((f) => f.ref);
  const tokensBefore = oidc.requests.idtoken;
  const prof = PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : [];
  let r: ProcessRun;
  if (shell === 'action') {
    r = await runFresh(
      'dist/index.js',
      { image: refs.join('\n'), 'transparency-log': rekor.url },
      runnerEnv(DEFAULT_IDENTITY, oidc, true),
      [],
      prof,
    );
    if (r.code !== 0 || r.outputs['count'] !== String(statements))
      throw new Error(`action, ${n} images: exit ${r.code}, count ${r.outputs['count']}\n${r.stdout.slice(-2000)}`);
  } else {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken };
    const args = ['sign', ...refs, '--issuer', oidc.issuer, '--transparency-log', rekor.url];
    r = await runFresh('dist/cli.js', {}, env, args, prof);
    const signed = r.stdout.split('\n').filter((l) => l.startsWith('signed ')).length;
    if (r.code !== 0 || signed !== statements)
      throw new Error(`cli, ${n} images: exit ${r.code}, ${signed} signed\n${r.stderr.slice(-2000)}`);
  }
  const image = new Set(fleet.flatMap((f) => [...imagePaths(f.repository, f.image)]));
  const counted = countRequests(r.requests, services, image);
  if (counted.other > 0) throw new Error(`${shell}, ${n} images: ${counted.other} request(s) to an unknown service`);
  return {
    images: n,
    statements,
    wallMs: r.ms,
    requestsPerStatement: counted.total / statements,
    peakRssMiB: r.peakRssMiB,
    idTokens: oidc.requests.idtoken - tokensBefore,
    kinds: formatKinds(counted.byKind),
  };
}

/** The table of one series and its judged figures. */
function report(title: string, name: string, rows: readonly Row[], unit: 'images' | 'statements'): void {
  console.log(`${title}, distribution 2.8, ${PLATFORMS.length} platforms × 2 statements per image`);
  console.log('images  stmts   wall ms  stmts/s  ms/stmt  marginal  req/stmt  peak RSS  ID tokens');
  rows.forEach((row, i) => {
    const prev = rows[i - 1];
    const marginal = prev ? (row.wallMs - prev.wallMs) / (row.statements - prev.statements) : NaN;
    console.log(
      `${String(row.images).padStart(6)} ${String(row.statements).padStart(6)} ${row.wallMs.toFixed(0).padStart(9)} ` +
        `${((row.statements * 1000) / row.wallMs).toFixed(1).padStart(8)} ${perStatement(row).toFixed(1).padStart(8)} ` +
        `${Number.isNaN(marginal) ? '       -' : marginal.toFixed(1).padStart(8)} ${row.requestsPerStatement.toFixed(2).padStart(9)} ` +
        `${`${row.peakRssMiB.toFixed(0)} MiB`.padStart(9)} ${String(row.idTokens).padStart(10)}`,
    );
  });
  const first = rows[0]!;
  const last = rows.at(-1)!;
  console.log(`  largest run's requests: ${last.kinds}`);
  const size = (r: Row): string => `${unit === 'images' ? r.images : r.statements} ${unit}`;
  const span = `${size(last)} ÷ ${size(first)}`;
  judge(`${name}: ms per statement, ${span}`, perStatement(last) / perStatement(first), '×', {
    at: 'most',
    value: 1.5,
    unit: '×',
  });
  if (rows.length >= 3) {
    const step = (a: Row, b: Row): number => (b.wallMs - a.wallMs) / (b.statements - a.statements);
    judge(
      `${name}: marginal ms per statement, last step ÷ first`,
      step(rows.at(-2)!, last) / step(first, rows[1]!),
      '×',
      { at: 'most', value: 1.5, unit: '×' },
      `${step(first, rows[1]!).toFixed(1)} → ${step(rows.at(-2)!, last).toFixed(1)} ms`,
    );
  }
  judge(`${name}: peak RSS, ${span}`, last.peakRssMiB / first.peakRssMiB, '×', { at: 'most', value: 1.25, unit: '×' });
  show(
    `${name}: peak RSS growth per statement`,
    ((last.peakRssMiB - first.peakRssMiB) * 1024) / (last.statements - first.statements),
    'KiB',
  );
  judge(`${name}: ID tokens per run (most of any size)`, Math.max(...rows.map((r) => r.idTokens)), '', {
    at: 'most',
    value: 1,
    unit: '',
  });
  show(`${name}: requests per statement at ${size(last)}`, last.requestsPerStatement, 'req/stmt');
}

function perStatement(r: Row): number {
  return r.wallMs / r.statements;
}
