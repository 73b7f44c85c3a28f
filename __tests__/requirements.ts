/**
 * The one place tests declare the outside tools they need (docker-registry, skopeo, Go, Docker,
 * a built `dist/`). Under `CI=true` a missing tool is a failing test that names it and how to
 * install it, never a skip: CI must not go green by testing less. Outside CI the suite is
 * skipped with a note, so a laptop without the tools can still run everything else.
 *
 * `dist/` is built once before the suite (`.ci/run`, or `npm run build` by hand); no test builds
 * it or compares file times.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Tools a suite can require. */
export type Tool = 'docker-registry' | 'skopeo' | 'go' | 'docker' | 'dist' | 'openssl';

const INSTALL: Record<Tool, string> = {
  'docker-registry': 'apt-get install docker-registry apache2-utils openssl',
  skopeo: 'apt-get install skopeo',
  go: 'apt-get install golang-go',
  docker: 'apt-get install docker.io, and a daemon at DOCKER_HOST (scripts/dockerd.sh start)',
  dist: 'npm run build (.ci/run builds it before npm test)',
  openssl: 'apt-get install openssl',
};

/** Where a tool lives, or undefined. Absolute paths are checked as given; names are looked up on PATH. */
export function toolPath(name: string): string | undefined {
  const dirs = name.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const file = dir === '' ? name : path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

/** The tools of `tools` that are missing here. */
export function missingTools(tools: readonly Tool[]): Tool[] {
  return tools.filter((t) => !present(t));
}

function present(tool: Tool): boolean {
  switch (tool) {
    case 'docker-registry':
      return ['docker-registry', 'htpasswd', 'openssl'].every((b) => toolPath(b) !== undefined);
    case 'dist':
      return ['cli.js', 'index.js', 'verify.js'].every((f) => readable(path.resolve('dist', f)));
    case 'docker':
      return (
        toolPath('docker') !== undefined &&
        spawnSync('docker', ['version'], { stdio: 'ignore', timeout: 10_000 }).status === 0
      );
    default:
      return toolPath(tool) !== undefined;
  }
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function onCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

function reason(missing: readonly Tool[]): string {
  return missing.map((t) => `${t} (${INSTALL[t]})`).join(', ');
}

/**
 * `describe` for a suite that needs `tools`: the real suite when they are there; otherwise, under
 * CI, one failing test naming what is missing; outside CI, a skipped suite and a warning.
 */
export function describeWith(tools: readonly Tool[], title: string, body: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return describe(title, body);
  if (onCi()) {
    return describe(title, () => {
      it(`needs ${missing.join(', ')}`, () => {
        throw new Error(`CI=true and ${reason(missing)} is missing: this suite may not skip in CI`);
      });
    });
  }
  console.warn(`skipping "${title}": missing ${reason(missing)}`);
  describe.skip(`${title} (skipped: missing ${missing.join(', ')})`, body);
}

/** `it` for one test that needs `tools`, with the same rule as {@link describeWith}. */
export function itWith(
  tools: readonly Tool[],
  title: string,
  fn: () => Promise<unknown> | void,
  timeout?: number,
): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return it(title, fn as () => Promise<unknown>, timeout);
  if (onCi()) {
    return it(`${title} (needs ${missing.join(', ')})`, () => {
      throw new Error(`CI=true and ${reason(missing)} is missing: this test may not skip in CI`);
    });
  }
  it.skip(`${title} (skipped: missing ${missing.join(', ')})`, fn as () => Promise<unknown>);
}
