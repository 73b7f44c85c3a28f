/**
 * `npm run bench action`: the bundled action measured the way a runner runs it (issue 9), side by
 * side with the actions/attest peer in one run, on CNCF distribution 2.8 (in-memory storage, no
 * referrers API: the fallback tag) and on the referrers-API test registry, for an 8-platform
 * BuildKit image with SPDX + SLSA per platform (16 statements).
 *
 * - ours: a fresh `node dist/index.js` per run, the runner's environment and action.yml's
 *   defaults (so `verify: true`; a `verify: false` row beside it). Requests are counted inside
 *   the process by a preloaded hook (harness/count-requests.mjs), peak RSS too.
 * - the peer: 16 statements one after another in a warm child process (harness/peer-child.ts),
 *   which spares it a process start per statement that a real job would pay.
 * Requests: everything sent to the registry, the log and the OIDC endpoint, minus the reads of
 * the image itself (harness/requests.ts). Runs are interleaved (the order rotates each round) so
 * background load lands on both stacks alike; figures are medians after one warm-up round.
 * After every run each platform manifest must list its 2 referrers: "lost" counts what it lacks.
 *
 * Latency mode: the same on distribution 2.8 with every service (registry, log, OIDC; Fulcio and
 * Rekor for the peer) behind a proxy delaying each chunk 10 ms each way (harness/routes.ts), as
 * real services tens of milliseconds away. Round trips on the critical path are estimated as
 * (wall with latency − wall on loopback) ÷ the 20 ms round trip.
 */
import { ensureDist, DEFAULT_IDENTITY, runnerEnv } from '../__tests__/fakes/local-stack.js';
import type { BuiltImage } from '../__tests__/fixtures/buildkit-image.js';
import { runFresh, type ProcessRun } from './harness/fresh-process.js';
import { isLogChild, logChildMain } from './harness/log-child.js';
import { isPeerChild, peerChildMain, startPeerChild, type PeerChild } from './harness/peer-child.js';
import { countRequests, formatKinds, imagePaths } from './harness/requests.js';
import { directRoute, proxiedRoute, type Route } from './harness/routes.js';
import { lostReferrers, peerImage, pushImage, startServices, type BenchRegistry } from './harness/services.js';
import { judge, median, printMissed, show } from './harness/targets.js';

const QUICK = process.env['OPK_BENCH_QUICK'] === '1';
const RUNS = QUICK ? 3 : 5;
const STATEMENTS = 16;
/** Issue 9: ≥ 3× the peer on distribution 2.8, ≥ 5× on the referrers-API registry. */
const RATIO_TARGET = { dist: 3, api: 5 };
/** Latency mode: one-way delay per chunk, and the target (≥ 5× the peer there too). */
const DELAY_MS = 10;
const LATENCY_RATIO_TARGET = 5;
const LATENCY_RUNS = QUICK ? 2 : 5;

type Variant = 'ours' | 'ours, verify: false' | 'peer';

/** One run of one stack. */
interface Sample {
  ms: number;
  requests: number;
  /** Reads of the image itself (not counted in `requests`). */
  imageReads: number;
  /** CPU time distribution 2.8's process spent during the run (undefined off distribution). */
  registryCpuMs?: number;
  kinds: Record<string, number>;
  lost: number;
  rssMiB?: number;
  phases?: Record<string, number>;
}

let pushed = 0;

if (isPeerChild()) await peerChildMain();
else if (isLogChild()) await logChildMain();
else await main();

async function main(): Promise<void> {
  ensureDist(process.cwd());
  const s = await startServices();
  try {
    console.log(
      `${STATEMENTS} statements (8 platforms × SPDX + SLSA); ours: a fresh node dist/index.js per run (runner env, action.yml defaults); ` +
        `peer: actions/attest's libraries, warm, one statement after another; median of ${RUNS} runs after 1 warm-up, interleaved`,
    );
    const loopback = await compare(directRoute(s, s.dist), s.dist, RATIO_TARGET.dist, RUNS);
    await compare(directRoute(s, s.api), s.api, RATIO_TARGET.api, RUNS);
    const route = await proxiedRoute(s, s.dist, DELAY_MS);
    try {
      console.log(`latency mode: every service behind a proxy delaying each chunk ${DELAY_MS} ms each way`);
      const slow = await compare(route, s.dist, LATENCY_RATIO_TARGET, LATENCY_RUNS, ['ours', 'peer']);
      for (const v of ['ours', 'peer'] as const)
        show(
          `${v}: round trips on the critical path`,
          (slow.get(v)! - loopback.get(v)!) / (2 * DELAY_MS),
          '',
          `(wall ${slow.get(v)!.toFixed(0)} − ${loopback.get(v)!.toFixed(0)} ms on loopback) ÷ ${2 * DELAY_MS} ms`,
        );
    } finally {
      await route.close();
    }
  } finally {
    await s.stop();
  }
  printMissed();
}

/**
 * Both stacks through `route` to `registry`, interleaved; prints the figures and judges them.
 * @returns the median wall time of each variant
 */
async function compare(
  route: Route,
  registry: BenchRegistry,
  ratioTarget: number,
  runs: number,
  variants: Variant[] = QUICK ? ['ours', 'peer'] : ['ours', 'ours, verify: false', 'peer'],
): Promise<Map<Variant, number>> {
  const peer = startPeerChild({
    registry: route.registryHost,
    sigstoreUrl: route.sigstoreUrl,
    oidc: { requestUrl: route.oidc.requestUrl, requestToken: route.oidc.requestToken },
  });
  const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
  for (let round = 0; round <= runs; round++) {
    for (const v of rotate(variants, round)) {
      const image = await pushImage(registry, `bench/${v.startsWith('peer') ? 'peer' : 'ours'}-${++pushed}`);
      const cpuBefore = registry.cpuMs?.();
      const run = v === 'peer' ? await runPeer(route, peer, image) : await runOurs(route, image, v);
      const cpuAfter = registry.cpuMs?.();
      const sample: Sample = { ...run, lost: await lostReferrers(registry, image) };
      if (cpuBefore !== undefined && cpuAfter !== undefined) sample.registryCpuMs = cpuAfter - cpuBefore;
      if (round > 0) samples.get(v)!.push(sample);
    }
  }
  const peerRss = await peer.exit();
  console.log(`— on ${route.label}`);
  // Judged lines name the registry (and latency), so the summary of BENCHMARKS.md tells them apart.
  const on = ` (${route.label})`;
  const stmtsPerS = (v: Variant) => (STATEMENTS * 1000) / median(samples.get(v)!.map((x) => x.ms));
  for (const v of variants) {
    const xs = samples.get(v)!;
    const walls = xs.map((x) => x.ms);
    show(
      `${v}: wall`,
      median(walls),
      'ms',
      `${stmtsPerS(v).toFixed(1)} stmts/s; runs ${walls.map((w) => w.toFixed(0)).join(' ')}`,
    );
    const perStatement = median(xs.map((x) => x.requests)) / STATEMENTS;
    if (v === 'ours')
      judge(`${v}: requests per statement${on}`, perStatement, 'req/stmt', { at: 'most', value: 6, unit: '' });
    else show(`${v}: requests per statement`, perStatement, 'req/stmt');
    const lost = xs.reduce((a, x) => a + x.lost, 0);
    judge(`${v}: lost referrers (all runs)${on}`, lost, '', { at: 'most', value: 0, unit: '' });
    const rss = v === 'peer' ? peerRss : Math.max(...xs.map((x) => x.rssMiB ?? NaN));
    if (v === 'ours')
      judge(`${v}: peak RSS of the action process${on}`, rss, 'MiB', { at: 'most', value: 80, unit: 'MiB' });
    else show(`${v}: peak RSS (${v === 'peer' ? 'warm child' : 'process'})`, rss, 'MiB');
  }
  judge(`statements/s, ours ÷ peer${on}`, stmtsPerS('ours') / stmtsPerS('peer'), '×', {
    at: 'least',
    value: ratioTarget,
    unit: '×',
  });
  const ours = samples.get('ours')!;
  console.log(`  ours, where the time goes (median ms from spawn to the end of each): ${formatPhases(ours)}`);
  console.log(`  ours, one run's requests: ${formatKinds(ours[0]!.kinds)}`);
  console.log(`  peer, one run's requests: ${formatKinds(samples.get('peer')![0]!.kinds)}`);
  const registryCpu = (v: Variant): string => {
    const xs = samples.get(v)!;
    const requests = median(xs.map((x) => x.requests + x.imageReads));
    return `${v} ${median(xs.map((x) => x.registryCpuMs ?? NaN)).toFixed(0)} ms for ${requests} requests (${xs[0]!.imageReads} of them reading the image)`;
  };
  if (ours[0]!.registryCpuMs !== undefined)
    console.log(`  ${registry.label}'s own CPU per run (median): ${registryCpu('ours')}, ${registryCpu('peer')}`);
  return new Map(variants.map((v) => [v, median(samples.get(v)!.map((x) => x.ms))]));
}

async function runOurs(route: Route, image: BuiltImage, v: Variant): Promise<Omit<Sample, 'lost'>> {
  const r = await runFresh(
    'dist/index.js',
    {
      image: `${route.registryHost}/${image.repository}@${image.digest}`,
      'transparency-log': route.logUrl,
      ...(v === 'ours, verify: false' ? { verify: 'false' } : {}),
    },
    runnerEnv(DEFAULT_IDENTITY, route.oidc, true),
  );
  if (r.code !== 0 || r.outputs['count'] !== String(STATEMENTS))
    throw new Error(`${v} on ${route.label}: exit ${r.code}, count ${r.outputs['count']}\n${r.stdout}\n${r.stderr}`);
  const counted = countRequests(r.requests, route.map, imagePaths(image.repository, image));
  if (counted.other > 0) throw new Error(`${v}: ${counted.other} request(s) to an unknown service`);
  return {
    ms: r.ms,
    requests: counted.total,
    imageReads: counted.imageReads,
    kinds: counted.byKind,
    rssMiB: r.peakRssMiB,
    phases: phasesOf(r),
  };
}

async function runPeer(route: Route, peer: PeerChild, image: BuiltImage): Promise<Omit<Sample, 'lost'>> {
  const r = await peer.run(peerImage(image));
  const counted = countRequests(r.requests, route.map, imagePaths(image.repository, image));
  return {
    ms: r.ms,
    requests: counted.total,
    imageReads: counted.imageReads,
    kinds: counted.byKind,
  };
}

/** Ends of the action's phases, from when its progress lines arrived (ms after spawn). */
function phasesOf(r: ProcessRun): Record<string, number> {
  const last = (re: RegExp) => r.lines.filter((l) => re.test(l.text)).at(-1)?.at ?? NaN;
  const first = r.requests[0]?.at ?? NaN;
  return {
    'start (to the first request, from the preload)': first,
    'read image': last(/ statement\(s\) on /),
    'skip check + OIDC + PK token + DSSE': last(/^signed \d+ envelope/),
    log: last(/^logged /),
    publish: last(/ → /),
    'self-check': last(/^verified /),
    exit: r.ms,
  };
}

function formatPhases(xs: readonly Sample[]): string {
  const names = Object.keys(xs[0]!.phases!);
  return names.map((n) => `${n} ${median(xs.map((x) => x.phases![n] ?? NaN)).toFixed(0)}`).join(', ');
}

/** `items` starting at `n mod length`, so each round runs the stacks in another order. */
function rotate<T>(items: readonly T[], n: number): T[] {
  const k = n % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
