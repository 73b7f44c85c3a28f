/**
 * The real Docker CLI and daemon for the plugin's end-to-end tests: is a daemon answering
 * (`DOCKER_HOST`, as `.ci/run` and `scripts/dockerd.sh` export it), the plugin installed from the
 * built `dist/cli.js` into a scratch `DOCKER_CONFIG`, and docker commands run with captured output.
 * Under CI=true a missing docker fails the suite (`requireDocker`); outside CI it is skipped.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDist } from '../fakes/local-stack.js';

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

/** `describe` when docker runs or under CI=true (the suite then fails in `requireDocker`), else `describe.skip`. */
export function describeWithDocker(title: string, body: () => void): void {
  const missing = dockerMissing();
  const run = missing === undefined || process.env.CI === 'true';
  (run ? describe : describe.skip)(`${title}${run ? '' : ` (skipped: ${missing})`}`, body);
}

/** Throws (failing the suite) when docker is missing: called first in beforeAll. */
export function requireDocker(): void {
  const missing = dockerMissing();
  if (missing) throw new Error(`docker is required under CI=true: ${missing}`);
}

/** A scratch Docker configuration with the plugin installed from dist/. */
export interface PluginHome {
  dockerConfig: string;
  /** The environment for docker commands: this process's, with DOCKER_CONFIG set. */
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/**
 * Builds dist/ when stale, makes a scratch DOCKER_CONFIG and runs `node dist/cli.js docker install` there.
 * @throws Error when the install fails
 */
export async function installPluginHome(): Promise<PluginHome> {
  ensureDist(ROOT);
  const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'opk-docker-config-'));
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
  const r = await run(process.execPath, [CLI, 'docker', 'install'], env);
  if (r.code !== 0) throw new Error(`docker install failed: ${r.stderr}`);
  return { dockerConfig, env, remove: () => rmSync(dockerConfig, { recursive: true, force: true }) };
}

/** A finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell) with captured output, killed after `timeoutMs`. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
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

/** Runs `docker ARGS…` with the plugin's environment. */
export function docker(home: PluginHome, ...args: string[]): Promise<Ran> {
  return run('docker', args, home.env);
}
