// Jest transformer: TypeScript → native ESM with esbuild (the project's bundler), one file at a
// time and without type-checking (`npm run typecheck` does that). Source maps keep stack traces
// pointing at the .ts lines. OPK_ATTEST_VERSION is defined as scripts/build.mjs defines it.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { transformSync } = require('esbuild');

function version() {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
}

module.exports = {
  process(source, file) {
    const { code } = transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: file,
      define: { OPK_ATTEST_VERSION: JSON.stringify(version()) },
    });
    return { code };
  },
  // Jest caches by source text; the version comes from elsewhere, so it is part of the key.
  getCacheKey(source, file) {
    return createHash('sha256')
      .update(readFileSync(__filename))
      .update('\0')
      .update(version())
      .update('\0')
      .update(file)
      .update('\0')
      .update(source)
      .digest('hex');
  },
};
