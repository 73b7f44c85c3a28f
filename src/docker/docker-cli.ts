/**
 * Runs the docker CLI: spawned directly (no shell, so no argument is ever re-parsed), with
 * docker's global options first, as the user gave them to `docker opk`. Pull, run and build share
 * the terminal (stdio inherited); short queries are captured and bounded in time.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { DockerError } from './errors.js';

/** How to call docker. */
export interface DockerCli {
  /** The docker executable: a path, or a name looked up on PATH. */
  command: string;
  /** docker's global options (`-H`, `--context` …), repeated on every call. */
  globals: readonly string[];
  /** The environment of the docker process. */
  env: NodeJS.ProcessEnv;
}

/** What a captured docker call printed. */
export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Captured output is small (an inspect, an image list); more is not docker answering a query. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
/** A query (inspect, tag) that takes longer than this is stuck. */
const QUERY_TIMEOUT_MS = 60_000;

/**
 * Runs docker on the user's terminal and waits for it. Ctrl-C reaches docker from the terminal
 * (same process group), so this process ignores SIGINT meanwhile and passes SIGTERM on.
 * @returns docker's exit status (128 + signal number when it was killed)
 * @throws DockerError DOCKER_CLI_FAILED when docker cannot be started
 */
export function runDocker(cli: DockerCli, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.command, [...cli.globals, ...args], { stdio: 'inherit', env: cli.env });
    const onInt = (): void => {}; // docker got the same SIGINT; its exit ends this wait
    const onTerm = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    child.on('error', (err) => {
      done();
      reject(notStarted(cli, err));
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/**
 * Runs a short docker query with its output captured, killed after a minute.
 * @returns exit status and output
 * @throws DockerError DOCKER_CLI_FAILED when docker cannot be started, times out or prints too much
 */
export function captureDocker(cli: DockerCli, args: readonly string[]): Promise<CapturedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.command, [...cli.globals, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cli.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: DockerError | undefined;
    const collect = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > MAX_CAPTURE_BYTES) {
        failure ??= failed(`docker ${args[0]} printed more than ${MAX_CAPTURE_BYTES} bytes; stopped it`);
        child.kill('SIGKILL');
      } else into.push(d);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    const timer = setTimeout(() => {
      failure ??= failed(`docker ${args[0]} did not answer within ${QUERY_TIMEOUT_MS / 1000} s; is the daemon up?`);
      child.kill('SIGKILL');
    }, QUERY_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(notStarted(cli, e));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

function notStarted(cli: DockerCli, err: unknown): DockerError {
  return failed(
    `cannot run "${cli.command}": ${(err as Error).message}; install the docker CLI or put it on PATH`,
    err,
  );
}

function failed(message: string, cause?: unknown): DockerError {
  return new DockerError({ code: 'DOCKER_CLI_FAILED', message, cause });
}
