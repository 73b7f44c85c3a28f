// The API report: api/opk-attest.d.ts holds the declaration of every name the package root
// (src/index.ts, bundled to dist/lib.js) exports, then every project type those declarations
// reach without exporting it. Checked in, it makes each change to the public surface a visible
// diff in review. `npm run api` writes it; `npm run api -- --check` fails when it is stale (a
// test runs that). The declarations are TypeScript's own (`declaration` emit, in memory), read
// back through a second program so inferred types and re-exports resolve as a user sees them.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTRY = path.join(ROOT, 'src/index.ts');
const REPORT = path.join(ROOT, 'api/opk-attest.d.ts');
const SRC = path.join(ROOT, 'src') + path.sep;

const OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  declaration: true,
  emitDeclarationOnly: true,
  removeComments: false,
};

/** Every .d.ts TypeScript emits for the root and what it imports, by absolute path. */
function emitDeclarations() {
  const program = ts.createProgram([ENTRY], OPTIONS);
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(`api-report: ${ts.formatDiagnostics(errors, formatHost)}`);
  const emitted = new Map();
  program.emit(undefined, (file, text) => emitted.set(path.resolve(file), text), undefined, true);
  return emitted;
}

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => '\n',
};

/** A program over the emitted declarations only: the project's .ts sources are hidden from it. */
function declarationProgram(emitted) {
  const isSource = (f) => path.resolve(f).startsWith(SRC) && !f.endsWith('.d.ts');
  const host = ts.createCompilerHost(OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => emitted.has(path.resolve(f)) || (!isSource(f) && fileExists.call(host, f));
  host.readFile = (f) => emitted.get(path.resolve(f)) ?? (isSource(f) ? undefined : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) => {
    const text = emitted.get(path.resolve(f));
    return text === undefined ? getSourceFile.call(host, f, lang, ...rest) : ts.createSourceFile(f, text, lang, true);
  };
  return ts.createProgram([ENTRY.replace(/\.ts$/, '.d.ts')], OPTIONS, host);
}

/** The top-level statement a symbol is declared by, in the emitted declarations. */
function statementsOf(symbol, emitted) {
  return (symbol.declarations ?? [])
    .filter((d) => emitted.has(path.resolve(d.getSourceFile().fileName)))
    .map((d) => (ts.isVariableDeclaration(d) ? d.parent.parent : d))
    .filter((s) => s.parent && ts.isSourceFile(s.parent));
}

function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Every project symbol a declaration's types name. */
function referencedSymbols(checker, statement, emitted) {
  const found = [];
  const visit = (node) => {
    let name;
    if (ts.isTypeReferenceNode(node)) name = node.typeName;
    else if (ts.isExpressionWithTypeArguments(node)) name = node.expression;
    else if (ts.isTypeQueryNode(node)) name = node.exprName;
    else if (ts.isImportTypeNode(node)) name = node.qualifier;
    if (name) {
      const id = ts.isQualifiedName(name) ? name.right : ts.isPropertyAccessExpression(name) ? name.name : name;
      const symbol = checker.getSymbolAtLocation(id);
      if (symbol) {
        const target = resolveAlias(checker, symbol);
        if (!(target.flags & ts.SymbolFlags.TypeParameter) && statementsOf(target, emitted).length > 0) {
          found.push(target);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(statement);
  return found;
}

/** The declaration text of a symbol, with its JSDoc, and where it comes from. */
function render(symbol, emitted, exportedAs) {
  const statements = statementsOf(symbol, emitted);
  const file = path.relative(ROOT, statements[0].getSourceFile().fileName).replace(/\.d\.ts$/, '.ts');
  const renamed = exportedAs !== undefined && exportedAs !== symbol.name ? `, exported as ${exportedAs}` : '';
  const text = statements
    .map((s) =>
      s
        .getFullText()
        .replace(/^\s*\n/, '')
        .trimEnd(),
    )
    .join('\n');
  return `// ${symbol.name}: ${file}${renamed}\n${text.replace(/^\s+/, '')}\n`;
}

/** The report's text. */
export function apiReport() {
  const emitted = emitDeclarations();
  const program = declarationProgram(emitted);
  const checker = program.getTypeChecker();
  const root = checker.getSymbolAtLocation(program.getSourceFile(ENTRY.replace(/\.ts$/, '.d.ts')));
  const exports = checker.getExportsOfModule(root).map((s) => ({ name: s.name, target: resolveAlias(checker, s) }));
  const exported = new Set(exports.map((e) => e.target));
  const reached = new Set();
  const queue = [...exported];
  while (queue.length > 0) {
    for (const statement of statementsOf(queue.shift(), emitted)) {
      for (const symbol of referencedSymbols(checker, statement, emitted)) {
        if (exported.has(symbol) || reached.has(symbol)) continue;
        reached.add(symbol);
        queue.push(symbol);
      }
    }
  }
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const names = exports.map((e) => e.name).sort();
  return [
    '// The public API of opk-attest: every name the package root (src/index.ts, dist/lib.js) exports,',
    '// then the project types those reach without exporting them. Generated by `npm run api`; do not edit.',
    `// Public names (${names.length}): ${names.join(', ')}`,
    '',
    '// ==== Exported ====',
    '',
    ...[...exports].sort(byName).map((e) => render(e.target, emitted, e.name)),
    '// ==== Reached from the exports, not exported ====',
    '',
    ...[...reached].sort(byName).map((s) => render(s, emitted)),
  ].join('\n');
}

function main(argv) {
  const report = apiReport();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REPORT, 'utf8');
    } catch {
      // A missing report is stale like any other; the message below says how to make it.
    }
    if (current !== report) {
      const a = current.split('\n');
      const b = report.split('\n');
      const line = b.findIndex((l, i) => l !== a[i]);
      process.stderr.write(
        `api/opk-attest.d.ts is stale (first difference at line ${line + 1}: ${JSON.stringify(b[line] ?? '')}); ` +
          'run "npm run api", review the change to the public API and commit the report\n',
      );
      process.exit(1);
    }
    process.stdout.write('api/opk-attest.d.ts is current\n');
    return;
  }
  mkdirSync(path.dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, report);
  process.stdout.write(`wrote api/opk-attest.d.ts\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename))
  main(process.argv.slice(2));
