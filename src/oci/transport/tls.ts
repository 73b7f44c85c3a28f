/**
 * Trusting an extra CA (a registry with a private or self-signed certificate).
 *
 * Node reads `NODE_EXTRA_CA_CERTS` only at process start. So there are two ways, both supported:
 * - set `NODE_EXTRA_CA_CERTS=/path/ca.pem` in the environment that *starts* node (a workflow
 *   `env:`); nothing to configure here;
 * - pass `caFile` to `createTransport`: we build an `https.Agent` whose trust store is Node's
 *   bundled roots plus that file, and hand it to every registry exchange as its `agent`
 *   (`core/http` sends every exchange with Node's http/https clients).
 */
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { HttpOptions } from '../../core/http.js';
import { OciError } from '../errors.js';

const MAX_CA_FILE_BYTES = 1024 * 1024;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Creates an HTTPS agent that trusts Node's roots plus the certificates in `caFile`.
 * @param caFile - a PEM file with one or more certificates
 * @returns an agent for `HttpOptions.agent`, and a `close()` to release its sockets
 * @throws OciError OCI_TLS_CONFIG_INVALID (unreadable, too large, or no PEM certificate)
 */
export async function createCaAgent(
  caFile: string,
): Promise<{ agent: NonNullable<HttpOptions['agent']>; close(): Promise<void> }> {
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
  const agent = new Agent({ keepAlive: true, ca: [...rootCertificates, pem] });
  return {
    agent,
    close: async () => {
      agent.destroy();
    },
  };
}
