import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dockerConfigDir,
  installPlugin,
  isOurPlugin,
  launcherScript,
  pluginPath,
  uninstallPlugin,
} from '../../src/docker/plugin-install.js';
import { expectCode } from '../helpers.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'opk-plugin-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** A stand-in CLI script that prints its argv as JSON, in a directory whose name needs quoting. */
function echoCli(): string {
  const dir = path.join(base, "it's a dir");
  mkdirSync(dir);
  const file = path.join(dir, 'cli.mjs');
  writeFileSync(file, 'process.stdout.write(JSON.stringify(process.argv.slice(2)));\n');
  return file;
}

describe('dockerConfigDir', () => {
  it('is $DOCKER_CONFIG when set, else ~/.docker', () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: '/c', HOME: '/h' }, '/x')).toBe('/c');
    expect(dockerConfigDir({ HOME: '/h' }, '/x')).toBe('/h/.docker');
    expect(dockerConfigDir({}, '/x')).toBe('/x/.docker');
  });
});

describe('installPlugin', () => {
  it('writes an executable launcher that passes every argument on untouched', async () => {
    const at = { dockerConfig: path.join(base, 'cfg') };
    const file = await installPlugin(at, { node: process.execPath, cli: echoCli() });
    expect(file).toBe(path.join(base, 'cfg', 'cli-plugins', 'docker-opk'));
    expect(statSync(file).mode & 0o777).toBe(0o755);
    const args = ['opk', 'run', 'a b', "it's", '$HOME', '"q"', ''];
    const out = execFileSync(file, args, { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(['docker', 'plugin', ...args]);
    expect(await isOurPlugin(file)).toBe(true);
  });

  it('converges when run again', async () => {
    const at = { dockerConfig: base };
    const target = { node: process.execPath, cli: echoCli() };
    await installPlugin(at, target);
    await installPlugin(at, target);
    expect(readFileSync(pluginPath(at), 'utf8')).toBe(launcherScript(target));
  });

  describe('when another docker-opk is there', () => {
    it('throws DOCKER_PLUGIN_NOT_OURS and leaves it alone', async () => {
      const at = { dockerConfig: base };
      mkdirSync(path.join(base, 'cli-plugins'));
      writeFileSync(pluginPath(at), '#!/bin/sh\necho someone else\n');
      await expectCode(() => installPlugin(at, { node: process.execPath, cli: echoCli() }), 'DOCKER_PLUGIN_NOT_OURS');
      expect(readFileSync(pluginPath(at), 'utf8')).toBe('#!/bin/sh\necho someone else\n');
    });
  });

  describe('when given relative paths', () => {
    it('throws DOCKER_PLUGIN_INSTALL_FAILED', () =>
      expectCode(
        () => installPlugin({ dockerConfig: base }, { node: 'node', cli: 'dist/cli.js' }),
        'DOCKER_PLUGIN_INSTALL_FAILED',
      ));
  });
});

describe('uninstallPlugin', () => {
  it('removes our launcher, and then has nothing to do', async () => {
    const at = { dockerConfig: base };
    await installPlugin(at, { node: process.execPath, cli: echoCli() });
    expect(await uninstallPlugin(at)).toBe(pluginPath(at));
    expect(existsSync(pluginPath(at))).toBe(false);
    expect(await uninstallPlugin(at)).toBeUndefined();
  });

  describe('when the docker-opk there is not ours', () => {
    it.each([
      ['a script without the marker', (f: string) => writeFileSync(f, '#!/bin/sh\n# opk-attest\n')],
      ['the marker on another line', (f: string) => writeFileSync(f, '#!/bin/sh\n\n# opk-attest-docker-plugin v1\n')],
      [
        'a symlink to our launcher',
        (f: string) => {
          const real = path.join(base, 'real');
          writeFileSync(real, launcherScript({ node: '/n', cli: '/c' }));
          symlinkSync(real, f);
        },
      ],
      ['a big binary', (f: string) => writeFileSync(f, Buffer.alloc(64 * 1024))],
    ])('(%s) throws DOCKER_PLUGIN_NOT_OURS and keeps it', async (_what, make) => {
      const at = { dockerConfig: base };
      mkdirSync(path.join(base, 'cli-plugins'));
      make(pluginPath(at));
      await expectCode(() => uninstallPlugin(at), 'DOCKER_PLUGIN_NOT_OURS');
      expect(existsSync(pluginPath(at))).toBe(true);
    });
  });
});
