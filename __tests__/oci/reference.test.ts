import {
  formatReference,
  parseReference,
  parseRegistry,
  referenceIdentifier,
  registryBaseUrl,
  usesPlainHttp,
} from '../../src/oci/reference.js';
import { expectCode } from '../helpers.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  describe('when the reference is valid', () => {
    it.each([
      ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
      ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
      ['library/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
      ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
      ['index.docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
      ['registry-1.docker.io/bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis' }],
      ['user/app:v1', { registry: 'docker.io', repository: 'user/app', tag: 'v1' }],
      ['ghcr.io/acme/app', { registry: 'ghcr.io', repository: 'acme/app' }],
      ['GHCR.io/acme/app', { registry: 'ghcr.io', repository: 'acme/app' }],
      [`ghcr.io/acme/app@${D}`, { registry: 'ghcr.io', repository: 'acme/app', digest: D }],
      [`ghcr.io/acme/app:v1@${D}`, { registry: 'ghcr.io', repository: 'acme/app', tag: 'v1', digest: D }],
      ['localhost/app', { registry: 'localhost', repository: 'app' }],
      ['localhost:5000/app:latest', { registry: 'localhost:5000', repository: 'app', tag: 'latest' }],
      ['127.0.0.1:5000/test/img:v1', { registry: '127.0.0.1:5000', repository: 'test/img', tag: 'v1' }],
      ['[::1]:5000/test/img', { registry: '[::1]:5000', repository: 'test/img' }],
      ['[::1]/img:t', { registry: '[::1]', repository: 'img', tag: 't' }],
      ['[2001:db8::1]:443/a/b', { registry: '[2001:db8::1]:443', repository: 'a/b' }],
      ['Registry/app', { registry: 'registry', repository: 'app' }],
      ['a.io/a__b/c-d/e.f/g---h', { registry: 'a.io', repository: 'a__b/c-d/e.f/g---h' }],
      ['a.io/x:_tag.With-Caps', { registry: 'a.io', repository: 'x', tag: '_tag.With-Caps' }],
      [`a.io/x:${'t'.repeat(128)}`, { registry: 'a.io', repository: 'x', tag: 't'.repeat(128) }],
    ])('parses %s', (ref, want) => {
      expect(parseReference(ref)).toEqual(want);
    });
  });

  describe('when the reference is invalid', () => {
    it.each([
      ['', 'empty'],
      ['ghcr.io/Acme/app', 'uppercase repository'],
      ['ALPINE', 'uppercase Docker Hub name'],
      ['ghcr.io/acme/app:', 'empty tag'],
      ['ghcr.io/acme/app:-x', 'tag starting with -'],
      ['ghcr.io/acme/app:.x', 'tag starting with .'],
      [`ghcr.io/x:${'t'.repeat(129)}`, 'tag too long'],
      ['ghcr.io/acme/app@sha256:abc', 'short digest'],
      [`ghcr.io/acme/app@sha256:${'A'.repeat(64)}`, 'uppercase digest'],
      [`ghcr.io/acme/app@sha512:${'a'.repeat(128)}`, 'sha512 digest'],
      [`ghcr.io/acme/app@${D}@${D}`, 'two @'],
      ['ghcr.io/acme//app', 'empty path component'],
      ['ghcr.io/acme/app/', 'trailing slash'],
      ['ghcr.io/-acme/app', 'component starting with a separator'],
      ['ghcr.io/acme_/app', 'component ending with a separator'],
      ['ghcr.io/a___b', 'three underscores'],
      ['ghcr.io:0/app', 'port 0'],
      ['ghcr.io:70000/app', 'port too large'],
      ['ghcr.io:/app', 'empty port'],
      ['[::1/app', 'unterminated IPv6'],
      ['[zz::1]:5000/app', 'invalid IPv6'],
      ['-bad.io/app', 'host starting with -'],
      ['a..io/app', 'empty host label'],
      ['ghcr.io/acme/app tag', 'space'],
      [`a.io/${'x'.repeat(300)}`, 'name too long'],
      ['x'.repeat(5000), 'reference too long'],
    ])('throws OCI_REFERENCE_INVALID for %s (%s)', (ref) =>
      expectCode(() => parseReference(ref), 'OCI_REFERENCE_INVALID'),
    );

    it('names the reference and what is expected', () => {
      expect(() => parseReference('ghcr.io/acme/app@sha256:abc')).toThrow(
        /"ghcr\.io\/acme\/app@sha256:abc" has a digest that is not "sha256:" followed by 64 lowercase hex/,
      );
      expect(() => parseReference('ghcr.io/Acme/app')).toThrow(/repository names must be lowercase/);
    });
  });
});

describe('formatReference', () => {
  describe('when given a parsed reference', () => {
    it.each([
      ['alpine', 'docker.io/library/alpine'],
      ['alpine:3', 'docker.io/library/alpine:3'],
      [`[::1]:5000/a:b@${D}`, `[::1]:5000/a:b@${D}`],
    ])('formats %s as %s', (ref, want) => {
      expect(formatReference(parseReference(ref))).toBe(want);
      expect(parseReference(formatReference(parseReference(ref)))).toEqual(parseReference(ref));
    });
  });
});

describe('referenceIdentifier', () => {
  describe('when tag and digest vary', () => {
    it('prefers the digest, then the tag, then latest', () => {
      expect(referenceIdentifier(parseReference(`a.io/x:t@${D}`))).toBe(D);
      expect(referenceIdentifier(parseReference('a.io/x:t'))).toBe('t');
      expect(referenceIdentifier(parseReference('a.io/x'))).toBe('latest');
    });
  });
});

describe('parseRegistry', () => {
  describe('when the host is not a registry host', () => {
    it.each(['', 'a/b', 'http://ghcr.io', 'a.io:x', '[::1'])('throws OCI_REFERENCE_INVALID for %j', (r) =>
      expectCode(() => parseRegistry(r), 'OCI_REFERENCE_INVALID'),
    );
  });
});

describe('registryBaseUrl', () => {
  describe('when the registry is loopback', () => {
    it.each([
      ['localhost', 'http://localhost'],
      ['localhost:5000', 'http://localhost:5000'],
      ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
      ['127.8.9.10', 'http://127.8.9.10'],
      ['[::1]:5000', 'http://[::1]:5000'],
    ])('uses plain http for %s', (r, url) => expect(registryBaseUrl(r)).toBe(url));
  });

  describe('when the registry is remote', () => {
    it.each([
      ['ghcr.io', 'https://ghcr.io'],
      ['docker.io', 'https://registry-1.docker.io'],
      ['index.docker.io', 'https://registry-1.docker.io'],
      ['10.0.0.1:5000', 'https://10.0.0.1:5000'],
      ['127.example.com', 'https://127.example.com'],
      ['localhost.example.com', 'https://localhost.example.com'],
      ['[::2]:5000', 'https://[::2]:5000'],
    ])('uses https for %s', (r, url) => expect(registryBaseUrl(r)).toBe(url));
  });

  describe('when options override the scheme', () => {
    it('uses http for listed insecure registries, by host:port or host', () => {
      expect(registryBaseUrl('reg.lan:5000', { insecureRegistries: ['reg.lan:5000'] })).toBe('http://reg.lan:5000');
      expect(registryBaseUrl('reg.lan:5000', { insecureRegistries: ['REG.lan'] })).toBe('http://reg.lan:5000');
      expect(registryBaseUrl('reg.lan:5001', { insecureRegistries: ['reg.lan:5000'] })).toBe('https://reg.lan:5001');
    });

    it('forces https on loopback with scheme', () => {
      expect(registryBaseUrl('127.0.0.1:5000', { scheme: 'https' })).toBe('https://127.0.0.1:5000');
      expect(usesPlainHttp('127.0.0.1:5000')).toBe(true);
    });
  });
});
