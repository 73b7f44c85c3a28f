/**
 * What every `opk-attest trust` command shares: the trust directory (`--dir`, default the
 * current directory), the passphrase (only from OPK_ATTEST_TRUST_PASSPHRASE, never a flag: flags
 * end up in shell history and process lists), lifetimes (`--expiry ROLE=DURATION`), and output.
 */
import type { SigningOptions, TopRole } from '../policy/index.js';
import { UsageError } from './args.js';
import { printable } from './terminal-text.js';

/** The environment variable holding the key passphrase. */
export const PASSPHRASE_ENV = 'OPK_ATTEST_TRUST_PASSPHRASE';

/** Options of every command working on a trust directory. */
export const DIR_OPTIONS = { dir: { type: 'string', short: 'd' } } as const;
/** Options of every command that signs. */
export const EXPIRY_OPTIONS = { expiry: { type: 'string', multiple: true } } as const;

/** Usage lines of DIR_OPTIONS and EXPIRY_OPTIONS. */
export const DIR_USAGE = `  --dir DIR, -d DIR          the trust directory (default: the current directory)\n`;
export const EXPIRY_USAGE = `  --expiry ROLE=DURATION     lifetime of newly signed metadata, e.g. timestamp=12h, snapshot=7d,
                             targets=90d, root=365d (the defaults); repeatable
passphrase: from ${PASSPHRASE_ENV} (never a flag)
`;

const ROLES: readonly TopRole[] = ['root', 'targets', 'snapshot', 'timestamp'];
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** The trust directory named by `--dir`, or the current directory. */
export function dirOf(v: { dir?: string }): string {
  return v.dir ?? '.';
}

/**
 * The signing options: the passphrase from the environment, and the lifetimes given.
 * @throws UsageError CLI_USAGE when the passphrase is not set or an --expiry is malformed
 */
export function signingOptions(v: { expiry?: string[] }): SigningOptions {
  const passphrase = process.env[PASSPHRASE_ENV];
  if (passphrase === undefined || passphrase === '')
    throw new UsageError(`set ${PASSPHRASE_ENV} to the passphrase of the trust keys`);
  return { passphrase, expiry: parseExpiry(v.expiry) };
}

function parseExpiry(values: readonly string[] | undefined): Partial<Record<TopRole, number>> {
  const out: Partial<Record<TopRole, number>> = {};
  for (const entry of values ?? []) {
    const m = /^(root|targets|snapshot|timestamp)=(\d{1,6})([smhd])$/.exec(entry);
    if (!m)
      throw new UsageError(
        `--expiry takes ROLE=DURATION with ROLE one of ${ROLES.join(', ')} and DURATION like 12h or 7d`,
      );
    out[m[1] as TopRole] = Number(m[2]) * UNIT[m[3]!]!;
  }
  return out;
}

/** Prints lines to stdout, escaped for the terminal. */
export function say(...lines: string[]): void {
  process.stdout.write(`${printable(lines.join('\n'))}\n`);
}

/** The reminder printed after a content change. */
export const STAGED_NOTE = 'staged; run "opk-attest trust publish" to sign and publish it';

/**
 * Dispatches to a subcommand by the first argument.
 * @throws whatever the subcommand throws
 */
export async function dispatch(
  name: string,
  usage: string,
  table: Record<string, (argv: string[]) => Promise<number>>,
  argv: string[],
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  const run = sub === undefined || !Object.hasOwn(table, sub) ? undefined : table[sub];
  if (!run) {
    process.stderr.write(
      `opk-attest ${name}: ${sub === undefined ? 'missing subcommand' : 'unknown subcommand'}; expected ${Object.keys(table).join(', ')}\n${usage}`,
    );
    return 2;
  }
  return run(rest);
}
