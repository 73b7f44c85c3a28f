/**
 * Installs and removes the `docker-opk` Docker CLI plugin: a small shell launcher in the user's
 * plugin directory that runs this package's CLI (`node CLI docker plugin "$@"`). Docker finds
 * plugins as executables named `docker-NAME` in `$DOCKER_CONFIG/cli-plugins` (default
 * `~/.docker/cli-plugins`); see docs/docker.md.
 *
 * The launcher carries a marker line, so `uninstall` removes only what `install` wrote and
 * `install` never overwrites someone else's `docker-opk`. Writes go to a temporary file renamed
 * into place: a crash leaves the old launcher or the new one, never half of one.
 */
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DockerError } from './errors.js';

/** The plugin's name: `docker opk …`. Docker requires `^[a-z][a-z0-9]*$`. */
export const PLUGIN_NAME = 'opk';
/** The executable Docker looks for. */
export const PLUGIN_FILE = `docker-${PLUGIN_NAME}`;
/** The line that marks a launcher as ours. */
export const LAUNCHER_MARKER = '# opk-attest-docker-plugin v1';
/** Launchers are a few hundred bytes; a bigger file is not ours and is not read whole. */
const MAX_LAUNCHER_BYTES = 16 * 1024;

/** Where the plugin goes. */
export interface PluginLocation {
  /** The Docker configuration directory: `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfig: string;
}

/** What the launcher runs. */
export interface LauncherTarget {
  /** The Node.js executable (absolute path). */
  node: string;
  /** The opk-attest CLI script (absolute path), e.g. `…/node_modules/opk-attest/dist/cli.js`. */
  cli: string;
}

/**
 * The Docker configuration directory a docker CLI would use.
 * @param env - the environment (`DOCKER_CONFIG`, `HOME`)
 * @param home - the home directory when `HOME` is unset
 * @throws never
 */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || home, '.docker');
}

/**
 * The plugin executable's path.
 * @throws never
 */
export function pluginPath(at: PluginLocation): string {
  return path.join(at.dockerConfig, 'cli-plugins', PLUGIN_FILE);
}

/**
 * The launcher script: POSIX sh, paths single-quoted (a quote inside a path is closed, escaped
 * and reopened), every argument passed on untouched.
 * @throws never
 */
export function launcherScript(target: LauncherTarget): string {
  return [
    '#!/bin/sh',
    LAUNCHER_MARKER,
    '# The Docker CLI plugin of opk-attest: "docker opk pull|run|build|verify|inspect|trust".',
    '# Installed by "opk-attest docker install"; remove it with "opk-attest docker uninstall".',
    `exec ${shellQuote(target.node)} ${shellQuote(target.cli)} docker plugin "$@"`,
    '',
  ].join('\n');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether the file at `file` is a launcher written by `installPlugin`.
 * @returns false when it does not exist
 * @throws DockerError DOCKER_PLUGIN_INSTALL_FAILED when it exists but cannot be read
 */
export async function isOurPlugin(file: string): Promise<boolean> {
  const text = await readLauncher(file);
  return text !== undefined && text.startsWith('#!/bin/sh\n') && text.split('\n')[1] === LAUNCHER_MARKER;
}

async function readLauncher(file: string): Promise<string | undefined> {
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failed(`cannot read ${file}: ${(err as Error).message}`, err);
  }
  // A symlink, directory or big binary is someone else's plugin; its content is not ours to judge.
  if (!st.isFile() || st.size > MAX_LAUNCHER_BYTES) return '';
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw failed(`cannot read ${file}: ${(err as Error).message}`, err);
  }
}

/**
 * Writes (or rewrites) the launcher, mode 0755. Re-running converges on the same file.
 * @returns the launcher's path
 * @throws DockerError DOCKER_PLUGIN_NOT_OURS (another docker-opk is there) | DOCKER_PLUGIN_INSTALL_FAILED
 */
export async function installPlugin(at: PluginLocation, target: LauncherTarget): Promise<string> {
  if (!path.isAbsolute(target.node) || !path.isAbsolute(target.cli)) {
    throw failed(`the launcher needs absolute paths of node and the CLI script (got ${target.node}, ${target.cli})`);
  }
  const file = pluginPath(at);
  if ((await readLauncher(file)) !== undefined && !(await isOurPlugin(file))) throw notOurs(file, 'overwrite');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(tmp, launcherScript(target), { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw failed(
      `cannot write ${file}: ${(err as Error).message}; check the permissions of ${path.dirname(file)}`,
      err,
    );
  }
  return file;
}

/**
 * Removes the launcher if it is ours.
 * @returns the removed path, or undefined when there was none (nothing to do)
 * @throws DockerError DOCKER_PLUGIN_NOT_OURS | DOCKER_PLUGIN_INSTALL_FAILED
 */
export async function uninstallPlugin(at: PluginLocation): Promise<string | undefined> {
  const file = pluginPath(at);
  if ((await readLauncher(file)) === undefined) return undefined;
  if (!(await isOurPlugin(file))) throw notOurs(file, 'remove');
  try {
    await rm(file);
  } catch (err) {
    throw failed(`cannot remove ${file}: ${(err as Error).message}`, err);
  }
  return file;
}

function notOurs(file: string, verb: string): DockerError {
  return new DockerError({
    code: 'DOCKER_PLUGIN_NOT_OURS',
    message: `${file} was not installed by opk-attest; refusing to ${verb} it (move it away yourself if you want opk-attest's plugin there)`,
  });
}

function failed(message: string, cause?: unknown): DockerError {
  return new DockerError({ code: 'DOCKER_PLUGIN_INSTALL_FAILED', message, cause });
}
