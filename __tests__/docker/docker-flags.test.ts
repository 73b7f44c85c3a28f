import {
  BUILD_FLAGS,
  flagTokens,
  flagValues,
  PULL_FLAGS,
  RUN_FLAGS,
  scanDockerArgs,
  tokensWithout,
} from '../../src/docker/docker-flags.js';
import { expectCode } from '../helpers.js';

const OWN = { policy: 'value', 'signer-claim': 'value', 'tuf-repository': 'value', 'tlog-key-tofu': 'bool' } as const;
const split = (s: string): string[] => s.split(' ').filter(Boolean);

describe('scanDockerArgs', () => {
  describe('with docker run flags', () => {
    // [command line, IMAGE, the container's command, docker flags passed on]
    const cases: Array<[string, string, string, string]> = [
      ['nginx', 'nginx', '', ''],
      ['--rm nginx', 'nginx', '', '--rm'],
      ['--name web nginx', 'nginx', '', '--name web'],
      ['--name=web nginx', 'nginx', '', '--name=web'],
      ['-it alpine sh -c ls', 'alpine', 'sh -c ls', '-it'],
      ['-ite X=1 alpine', 'alpine', '', '-ite X=1'],
      ['-eX=1 alpine', 'alpine', '', '-eX=1'],
      ['-e=X alpine', 'alpine', '', '-e=X'],
      [
        '-p 80:80 -v /a:/b -w /tmp --network none img:1 --rm',
        'img:1',
        '--rm',
        '-p 80:80 -v /a:/b -w /tmp --network none',
      ],
      ['-h host --user 1000 reg:5000/a/b@sha256:00 x y', 'reg:5000/a/b@sha256:00', 'x y', '-h host --user 1000'],
      ['--rm=false --sig-proxy=false img', 'img', '', '--rm=false --sig-proxy=false'],
      ['--future-flag=on img', 'img', '', '--future-flag=on'],
      ['--rm -- img -v', 'img', '-v', '--rm'],
      ['--entrypoint /bin/sh img -c "x"', 'img', '-c "x"', '--entrypoint /bin/sh'],
      ['--policy p.json --rm --signer-claim repository=a/b img', 'img', '', '--rm'],
      ['--rm img --policy p.json', 'img', '--policy p.json', '--rm'],
      ['--tlog-key-tofu img x', 'img', 'x', ''],
    ];
    it.each(cases)('reads %j', (line, image, rest, passed) => {
      const s = scanDockerArgs(split(line), RUN_FLAGS, OWN);
      expect(s.positionals).toEqual([image]);
      expect(s.rest).toEqual(split(rest));
      expect(flagTokens(s.flags)).toEqual(split(passed));
    });

    it('takes out the wrapper’s own flags with their values', () => {
      const s = scanDockerArgs(split('--policy p.json --signer-claim a=1 --signer-claim=b=2 --rm img'), RUN_FLAGS, OWN);
      expect(s.extracted.map((f) => [f.name, f.value])).toEqual([
        ['policy', 'p.json'],
        ['signer-claim', 'a=1'],
        ['signer-claim', 'b=2'],
      ]);
    });

    it('reads --platform and short-flag values', () => {
      const s = scanDockerArgs(split('--platform linux/arm64 -e A=1 -eB=2 -ite C=3 img'), RUN_FLAGS, OWN);
      expect(flagValues(s.flags, 'platform')).toEqual(['linux/arm64']);
      expect(flagValues(s.flags, 'env')).toEqual(['A=1', 'B=2', 'C=3']);
    });

    describe('when a flag is unknown and written without =', () => {
      it('throws DOCKER_ARGS_INVALID instead of guessing where IMAGE is', () =>
        expectCode(() => scanDockerArgs(split('--future-flag x img'), RUN_FLAGS, OWN), 'DOCKER_ARGS_INVALID'));
    });
    describe('when a short flag is unknown', () => {
      it('throws DOCKER_ARGS_INVALID', () =>
        expectCode(() => scanDockerArgs(split('-Z img'), RUN_FLAGS, OWN), 'DOCKER_ARGS_INVALID'));
    });
    describe('when a flag’s value is missing', () => {
      it('throws DOCKER_ARGS_INVALID', async () => {
        await expectCode(() => scanDockerArgs(split('--name'), RUN_FLAGS, OWN), 'DOCKER_ARGS_INVALID');
        await expectCode(() => scanDockerArgs(split('-e'), RUN_FLAGS, OWN), 'DOCKER_ARGS_INVALID');
        await expectCode(() => scanDockerArgs(split('--policy'), RUN_FLAGS, OWN), 'DOCKER_ARGS_INVALID');
      });
    });
  });

  describe('with docker build flags (interspersed)', () => {
    it('finds CONTEXT between flags and reads -f, --build-arg, --target, --platform', () => {
      const s = scanDockerArgs(
        split('-t app:1 --build-arg A=1 . -f ci/Dockerfile --target=final --platform linux/amd64 -q'),
        BUILD_FLAGS,
        OWN,
      );
      expect(s.positionals).toEqual(['.']);
      expect(flagValues(s.flags, 'file')).toEqual(['ci/Dockerfile']);
      expect(flagValues(s.flags, 'build-arg')).toEqual(['A=1']);
      expect(flagValues(s.flags, 'target')).toEqual(['final']);
      expect(flagValues(s.flags, 'platform')).toEqual(['linux/amd64']);
      expect(flagTokens(s.flags)).toEqual(
        split('-t app:1 --build-arg A=1 -f ci/Dockerfile --target=final --platform linux/amd64 -q'),
      );
    });
    it('reads -fDockerfile.ci and -qf F', () => {
      expect(flagValues(scanDockerArgs(split('-fDockerfile.ci .'), BUILD_FLAGS, OWN).flags, 'file')).toEqual([
        'Dockerfile.ci',
      ]);
      const s = scanDockerArgs(split('-qf F .'), BUILD_FLAGS, OWN);
      expect(flagValues(s.flags, 'file')).toEqual(['F']);
      expect(flagTokens(s.flags)).toEqual(['-qf', 'F']);
    });
  });

  describe('with docker pull flags', () => {
    it('finds IMAGE and keeps -q', () => {
      const s = scanDockerArgs(split('-q img:1 --platform linux/amd64'), PULL_FLAGS, OWN);
      expect(s.positionals).toEqual(['img:1']);
      expect(flagTokens(s.flags)).toEqual(split('-q --platform linux/amd64'));
    });
  });
});

describe('tokensWithout', () => {
  it.each([
    ['-t a -f F --pull', '-t a --pull'],
    ['-qf F -t a', '--quiet -t a'],
    ['-fF -q', '-q'],
    ['--file=F --file G -q', '-q'],
    ['-q -t a', '-q -t a'],
  ])('drops -f from %j', (line, expected) => {
    const s = scanDockerArgs(split(`${line} .`), BUILD_FLAGS, OWN);
    expect(tokensWithout(s.flags, new Set(['file']))).toEqual(split(expected));
  });
});
