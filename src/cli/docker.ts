/**
 * `opk-attest docker install|uninstall`: puts the `docker-opk` Docker CLI plugin in
 * `$DOCKER_CONFIG/cli-plugins` (default `~/.docker/cli-plugins`) or removes it; and
 * `opk-attest docker plugin …`, what that plugin's launcher runs (docs/docker.md).
 */
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerConfigDir, installPlugin, PLUGIN_FILE, uninstallPlugin } from '../docker/plugin-install.js';
import { runCommand, UsageError } from './args.js';
import { dispatch } from './trust-dir.js';
import { packageVersion } from './version.js';

const USAGE = `usage: opk-attest docker <subcommand>

Installs the Docker CLI plugin "docker opk": pull, run and build only what verifies against the
trust you configured ("opk-attest trust use …" or trust flags), as DOCKER_CONTENT_TRUST=1 did.

subcommands:
  install      put ${PLUGIN_FILE} in $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins)
  uninstall    remove it (only if opk-attest installed it)

Then: docker opk pull IMAGE | docker opk run [flags] IMAGE [ARGS…] | docker opk build [flags] CONTEXT
      docker opk verify|inspect|trust …   (the same as opk-attest verify|inspect|trust …)
`;

const INSTALL_USAGE = `usage: opk-attest docker install [--cli FILE]

Writes the ${PLUGIN_FILE} launcher into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins).
It runs this opk-attest with this node; re-run it after moving or upgrading opk-attest.

options:
  --cli FILE   the opk-attest CLI script the plugin runs (default: the one running now)
`;

const UNINSTALL_USAGE = `usage: opk-attest docker uninstall

Removes ${PLUGIN_FILE} from $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins), only if
opk-attest installed it.
`;

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  install: (argv) =>
    runCommand(
      { name: 'docker install', usage: INSTALL_USAGE, options: { cli: { type: 'string' } } },
      argv,
      async ({ values }) => {
        const cli = cliScript(values.cli);
        const file = await installPlugin({ dockerConfig: configDir() }, { node: process.execPath, cli });
        process.stdout.write(`installed ${file} (runs ${cli})\ntry: docker opk --help\n`);
        return 0;
      },
    ),
  uninstall: (argv) =>
    runCommand({ name: 'docker uninstall', usage: UNINSTALL_USAGE, options: {} }, argv, async () => {
      const removed = await uninstallPlugin({ dockerConfig: configDir() });
      process.stdout.write(
        removed
          ? `removed ${removed}\n`
          : `no ${PLUGIN_FILE} in ${path.join(configDir(), 'cli-plugins')}; nothing to do\n`,
      );
      return 0;
    }),
  plugin: async (argv) => (await import('./docker-plugin.js')).dockerPluginCommand(argv, packageVersion()),
};

/**
 * Runs `opk-attest docker …`.
 * @returns the exit status: 0 ok, 1 failed, 2 usage error
 */
export function dockerCommand(argv: string[]): Promise<number> {
  return dispatch('docker', USAGE, SUBCOMMANDS, argv);
}

function configDir(): string {
  return dockerConfigDir(process.env, os.homedir());
}

/** The CLI script the launcher runs: given, or the one running now (resolved through symlinks). */
function cliScript(given: string | undefined): string {
  const file = given ?? process.argv[1];
  if (!file || !existsSync(file)) {
    throw new UsageError(`cannot find the opk-attest CLI script${file ? ` ${file}` : ''}; give it with --cli FILE`);
  }
  return realpathSync(path.resolve(file));
}
