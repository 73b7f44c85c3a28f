/**
 * The transparency logs of both stacks — our Rekor test log, and @sigstore/mock's Fulcio + Rekor
 * for the peer — in a process of their own, as real logs run on machines of their own. In the
 * bench's parent their CPU (our test log checks each entry's ECDSA signature in JS point
 * arithmetic, as Rekor checks hashedrekord signatures) ran on the event loop that also relays
 * every proxied chunk and serves the test registry, so a burst of entries stalled all of it. The
 * child is the bench's own bundle re-run with OPK_BENCH_LOGS set: it prints the logs' URLs as one
 * JSON line and exits when its stdin closes (so also when the parent dies).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRekorLog } from '../../__tests__/fakes/rekor-log.js';
import { startSigstoreLocal } from '../peer/sigstore-local.js';

/** The running logs. */
export interface LogChild {
  /** Our Rekor test log's base URL. */
  rekorUrl: string;
  /** The peer's Fulcio + Rekor base URL. */
  sigstoreUrl: string;
  close(): Promise<void>;
}

const ENV = 'OPK_BENCH_LOGS';
const EXIT_WAIT_MS = 5_000;

/** Whether this process is the logs' child (then call `logChildMain`). */
export function isLogChild(): boolean {
  return process.env[ENV] !== undefined;
}

/**
 * Starts the logs' child running this bundle.
 * @throws Error when the child exits or prints something else before its URLs
 */
export async function startLogChild(): Promise<LogChild> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, [ENV]: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stdout.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    proc.once('exit', (code) => reject(new Error(`the logs' child exited with ${code} before starting`)));
  });
  // Nothing more is read: an open pipe would keep this process alive.
  proc.stdout.destroy();
  const urls = JSON.parse(line) as { rekorUrl: string; sigstoreUrl: string };
  return {
    ...urls,
    async close() {
      proc.stdin.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), EXIT_WAIT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's side: starts both logs, prints their URLs, stops when stdin closes. */
export async function logChildMain(): Promise<void> {
  const rekor = await startRekorLog();
  const sigstore = await startSigstoreLocal();
  process.stdout.write(`${JSON.stringify({ rekorUrl: rekor.url, sigstoreUrl: sigstore.url })}\n`);
  process.stdin.resume();
  process.stdin.once('close', () => {
    void Promise.allSettled([rekor.close(), sigstore.close()]).then(() => process.exit(0));
  });
}
