/** Hostile registry answers: error bodies, challenges and references built to confuse or exhaust. */
import { parseErrorBody, registryError } from '../../../src/oci/transport/registry-error.js';
import { parseChallenges } from '../../../src/oci/transport/challenge.js';
import { parseReference } from '../../../src/oci/reference.js';
import { ResponseHeaders, type HttpResponse } from '../../../src/core/http.js';
import { expectCode } from '../../helpers.js';

const res = (status: number, body: string | Buffer, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: new ResponseHeaders(Object.entries(headers).flat()),
  body: Buffer.from(body),
  url: 'https://r.io/v2/a/manifests/b',
});

describe('parseErrorBody', () => {
  describe('when the body is not the spec shape', () => {
    it.each([
      ['truncated JSON', '{"errors":[{"code":"DENIED"'],
      ['null', 'null'],
      ['a number', '42'],
      ['errors not an array', '{"errors":{"code":"DENIED"}}'],
      ['HTML', '<html><body>502 Bad Gateway</body></html>'],
      ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
    ])('returns [] for %s', (_n, body) => expect(parseErrorBody(Buffer.from(body))).toEqual([]));

    it('skips entries whose code is not a string', () => {
      expect(parseErrorBody(Buffer.from('{"errors":[{"code":1},null,"x",{"code":"DENIED","message":7}]}'))).toEqual([
        { code: 'DENIED', message: '' },
      ]);
    });
  });

  describe('when the body is oversized or repetitive', () => {
    it('keeps at most 8 entries of at most 200 characters', () => {
      const many = {
        errors: Array.from({ length: 1000 }, () => ({ code: 'X'.repeat(1000), message: 'm'.repeat(5000) })),
      };
      const parsed = parseErrorBody(Buffer.from(JSON.stringify(many)));
      expect(parsed).toHaveLength(8);
      expect(parsed[0]!.code.length).toBe(200);
      expect(parsed[0]!.message.length).toBe(200);
    });
  });
});

describe('registryError', () => {
  describe('when the registry message tries to inject lines or terminal escapes', () => {
    it('keeps the message on one printable line', () => {
      const body = JSON.stringify({
        errors: [{ code: 'DENIED', message: 'no\n::set-output name=x::pwned\u001b[31m' }],
      });
      const err = registryError(res(403, body), 'PUT manifest');
      expect(err.message).not.toMatch(/[\n\r\u001b]/);
      expect(err.code).toBe('OCI_DENIED');
    });
  });

  describe('when the plain-text body is huge', () => {
    it('quotes at most 200 characters', () => {
      expect(registryError(res(500, 'e'.repeat(60_000)), 'GET').message.length).toBeLessThan(600);
    });
  });

  describe('when the challenge header is hostile', () => {
    it('does not crash and falls back to the status', () => {
      expect(
        registryError(res(401, '', { 'www-authenticate': `Bearer error="${'x'.repeat(20_000)}` }), 'GET').code,
      ).toBe('OCI_AUTH_FAILED');
    });
  });
});

describe('parseChallenges', () => {
  describe('when fed random junk', () => {
    it.each([
      '=',
      '=,=,=',
      'Bearer ====',
      'Bearer realm=',
      'Bearer realm="',
      '\u0000Bearer',
      'Bearer realm="a",,,,',
      'Bearer\trealm\t=\t"a"',
    ])('never throws for %j', (h) => expect(() => parseChallenges(h)).not.toThrow());
  });
});

describe('parseReference', () => {
  describe('when the reference is crafted', () => {
    it.each([
      ['a path traversal repository', 'ghcr.io/../etc/passwd'],
      ['a URL', 'https://ghcr.io/acme/app'],
      ['a NUL byte', 'ghcr.io/acme/app\u0000:v1'],
      ['a newline in the tag', 'ghcr.io/acme/app:v1\n'],
      ['a query string', 'ghcr.io/acme/app?x=1'],
      ['userinfo', 'user:pass@ghcr.io/acme/app'],
    ])('throws OCI_REFERENCE_INVALID for %s', (_n, ref) =>
      expectCode(() => parseReference(ref), 'OCI_REFERENCE_INVALID'),
    );
  });
});
