// The esbuild options of dist/, shared by scripts/build.mjs and `npm run bench bundle` (which
// builds the same bundles in memory to read their composition from the metafile).
import { readFileSync } from 'node:fs';

/**
 * The groups dist/ is built in, one esbuild run each: the two actions, then the CLI and the
 * library. esbuild shares a file between the entry points that reach it, with everything any of
 * them uses from it, so one run for all four would load the library's @actions/core getIDToken
 * (and undici behind it) with the action. Within a group, shared code is split into chunks so
 * the entry points do not each carry a copy.
 * @returns options for `esbuild.build`, one object per group, each with a metafile
 */
export function buildGroups() {
  return [
    common({ index: 'src/action/main.ts', verify: 'src/action/verify-main.ts' }, [noCoreIdTokenInActions]),
    common({ cli: 'src/cli/main.ts', lib: 'src/index.ts' }, []),
  ];
}

function common(entryPoints, plugins) {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  return {
    entryPoints,
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
    plugins: [undiciOnlyWhenUsed, ...plugins],
    logLevel: 'warning',
  };
}

// @actions/http-client imports undici (~550 KB, ~100 ms to load) only for the proxy support of
// @actions/core's getIDToken. Marking undici free of side effects lets esbuild leave it out of
// every bundle that never calls that; a bundle that does call it keeps it.
const undiciOnlyWhenUsed = {
  name: 'undici-only-when-used',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      const r = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: { resolving: true },
      });
      return r.errors.length > 0 ? { errors: r.errors } : { path: r.path, sideEffects: false };
    });
  },
};

// The actions fetch their ID token with their own client and never call `actionsCoreGithubProvider`.
// esbuild still makes a chunk of every dynamic import it finds, live or not, and the chunk of
// `actions-id-token.js` would make @actions/core's getIDToken — and undici behind it — part of
// the @actions/core code the actions load at start. In the actions' group it is a stub that says so.
const noCoreIdTokenInActions = {
  name: 'no-core-id-token-in-actions',
  setup(b) {
    b.onResolve({ filter: /\/actions-id-token\.js$/ }, () => ({ path: 'actions-id-token', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents:
        "export function getIDToken() { throw new Error('actionsCoreGithubProvider is not part of the action bundles; use githubActionsProvider'); }",
      loader: 'js',
    }));
  },
};
