import { parsePluginArgv, pluginMetadata } from '../../src/docker/plugin-args.js';
import { expectCode } from '../helpers.js';

describe('parsePluginArgv', () => {
  it('answers the metadata query', () => {
    expect(parsePluginArgv(['docker-cli-plugin-metadata'])).toEqual({ kind: 'metadata' });
  });

  describe('when Docker passes its global options before the plugin name', () => {
    const cases: Array<[string[], string[], string[]]> = [
      [['opk', 'pull', 'x'], [], ['pull', 'x']],
      [
        ['-H', 'unix:///s', '--debug', 'opk', 'run', 'x'],
        ['-H', 'unix:///s', '--debug'],
        ['run', 'x'],
      ],
      [['--context=prod', '-D', 'opk'], ['--context=prod', '-D'], []],
      [
        ['--config', '/c', '--tlsverify', '--tlscacert', 'ca.pem', 'opk', 'build', '.'],
        ['--config', '/c', '--tlsverify', '--tlscacert', 'ca.pem'],
        ['build', '.'],
      ],
      [['-Hunix:///s', '-l', 'debug', 'opk', 'opk'], ['-Hunix:///s', '-l', 'debug'], ['opk']],
    ];
    it.each(cases)('%j', (argv, globals, args) => {
      expect(parsePluginArgv(argv)).toEqual({ kind: 'run', globals, args });
    });
  });

  describe('when the argv is not a plugin invocation', () => {
    it.each([[[]], [['pull', 'x']], [['--bogus', 'opk']], [['-H']], [['docker-cli-plugin-metadata', 'x']]])(
      '%j throws DOCKER_ARGS_INVALID',
      (argv) => expectCode(() => parsePluginArgv(argv), 'DOCKER_ARGS_INVALID'),
    );
  });
});

describe('pluginMetadata', () => {
  it('has the fields Docker requires, SchemaVersion exactly 0.1.0', () => {
    const m = pluginMetadata('1.2.3');
    expect(m).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'opk-attest', Version: '1.2.3' });
    expect(m.ShortDescription.length).toBeGreaterThan(0);
    expect(m.ShortDescription).not.toContain('\n');
  });
});
