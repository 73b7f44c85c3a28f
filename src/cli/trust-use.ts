/**
 * `opk-attest trust use [trust flags] [--project]`: saves the trust `verify` uses when given no
 * trust flags — per user, or with `--project` in `.opk-attest.json` at the repository root
 * (see docs/consumer.md). `--clear` removes the file.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ConsumerError,
  describeTrustSource,
  PROJECT_CONFIG_FILE,
  repositoryRoot,
  userConfigPath,
  writeTrustConfig,
} from '../consumer/index.js';
import { runCommand, UsageError } from './args.js';
import { checkTrustSettings, configHome, trustSettingsOf } from './trust-config.js';
import { printable } from './terminal-text.js';
import { TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js';

const USAGE = `usage: opk-attest trust use [trust options] [--project]
       opk-attest trust use --clear [--project]

Saves trust options so that "opk-attest verify IMAGE" (and "docker opk …") need none: per user in
$XDG_CONFIG_HOME/opk-attest/trust.json (default ~/.config/opk-attest/trust.json), or with --project
in ${PROJECT_CONFIG_FILE} at the repository root (commit it; verify finds it walking up from the
working directory, and it beats the user file). Flags given to verify still override, key by key.
"opk-attest config" shows which file and trust apply. The trust is checked before it is saved
(a TUF repository is loaded; files are read and parsed).

options:
  --project                  save in the repository's ${PROJECT_CONFIG_FILE} instead of the user file
  --clear                    remove the file instead
${TRUST_USAGE}`;

const SPEC = {
  name: 'trust use',
  usage: USAGE,
  options: { ...TRUST_OPTIONS, project: { type: 'boolean' }, clear: { type: 'boolean' } },
} as const;

/** Runs `trust use`. */
export function trustUseCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v }) => {
    const settings = trustSettingsOf(v);
    const given = Object.keys(settings).length > 0;
    if (v.clear && given) throw new UsageError('--clear takes no trust options');
    if (!v.clear && !given) {
      throw new UsageError(
        'give the trust to save: --tuf-repository URL --tuf-root FILE, --policy FILE, or --issuer/--signer-claim/…',
      );
    }
    const file = await configFile(v.project === true);
    if (v.clear) {
      await rm(file, { force: true });
      process.stdout.write(`removed ${printable(file)}\n`);
      return 0;
    }
    await checkTrustSettings(settings);
    await writeTrustConfig(file, settings, process.cwd());
    process.stdout.write(`saved to ${printable(file)}: ${printable(describeTrustSource(settings))}\n`);
    if (!settings['tuf-repository'] && !settings.policy && !settings['signer-claim']?.length) {
      process.stderr.write(
        'opk-attest trust use: warning: any identity of the issuers is accepted as a signer; pin yours with --signer-claim repository=OWNER/REPO\n',
      );
    }
    return 0;
  });
}

async function configFile(project: boolean): Promise<string> {
  if (!project) return userConfigPath(configHome());
  const root = await repositoryRoot(process.cwd());
  if (root === undefined) {
    throw new ConsumerError({
      code: 'CONFIG_NO_PROJECT',
      message: `--project: no repository (.git) at or above ${process.cwd()}; run it inside the repository, or drop --project to save per user`,
    });
  }
  return path.join(root, PROJECT_CONFIG_FILE);
}
