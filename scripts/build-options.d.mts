import type { BuildOptions } from 'esbuild';

/** Options for `esbuild.build`, one object per group of entry points (see build-options.mjs). */
export function buildGroups(): Array<BuildOptions & { metafile: true; entryPoints: Record<string, string> }>;
