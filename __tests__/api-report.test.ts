/**
 * The public API is deliberate: api/opk-attest.d.ts (scripts/api-report.mjs) is the reviewed
 * record of what the package root exports, so it must be current, and the README's library
 * table must name exactly those exports.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const REPORT = 'api/opk-attest.d.ts';

function publicNames(): string[] {
  const line = readFileSync(REPORT, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('// Public names ('));
  if (!line) throw new Error(`${REPORT} has no "// Public names (N): …" line; run "npm run api"`);
  return line
    .slice(line.indexOf(':') + 1)
    .split(',')
    .map((n) => n.trim())
    .sort();
}

/** The backticked names in the table rows of the README's "## Library" section. */
function readmeNames(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Library\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| to '));
  const names = rows.flatMap((r) => [...r.matchAll(/`([A-Za-z_]\w*)`/g)].map((m) => m[1]!));
  return [...new Set(names)].sort();
}

describe('the API report', () => {
  it('api/opk-attest.d.ts is what "npm run api" makes of src/index.ts', () => {
    let out = '';
    try {
      out = execFileSync(process.execPath, ['scripts/api-report.mjs', '--check'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: string; status?: number };
      throw new Error(`api-report --check exited ${e.status}: ${e.stderr ?? ''}`);
    }
    expect(out).toContain('is current');
  }, 120_000);

  it('lists under 60 public names', () => {
    expect(publicNames().length).toBeLessThan(60);
  });

  it("the README's library table names exactly the public names", () => {
    expect(readmeNames()).toEqual(publicNames());
  });
});
