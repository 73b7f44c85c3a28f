/** Tiny scripted HTTP(S) servers on 127.0.0.1:0 for transport tests (redirects, retries, token rotation). */
import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface TestServer {
  host: string;
  origin: string;
  hits: Hit[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: Hit) => void;

/** Starts a server; with `tls`, serves https with that key and certificate. */
export async function serve(handler: Handler, tls?: { keyFile: string; certFile: string }): Promise<TestServer> {
  const hits: Hit[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    hits.push(hit);
    req.resume();
    req.on('end', () => handler(req, res, hit));
  };
  const server: Server = tls
    ? createHttps({ key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) }, listener)
    : createHttp(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON answer. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
