/**
 * The fault matrix of `sign` and `verify` (docs/faults.md): the cells, how each one runs
 * (`dist/cli.js` in a child process, so a cell can kill it), and how convergence is judged
 * after the re-run: the registry lists exactly one complete, verifying signature per statement,
 * nothing half-written, and the log holds no entry twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ProxyRule } from '../fakes/fault-proxy.js';

/** What a first run ended with: success, a coded failure, or killed from outside. */
export type Outcome = 'ok' | `failed ${string}` | 'killed';

/** Where a fault is injected. */
export type Where = 'registry' | 'log' | 'oidc' | 'process';

/** One cell: a fault, where it is injected, and the outcome the first run must have. */
export interface Cell {
  command: 'sign' | 'verify';
  fault: string;
  where: Where;
  /** Proxy rules; `kill` in a rule is replaced by a hook that SIGKILLs the running command. */
  rules?: Array<Omit<ProxyRule, 'fault'> & { fault: ProxyRule['fault'] | 'kill' }>;
  /** The OIDC token endpoint answers the next request with this status. */
  oidcFailOnce?: number;
  /** `--timeout` of the first run. */
  timeout?: string;
  expect: Outcome;
}

const MANIFEST_GET = { method: 'GET', path: /\/manifests\// };
const ARTIFACT_PUT = { method: 'PUT', path: /\/manifests\/sha256:/ };
const TAG_PUT = { method: 'PUT', path: /\/manifests\/sha256-[0-9a-f]{64}$/ };
const UPLOAD_POST = { method: 'POST', path: /\/blobs\/uploads\/$/ };
const UPLOAD_PUT = { method: 'PUT', path: /\/blobs\/uploads\// };
const LOG_POST = { method: 'POST', path: /^\/api\/v1\/log\/entries$/ };

/** The sign cells: every fault of issue 11 item 6, and the process killed at each phase. */
export const SIGN_CELLS: Cell[] = [
  { command: 'sign', fault: 'none', where: 'registry', expect: 'ok' },
  {
    command: 'sign',
    fault: '429 with Retry-After: 1 on an artifact manifest PUT',
    where: 'registry',
    rules: [{ ...ARTIFACT_PUT, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: '503 twice on a blob upload',
    where: 'registry',
    rules: [{ ...UPLOAD_POST, times: 2, fault: { kind: 'status', status: 503 } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'connection reset before a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'reset', when: 'before' } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'connection reset after an artifact manifest PUT was stored',
    where: 'registry',
    rules: [{ ...ARTIFACT_PUT, fault: { kind: 'reset', when: 'after' } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'stall: headers, then nothing, on every manifest GET (--timeout 4s)',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, times: 1000, fault: { kind: 'stall' } }],
    timeout: '4s',
    expect: 'failed CORE_BUDGET_EXCEEDED',
  },
  {
    command: 'sign',
    fault: 'slow drip: 64 bytes every 10 ms on 3 manifest GETs',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, times: 3, fault: { kind: 'drip', bytes: 64, everyMs: 10 } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'truncated body (half, then close) on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'truncate' } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'Content-Length 16 bytes longer than the body on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'length', delta: 16 } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: 'Content-Length 16 bytes shorter than the body on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'length', delta: -16 } }],
    expect: 'failed OCI_DIGEST_MISMATCH',
  },
  {
    command: 'sign',
    fault: '412 Precondition Failed on a fallback-tag PUT',
    where: 'registry',
    rules: [{ ...TAG_PUT, fault: { kind: 'status', status: 412 } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: '409 entry exists (first answer lost after the entry was logged)',
    where: 'log',
    rules: [{ ...LOG_POST, fault: { kind: 'reset', when: 'after' } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: '503 twice on entry submission',
    where: 'log',
    rules: [{ ...LOG_POST, times: 2, fault: { kind: 'status', status: 503 } }],
    expect: 'ok',
  },
  {
    command: 'sign',
    fault: '429 with Retry-After: 1 on entry submission',
    where: 'log',
    rules: [{ ...LOG_POST, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } }],
    expect: 'ok',
  },
  { command: 'sign', fault: 'token endpoint fails once (503)', where: 'oidc', oidcFailOnce: 503, expect: 'ok' },
  {
    command: 'sign',
    fault: 'killed while reading the image (first manifest GET)',
    where: 'process',
    rules: [{ ...MANIFEST_GET, fault: 'kill' }],
    expect: 'killed',
  },
  {
    command: 'sign',
    fault: 'killed after signing, before logging (first log POST)',
    where: 'process',
    rules: [{ ...LOG_POST, fault: 'kill' }],
    expect: 'killed',
  },
  {
    command: 'sign',
    fault: 'killed while logging, as upload sessions open (first upload POST)',
    where: 'process',
    rules: [{ ...UPLOAD_POST, fault: 'kill' }],
    expect: 'killed',
  },
  {
    command: 'sign',
    fault: 'killed after logging, before publishing (first blob PUT)',
    where: 'process',
    rules: [{ ...UPLOAD_PUT, fault: 'kill' }],
    expect: 'killed',
  },
  {
    command: 'sign',
    fault: 'killed after the blobs, before the artifact manifest',
    where: 'process',
    rules: [{ ...ARTIFACT_PUT, fault: 'kill' }],
    expect: 'killed',
  },
  {
    command: 'sign',
    fault: 'killed after the artifact manifests, before the fallback tag',
    where: 'process',
    rules: [{ ...TAG_PUT, fault: 'kill' }],
    expect: 'killed',
  },
];

/** The verify cells: the read-side faults (verify writes nothing, so its re-run just passes). */
export const VERIFY_CELLS: Cell[] = [
  { command: 'verify', fault: 'none', where: 'registry', expect: 'ok' },
  {
    command: 'verify',
    fault: '429 with Retry-After: 1 on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: '503 twice on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, times: 2, fault: { kind: 'status', status: 503 } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: 'connection reset before a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'reset', when: 'before' } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: 'stall: headers, then nothing, on every manifest GET (--timeout 3s)',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, times: 1000, fault: { kind: 'stall' } }],
    timeout: '3s',
    expect: 'failed CORE_BUDGET_EXCEEDED',
  },
  {
    command: 'verify',
    fault: 'slow drip: 64 bytes every 10 ms on 3 manifest GETs',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, times: 3, fault: { kind: 'drip', bytes: 64, everyMs: 10 } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: 'truncated body (half, then close) on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'truncate' } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: 'Content-Length 16 bytes longer than the body on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'length', delta: 16 } }],
    expect: 'ok',
  },
  {
    command: 'verify',
    fault: 'Content-Length 16 bytes shorter than the body on a manifest GET',
    where: 'registry',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'length', delta: -16 } }],
    expect: 'failed OCI_DIGEST_MISMATCH',
  },
];

/** One finished process. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** A command of `dist/cli.js` in a child process; `holder.child` lets a proxy hook kill it. */
export function runDistCli(
  args: string[],
  env: Record<string, string>,
  holder: { child?: ChildProcess },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('dist/cli.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    holder.child = child;
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** The outcome of a finished run: `ok`, `killed`, or `failed CODE` (the code printed last on stderr). */
export function outcomeOf(r: Finished): Outcome {
  if (r.signal === 'SIGKILL') return 'killed';
  if (r.code === 0) return 'ok';
  const codes = [...r.err.matchAll(/\[([A-Z][A-Z0-9_]+)\]/g)].map((m) => m[1]);
  return `failed ${codes.at(-1) ?? `exit ${String(r.code)}`}`;
}

/** One row of the printed matrix. */
export interface Row {
  cell: Cell;
  first: Outcome;
  rerun: Outcome;
  converged: boolean;
}

/** The matrix as a markdown table. */
export function matrixTable(rows: readonly Row[]): string {
  const lines = [
    '| # | command | where | fault | first run | re-run | converged |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | \`${r.cell.command}\` | ${r.cell.where} | ${r.cell.fault} | ${r.first} | ${r.rerun} | ${r.converged ? 'yes' : '**NO**'} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
