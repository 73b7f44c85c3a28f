/**
 * The CLI dispatcher: `opk-attest <command> …`. Each command module exports a function
 * taking argv and returning an exit code: 0 success, 1 the check failed, 2 usage error.
 */
import { formatError } from './errors.js';
import { printable } from './terminal-text.js';
import { packageVersion } from './version.js';

const USAGE = `usage: opk-attest <command> [options]

commands:
  pktoken issue|verify|inspect   make, check or show an OpenPubkey PK token
  sign IMAGE…                    sign an image's attestations (CI or any OIDC provider)
  verify IMAGE                   verify an image's signed attestations
  inspect IMAGE                  show an image's attestations and signatures
  revoke DIGEST | --signer NAME  the same as "trust revoke"
  monitor --log URL --identity C=G  watch a transparency log for signatures the policy does not allow
  trust <subcommand>             manage the TUF-distributed trust policy (init, signer, publish, …)
                                 and "trust use": save the trust verify uses
  config                         show which saved trust configuration applies here and why
  docker install|uninstall       the "docker opk" plugin: pull, run and build only signed images
  version, --version             print the version of opk-attest

Run "opk-attest <command> --help" for a command's options.
`;

export type Command = (argv: string[]) => Promise<number>;

/** Commands are loaded on first use so `opk-attest --help` stays fast. */
const commands: Record<string, () => Promise<Command>> = {
  pktoken: async () => (await import('./pktoken.js')).pktokenCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  sign: async () => (await import('./sign.js')).signCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  trust: async () => (await import('./trust.js')).trustCommand,
  config: async () => (await import('./config.js')).configCommand,
  monitor: async () => (await import('./monitor.js')).monitorCommand,
  docker: async () => (await import('./docker.js')).dockerCommand,
  // `docker trust revoke` muscle memory: the same as `trust revoke`.
  revoke: async () => {
    const { trustCommand } = await import('./trust.js');
    return (argv) => trustCommand(['revoke', ...argv]);
  },
};

/** Runs one command line; returns the exit status (0 ok, 1 failed, 2 usage error). */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') return printVersion(rest);
  const load = commands[name];
  if (!load) {
    process.stderr.write(`opk-attest: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (err) {
    process.stderr.write(`opk-attest ${name}: ${printable(formatError(err))}\n`);
    return 1;
  }
}

function printVersion(rest: readonly string[]): number {
  if (rest.length > 0) {
    process.stderr.write('opk-attest version: takes no arguments\nusage: opk-attest version | opk-attest --version\n');
    return 2;
  }
  process.stdout.write(`${packageVersion()}\n`);
  return 0;
}
