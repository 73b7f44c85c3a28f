/**
 * The package as `npm pack` makes it, and as the README tells people to install it before it is
 * on the npm registry: the tarball holds the bundle and the actions, and installed from the
 * file with no registry at all (`--offline`), its `opk-attest` bin runs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { itWith } from './requirements.js';

const run = promisify(execFile);
/** npm itself: the one running this test when there is one, else the one on PATH. */
const npm = (args: string[], cwd: string) =>
  process.env.npm_execpath
    ? run(process.execPath, [process.env.npm_execpath, ...args], { cwd })
    : run('npm', args, { cwd });

interface Packed {
  filename: string;
  files: { path: string }[];
}

let pkg: { name: string; version: string; bin: Record<string, string> };
beforeAll(async () => {
  pkg = JSON.parse(await readFile('package.json', 'utf8'));
});

describe('npm pack', () => {
  itWith(['dist'], 'packs the CLI, the library, both actions and the README, and no sources or tests', async () => {
    const { stdout } = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], process.cwd());
    const [packed] = JSON.parse(stdout) as Packed[];
    const files = packed!.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'action.yml',
      'verify/action.yml',
      'dist/cli.js',
      'dist/index.js',
      'dist/verify.js',
      'dist/lib.js',
      pkg.bin['opk-attest']!,
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|__tests__|scripts|bench)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
    expect(packed!.filename).toBe(`${pkg.name}-${pkg.version}.tgz`);
  });

  itWith(['dist'], 'makes a tarball that installs offline and whose bin prints the version', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opk-pack-'));
    try {
      const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], process.cwd());
      const [packed] = JSON.parse(stdout) as Packed[];
      const project = path.join(dir, 'project');
      await mkdir(project);
      await writeFile(path.join(project, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}\n');
      await npm(['install', '--offline', '--no-audit', '--no-fund', path.join(dir, packed!.filename)], project);
      const bin = path.join(project, 'node_modules', '.bin', 'opk-attest');
      expect((await run(bin, ['--version'], { cwd: project })).stdout).toBe(`${pkg.version}\n`);
      const lib = await run(
        process.execPath,
        ['--input-type=module', '-e', "const m = await import('opk-attest'); console.log(typeof m.verifyImage)"],
        { cwd: project },
      );
      expect(lib.stdout).toBe('function\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
