/**
 * The real Docker CLI and daemon for the plugin's end-to-end tests: is a daemon answering
 * (`DOCKER_HOST`, as `.ci/run` and `scripts/dockerd.sh` export it), the plugin installed from the
 * built `dist/cli.js` into a scratch `DOCKER_CONFIG`, and docker commands run with captured output.
 * Under CI=true a missing docker or dist/ fails the suite (../requirements.ts); outside CI it is skipped.
 * dist/ is built once before the suite (.ci/run); this harness never rebuilds it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWith } from '../requirements.js';

export const ROOT = process.cwd();
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Why docker cannot be used here, or undefined when a daemon answers. */
export function dockerMissing(): string | undefined {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `the docker CLI is not installed (${r.error.message})`;
  if (r.status !== 0)
    return `no Docker daemon answers at ${process.env.DOCKER_HOST ?? 'the default socket'}: ${r.stderr.trim().split('\n')[0]}; run eval "$(scripts/dockerd.sh start)"`;
  return undefined;
}

/** `describe` for a suite needing a Docker daemon and the built dist/ (see ../requirements.ts). */
export function describeWithDocker(title: string, body: () => void): void {
  describeWith(['docker', 'dist'], title, body);
}

/** Throws (failing the suite) when docker is missing: called first in beforeAll. */
export function requireDocker(): void {
  const missing = dockerMissing();
  if (missing) throw new Error(`docker is required under CI=true: ${missing}`);
}

/** A scratch Docker configuration with the plugin installed from dist/. */
export interface PluginHome {
  dockerConfig: string;
  /** A scratch XDG_CONFIG_HOME: trust saved by `opk-attest trust use` goes here, never the user's. */
  xdgConfigHome: string;
  /** The environment for docker commands: this process's, with DOCKER_CONFIG and XDG_CONFIG_HOME set. */
  env: NodeJS.ProcessEnv;
  /** The working directory of docker commands: empty and outside any repository (no project trust file). */
  cwd: string;
  remove(): void;
}

/**
 * Makes a scratch DOCKER_CONFIG and runs `node dist/cli.js docker install` there.
 * @throws Error when the install fails
 */
export async function installPluginHome(): Promise<PluginHome> {
  const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'opk-docker-config-'));
  const xdgConfigHome = path.join(dockerConfig, 'xdg');
  const cwd = path.join(dockerConfig, 'cwd');
  mkdirSync(cwd);
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig, XDG_CONFIG_HOME: xdgConfigHome };
  const r = await run(process.execPath, [CLI, 'docker', 'install'], env);
  if (r.code !== 0) throw new Error(`docker install failed: ${r.stderr}`);
  return {
    dockerConfig,
    xdgConfigHome,
    env,
    cwd,
    remove: () => rmSync(dockerConfig, { recursive: true, force: true }),
  };
}

/** A finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell) with captured output, killed after `timeoutMs`. */
export function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  cwd?: string,
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `docker ARGS…` with the plugin's environment, in its scratch working directory. */
export function docker(home: PluginHome, ...args: string[]): Promise<Ran> {
  return run('docker', args, home.env, undefined, home.cwd);
}

/** Runs `opk-attest ARGS…` (the built dist/cli.js) with the plugin's environment and working directory. */
export function opkAttest(home: PluginHome, ...args: string[]): Promise<Ran> {
  return run(process.execPath, [CLI, ...args], home.env, undefined, home.cwd);
}
