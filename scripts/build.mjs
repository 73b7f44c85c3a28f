// Builds dist/ with esbuild: the action (dist/index.js), the verify sub-action
// (dist/verify.js), the CLI (dist/cli.js) and the library (dist/lib.js). Shared code is
// split into chunks so the four entry points do not each carry a copy.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    index: 'src/action/main.ts',
    verify: 'src/action/verify-main.ts',
    cli: 'src/cli/main.ts',
    lib: 'src/index.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  minifySyntax: true,
  minifyWhitespace: true,
  // Some dependencies are CommonJS and call require() on Node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  // The version is written into the bundle: an installed dist/ must not go looking for a package.json.
  define: { OPK_ATTEST_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
