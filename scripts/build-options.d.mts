import type { BuildOptions } from 'esbuild';

/** Options for `esbuild.build`: the four entry points, split into shared chunks, with a metafile. */
export function buildOptions(): BuildOptions & { metafile: true; entryPoints: Record<string, string> };
