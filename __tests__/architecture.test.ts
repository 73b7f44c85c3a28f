/**
 * Guards the flow of docs/architecture.md: each part imports only itself and parts on an earlier
 * layer; the library never imports the shells (`action`, `cli`), and the shells never import each
 * other; `node:crypto` is used only in the files that own a primitive (docs/decisions.md, "One module per primitive").
 *
 * Imports are read with TypeScript's own pre-processor, so every form counts — static, `import
 * type`, side-effect `import './x.js'`, `export … from`, dynamic `import()`, `import('x').T` in a
 * type, `require()` and `import x = require()` — and nothing in a comment or string does.
 * Each rule is one test that lists every import breaking it, named with the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layers, earliest first. A part may import its own files and parts of earlier layers; parts
 * of one layer are siblings and may not import each other. `tlog` sits before `oci`: a signing run
 * logs an envelope before it publishes it, and neither needs the other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['identity'],
  ['attest'],
  ['tlog'],
  ['oci'],
  ['policy'],
  ['sign', 'verify'],
  ['monitor'],
  ['consumer'],
  ['docker'],
  ['action', 'cli'],
];
const SHELLS = new Set(['action', 'cli']);
const ROOT = 'index';
const SRC = path.resolve('src');

/** Files allowed to import node:crypto: one module per primitive. */
const CRYPTO_OWNERS = new Set([
  'core/digest.ts',
  'core/merkle.ts',
  'core/ecdsa-p256.ts',
  'identity/ephemeral-key.ts',
  'identity/gq256.ts',
  'identity/cic.ts',
  'identity/jwk.ts',
  'identity/signatures.ts',
  'policy/tuf/keys.ts',
]);

const layerOf = new Map(LAYERS.flatMap((parts, i) => parts.map((p) => [p, i] as const)));

/** Every specifier a source text imports, in any form. */
function importsIn(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The part a path below src/ belongs to (`index` for src/index.ts). */
function partOf(rel: string): string {
  return rel.includes('/') ? rel.split('/')[0]! : ROOT;
}

interface Edge {
  file: string;
  spec: string;
  from: string;
  to: string;
}

const files = sourceFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/'));
const imports = files.flatMap((file) =>
  importsIn(readFileSync(path.join(SRC, file), 'utf8')).map((spec) => ({ file, spec })),
);
const edges: Edge[] = imports
  .filter((i) => i.spec.startsWith('.'))
  .map(({ file, spec }) => {
    const target = path
      .relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), spec))
      .split(path.sep)
      .join('/');
    return { file, spec, from: partOf(file), to: partOf(target) };
  })
  .filter((e) => e.from !== e.to);

const show = (e: Edge) => `src/${e.file} imports '${e.spec}' (${e.from} → ${e.to})`;

describe('architecture', () => {
  it('reads every import form and nothing in comments or strings', () => {
    const text = [
      "import a from './static.js';",
      "import type { B } from './type.js';",
      "import './side-effect.js';",
      "export * from './re-export.js';",
      "const d = await import('./dynamic.js');",
      "type T = import('./type-query.js').T;",
      "const r = require('./require.js');",
      "import e = require('./import-equals.js');",
      "// import x from './line-comment.js';",
      "/* require('./block-comment.js') */",
      'const s = "import(\'./string.js\')";',
    ].join('\n');
    expect(importsIn(text).sort()).toEqual(
      [
        './static.js',
        './type.js',
        './side-effect.js',
        './re-export.js',
        './dynamic.js',
        './type-query.js',
        './require.js',
        './import-equals.js',
      ].sort(),
    );
  });

  it('places every file of src/ in a known part', () => {
    const unknown = [...new Set(files.map(partOf))].filter((p) => p !== ROOT && !layerOf.has(p));
    expect(
      unknown.map((p) => `src/${p}/ is in no layer of LAYERS: place it in the flow (docs/architecture.md)`),
    ).toEqual([]);
  });

  it('rule "flow": a part imports only parts of earlier layers, never a later one or a sibling', () => {
    const broken = edges
      .filter((e) => e.from !== ROOT && !SHELLS.has(e.from) && !SHELLS.has(e.to))
      .filter((e) => layerOf.has(e.from) && !((layerOf.get(e.to) ?? Infinity) < layerOf.get(e.from)!))
      .map((e) =>
        layerOf.get(e.to) === layerOf.get(e.from)
          ? `${show(e)} breaks "flow": ${e.from} and ${e.to} are siblings on one layer`
          : `${show(e)} breaks "flow": ${e.to} comes after ${e.from}`,
      );
    expect(broken).toEqual([]);
  });

  it('rule "shells": the library (and its root) never imports action or cli', () => {
    const broken = edges
      .filter((e) => !SHELLS.has(e.from) && SHELLS.has(e.to))
      .map((e) => `${show(e)} breaks "shells": the library never imports action or cli`);
    expect(broken).toEqual([]);
  });

  it('rule "no cli ↔ action": the two shells never import each other (nor the root index)', () => {
    const broken = edges
      .filter((e) => SHELLS.has(e.from) && (SHELLS.has(e.to) || e.to === ROOT))
      .map((e) => `${show(e)} breaks "no cli ↔ action": a shell calls the library's parts, not the other shell`);
    expect(broken).toEqual([]);
  });

  it('rule "crypto owners": node:crypto only in the files that own a primitive', () => {
    const broken = imports
      .filter((i) => (i.spec === 'node:crypto' || i.spec === 'crypto') && !CRYPTO_OWNERS.has(i.file))
      .map((i) => `src/${i.file} imports '${i.spec}' breaks "crypto owners": call the primitive's owner instead`);
    expect(broken).toEqual([]);
  });

  it('rule "size": no source file over 400 lines (split it by job)', () => {
    const broken = files
      .map((file) => ({ file, lines: readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 400)
      .map((f) => `src/${f.file} has ${f.lines} lines, breaks "size": split it by job`);
    expect(broken).toEqual([]);
  });
});
