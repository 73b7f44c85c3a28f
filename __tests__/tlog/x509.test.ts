import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { createPkTokenCertificate, parsePkTokenCertificate } from '../../src/tlog/x509.js';
import { expectCode } from '../helpers.js';

const SUB = 'repo:octo-org/octo-repo:ref:refs/heads/main';
const ISS = 'https://token.actions.githubusercontent.com';
const PKT = Buffer.from(
  JSON.stringify({ payload: 'eyJzdWIiOiJyZXBvOm9jdG8ifQ', signatures: [{ protected: 'e30', signature: 'AAAA' }] }),
);
const NOW = new Date('2025-03-04T05:06:07.890Z');

describe('createPkTokenCertificate', () => {
  const key = EphemeralKey.generate();
  const cert = createPkTokenCertificate({ key, pkTokenJson: PKT, subject: SUB, issuer: ISS, now: NOW });

  describe('when read by Node', () => {
    const x = new X509Certificate(cert.der);
    it('has subject and issuer CN = sub and a DNS SAN = sub', () => {
      expect(x.subject).toBe(`CN=${SUB}`);
      expect(x.issuer).toBe(`CN=${SUB}`);
      expect(x.subjectAltName).toBe(`DNS:${SUB}`);
    });
    it('is valid from now (whole seconds) for one year', () => {
      expect(new Date(x.validFrom).toISOString()).toBe('2025-03-04T05:06:07.000Z');
      expect(new Date(x.validTo).toISOString()).toBe('2026-03-04T05:06:07.000Z');
    });
    it('has serial 1, is not a CA, and is self-signed by the ephemeral key', () => {
      expect(x.serialNumber).toBe('01');
      expect(x.ca).toBe(false);
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.publicKey.export({ format: 'der', type: 'spki' })).toEqual(key.spkiDer);
      expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
    });
    it('has PEM in Go encoding/pem form', () => {
      expect(cert.pem).toMatch(
        /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
      );
      expect(new X509Certificate(cert.pem).raw).toEqual(cert.der);
    });
  });

  describe('when read by openssl', () => {
    it('shows the openpubkey layout', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'opk-x509-'));
      try {
        const file = path.join(dir, 'c.pem');
        writeFileSync(file, cert.pem);
        const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
        expect(text).toContain('Version: 3 (0x2)');
        expect(text).toContain('Serial Number: 1 (0x1)');
        expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
        expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
        expect(text).toMatch(/X509v3 Extended Key Usage:\s+Code Signing/);
        expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
        expect(text).toMatch(new RegExp(`X509v3 Subject Alternative Name:\\s+DNS:${SUB.replace(/[/.]/g, '\\$&')}`));
        expect(text).toContain('1.3.6.1.4.1.57264.1.1:');
        expect(text).toContain('NIST CURVE: P-256');
        const ski = /X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]!;
        expect(Buffer.from(ski.replace(/:/g, ''), 'hex')).toEqual(PKT);
        execFileSync(
          'openssl',
          ['verify', '-CAfile', file, '-purpose', 'any', '-attime', String((NOW.getTime() / 1000 + 60) | 0), file],
          { encoding: 'utf8' },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when the subject is not printable ASCII', () => {
    it('throws TLOG_CERT_INVALID', () =>
      expectCode(
        () => createPkTokenCertificate({ key, pkTokenJson: PKT, subject: 'sübject', issuer: ISS }),
        'TLOG_CERT_INVALID',
      ));
  });

  describe('when the validity start is not a date', () => {
    it('throws TLOG_CERT_INVALID', () =>
      expectCode(
        () => createPkTokenCertificate({ key, pkTokenJson: PKT, subject: SUB, issuer: ISS, now: new Date(NaN) }),
        'TLOG_CERT_INVALID',
      ));
  });

  describe('when the PK token is empty', () => {
    it('throws TLOG_CERT_INVALID', () =>
      expectCode(
        () => createPkTokenCertificate({ key, pkTokenJson: Buffer.alloc(0), subject: SUB, issuer: ISS }),
        'TLOG_CERT_INVALID',
      ));
  });

  describe('when the signer does not hold the key of its SPKI', () => {
    it('throws TLOG_CERT_SIGNATURE_INVALID', () => {
      const other = EphemeralKey.generate();
      const liar = { spkiDer: key.spkiDer, signDer: (d: Uint8Array) => other.signDer(d) };
      return expectCode(
        () => createPkTokenCertificate({ key: liar, pkTokenJson: PKT, subject: SUB, issuer: ISS }),
        'TLOG_CERT_SIGNATURE_INVALID',
      );
    });
  });
});

describe('parsePkTokenCertificate', () => {
  const key = EphemeralKey.generate();
  const cert = createPkTokenCertificate({ key, pkTokenJson: PKT, subject: SUB, issuer: ISS, now: NOW });

  describe('when given the PEM we made', () => {
    it('returns the PK token bytes, key, subject and issuer', () => {
      const parsed = parsePkTokenCertificate(cert.pem);
      expect(parsed.pkTokenJson).toEqual(PKT);
      expect(parsed.spkiDer).toEqual(key.spkiDer);
      expect(parsed.subject).toBe(SUB);
      expect(parsed.issuerExt).toBe(ISS);
      expect(parsed.der).toEqual(cert.der);
      expect(parsed.notBefore.toISOString()).toBe('2025-03-04T05:06:07.000Z');
    });
  });

  describe('when given DER', () => {
    it('returns the same fields', () => expect(parsePkTokenCertificate(cert.der).pkTokenJson).toEqual(PKT));
  });

  describe('when the certificate was made by openssl with another layout', () => {
    it('throws TLOG_CERT_INVALID', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'opk-x509-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            path.join(dir, 'k'),
            '-out',
            path.join(dir, 'c'),
            '-days',
            '1',
            '-subj',
            '/CN=someone',
          ],
          { stdio: 'ignore' },
        );
        const pem = execFileSync('openssl', ['x509', '-in', path.join(dir, 'c')], { encoding: 'utf8' });
        return expectCode(() => parsePkTokenCertificate(pem), 'TLOG_CERT_INVALID');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
