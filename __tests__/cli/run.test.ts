/**
 * The dispatcher's own answers: `--version` / `version`, from the source and from the built
 * bundle copied where no package.json is anywhere above it.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { itWith } from '../requirements.js';
import { cli } from './run-cli.js';

let version: string;
beforeAll(async () => {
  version = (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;
});

describe('runCli', () => {
  describe('when given --version or version', () => {
    it("prints package.json's version and exits 0", async () => {
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      for (const argv of [['--version'], ['version']]) {
        expect(await cli(...argv)).toEqual({ code: 0, out: `${version}\n`, err: '' });
      }
    });
  });

  describe('when version is given an argument', () => {
    it('exits 2 with its usage', async () => {
      const r = await cli('version', '--json');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain('usage: opk-attest version');
    });
  });

  describe('when given --help', () => {
    it('lists version among the commands', async () => {
      const r = await cli('--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^ {2}version, --version +print the version of opk-attest$/m);
    });
  });
});

describe('dist/cli.js --version', () => {
  // A copy of dist/ alone, under the system temp directory: no package.json is beside or above
  // it, so the version can only come from the bundle itself.
  itWith(['dist'], 'prints the version built into the bundle', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opk-version-'));
    try {
      await cp(path.resolve('dist'), path.join(dir, 'dist'), { recursive: true });
      for (const arg of ['--version', 'version']) {
        const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'dist', 'cli.js'), arg], {
          cwd: dir,
        });
        expect(stdout).toBe(`${version}\n`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
