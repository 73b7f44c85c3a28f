// Jest transformer: TypeScript → native ESM with esbuild (the project's bundler), one file at a
// time and without type-checking (`npm run typecheck` does that). Source maps keep stack traces
// pointing at the .ts lines.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, file) {
    const { code } = transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: file,
    });
    return { code };
  },
};
