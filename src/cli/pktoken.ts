/**
 * `opk-attest pktoken issue|verify|inspect`: make, check or show one OpenPubkey PK token.
 * Each subcommand lives in its own `pktoken-<name>.ts`; this file only dispatches.
 */
import { inspectPkTokenCommand } from './pktoken-inspect.js';
import { issuePkTokenCommand } from './pktoken-issue.js';
import { verifyPkTokenCommand } from './pktoken-verify.js';

const USAGE = `usage: opk-attest pktoken <subcommand> [options]

subcommands:
  issue     get a PK token from an OIDC provider (debugging and interop: the key is discarded)
  verify    check a PK token's signatures, issuer, commitment and age
  inspect   show what a PK token contains, without verifying it

Run "opk-attest pktoken <subcommand> --help" for its options.
`;

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  issue: issuePkTokenCommand,
  verify: verifyPkTokenCommand,
  inspect: inspectPkTokenCommand,
};

/**
 * Runs `opk-attest pktoken …`.
 * @param argv - the arguments after `pktoken`
 * @returns the subcommand's exit status: 0 ok, 1 check failed, 2 usage error
 * @throws whatever the subcommand does not handle itself (the dispatcher prints it, exit 1)
 */
export async function pktokenCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const run = name === undefined || !Object.hasOwn(SUBCOMMANDS, name) ? undefined : SUBCOMMANDS[name];
  if (!run) {
    process.stderr.write(
      `opk-attest pktoken: ${name === undefined ? 'missing subcommand' : 'unknown subcommand'}; expected issue, verify or inspect\n${USAGE}`,
    );
    return 2;
  }
  return run(rest);
}
