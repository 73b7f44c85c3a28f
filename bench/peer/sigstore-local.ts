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
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running loopback Fulcio + Rekor. */
export interface SigstoreLocal {
  /** Base URL of both services, `http://127.0.0.1:PORT`. */
  url: string;
  /** Requests answered per service (2xx and errors alike). */
  requests: { fulcio: number; rekor: number };
  /**
   * What a verifier of the peer's bundles trusts: a Sigstore trusted root (protobuf JSON, as
   * `TrustedRoot.fromJSON` reads it) naming this Fulcio's CA certificate, this Rekor's key and the
   * CT log that signs the certificates' SCTs.
   */
  trustedRoot: Record<string, unknown>;
  close(): Promise<void>;
}

/** Options of `startSigstoreLocal`. */
export interface SigstoreLocalOptions {
  /**
   * Log a `dsse` entry as Rekor stores it (`signatures`, `payloadHash`, `envelopeHash`) instead of
   * as proposed (`proposedContent`), which the mock logs unchanged: a verifier of the bundles
   * (@sigstore/verify) compares the entry's body with the envelope. Default false (signing only).
   */
  storedDsse?: boolean;
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
export async function startSigstoreLocal(o: SigstoreLocalOptions = {}): Promise<SigstoreLocal> {
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
  const ctLog = await mock.initializeCTLog(fulcioKeys);
  const ca = await mock.initializeCA(fulcioKeys, ctLog);
  const fulcio = mock.fulcioHandler(ca, { strict: true }) as MockHandler;
  const mockRekor = mock.rekorHandler(await mock.initializeTLog(url, rekorKeys), { strict: true }) as MockHandler;
  const rekor = o.storedDsse ? { ...mockRekor, fn: (body: string) => mockRekor.fn(storedDsse(body)) } : mockRekor;
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
    trustedRoot: trustedRoot(url, {
      caCertificate: Buffer.from(
        ca.rootCertificate.buffer,
        ca.rootCertificate.byteOffset,
        ca.rootCertificate.byteLength,
      ),
      rekorKey: rekorKeys.publicKey.export({ format: 'der', type: 'spki' }),
      ctKey: ctLog.publicKey,
      ctLogId: Buffer.from(ctLog.logID.buffer, ctLog.logID.byteOffset, ctLog.logID.byteLength),
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The trusted root of `@sigstore/mock`'s trust-root.ts (not exported there), valid from a minute ago. */
function trustedRoot(
  url: string,
  k: { caCertificate: Buffer; rekorKey: Buffer; ctKey: Buffer; ctLogId: Buffer },
): Record<string, unknown> {
  const validFor = { start: new Date(Date.now() - 60_000).toISOString() };
  const key = (der: Buffer) => ({ rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: key(k.rekorKey),
        logId: { keyId: createHash('sha256').update(k.rekorKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: k.caCertificate.toString('base64') }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: key(k.ctKey),
        logId: { keyId: k.ctLogId.toString('base64') },
      },
    ],
    timestampAuthorities: [],
  };
}

/** A proposed dsse v0.0.1 entry in the form Rekor stores it (rekor pkg/types/dsse/v0.0.1); other bodies unchanged. */
function storedDsse(body: string): string {
  const entry = JSON.parse(body) as {
    kind?: string;
    apiVersion?: string;
    spec?: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== 'dsse' || entry.apiVersion !== '0.0.1' || proposed === undefined) return body;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: Array<{ sig: string }> };
  const sha256 = (b: Buffer | string) => ({ algorithm: 'sha256', value: createHash('sha256').update(b).digest('hex') });
  return JSON.stringify({
    kind: 'dsse',
    apiVersion: '0.0.1',
    spec: {
      envelopeHash: sha256(proposed.envelope),
      payloadHash: sha256(Buffer.from(envelope.payload, 'base64')),
      signatures: envelope.signatures.map((sig, i) => ({ signature: sig.sig, verifier: proposed.verifiers[i] })),
    },
  });
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
