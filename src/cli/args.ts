/**
 * Command-line parsing shared by the CLI commands: a thin layer over `node:util` `parseArgs`
 * (strict: unknown options and stray arguments are refused) that turns every mistake into a
 * `UsageError`, and `runCommand`, which prints such an error as one line plus the command's usage
 * and exits 2, the status every command uses for "you called me wrong".
 *
 * Messages name options, never the values given: a misplaced secret must not be echoed.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, USAGE_EXIT } from './errors.js';

export { UsageError, USAGE_EXIT };

/** The option table `parseArgs` takes. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The value type `parseArgs` gives an option of the table. */
type ValueOf<C> = C extends { type: 'boolean' }
  ? C extends { multiple: true }
    ? boolean[]
    : boolean
  : C extends { multiple: true }
    ? string[]
    : string;

/** What `parseCommandArgs` returns: typed option values (absent when not given) and positionals. */
export interface ParsedArgs<O extends OptionTable> {
  values: { [K in keyof O]?: ValueOf<O[K]> } & { help?: boolean };
  positionals: string[];
}

/** A command: its name (prefixes messages), its usage text and its options. */
export interface CommandSpec<O extends OptionTable> {
  /** e.g. `pktoken verify`; messages read `opk-attest pktoken verify: …`. */
  name: string;
  /** Printed for `--help` (stdout) and after a usage error (stderr). Ends with a newline. */
  usage: string;
  options: O;
  /** How many positional arguments the command takes. Default 0. */
  positionals?: { min: number; max: number };
}

/**
 * Parses argv against a command's options; `--help`/`-h` is always accepted.
 * @param spec - the command
 * @param argv - the arguments after the command name
 * @returns the option values (typed by the table) and positionals
 * @throws UsageError CLI_USAGE for an unknown option, a missing option value, a value given to a
 *   flag, or the wrong number of positional arguments
 */
export function parseCommandArgs<const O extends OptionTable>(spec: CommandSpec<O>, argv: string[]): ParsedArgs<O> {
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...spec.options, ...HELP },
      strict: true,
      allowPositionals: true,
    }) as ParsedArgs<O>;
  } catch (err) {
    throw new UsageError(describeParseError(err), err);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  const n = parsed.positionals.length;
  if (!parsed.values.help && (n < min || n > max)) {
    throw new UsageError(
      n > max
        ? `unexpected argument at position ${max + 1}${max === 0 ? '; this command takes only options' : ''}`
        : `missing argument: expected ${min === max ? min : `${min} to ${max}`}`,
    );
  }
  return parsed;
}

/** Node's messages quote the option name only; positional values are left out (they could be secrets). */
function describeParseError(err: unknown): string {
  // Read by shape: under a VM context (as in tests) Node's own errors are not `instanceof Error`.
  const { code, message: full } = err as { code?: unknown; message?: unknown };
  const message = typeof full === 'string' ? full.split('\n')[0]! : String(err);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument; this command takes only options';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `${message.replace(/^Unknown option/, 'unknown option').replace(/\. To specify a positional.*$/, '')}; see --help`;
  }
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/**
 * Runs a command: parses argv, answers `--help` (usage on stdout, exit 0), and turns a
 * `UsageError` thrown by parsing or by `body` into one line plus the usage on stderr, exit 2.
 * Other errors propagate to the dispatcher (`runCli`, exit 1).
 * @param spec - the command
 * @param argv - the arguments after the command name
 * @param body - does the work with the parsed arguments and returns the exit status
 * @returns the exit status
 * @throws whatever `body` throws, except UsageError
 */
export async function runCommand<const O extends OptionTable>(
  spec: CommandSpec<O>,
  argv: string[],
  body: (args: ParsedArgs<O>) => Promise<number>,
): Promise<number> {
  try {
    const args = parseCommandArgs(spec, argv);
    if (args.values.help) {
      process.stdout.write(spec.usage);
      return 0;
    }
    return await body(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`opk-attest ${spec.name}: ${err.message}\n${spec.usage}`);
    return USAGE_EXIT;
  }
}

/**
 * The value of a required option.
 * @throws UsageError CLI_USAGE naming the option when it is absent or empty
 */
export function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${option}`);
  return value;
}

/**
 * Checks that a value is one of the allowed words.
 * @returns the value, narrowed
 * @throws UsageError CLI_USAGE listing the allowed values
 */
export function oneOf<const T extends string>(value: string, option: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${option} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * Checks that at most one of several mutually exclusive options is set.
 * @param given - option name → whether it was given
 * @returns the name of the one given, or undefined
 * @throws UsageError CLI_USAGE naming the clashing options
 */
export function atMostOne(given: Readonly<Record<string, boolean>>): string | undefined {
  const set = Object.keys(given).filter((name) => given[name]);
  if (set.length > 1) throw new UsageError(`${set.join(' and ')} cannot be used together`);
  return set[0];
}

/**
 * Parses a decimal integer option (digits only, a safe integer, at least `min`).
 * @throws UsageError CLI_USAGE naming the option and the accepted range
 */
export function integer(value: string, option: string, min = 0): number {
  const n = Number(value);
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${option} must be a whole number of at least ${min}`);
  }
  return n;
}

/**
 * Parses repeated `NAME=VALUE` options (split at the first `=`) into a record; names must be
 * unique and non-empty.
 * @throws UsageError CLI_USAGE for an entry without `=`, an empty or a repeated name
 */
export function keyValues(values: readonly string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} takes NAME=VALUE`);
    const name = entry.slice(0, eq);
    if (Object.hasOwn(out, name)) throw new UsageError(`${option} ${JSON.stringify(name)} is given twice`);
    // defineProperty keeps a name like "__proto__" as plain data.
    Object.defineProperty(out, name, {
      value: entry.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
