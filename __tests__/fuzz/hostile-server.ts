/**
 * A loopback HTTP server that answers every request with the response the current fuzz case
 * chose (status, headers, body), so the registry and Rekor clients read fuzzed bytes through
 * real HTTP. `GET /v2/` (the registry ping) always answers 200.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: Uint8Array;
}

/** The running server. */
export interface HostileServer {
  /** `127.0.0.1:PORT`. */
  host: string;
  url: string;
  /** Sets the answer to every following request. */
  answer(a: Answer): void;
  close(): Promise<void>;
}

/** Starts the server on an ephemeral loopback port. */
export async function startHostileServer(): Promise<HostileServer> {
  let current: Answer = { status: 404, body: Buffer.alloc(0) };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/v2/' || req.url === '/v2') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
        return;
      }
      res.writeHead(current.status, { ...current.headers, 'content-length': String(current.body.length) });
      res.end(Buffer.from(current.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    answer: (a) => {
      current = a;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
