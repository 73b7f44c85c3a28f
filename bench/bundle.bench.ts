/**
 * `npm run bench bundle`: what the bundles of dist/ weigh and what they are made of (issue 9:
 * the action bundle stays ≤ 1 MiB). The bundles are built in memory with the options of
 * scripts/build.mjs (scripts/build-options.mjs), and read from esbuild's metafile:
 * - "at start": the entry file and every chunk it imports statically, what Node loads and
 *   compiles before the first line of the action runs — the figure judged;
 * - "lazy": chunks only a dynamic `import()` reaches (e.g. @sigstore/tuf, needed only to verify
 *   against the public-good log), loaded if and when that path runs; they ship in dist/ all the same.
 * Inputs are grouped by package (node_modules) or by part (src/<part>), bytes as they are in the output.
 */
import { build, type Metafile } from 'esbuild';
import { buildGroups } from '../scripts/build-options.mjs';
import { judge, printMissed, show } from './harness/targets.js';

const KIB = 1024;
const ACTION_TARGET_KIB = 1024;
const TOP = 10;

/** Entry points reported: the action (judged) and the library. */
const BUNDLES = [
  { name: 'dist/index.js (the action)', entry: 'src/action/main.ts', targetKiB: ACTION_TARGET_KIB },
  { name: 'dist/lib.js (the library)', entry: 'src/index.ts' },
] as const;

const outputs: Metafile['outputs'] = {};
for (const options of buildGroups()) {
  const { metafile } = await build({ ...options, outdir: '.tmp/bench/bundle', write: false, logLevel: 'error' });
  Object.assign(outputs, metafile.outputs);
}

console.log('built in memory with the options of scripts/build.mjs (minified syntax and whitespace, split chunks)');
for (const b of BUNDLES) {
  const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === b.entry);
  if (entry === undefined) throw new Error(`bundle bench: no output for ${b.entry}`);
  const atStart = reach(entry, ['import-statement']);
  const all = reach(entry, ['import-statement', 'dynamic-import']);
  const lazy = [...all].filter((o) => !atStart.has(o));
  const startKiB = bytesOf(atStart) / KIB;
  const detail = `${atStart.size} file(s)`;
  if ('targetKiB' in b)
    judge(`${b.name}, at start`, startKiB, 'KiB', { at: 'most', value: b.targetKiB, unit: 'KiB' }, detail);
  else show(`${b.name}, at start`, startKiB, 'KiB', detail);
  show(`  + lazy chunks (dynamic import)`, bytesOf(lazy) / KIB, 'KiB', `${lazy.length} file(s): ${topOf(lazy, 3)}`);
  console.log(`  at start, top ${TOP} inputs: ${topOf(atStart, TOP)}`);
}
const everything = Object.keys(outputs).filter((k) => k.endsWith('.js'));
show('whole dist/ (4 entry points, shared and lazy chunks)', bytesOf(everything) / KIB, 'KiB');
printMissed();

/** Output files reachable from `from` by imports of these kinds (the file itself included). */
function reach(
  from: string,
  kinds: ReadonlyArray<Metafile['outputs'][string]['imports'][number]['kind']>,
): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const o = todo.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of outputs[o]!.imports) if (!i.external && kinds.includes(i.kind)) todo.push(i.path);
  }
  return seen;
}

function bytesOf(files: Iterable<string>): number {
  let n = 0;
  for (const f of files) n += outputs[f]!.bytes;
  return n;
}

/** "undici 538 KiB (58%), src/oci 64 KiB (7%), …": the inputs of `files` by package or part. */
function topOf(files: Iterable<string>, n: number): string {
  const by = new Map<string, number>();
  let total = 0;
  for (const f of files)
    for (const [input, { bytesInOutput }] of Object.entries(outputs[f]!.inputs)) {
      by.set(groupOf(input), (by.get(groupOf(input)) ?? 0) + bytesInOutput);
      total += bytesInOutput;
    }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([g, v]) => `${g} ${(v / KIB).toFixed(0)} KiB (${((100 * v) / Math.max(total, 1)).toFixed(0)}%)`)
    .join(', ');
}

/** The package of a node_modules input (the innermost), else `src/<part>`, else the path. */
function groupOf(input: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (pkg) return pkg[1]!;
  const part = /^src\/([^/]+)\//.exec(input);
  return part ? `src/${part[1]}` : input;
}
