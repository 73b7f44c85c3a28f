/**
 * The Sigstore services `actions/attest` talks to — Fulcio (`POST /api/v2/signingCert`) and
 * Rekor v1 (`POST /api/v1/log/entries`) — served on loopback from `@sigstore/mock`'s own
 * handlers. `@sigstore/mock`'s `mockFulcio`/`mockRekor` are one-shot nock interceptors; their
 * building blocks (`initializeCTLog` → `initializeCA` → `fulcioHandler`, `initializeTLog` →
 * `rekorHandler`) are plain `(body) => {statusCode, response}` functions, so a real
 * `http.createServer` makes them a reusable service (test-components notes §5).
 *
 * Strict mode: Fulcio decodes the OIDC token (without checking its signature) and certifies the
 * key of the request's CSR/public key with the token's `sub` and GitHub claims, as the real
 * Fulcio does; Rekor canonicalises and signs (SET, checkpoint) what it is sent. Real Rekor also
 * verifies the DSSE signature and canonicalises the dsse entry; the mock does neither, which
 * only makes the peer cheaper. Nothing here is verified later: the bench measures signing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running loopback Fulcio + Rekor. */
export interface SigstoreLocal {
  /** Base URL of both services, `http://127.0.0.1:PORT`. */
  url: string;
  /** Requests answered per service (2xx and errors alike). */
  requests: { fulcio: number; rekor: number };
  close(): Promise<void>;
}

interface MockHandler {
  path: string;
  fn: (body: string) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>;
}

const MAX_BODY = 4 * 1024 * 1024;

/**
 * Starts Fulcio and Rekor v1 on 127.0.0.1, port 0, with fresh P-256 keys.
 * @throws Error when `@sigstore/mock` is not installed or the port cannot be bound
 */
export async function startSigstoreLocal(): Promise<SigstoreLocal> {
  // Loaded lazily so a process that does not run the peer never pays for @peculiar/x509 & co.
  const mock = await import('@sigstore/mock');
  const requests = { fulcio: 0, rekor: 0 };
  const routes = new Map<string, { handler?: MockHandler; count: () => void }>();
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sigstore-local: ${(err as Error).message}`);
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.get(path);
    if (req.method !== 'POST' || route?.handler === undefined)
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    route.count();
    const body = await readBody(req);
    const out = await route.handler.fn(body);
    res.writeHead(out.statusCode, { 'content-type': out.contentType ?? 'text/plain' });
    res.end(
      typeof out.response === 'string'
        ? out.response
        : Buffer.from(out.response.buffer, out.response.byteOffset, out.response.byteLength),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fulcioKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rekorKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ca = await mock.initializeCA(fulcioKeys, await mock.initializeCTLog(fulcioKeys));
  const fulcio = mock.fulcioHandler(ca, { strict: true }) as MockHandler;
  const rekor = mock.rekorHandler(await mock.initializeTLog(url, rekorKeys), { strict: true }) as MockHandler;
  routes.set(fulcio.path, {
    handler: fulcio,
    count: () => {
      requests.fulcio++;
    },
  });
  routes.set(rekor.path, {
    handler: rekor,
    count: () => {
      requests.rekor++;
    },
  });
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
