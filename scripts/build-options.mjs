// The esbuild options of dist/, shared by scripts/build.mjs and `npm run bench bundle` (which
// builds the same bundles in memory to read their composition from the metafile).
import { readFileSync } from 'node:fs';

/** Options for `esbuild.build`: the four entry points, split into shared chunks, with a metafile. */
export function buildOptions() {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  return {
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
    metafile: true,
    logLevel: 'warning',
  };
}
