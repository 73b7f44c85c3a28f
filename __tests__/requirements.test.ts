/**
 * No silent skips: every test that needs an outside tool goes through `requirements.ts`, which
 * fails under CI=true instead of skipping. This test reads the test sources and refuses any
 * other way of skipping, and any test that decides by file times whether dist/ is current.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingTools } from './requirements.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return testSources(full);
    const exempt = [path.join(here, 'requirements.ts'), fileURLToPath(import.meta.url)];
    return /\.ts$/.test(e.name) && !exempt.includes(full) ? [full] : [];
  });
}

const SKIPS: Array<[string, RegExp]> = [
  ['describe.skip / it.skip / test.skip', /\b(describe|it|test)\.skip\b/],
  ['a conditional describe or it', /\?\s*(describe|it|test)\s*:\s*(describe|it|test)\b/],
  ['xdescribe / xit', /\bx(describe|it|test)\(/],
  ['a dist/ freshness check by file time', /mtimeMs[\s\S]{0,200}dist|dist[\s\S]{0,200}mtimeMs/],
];

describe('test sources', () => {
  const files = testSources(here).filter((f) => !f.includes(`${path.sep}fakes${path.sep}local-stack.ts`));

  it.each(SKIPS)('contain no %s outside requirements.ts', (_what, pattern) => {
    const offenders = files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => path.relative(here, f));
    expect(offenders).toEqual([]);
  });
});

describe('missingTools', () => {
  it('reports nothing for an empty list and only listed tools otherwise', () => {
    expect(missingTools([])).toEqual([]);
    expect(missingTools(['go', 'skopeo']).every((t) => ['go', 'skopeo'].includes(t))).toBe(true);
  });
});
