/**
 * Serves a directory over plain HTTP on loopback (127.0.0.1, port 0), as a CDN or `python3 -m
 * http.server` serves a TUF repository: GET and HEAD of regular files below the root, 404 for
 * anything else. Records every request path and can answer the next requests with a status.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface StaticServer {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Answers the next `n` requests with `status` and no body. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

/** Starts serving `root`. Close it in afterAll. */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const base = path.resolve(root);
  const requests: string[] = [];
  const faults: number[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const fault = faults.shift();
    const send = (status: number) => {
      res.writeHead(status, { 'content-length': 0 });
      res.end();
    };
    if (fault !== undefined) return send(fault);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405);
    const file = path.resolve(base, `.${decodeURIComponent(url.pathname)}`);
    if (!file.startsWith(base + path.sep)) return send(404);
    stat(file).then(
      (s) => {
        if (!s.isFile()) return send(404);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': s.size });
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      },
      () => send(404),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    failNext(n, status) {
      for (let i = 0; i < n; i++) faults.push(status);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
