/**
 * Trusting an extra CA (a registry with a private or self-signed certificate).
 *
 * Node 20's global `fetch` (undici) ignores `https.globalAgent` and reads `NODE_EXTRA_CA_CERTS`
 * only at process start. So there are two ways, both supported:
 * - set `NODE_EXTRA_CA_CERTS=/path/ca.pem` in the environment that *starts* node (a workflow
 *   `env:`); nothing to configure here;
 * - pass `caFile` to `createTransport`: we build an undici `Agent` whose trust store is Node's
 *   bundled roots plus that file, and hand it to every exchange as its `dispatcher` (`core/http` passes it to fetch or undici.request).
 */
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { HttpOptions } from '../../core/http.js';
import { OciError } from '../errors.js';

const MAX_CA_FILE_BYTES = 1024 * 1024;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Creates an HTTP dispatcher that trusts Node's roots plus the certificates in `caFile`.
 * @param caFile - a PEM file with one or more certificates
 * @returns a dispatcher for `HttpOptions.dispatcher`, and a `close()` to release its sockets
 * @throws OciError OCI_TLS_CONFIG_INVALID (unreadable, too large, or no PEM certificate)
 */
export async function createCaDispatcher(
  caFile: string,
): Promise<{ dispatcher: NonNullable<HttpOptions['dispatcher']>; close(): Promise<void> }> {
  let pem: string;
  try {
    const bytes = await readFile(caFile);
    if (bytes.length > MAX_CA_FILE_BYTES) throw new Error(`larger than ${MAX_CA_FILE_BYTES} bytes`);
    pem = bytes.toString('utf8');
  } catch (err) {
    throw new OciError({
      code: 'OCI_TLS_CONFIG_INVALID',
      cause: err,
      message: `CA file ${caFile} cannot be read (${(err as Error).message}); give a readable PEM file`,
    });
  }
  if (!PEM_CERT.test(pem)) {
    throw new OciError({
      code: 'OCI_TLS_CONFIG_INVALID',
      message: `CA file ${caFile} holds no PEM certificate; expected "-----BEGIN CERTIFICATE-----"`,
    });
  }
  // Loaded lazily: only registries with a private CA need it (undici is the engine of Node's fetch).
  const { Agent } = await import('undici');
  const agent = new Agent({ connect: { ca: [...rootCertificates, pem] } });
  return { dispatcher: agent as unknown as NonNullable<HttpOptions['dispatcher']>, close: () => agent.close() };
}
