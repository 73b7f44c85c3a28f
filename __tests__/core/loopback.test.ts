import { isHttpsOrLoopback, isLoopbackHost } from '../../src/core/loopback.js';

describe('isLoopbackHost', () => {
  it('accepts localhost, 127.0.0.0/8 and [::1]', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.3.4', '[::1]'])
      expect(isLoopbackHost(h)).toBe(true);
  });

  it('refuses hosts that only look local', () => {
    for (const h of [
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      '128.0.0.1',
      '10.0.0.1',
      '[::2]',
      '::1',
      '127.1',
      '',
    ]) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});

describe('isHttpsOrLoopback', () => {
  it('accepts https anywhere and plain http only to a loopback host', () => {
    expect(isHttpsOrLoopback(new URL('https://issuer.example/x'))).toBe(true);
    expect(isHttpsOrLoopback(new URL('http://127.0.0.1:8080/x'))).toBe(true);
    expect(isHttpsOrLoopback(new URL('http://[::1]:8080/x'))).toBe(true);
    expect(isHttpsOrLoopback(new URL('http://localhost/x'))).toBe(true);
  });

  it('refuses plain http elsewhere and other schemes', () => {
    expect(isHttpsOrLoopback(new URL('http://issuer.example/x'))).toBe(false);
    expect(isHttpsOrLoopback(new URL('http://127.0.0.1.nip.io/x'))).toBe(false);
    expect(isHttpsOrLoopback(new URL('ftp://127.0.0.1/x'))).toBe(false);
    expect(isHttpsOrLoopback(new URL('file:///etc/passwd'))).toBe(false);
  });
});
