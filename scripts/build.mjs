// Builds dist/ with esbuild: the action (dist/index.js), the verify sub-action
// (dist/verify.js), the CLI (dist/cli.js) and the library (dist/lib.js), in two groups
// (scripts/build-options.mjs says why).
// Every dependency is bundled (the package has no runtime `dependencies`, README "Library"):
// the build fails if anything but a Node built-in is left to import at run time, and it writes
// the licenses of the bundled packages to dist/THIRD-PARTY-LICENSES.txt.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { buildGroups } from './build-options.mjs';

rmSync('dist', { recursive: true, force: true });
const metafiles = [];
for (const options of buildGroups()) metafiles.push((await build(options)).metafile);
const result = {
  metafile: {
    inputs: Object.assign({}, ...metafiles.map((m) => m.inputs)),
    outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)),
  },
};

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const leftOver = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.external && !builtins.has(i.path))
  .map((i) => i.path);
if (leftOver.length > 0) {
  throw new Error(`build: dist/ would import ${[...new Set(leftOver)].join(', ')} at run time; bundle it`);
}

/** The package directory of each bundled input (the part up to the last node_modules/<name>). */
const packageDirs = new Set(
  Object.keys(result.metafile.inputs)
    .map((f) => f.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//)?.[1])
    .filter((d) => d !== undefined),
);
const notices = [...packageDirs]
  .map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)/i.test(f));
    const text = file
      ? readFileSync(path.join(dir, file), 'utf8').trim()
      : `(no license file in the package; package.json says ${pkg.license})`;
    return { id: `${pkg.name}@${pkg.version}`, text: `${pkg.name}@${pkg.version} (${pkg.license})\n\n${text}\n` };
  })
  .sort((a, b) => (a.id < b.id ? -1 : 1))
  .filter((n, i, all) => i === 0 || all[i - 1].id !== n.id);
const header = 'opk-attest bundles these packages into dist/; their licenses follow.\n';
writeFileSync('dist/THIRD-PARTY-LICENSES.txt', [header, ...notices.map((n) => n.text)].join(`\n${'-'.repeat(72)}\n\n`));
if (!existsSync('dist/lib.js')) throw new Error('build: dist/lib.js was not written');
