/**
 * Runs a bundle of dist/ as a fresh Node process, the way the Actions runner runs an action
 * (`node dist/index.js`, `INPUT_*` variables, the runner's `GITHUB_*` environment, output and
 * summary files), and measures it from outside: wall time from spawn to exit, plus what the
 * preloaded counter (count-requests.mjs) saw inside — every HTTP request and the peak RSS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inputVariables, parseOutputFile } from '../../__tests__/fakes/local-stack.js';

/** One HTTP request the process sent. */
export interface SentRequest {
  method: string;
  url: string;
  /** Milliseconds after the counter loaded (about process start). */
  at: number;
  /** When its answer's headers arrived, on the same clock (Node's http client only). */
  answered?: number;
}

/** What one fresh-process run did. */
export interface ProcessRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  requests: SentRequest[];
  peakRssMiB: number;
  /** CPU time (user + system) the process used, from the preload's load to its exit. */
  cpuMs: number;
  /** Each stdout line with when it arrived, in ms after spawn (the action's progress lines). */
  lines: Array<{ at: number; text: string }>;
}

const PRELOAD = path.resolve('bench/harness/count-requests.mjs');
const TIMEOUT_MS = 300_000;

/**
 * Runs `node <nodeOptions…> <script> <args…>` with `inputs` as `INPUT_*` variables and exactly
 * `env` besides (nothing of this process's environment leaks in but PATH).
 * @throws Error when the process cannot be started or runs past 5 minutes
 */
export async function runFresh(
  script: string,
  inputs: Record<string, string>,
  env: Record<string, string>,
  args: readonly string[] = [],
  nodeOptions: readonly string[] = [],
): Promise<ProcessRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opk-bench-run-'));
  try {
    const files = {
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
      OPK_BENCH_REQUESTS: path.join(dir, 'requests.json'),
    };
    writeFileSync(files.GITHUB_OUTPUT, '');
    writeFileSync(files.GITHUB_STEP_SUMMARY, '');
    const fullEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      LANG: 'C.UTF-8',
      RUNNER_TEMP: dir,
      ...env,
      ...files,
      ...inputVariables(inputs),
    };
    const start = performance.now();
    const r = await spawnNode([...nodeOptions, '--import', PRELOAD, script, ...args], fullEnv, start);
    const ms = performance.now() - start;
    const counted = JSON.parse(readFileSync(files.OPK_BENCH_REQUESTS, 'utf8')) as {
      requests: SentRequest[];
      peakRssKiB: number;
      cpuMs: number;
    };
    return {
      ...r,
      ms,
      outputs: parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
      requests: counted.requests,
      peakRssMiB: counted.peakRssKiB / 1024,
      cpuMs: counted.cpuMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnNode(
  args: string[],
  env: Record<string, string>,
  start: number,
): Promise<{ code: number | null; stdout: string; stderr: string; lines: ProcessRun['lines'] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const lines: ProcessRun['lines'] = [];
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      const at = performance.now() - start;
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        lines,
      });
    });
  });
}
