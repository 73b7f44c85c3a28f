/**
 * The peer — what `actions/attest` does per statement (peer/actions-attest.ts: sigstore `attest`
 * + `@sigstore/oci` attach, on @sigstore/mock's Fulcio and Rekor) — in a long-lived child
 * process, warm, driven over IPC: as issue 9 measures it, the statements of a run signed one
 * after another (16 actions/attest steps of one job), in the best case for the peer (no process
 * start per statement). The child is the bench's own bundle, re-run with OPK_BENCH_PEER set.
 */
import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import type { SentRequest } from './fresh-process.js';

/** Where the peer signs and pushes; passed to the child in its environment. */
export interface PeerConfig {
  /** `host:port` of the registry. */
  registry: string;
  /** Only for a registry with token auth (distribution 2.8 and the test registry here have none). */
  credentials?: { username: string; password: string };
  /** Fulcio + Rekor base URL (@sigstore/mock). */
  sigstoreUrl: string;
  oidc: { requestUrl: string; requestToken: string };
}

/** One image for the peer: each platform manifest and the statements about it. */
export interface PeerImage {
  repository: string;
  platforms: Array<{ digest: string; statements: Array<{ predicateType: string; b64: string }> }>;
}

/** What one peer run did. */
export interface PeerRun {
  ms: number;
  requests: SentRequest[];
}

/** A running peer child. */
export interface PeerChild {
  run(image: PeerImage): Promise<PeerRun>;
  /** Ends the child; resolves to its peak RSS in MiB. */
  exit(): Promise<number>;
}

const ENV = 'OPK_BENCH_PEER';

type FromChild = { ready: true } | { result: PeerRun } | { error: string } | { peakRssMiB: number };

/** Whether this process is a peer child (then call `peerChildMain`). */
export function isPeerChild(): boolean {
  return process.env[ENV] !== undefined;
}

/**
 * Starts a peer child running this bundle with `config`.
 * @throws Error from the child's answers (its error message), or when it exits early
 */
export function startPeerChild(config: PeerConfig): PeerChild {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: {
      ...process.env,
      [ENV]: JSON.stringify(config),
      // What the Actions runner gives a job with `id-token: write`; sigstore's CIContextProvider reads it.
      ACTIONS_ID_TOKEN_REQUEST_URL: config.oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: config.oidc.requestToken,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let waiting: { resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<FromChild>((resolve, reject) => (waiting = { resolve, reject }));
  proc.on('message', (m: FromChild) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(m);
  });
  proc.once('exit', (code) => waiting?.reject(new Error(`peer child exited with ${code}`)));
  const ask = async (msg: unknown): Promise<FromChild> => {
    await ready;
    return new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      proc.send(msg as object);
    });
  };
  return {
    async run(image) {
      const m = await ask({ run: image });
      if ('error' in m) throw new Error(`peer: ${m.error}`);
      if (!('result' in m)) throw new Error('peer: unexpected answer');
      return m.result;
    },
    async exit() {
      const m = await ask({ exit: true });
      return 'peakRssMiB' in m ? m.peakRssMiB : NaN;
    },
  };
}

/** The child's side: loads the peer stack once, then runs one image per request. */
export async function peerChildMain(): Promise<void> {
  const config = JSON.parse(process.env[ENV]!) as PeerConfig;
  const { attestAndAttach } = await import('../peer/actions-attest.js');
  const target = {
    fulcioURL: config.sigstoreUrl,
    rekorURL: config.sigstoreUrl,
    imageName: `${config.registry}/`,
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  process.on('message', (msg: { run?: PeerImage; exit?: true }) => {
    if (msg.exit) {
      process.send!({ peakRssMiB: process.resourceUsage().maxRSS / 1024 } satisfies FromChild, () => process.exit(0));
      return;
    }
    const image = msg.run!;
    const requests: SentRequest[] = [];
    const stop = listen(requests);
    const start = performance.now();
    (async () => {
      for (const p of image.platforms)
        for (const s of p.statements) {
          const r = await attestAndAttach(
            { statement: Buffer.from(s.b64, 'base64'), predicateType: s.predicateType, subjectDigest: p.digest },
            { ...target, imageName: `${config.registry}/${image.repository}` },
          );
          if (r.tlogEntries !== 1) throw new Error(`${r.tlogEntries} log entries in a bundle`);
        }
    })().then(
      () => {
        stop();
        process.send!({ result: { ms: performance.now() - start, requests } } satisfies FromChild);
      },
      (err: unknown) => {
        stop();
        process.send!({ error: describe(err) } satisfies FromChild);
      },
    );
  });
  process.send!({ ready: true } satisfies FromChild);
}

/** An error with the chain of its causes (@sigstore/oci wraps the registry's answer). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause)
    parts.push((e as Error).message ?? String(e));
  return parts.join(' ← ');
}

/** Records the requests of both HTTP engines (as harness/count-requests.mjs does) until stopped. */
function listen(into: SentRequest[]): () => void {
  const start = performance.now();
  const onUndici = (m: unknown): void => {
    const { request } = m as { request: { method: string; origin: string | URL; path: string } };
    into.push({
      method: request.method,
      url: `${String(request.origin)}${request.path}`,
      at: performance.now() - start,
    });
  };
  const onHttp = (m: unknown): void => {
    const { request } = m as {
      request: { method: string; protocol: string; path: string; getHeader(n: string): unknown };
    };
    into.push({
      method: request.method,
      url: `${request.protocol}//${String(request.getHeader('host'))}${request.path}`,
      at: performance.now() - start,
    });
  };
  subscribe('undici:request:create', onUndici);
  subscribe('http.client.request.start', onHttp);
  return () => {
    unsubscribe('undici:request:create', onUndici);
    unsubscribe('http.client.request.start', onHttp);
  };
}
