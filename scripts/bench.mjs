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
for (const file of files.sort()) {
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
  sections.push(`## ${file}\n\n\`\`\`\n${text.trimEnd()}\n\`\`\`\n`);
}
if (only.length === 0) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  writeFileSync(
    'BENCHMARKS.md',
    `# Benchmarks\n\nProduced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `Node ${process.version}, ${os.cpus().length} × ${cpu}. Figures are from one run; compare ratios, not absolutes.\n\n` +
      sections.join('\n') +
      (existsSync('bench/NOTES.md') ? `\n${readFileSync('bench/NOTES.md', 'utf8')}` : ''),
  );
  process.stdout.write('wrote BENCHMARKS.md\n');
}
