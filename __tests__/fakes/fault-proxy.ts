/**
 * A fault-injecting HTTP proxy for end-to-end tests: it sits in front of a real server (the
 * docker-registry binary, the test Rekor log, the OIDC endpoint), forwards every request
 * unchanged (the Host header too, so the server's absolute `Location`s point back at the proxy),
 * and applies scripted faults to matching requests:
 * - `status`: answer with a status (and headers, e.g. `Retry-After`) without forwarding;
 * - `reset`: destroy the connection, `before` forwarding or `after` the server has acted on
 *   the request (a lost answer: the write happened, the client does not know);
 * - `stall`: forward, send the answer's headers, then nothing;
 * - `drip`: forward, send the body a few bytes at a time;
 * - `truncate`: forward, declare the full Content-Length, send half the body, close;
 * - `length`: forward, declare a Content-Length longer or shorter than the body, send the body, close;
 * - `hook`: call a function (e.g. kill the client process) and then reset, before forwarding.
 * Responses under a fault are written on the raw socket, so lengths can lie the way broken
 * proxies and servers do.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What to do to a matching request. */
export type ProxyFault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset'; when: 'before' | 'after' }
  | { kind: 'stall' }
  | { kind: 'drip'; bytes: number; everyMs: number }
  | { kind: 'truncate' }
  | { kind: 'length'; delta: number }
  | { kind: 'hook'; run: () => void };

/** A fault for the next `times` requests (default 1) whose method and path match, after `skip` matches. */
export interface ProxyRule {
  method?: string;
  /** Matched against the path with its query string. */
  path?: RegExp;
  times?: number;
  skip?: number;
  fault: ProxyFault;
}

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** The fault applied, if any. */
  fault?: ProxyFault['kind'];
  status?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: ProxiedRequest[];
  add(rule: ProxyRule): void;
  /** Drops pending rules. */
  clear(): void;
  /** Rules not yet used up. */
  pending(): number;
  close(): Promise<void>;
}

interface LiveRule {
  rule: ProxyRule;
  skip: number;
  left: number;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Starts a proxy in front of `target` (`http://127.0.0.1:PORT`).
 * @throws never (rejects if the port cannot be bound)
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: LiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '' };
      requests.push(entry);
      const fault = take(rules, entry);
      if (fault) entry.fault = fault.kind;
      void handle(upstream, req, res, Buffer.concat(chunks), fault, entry).catch(() => res.socket?.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    requests,
    add: (rule) => rules.push({ rule, skip: rule.skip ?? 0, left: rule.times ?? 1 }),
    clear: () => void rules.splice(0),
    pending: () => rules.filter((r) => r.left > 0).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function take(rules: LiveRule[], req: ProxiedRequest): ProxyFault | undefined {
  for (const r of rules) {
    if (r.left <= 0) continue;
    if (r.rule.method !== undefined && r.rule.method !== req.method) continue;
    if (r.rule.path !== undefined && !r.rule.path.test(req.path)) continue;
    if (r.skip > 0) {
      r.skip--;
      continue;
    }
    r.left--;
    return r.rule.fault;
  }
  return undefined;
}

async function handle(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  fault: ProxyFault | undefined,
  entry: ProxiedRequest,
): Promise<void> {
  const socket = res.socket!;
  if (fault?.kind === 'status') {
    entry.status = fault.status;
    res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
    res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
    return;
  }
  if (fault?.kind === 'hook') fault.run();
  if ((fault?.kind === 'reset' && fault.when === 'before') || fault?.kind === 'hook') {
    socket.destroy();
    return;
  }
  const up = await forward(target, req, body);
  entry.status = up.status;
  if (fault === undefined) {
    res.writeHead(up.status, up.headers);
    res.end(req.method === 'HEAD' ? undefined : up.body);
    return;
  }
  if (fault.kind === 'reset') {
    socket.destroy();
    return;
  }
  const noBody = req.method === 'HEAD' || up.status === 204 || up.status === 304;
  const length = noBody ? Number(up.headers['content-length'] ?? 0) : up.body.length;
  const declared = fault.kind === 'length' ? Math.max(0, length + fault.delta) : length;
  rawHead(socket, up, declared);
  if (noBody || fault.kind === 'stall') return; // the socket stays open until the client gives up
  if (fault.kind === 'truncate') {
    socket.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
    socket.end();
    setTimeout(() => socket.destroy(), 50);
    return;
  }
  if (fault.kind === 'length') {
    socket.write(up.body);
    socket.end();
    setTimeout(() => socket.destroy(), 50);
    return;
  }
  await drip(socket, up.body, fault.bytes, fault.everyMs);
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    delete headers['connection'];
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    up.on('error', reject);
    up.end(body);
  });
}

/** Status line and headers on the raw socket, with our Content-Length and `connection: close`. */
function rawHead(socket: Socket, up: Upstream, contentLength: number): void {
  const lines = [`HTTP/1.1 ${up.status} ${http.STATUS_CODES[up.status] ?? 'Status'}`];
  for (const [name, value] of Object.entries(up.headers)) {
    if (value === undefined || ['content-length', 'transfer-encoding', 'connection'].includes(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  lines.push(`content-length: ${contentLength}`, 'connection: close');
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}

async function drip(socket: Socket, body: Buffer, bytes: number, everyMs: number): Promise<void> {
  for (let at = 0; at < body.length && !socket.destroyed; at += bytes) {
    socket.write(body.subarray(at, at + bytes));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  socket.end();
}
