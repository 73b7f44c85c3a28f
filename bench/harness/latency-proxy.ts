/**
 * Real round trips on loopback (issue 9, "latency mode"): a TCP proxy that delays every chunk by
 * a fixed one-way time in each direction, so each request and its answer cost one round trip of
 * 2 × delay, as a registry tens of milliseconds away would. Connection setup is not delayed
 * (a kept-alive connection pays it once). Bytes are passed on unchanged and in order.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface LatencyProxy {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Where connections go (`host:port`); set before the first one arrives. */
  target: string;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (port 0) to `target` (settable later), delaying each chunk by `delayMs`.
 * @throws Error when the port cannot be bound
 */
export async function startLatencyProxy(delayMs: number, target = ''): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const [hostname, port] = splitHost(proxy.target);
    const upstream = createConnection({ host: hostname, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.once('close', () => sockets.delete(s));
    }
    relay(client, upstream, delayMs);
    relay(upstream, client, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy: LatencyProxy = {
    host,
    url: `http://${host}`,
    target,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** `from`'s bytes to `to`, each chunk `delayMs` later; an end or error is passed on after the data before it. */
function relay(from: Socket, to: Socket, delayMs: number): void {
  const later = (fn: () => void): void => {
    setTimeout(fn, delayMs);
  };
  from.on('data', (chunk: Buffer) => later(() => to.destroyed || to.write(chunk)));
  from.once('end', () => later(() => to.end()));
  // A reset on one side resets the other, after the bytes already in flight.
  from.once('error', () => later(() => to.destroy()));
  from.once('close', () => later(() => to.destroyed || to.end()));
}

function splitHost(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  if (i < 0) throw new Error(`latency proxy: target ${JSON.stringify(hostPort)} is not host:port`);
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
