/**
 * The CLI dispatcher: `opk-attest <command> …`. Each command module exports a function
 * taking argv and returning an exit code: 0 success, 1 the check failed, 2 usage error.
 */
import { OpkError } from '../core/errors.js';

const USAGE = `usage: opk-attest <command> [options]

commands:
  pktoken issue|verify|inspect   make, check or show an OpenPubkey PK token
  inspect IMAGE                  show an image's attestations and signatures
`;

export type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {};

/** Registers a command loader; command modules register themselves in `commands.ts`. */
export function registerCommand(name: string, load: () => Promise<Command>): void {
  commands[name] = load;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`opk-attest: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    process.stderr.write(`opk-attest ${name}: ${formatError(err)}\n`);
    return 1;
  }
}

/** One line for the user: code and message, never a stack (the message names the fix). */
export function formatError(err: unknown): string {
  if (err instanceof OpkError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
