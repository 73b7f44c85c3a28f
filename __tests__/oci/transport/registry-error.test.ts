import { parseErrorBody, registryError } from '../../../src/oci/transport/registry-error.js';
import { ResponseHeaders, type HttpResponse } from '../../../src/core/http.js';

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new ResponseHeaders(Object.entries(headers).flat()),
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    url: 'https://ghcr.io/v2/acme/app/manifests/v1?X-Amz-Signature=secret-sig',
  };
}

const errors = (code: string, message = 'msg') => ({ errors: [{ code, message, detail: { x: 1 } }] });

describe('registryError', () => {
  describe('when the body carries a registry error code', () => {
    it.each([
      [404, 'MANIFEST_UNKNOWN', 'OCI_NOT_FOUND'],
      [404, 'BLOB_UNKNOWN', 'OCI_NOT_FOUND'],
      [404, 'NAME_UNKNOWN', 'OCI_NOT_FOUND'],
      [401, 'UNAUTHORIZED', 'OCI_AUTH_FAILED'],
      [403, 'DENIED', 'OCI_DENIED'],
      [429, 'TOOMANYREQUESTS', 'OCI_RATE_LIMITED'],
      [400, 'MANIFEST_INVALID', 'OCI_MANIFEST_INVALID'],
      [400, 'MANIFEST_BLOB_UNKNOWN', 'OCI_MANIFEST_INVALID'],
      [400, 'DIGEST_INVALID', 'OCI_DIGEST_MISMATCH'],
      [405, 'UNSUPPORTED', 'OCI_UNSUPPORTED'],
      [400, 'SOMETHING_NEW', 'OCI_REGISTRY_ERROR'],
      [403, 'denied', 'OCI_DENIED'],
    ])('maps %i %s to %s', (status, code, want) => {
      expect(registryError(response(status, errors(code)), 'GET manifest acme/app:v1').code).toBe(want);
    });
  });

  describe('when the body has no registry error code', () => {
    it.each([
      [401, 'OCI_AUTH_FAILED'],
      [403, 'OCI_DENIED'],
      [404, 'OCI_NOT_FOUND'],
      [409, 'OCI_CONFLICT'],
      [412, 'OCI_CONFLICT'],
      [413, 'OCI_TOO_LARGE'],
      [429, 'OCI_RATE_LIMITED'],
      [500, 'OCI_REGISTRY_ERROR'],
      [418, 'OCI_REGISTRY_ERROR'],
    ])('maps status %i to %s', (status, want) => {
      expect(registryError(response(status, '404 page not found'), 'GET referrers').code).toBe(want);
    });
  });

  describe('when a Bearer challenge reports insufficient scope', () => {
    it('returns OCI_DENIED although the status is 401', () => {
      const res = response(401, errors('UNAUTHORIZED', 'authentication required'), {
        'www-authenticate':
          'Bearer realm="https://t",service="s",scope="repository:acme/app:pull,push",error="insufficient_scope"',
      });
      expect(registryError(res, 'POST upload').code).toBe('OCI_DENIED');
    });
  });

  describe('when building the message', () => {
    it('starts with the operation and the redacted URL, names the status, codes and the fix', () => {
      const err = registryError(
        response(401, errors('UNAUTHORIZED', 'authentication required')),
        'GET manifest acme/app:v1',
        'ghcr.io',
      );
      expect(err.message).toBe(
        'GET manifest acme/app:v1 https://ghcr.io/v2/acme/app/manifests/v1: 401 UNAUTHORIZED (authentication required); ' +
          'unauthorized: check registry-username/registry-password or `docker login ghcr.io`',
      );
      expect(err.message).not.toContain('secret-sig');
    });

    it('names docker.io rather than the API host for Docker Hub', () => {
      const res = { ...response(401, ''), url: 'https://registry-1.docker.io/v2/library/alpine/manifests/3' };
      expect(registryError(res, 'GET manifest').message).toContain('`docker login docker.io`');
    });

    it('quotes a plain-text body briefly when there is no JSON', () => {
      expect(registryError(response(404, '404 page not found\n'), 'GET referrers').message).toContain(
        ': 404 (404 page not found); not found',
      );
      expect(registryError(response(404, ''), 'HEAD blob').message).toContain('404 (no error body)');
    });
  });
});

describe('parseErrorBody', () => {
  describe('when the body is the spec shape', () => {
    it('returns code and message of each entry', () => {
      expect(
        parseErrorBody(
          Buffer.from(
            JSON.stringify({
              errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }, { code: 'DENIED' }],
            }),
          ),
        ),
      ).toEqual([
        { code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' },
        { code: 'DENIED', message: '' },
      ]);
    });
  });
});
