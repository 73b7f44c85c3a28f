/**
 * `opk-attest docker plugin …` in process: the protocol answers and the usage errors that must
 * come before any trust is loaded or docker is run (exit 2).
 */
import { readFileSync } from 'node:fs';
import { cli } from './run-cli.js';

describe('docker plugin', () => {
  it('answers docker-cli-plugin-metadata with one JSON object and exit 0', async () => {
    const r = await cli('docker', 'plugin', 'docker-cli-plugin-metadata');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(JSON.parse(r.out)).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'opk-attest', Version: version });
  });

  it('prints its usage for "docker opk --help"', async () => {
    const r = await cli('docker', 'plugin', 'opk', '--help');
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining('usage: docker opk <command>') });
  });

  describe.each([
    ['no command', ['opk'], 'usage: docker opk'],
    ['an unknown command', ['opk', 'push', 'x'], 'unknown command "push"'],
    ['no IMAGE', ['opk', 'run', '--rm', '-e', 'A=1'], 'expected one IMAGE'],
    ['two IMAGEs to pull', ['opk', 'pull', 'a', 'b'], 'expected one IMAGE'],
    ['no CONTEXT', ['opk', 'build', '-t', 'x'], 'expected one CONTEXT'],
    ['a docker flag it cannot place', ['opk', 'run', '--new-flag', 'v', 'img'], '--new-flag=VALUE'],
    ['a bad boolean trust flag', ['opk', 'pull', '--tlog-key-tofu=maybe', 'img'], '--tlog-key-tofu takes no value'],
    ['a stray argument before the plugin name', ['pull', 'img'], 'unknown docker option pull before "opk"'],
    ['--all-tags', ['opk', 'pull', '-a', 'img', '--transparency-log', 'false'], '--all-tags is not supported'],
  ])('when given %s', (_what, argv, message) => {
    it('is a usage error (exit 2, or 1 for a protocol error) and runs nothing', async () => {
      const r = await cli('docker', 'plugin', ...argv);
      expect(r.code).toBeGreaterThan(0);
      expect(r.out + r.err).toContain(message);
    });
  });
});
