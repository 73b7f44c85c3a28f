/**
 * The Docker CLI plugin protocol, our side (docs/docker.md): Docker runs the plugin as
 * `docker-opk docker-cli-plugin-metadata` to learn what it is (one JSON object on stdout, exit 0),
 * and as `docker-opk [GLOBAL OPTIONS] opk [ARGS…]` to run it. The global options (`-H`,
 * `--context`, `--config`, TLS files …) were meant for docker itself, so the wrappers hand them
 * to every docker command they run. Pure: no I/O.
 */
import { DockerError } from './errors.js';
import { PLUGIN_NAME } from './plugin-install.js';

/** The subcommand Docker calls to read the metadata. */
export const METADATA_SUBCOMMAND = 'docker-cli-plugin-metadata';

/** The metadata object of Docker's plugin protocol (SchemaVersion must be exactly "0.1.0"). */
export interface PluginMetadata {
  SchemaVersion: '0.1.0';
  Vendor: string;
  Version: string;
  ShortDescription: string;
  URL?: string;
}

/**
 * The plugin's metadata.
 * @param version - this package's version
 * @throws never
 */
export function pluginMetadata(version: string): PluginMetadata {
  return {
    SchemaVersion: '0.1.0',
    Vendor: 'opk-attest',
    Version: version,
    ShortDescription: 'Pull, run and build only images signed with OpenPubkey attestations',
  };
}

/** docker's global options: long name → takes a value; short letter → long name. */
const GLOBAL_LONG: Readonly<Record<string, 'value' | 'bool'>> = {
  config: 'value',
  context: 'value',
  debug: 'bool',
  host: 'value',
  'log-level': 'value',
  tls: 'bool',
  tlscacert: 'value',
  tlscert: 'value',
  tlskey: 'value',
  tlsverify: 'bool',
};
const GLOBAL_SHORT: Readonly<Record<string, string>> = { c: 'context', D: 'debug', H: 'host', l: 'log-level' };

/** A plugin invocation. */
export type PluginInvocation =
  | { kind: 'metadata' }
  | {
      kind: 'run';
      /** docker's global options as given, to repeat on every docker command. */
      globals: string[];
      /** The arguments after `opk`. */
      args: string[];
    };

/**
 * Reads the plugin's argv.
 * @param argv - the arguments Docker gave the plugin executable
 * @throws DockerError DOCKER_ARGS_INVALID when it is neither protocol form
 */
export function parsePluginArgv(argv: readonly string[]): PluginInvocation {
  if (argv.length === 1 && argv[0] === METADATA_SUBCOMMAND) return { kind: 'metadata' };
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i] !== PLUGIN_NAME) {
    const tok = argv[i++]!;
    const takesValue = globalTakesValue(tok);
    globals.push(tok);
    if (takesValue) {
      if (i >= argv.length) throw invalid(`the docker option ${tok} needs a value`);
      globals.push(argv[i++]!);
    }
  }
  if (i >= argv.length) {
    throw invalid(
      `expected "[GLOBAL OPTIONS] ${PLUGIN_NAME} …" or "${METADATA_SUBCOMMAND}"; run it as "docker ${PLUGIN_NAME} …"`,
    );
  }
  return { kind: 'run', globals, args: argv.slice(i + 1) };
}

/** Whether a global option token is followed by its value (`-H x`, `--host x`; not `--host=x`, `-Hx`). */
function globalTakesValue(tok: string): boolean {
  if (tok.startsWith('--')) {
    const name = tok.slice(2);
    if (name.includes('=')) return false;
    const kind = Object.hasOwn(GLOBAL_LONG, name) ? GLOBAL_LONG[name] : undefined;
    if (kind === undefined) throw invalid(`unknown docker option ${tok} before "${PLUGIN_NAME}"`);
    return kind === 'value';
  }
  const letter = tok.length >= 2 && tok[0] === '-' ? tok[1]! : '';
  const name = Object.hasOwn(GLOBAL_SHORT, letter) ? GLOBAL_SHORT[letter]! : undefined;
  if (name === undefined) throw invalid(`unknown docker option ${tok} before "${PLUGIN_NAME}"`);
  return GLOBAL_LONG[name] === 'value' && tok.length === 2;
}

function invalid(message: string): DockerError {
  return new DockerError({ code: 'DOCKER_ARGS_INVALID', message: `docker ${PLUGIN_NAME}: ${message}` });
}
