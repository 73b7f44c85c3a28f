import { jest } from '@jest/globals';
import {
  atMostOne,
  integer,
  keyValues,
  oneOf,
  parseCommandArgs,
  required,
  runCommand,
  UsageError,
  USAGE_EXIT,
} from '../../src/cli/args.js';
import { expectCode } from '../helpers.js';

const SPEC = {
  name: 'demo run',
  usage: 'usage: opk-attest demo run --name NAME [--loud] [--tag T]...\n',
  options: { name: { type: 'string' }, loud: { type: 'boolean' }, tag: { type: 'string', multiple: true } },
} as const;

/** Runs a command with stdout/stderr captured (Node's streams, not our modules). */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('parseCommandArgs', () => {
  describe('when the options are known', () => {
    it('returns typed values, repeated options as a list', () => {
      const { values } = parseCommandArgs(SPEC, ['--name', 'x', '--loud', '--tag', 'a', '--tag=b']);
      expect(values).toEqual({ name: 'x', loud: true, tag: ['a', 'b'] });
    });
    it('accepts - as a value (stdin)', () => {
      expect(parseCommandArgs(SPEC, ['--name', '-']).values.name).toBe('-');
    });
  });

  describe('when an option is unknown', () => {
    it('throws CLI_USAGE naming the option', async () => {
      await expectCode(() => parseCommandArgs(SPEC, ['--nmae', 'x']), 'CLI_USAGE');
      expect(() => parseCommandArgs(SPEC, ['--nmae', 'x'])).toThrow(/unknown option '--nmae'/);
    });
  });

  describe('when a string option lacks its value', () => {
    it('throws CLI_USAGE', () => expectCode(() => parseCommandArgs(SPEC, ['--name']), 'CLI_USAGE'));
  });

  describe('when a flag is given a value', () => {
    it('throws CLI_USAGE', () => expectCode(() => parseCommandArgs(SPEC, ['--loud=yes']), 'CLI_USAGE'));
  });

  describe('when a positional argument is given to a command that takes none', () => {
    it('throws CLI_USAGE without repeating the argument', () => {
      expect(() => parseCommandArgs(SPEC, ['hunter2-secret'])).toThrow(UsageError);
      expect(() => parseCommandArgs(SPEC, ['hunter2-secret'])).not.toThrow(/hunter2/);
    });
  });

  describe('when a command takes positionals', () => {
    const spec = { ...SPEC, positionals: { min: 1, max: 2 } };
    it('returns them', () => expect(parseCommandArgs(spec, ['a', '--loud', 'b']).positionals).toEqual(['a', 'b']));
    it('throws CLI_USAGE for too few', () => expectCode(() => parseCommandArgs(spec, []), 'CLI_USAGE'));
    it('throws CLI_USAGE for too many', () => expectCode(() => parseCommandArgs(spec, ['a', 'b', 'c']), 'CLI_USAGE'));
  });
});

describe('runCommand', () => {
  describe('when asked for --help', () => {
    it('prints the usage on stdout, exits 0 and does not run the body', async () => {
      const body = jest.fn(async () => 0);
      expect(await capture(() => runCommand(SPEC, ['-h'], body))).toEqual({ code: 0, out: SPEC.usage, err: '' });
      expect(body).not.toHaveBeenCalled();
    });
  });

  describe('when parsing fails', () => {
    it('prints one line and the usage on stderr and exits 2', async () => {
      const r = await capture(() => runCommand(SPEC, ['--bogus'], async () => 0));
      expect(r.code).toBe(USAGE_EXIT);
      expect(r.out).toBe('');
      expect(r.err).toBe(`opk-attest demo run: unknown option '--bogus'; see --help\n${SPEC.usage}`);
    });
  });

  describe('when the body throws a UsageError', () => {
    it('exits 2 with its message', async () => {
      const r = await capture(() =>
        runCommand(SPEC, [], async ({ values }) => (required(values.name, '--name NAME'), 0)),
      );
      expect(r).toMatchObject({
        code: 2,
        err: expect.stringMatching(/^opk-attest demo run: missing --name NAME\nusage:/),
      });
    });
  });

  describe('when the body throws anything else', () => {
    it('lets it propagate to the dispatcher', async () => {
      await expect(
        capture(() =>
          runCommand(SPEC, [], async () => {
            throw new Error('boom');
          }),
        ),
      ).rejects.toThrow('boom');
    });
  });

  describe('when the body succeeds', () => {
    it('returns its exit status', async () => {
      expect(
        (await capture(() => runCommand(SPEC, ['--name', 'n'], async ({ values }) => (values.name === 'n' ? 1 : 0))))
          .code,
      ).toBe(1);
    });
  });
});

describe('required', () => {
  describe('when the value is absent or empty', () => {
    it('throws CLI_USAGE', async () => {
      await expectCode(() => required(undefined, '--x'), 'CLI_USAGE');
      await expectCode(() => required('', '--x'), 'CLI_USAGE');
    });
  });
  it('returns a present value', () => expect(required('v', '--x')).toBe('v'));
});

describe('oneOf', () => {
  it('returns an allowed value', () => expect(oneOf('aud', '--claim', ['aud', 'nonce'])).toBe('aud'));
  describe('when the value is not allowed', () => {
    it('throws CLI_USAGE listing the choices', () => {
      expect(() => oneOf('sub', '--claim', ['aud', 'nonce'])).toThrow('--claim must be one of aud, nonce');
    });
  });
});

describe('atMostOne', () => {
  it('returns the one given, or undefined', () => {
    expect(atMostOne({ '--a': false, '--b': true })).toBe('--b');
    expect(atMostOne({ '--a': false, '--b': false })).toBeUndefined();
  });
  describe('when two are given', () => {
    it('throws CLI_USAGE naming both', () =>
      expect(() => atMostOne({ '--a': true, '--b': true })).toThrow('--a and --b cannot be used together'));
  });
});

describe('integer', () => {
  it('parses decimal digits', () => expect(integer('1722717291', '--now')).toBe(1722717291));
  describe.each([['-1'], ['1.5'], ['1e3'], [' 7'], ['0x10'], [''], ['99999999999999999']])('when given %j', (value) => {
    it('throws CLI_USAGE', () => expectCode(() => integer(value, '--now'), 'CLI_USAGE'));
  });
  describe('when below the minimum', () => {
    it('throws CLI_USAGE', () => expectCode(() => integer('0', '--max-age', 1), 'CLI_USAGE'));
  });
});

describe('keyValues', () => {
  it('splits at the first = and keeps the rest of the value', () => {
    expect(keyValues(['att=ab', 'url=https://x/?a=b', 'empty='], '--extra-claim')).toEqual({
      att: 'ab',
      url: 'https://x/?a=b',
      empty: '',
    });
  });
  it('returns an empty record when the option is absent', () => expect(keyValues(undefined, '--x')).toEqual({}));
  it('keeps __proto__ as a plain entry', () => {
    const r = keyValues(['__proto__=x'], '--x');
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.entries(r)).toEqual([['__proto__', 'x']]);
  });
  describe.each([[['novalue']], [['=v']], [['a=1', 'a=2']]])('when given %j', (entries) => {
    it('throws CLI_USAGE', () => expectCode(() => keyValues(entries, '--extra-claim'), 'CLI_USAGE'));
  });
});
