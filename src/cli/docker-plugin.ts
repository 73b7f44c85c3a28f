/**
 * The `docker-opk` plugin's entry (`opk-attest docker plugin …`, run by the launcher that
 * `opk-attest docker install` writes): answers Docker's metadata query, and runs
 * `docker opk pull|run|build` (verify, then docker on the verified digest) and
 * `docker opk verify|inspect|trust|config` (this CLI's own commands). See docs/docker.md.
 */
import type { TrustSettings } from '../consumer/index.js';
import { dockerBuild } from '../docker/build.js';
import type { DockerCli } from '../docker/docker-cli.js';
import {
  BUILD_FLAGS,
  PULL_FLAGS,
  RUN_FLAGS,
  scanDockerArgs,
  type FlagTable,
  type ScannedArgs,
} from '../docker/docker-flags.js';
import { DockerError } from '../docker/errors.js';
import { NotVerifiedError } from '../docker/gate.js';
import { parsePluginArgv, pluginMetadata } from '../docker/plugin-args.js';
import { dockerPull, type WrapperContext } from '../docker/pull.js';
import { dockerRun } from '../docker/run.js';
import { formatReport } from '../verify/index.js';
import { USAGE_EXIT } from './errors.js';
import { runCli } from './run.js';
import { printable } from './terminal-text.js';
import { verifyingTrust } from './trust-config.js';
import { TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js';

const USAGE = `usage: docker opk <command> [options]

Pull, run and build only images whose OpenPubkey-signed attestations verify against your trust
(configured with "opk-attest trust use", or given as trust flags, which win). Each wrapper
resolves the tag to one digest, verifies that digest, prints it, and hands docker NAME@DIGEST.

commands:
  pull [docker pull flags] IMAGE            verify, docker pull NAME@DIGEST, tag it as IMAGE
  run [docker run flags] IMAGE [ARGS…]      verify, docker run NAME@DIGEST ARGS…
  build [docker build flags] CONTEXT        verify every FROM, docker build a pinned Dockerfile
  verify|inspect|trust|config …             the same as opk-attest verify|inspect|trust|config

Trust flags (below) go anywhere before IMAGE; every other flag is docker's and is passed on as
given. Write a docker flag opk-attest does not know as --flag=VALUE.
  --insecure-registry HOST   speak plain http to HOST when verifying; repeatable
  --referrers-repository R   signatures are stored in repository R of the same registry
${TRUST_USAGE}`;

/** The wrapper's own flags, taken out of the docker command line (each takes a value). */
const OWN_FLAGS = {
  ...TRUST_OPTIONS,
  'insecure-registry': { type: 'string', multiple: true },
  'referrers-repository': { type: 'string' },
} as const;
const OWN_FLAG_KINDS: Readonly<Record<string, 'value' | 'bool'>> = Object.fromEntries(
  Object.entries(OWN_FLAGS).map(([name, o]) => [name, o.type === 'boolean' ? 'bool' : 'value']),
);

type Wrapper = (args: ScannedArgs, ctx: WrapperContext) => Promise<number>;
/** Each wrapper: docker's flags, how many positionals (checked before any trust is loaded), the work. */
const WRAPPERS: Record<string, { table: FlagTable; positionals: [number, number]; run: Wrapper }> = {
  pull: { table: PULL_FLAGS, positionals: [1, 1], run: dockerPull },
  run: { table: RUN_FLAGS, positionals: [1, 1], run: dockerRun },
  build: { table: BUILD_FLAGS, positionals: [1, 1], run: dockerBuild },
};
/** This CLI's own commands, offered under `docker opk` as they are. */
const OWN_COMMANDS = new Set(['verify', 'inspect', 'trust', 'config', 'revoke']);

/**
 * Runs the plugin.
 * @param argv - what Docker passed the plugin executable
 * @param version - this package's version (for the metadata)
 * @returns the exit status: docker's for the wrappers; 1 not verified or failed; 2 usage error
 * @throws errors of the trust sources and the registry (the dispatcher prints them, exit 1)
 */
export async function dockerPluginCommand(argv: string[], version: string): Promise<number> {
  const inv = parsePluginArgv(argv);
  if (inv.kind === 'metadata') {
    process.stdout.write(`${JSON.stringify(pluginMetadata(version))}\n`);
    return 0;
  }
  const [sub, ...rest] = inv.args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub === undefined ? USAGE_EXIT : 0;
  }
  if (OWN_COMMANDS.has(sub)) return runCli([sub, ...rest]);
  const wrapper = Object.hasOwn(WRAPPERS, sub) ? WRAPPERS[sub] : undefined;
  if (!wrapper) {
    process.stderr.write(`docker opk: unknown command "${sub}"\n${USAGE}`);
    return USAGE_EXIT;
  }
  try {
    const args = scanDockerArgs(rest, wrapper.table, OWN_FLAG_KINDS);
    if (args.flags.some((f) => f.name === 'help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [min, max] = wrapper.positionals;
    if (args.positionals.length < min || args.positionals.length > max) {
      throw new DockerError({
        code: 'DOCKER_ARGS_INVALID',
        message: `expected ${sub === 'build' ? 'one CONTEXT' : 'one IMAGE'} after the flags, got ${args.positionals.length} argument(s)`,
      });
    }
    return await wrapper.run(args, await context(inv.globals, args));
  } catch (err) {
    if (err instanceof NotVerifiedError) {
      for (const report of err.reports) process.stderr.write(`${printable(formatReport(report))}\n\n`);
      process.stderr.write(`docker opk ${sub}: ${printable(err.message)}; nothing was ${PAST[sub]} [${err.code}]\n`);
      return 1;
    }
    if (err instanceof DockerError && err.code === 'DOCKER_ARGS_INVALID') {
      process.stderr.write(`docker opk ${sub}: ${printable(err.message)} [${err.code}]\nsee: docker opk --help\n`);
      return USAGE_EXIT;
    }
    throw err;
  }
}

const PAST: Record<string, string> = { pull: 'pulled', run: 'run', build: 'built' };

/** Trust and policy as `verify` gets them (saved by "trust use", the flags given win), and how to call docker. */
async function context(globals: string[], args: ScannedArgs): Promise<WrapperContext> {
  const { values: v, trust, policy } = await verifyingTrust('docker opk', ownValues(args));
  return {
    docker: dockerCli(globals),
    gate: {
      trust,
      policy,
      registry: { insecureRegistries: v['insecure-registry'] ?? [], env: registryEnv(globals) },
      ...(v['referrers-repository'] ? { referrersRepository: v['referrers-repository'] } : {}),
    },
    log: (line) => process.stderr.write(`docker opk: ${printable(line)}\n`),
  };
}

type OwnValues = TrustSettings & {
  'insecure-registry'?: string[];
  'referrers-repository'?: string;
};

/** The extracted flags as parseArgs would give them: arrays for repeatable options, else the last value. */
function ownValues(args: ScannedArgs): OwnValues {
  const out: Record<string, string | string[] | boolean> = {};
  for (const f of args.extracted) {
    const spec = OWN_FLAGS[f.name as keyof typeof OWN_FLAGS];
    const before = out[f.name];
    if (spec.type === 'boolean') out[f.name] = booleanValue(f.name, f.value);
    else if ('multiple' in spec) out[f.name] = [...(Array.isArray(before) ? before : []), f.value ?? ''];
    else out[f.name] = f.value ?? '';
  }
  return out as OwnValues;
}

/** `--flag`, `--flag=true`, `--flag=false`, as pflag reads a boolean. */
function booleanValue(name: string, value: string | undefined): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw new DockerError({ code: 'DOCKER_ARGS_INVALID', message: `--${name} takes no value, or =true / =false` });
}

/** Registry credentials come from the Docker config docker itself reads: `docker --config DIR` wins over DOCKER_CONFIG. */
function registryEnv(globals: readonly string[]): NodeJS.ProcessEnv {
  let config: string | undefined;
  globals.forEach((tok, i) => {
    if (tok === '--config') config = globals[i + 1];
    else if (tok.startsWith('--config=')) config = tok.slice('--config='.length);
  });
  return config === undefined ? process.env : { ...process.env, DOCKER_CONFIG: config };
}

/** The docker the user ran (Docker tells plugins its own command), without the plugin-only variables. */
function dockerCli(globals: string[]): DockerCli {
  const { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: original, DOCKER_CLI_PLUGIN_SOCKET: _socket, ...env } = process.env;
  return { command: original || 'docker', globals, env };
}
