/**
 * `opk-attest config [trust options] [--json]`: which saved trust configuration applies here and
 * why — the user file, the project file found walking up, which one is in force, each setting
 * with where it comes from, and the trust source they amount to (see docs/consumer.md).
 */
import { describeTrustSource, TRUST_KEYS, type ResolvedTrust } from '../consumer/index.js';
import { runCommand } from './args.js';
import { resolveFromFlags } from './trust-config.js';
import { printable } from './terminal-text.js';
import { TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js';

const USAGE = `usage: opk-attest config [trust options] [--json]

Shows which saved trust configuration "verify" uses here and why: the user file
($XDG_CONFIG_HOME/opk-attest/trust.json), the project file (.opk-attest.json, found walking up
from the working directory to the repository root; it beats the user file), and each setting
with its origin. Trust options given here show how they would override the files.

options:
  --json                     print it as JSON
${TRUST_USAGE}`;

const SPEC = { name: 'config', usage: USAGE, options: { ...TRUST_OPTIONS, json: { type: 'boolean' } } } as const;

/** Runs `config`. */
export function configCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v }) => {
    const r = await resolveFromFlags(v);
    process.stdout.write(v.json ? `${JSON.stringify(asJson(r), null, 2)}\n` : printable(asText(r)));
    return 0;
  });
}

function inForce(r: ResolvedTrust): string {
  if (r.file === undefined) return 'no saved trust configuration';
  if (r.file.scope === 'user') return `user file ${r.file.path}${r.projectPath ? '' : ' (no project file)'}`;
  return `project file ${r.file.path}${r.shadowedUserFile ? ' (a project file beats the user file)' : ''}`;
}

function asText(r: ResolvedTrust): string {
  const lines = [
    `user file:     ${r.userPath}${r.file?.scope === 'user' || r.shadowedUserFile ? '' : ' (none)'}`,
    `project file:  ${r.projectPath ?? `none (searched ${process.cwd()} up to ${r.searchedUpTo})`}`,
    `in force:      ${inForce(r)}`,
    `trust source:  ${describeTrustSource(r.settings)}`,
  ];
  const keys = TRUST_KEYS.filter((k) => r.settings[k] !== undefined);
  if (keys.length > 0) lines.push('settings:');
  for (const k of keys) {
    const v = r.settings[k]!;
    lines.push(`  --${k.padEnd(18)} ${Array.isArray(v) ? v.join(', ') : String(v)}  (${originText(r.origins[k]!)})`);
  }
  for (const x of r.replaced) lines.push(`  --${x.key.padEnd(18)} from the ${x.origin} file ignored: ${x.because}`);
  if (r.shadowedUserFile) lines.push(`ignored:       user file ${r.shadowedUserFile} (the project file applies)`);
  if (keys.length === 0)
    lines.push('(verify uses its defaults: any identity of GitHub Actions; run "opk-attest trust use")');
  return `${lines.join('\n')}\n`;
}

function originText(o: string): string {
  return o === 'flag' ? 'flag' : `${o} file`;
}

function asJson(r: ResolvedTrust): unknown {
  return {
    userFile: r.userPath,
    projectFile: r.projectPath ?? null,
    searchedUpTo: r.searchedUpTo,
    inForce: r.file ? { scope: r.file.scope, path: r.file.path } : null,
    source: describeTrustSource(r.settings),
    settings: Object.fromEntries(
      TRUST_KEYS.filter((k) => r.settings[k] !== undefined).map((k) => [
        k,
        { value: r.settings[k], origin: r.origins[k] },
      ]),
    ),
    replaced: r.replaced,
    ignoredUserFile: r.shadowedUserFile ?? null,
  };
}
