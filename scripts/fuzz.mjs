// `npm run fuzz [-- --runs N] [name filter…]`: runs the fuzz suites (__tests__/fuzz) with N runs
// per target (default 10,000), prints one summary line per target (runs, failures, how many
// inputs parsed and how many were refused with a coded error, slowest call, memory growth),
// and, when every target ran, writes that table into docs/fuzz.md between its markers.
// `npm test` runs the same suites with a few hundred runs each (see __tests__/fuzz/harness.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 10_000;
const filters = args.filter((a, i) => a !== '--runs' && i !== runsAt + 1);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error('fuzz: --runs needs a positive integer');
  process.exit(2);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'opk-fuzz-'));
const report = path.join(dir, 'report.jsonl');
const started = Date.now();
const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    ...(filters.length > 0 ? filters.map((f) => `__tests__/fuzz/${f}`) : ['__tests__/fuzz']),
  ],
  { stdio: 'inherit', env: { ...process.env, OPK_FUZZ_RUNS: String(runs), OPK_FUZZ_REPORT: report } },
);
const rows = existsSync(report)
  ? readFileSync(report, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .sort((a, b) => a.target.localeCompare(b.target))
  : [];
rmSync(dir, { recursive: true, force: true });

const header = [
  'target',
  'runs',
  'failures',
  'parsed',
  'coded errors',
  'codes seen',
  'slowest call ms',
  'RSS growth MiB',
];
const table = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map(
    (r) =>
      `| ${r.target} | ${r.runs} | ${r.failures} | ${r.values} | ${r.codedErrors} | ${Object.keys(r.codes).length} | ${r.slowestCallMs} | ${r.rssGrowthMiB} |`,
  ),
].join('\n');
const total = rows.reduce((n, r) => n + r.runs, 0);
const failures = rows.reduce((n, r) => n + r.failures, 0);
const summary =
  `${rows.length} targets, ${total} runs, failures: ${failures}` +
  ` (${runs} runs per target, ${Math.round((Date.now() - started) / 1000)} s, Node ${process.version}, ${new Date().toISOString().slice(0, 10)})`;
console.log(`\nfuzz summary: ${summary}\n\n${table}\n`);

const DOC = 'docs/fuzz.md';
const START = '<!-- fuzz-summary:start -->';
const END = '<!-- fuzz-summary:end -->';
if (filters.length === 0 && jest.status === 0 && existsSync(DOC)) {
  const text = readFileSync(DOC, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) {
    const block = `${START}\n\`npm run fuzz\`: ${summary}.\n\n${table}\n${END}`;
    writeFileSync(DOC, text.slice(0, a) + block + text.slice(b + END.length));
    console.log(`fuzz: wrote the summary into ${DOC}`);
  }
}
process.exit(jest.status === 0 && failures === 0 && rows.length > 0 ? 0 : 1);
