/**
 * Guards the dependency direction of DESIGN §3: a part imports only parts to its left,
 * the library never imports `action`/`cli`, and `node:crypto` is used only in the files
 * that own a primitive (STYLE §6).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ORDER = [
  'core',
  'identity',
  'attest',
  'oci',
  'tlog',
  'sign',
  'policy',
  'verify',
  'consumer',
  'docker',
  'action',
  'cli',
];
const SRC = path.resolve('src');

/** Files allowed to import node:crypto: one module per primitive. */
const CRYPTO_OWNERS = new Set([
  'core/digest.ts',
  'core/merkle.ts',
  'identity/ephemeral-key.ts',
  'identity/gq256.ts',
  'identity/cic.ts',
  'identity/jwk.ts',
  'identity/signatures.ts',
  'tlog/x509.ts',
  'tlog/keys.ts',
  'policy/tuf/keys.ts',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] ?? m[2]!);
}

const files = sourceFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/'));

describe('architecture', () => {
  it.each(files)('%s imports only parts to its left', (rel) => {
    const part = rel.includes('/') ? rel.split('/')[0]! : 'index';
    for (const spec of importsOf(path.join(SRC, rel))) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), spec)).split(path.sep)[0]!;
      if (part === 'index') {
        expect(['action', 'cli']).not.toContain(target);
        continue;
      }
      const from = ORDER.indexOf(part);
      const to = ORDER.indexOf(target);
      expect({ rel, spec, allowed: to !== -1 && to <= from }).toEqual({ rel, spec, allowed: true });
    }
  });

  it.each(files)('%s uses node:crypto only if it owns a primitive', (rel) => {
    const usesCrypto = importsOf(path.join(SRC, rel)).some((s) => s === 'node:crypto' || s === 'crypto');
    expect({ rel, usesCrypto: usesCrypto && !CRYPTO_OWNERS.has(rel) }).toEqual({ rel, usesCrypto: false });
  });
});
