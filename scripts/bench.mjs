// `npm run bench [-- --quick] [NAME…]`: bundles every bench/*.bench.ts (or those whose file name
// contains a NAME) with esbuild, runs each in its own Node process (so peak RSS is per
// benchmark), prints what they print, and — for a full selection — records the output with the
// command and machine in BENCHMARKS.md. `--quick` (OPK_BENCH_QUICK=1 in each bench) runs fewer
// rounds and sizes, so a whole run fits in a few minutes on a small machine.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => a !== '--quick');
const files = readdirSync('bench').filter(
  (f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o))),
);
mkdirSync('.tmp/bench', { recursive: true });
const sections = [];
const started = Date.now();
const loadAtStart = os.loadavg();
for (const file of files.sort()) {
  const sectionStart = Date.now();
  const out = `.tmp/bench/${file.replace(/\.ts$/, '.mjs')}`;
  await build({
    entryPoints: [`bench/${file}`],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  process.stdout.write(`== ${file}\n`);
  const text = execFileSync(process.execPath, [out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(quick ? { OPK_BENCH_QUICK: '1' } : {}) },
  });
  process.stdout.write(text);
  const took = ((Date.now() - sectionStart) / 1000).toFixed(0);
  sections.push({ file, text, took });
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const judged = sections.flatMap(({ file, text }) =>
  text
    .split('\n')
    .filter((l) => /→ (PASS|MISSED)$/.test(l))
    .map((l) => `${file.replace(/\.bench\.ts$/, '')}: ${l.replace(/\s+/g, ' ').trim()}`),
);
const missed = judged.filter((l) => l.endsWith('MISSED'));
process.stdout.write(`targets: ${judged.length - missed.length} of ${judged.length} met in ${minutes} min\n`);
if (only.length === 0) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  writeFileSync(
    'BENCHMARKS.md',
    `# Benchmarks\n\n` +
      `Produced by \`${['npm run bench', ...(quick ? ['-- --quick'] : [])].join(' ')}\` on ${new Date().toISOString().slice(0, 10)} ` +
      `in ${minutes} min, Node ${process.version}, on ${cpuOf()}. ` +
      `Load average (1, 5, 15 min) ${load(loadAtStart)} at the start and ${load(os.loadavg())} at the end: the machine ` +
      `is shared with other work, so absolute figures move between runs; compare the ratios within one run.\n\n` +
      `## Targets (issue 9): ${judged.length - missed.length} of ${judged.length} met\n\n` +
      (missed.length === 0 ? 'Every target is met.\n' : `MISSED:\n\n${missed.map((l) => `- ${l}`).join('\n')}\n`) +
      `\nMet:\n\n${judged
        .filter((l) => l.endsWith('PASS'))
        .map((l) => `- ${l}`)
        .join('\n')}\n\n` +
      sections
        .map(({ file, text, took }) => `## ${file} (${took} s)\n\n\`\`\`\n${text.trimEnd()}\n\`\`\`\n`)
        .join('\n') +
      (existsSync('bench/NOTES.md') ? `\n${readFileSync('bench/NOTES.md', 'utf8')}` : ''),
  );
  process.stdout.write('wrote BENCHMARKS.md\n');
}

/** "2 × AMD EPYC (family 25, model 1, stepping 1, 2445 MHz, 512 KB cache)" from /proc/cpuinfo on
 *  Linux (what os.cpus() shortens to the model name), else from os.cpus(). */
function cpuOf() {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: os.cpus() it is
  }
  const blocks = info.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  if (blocks.length === 0) return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(blocks[0])?.[1]?.trim();
  const details = [
    field('cpu family') && `family ${field('cpu family')}`,
    field('model') && `model ${field('model')}`,
    field('stepping') && `stepping ${field('stepping')}`,
    field('cpu MHz') && `${Number(field('cpu MHz')).toFixed(0)} MHz`,
    field('cache size') && `${field('cache size')} cache`,
  ].filter(Boolean);
  return `${blocks.length} × ${field('model name') ?? 'unknown CPU'} (${details.join(', ')}; /proc/cpuinfo)`;
}
