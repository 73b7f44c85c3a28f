/**
 * A registry in front of the real one that moves a tag the moment a client has resolved it:
 * every request is forwarded to the CNCF registry, and after the first manifest request by the
 * watched tag is answered upstream, `onResolved` runs (it re-points the tag) before the answer
 * goes back. A client that resolves the tag and later uses the tag again gets another image; one
 * that uses the digest it resolved does not. Loopback only.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running proxy. */
export interface MovingTagProxy {
  /** `127.0.0.1:PORT`, as written in references. */
  host: string;
  /** Whether the watched tag was resolved (and moved). */
  moved(): boolean;
  close(): Promise<void>;
}

/**
 * Starts the proxy.
 * @param upstream - the real registry, `127.0.0.1:PORT`
 * @param repository - the watched repository
 * @param tag - the watched tag
 * @param onResolved - moves the tag (runs once)
 */
export async function startMovingTagProxy(
  upstream: string,
  repository: string,
  tag: string,
  onResolved: () => Promise<void>,
): Promise<MovingTagProxy> {
  let moved = false;
  const watched = `/v2/${repository}/manifests/${tag}`;
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => void forward(req, Buffer.concat(body), res));
  });
  async function forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const [host, port] = upstream.split(':');
    const up = request(
      { host, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (d: Buffer) => chunks.push(d));
        upRes.on('end', () => void reply(upRes, Buffer.concat(chunks)));
      },
    );
    async function reply(upRes: IncomingMessage, bytes: Buffer): Promise<void> {
      const first = !moved && req.url === watched && (req.method === 'GET' || req.method === 'HEAD');
      if (first) {
        moved = true;
        await onResolved();
      }
      const headers = { ...upRes.headers };
      // Locations the registry sends point at itself; keep the client on the proxy.
      if (typeof headers.location === 'string')
        headers.location = headers.location.replace(upstream, `127.0.0.1:${(server.address() as AddressInfo).port}`);
      res.writeHead(upRes.statusCode ?? 502, headers);
      res.end(bytes);
    }
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    up.end(body);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    moved: () => moved,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
