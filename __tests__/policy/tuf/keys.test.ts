import { generateKeyPairSync } from 'node:crypto';
import { Metadata, Timestamp } from '@tufjs/models';
import {
  decryptKey,
  generateKey,
  parseKeyFile,
  parsePublicKeyFile,
  publicKeyFile,
  tufKeyId,
  tufPublicKey,
  MIN_PASSPHRASE_LENGTH,
} from '../../../src/policy/tuf/keys.js';
import { expectCode } from '../../helpers.js';

const PASS = 'correct horse battery staple';
/** Cheapest scrypt cost the key files accept: keeps the suite fast. */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

function signedTimestamp(sign: (d: Buffer) => ReturnType<ReturnType<typeof generateKey>['signer']['sign']>) {
  const md = new Metadata(new Timestamp({ version: 1, specVersion: '1.0.31', expires: '2099-01-01T00:00:00Z' }));
  md.sign(sign);
  return md;
}

describe('generateKey', () => {
  describe('when given a good passphrase', () => {
    it('makes an ed25519 TUF key whose signatures @tufjs/models verifies', () => {
      const { key, file, signer } = generateKey('timestamp', PASS, FAST);
      expect(key.keyType).toBe('ed25519');
      expect(key.keyID).toBe(tufKeyId(key.keyVal.public!));
      expect(file.keyid).toBe(key.keyID);
      const md = signedTimestamp(signer.sign);
      expect(() => key.verifySignature(md)).not.toThrow();
    });

    it('keeps the private key only encrypted', () => {
      const { file } = generateKey('root', PASS, FAST);
      const text = JSON.stringify(file);
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toContain('MC4CAQAwBQYDK2VwBCIEI'); // base64 of the Ed25519 PKCS#8 prefix
      expect(Object.keys(file.encrypted).sort()).toEqual(['N', 'cipher', 'data', 'iv', 'kdf', 'p', 'r', 'salt', 'tag']);
    });
  });

  describe('when the passphrase is short', () => {
    it('throws TUF_PASSPHRASE', () =>
      expectCode(() => generateKey('root', 'x'.repeat(MIN_PASSPHRASE_LENGTH - 1), FAST), 'TUF_PASSPHRASE'));
  });

  describe('when asked for a weak KDF', () => {
    it('throws TUF_KEY_INVALID', () =>
      expectCode(() => generateKey('root', PASS, { N: 1024, r: 8, p: 1 }), 'TUF_KEY_INVALID'));
  });
});

describe('decryptKey', () => {
  const made = generateKey('targets', PASS, FAST);
  const file = parseKeyFile(bytes(made.file), 'key file');

  describe('when the passphrase is right', () => {
    it('signs as the original key', () => {
      const md = signedTimestamp(decryptKey(file, PASS).sign);
      expect(() => made.key.verifySignature(md)).not.toThrow();
    });
  });

  describe('when the passphrase is wrong', () => {
    it('throws TUF_PASSPHRASE', () => expectCode(() => decryptKey(file, `${PASS}!`), 'TUF_PASSPHRASE'));
  });

  describe('when the ciphertext is altered', () => {
    it('throws TUF_PASSPHRASE (the GCM tag fails)', () => {
      const data = Buffer.from(file.encrypted.data, 'base64');
      data[0]! ^= 1;
      return expectCode(
        () => decryptKey({ ...file, encrypted: { ...file.encrypted, data: data.toString('base64') } }, PASS),
        'TUF_PASSPHRASE',
      );
    });
  });

  describe('when the encrypted half of one key file is moved into another', () => {
    it('throws TUF_PASSPHRASE (the key ID is authenticated)', () => {
      const other = generateKey('targets', PASS, FAST).file;
      return expectCode(() => decryptKey({ ...other, encrypted: file.encrypted }, PASS), 'TUF_PASSPHRASE');
    });
  });

  describe('when a key file asks for an extreme scrypt cost', () => {
    it('throws TUF_KEY_INVALID before deriving', () =>
      expectCode(() => decryptKey({ ...file, encrypted: { ...file.encrypted, N: 2 ** 24 } }, PASS), 'TUF_KEY_INVALID'));
  });
});

describe('parseKeyFile', () => {
  const good = generateKey('root', PASS, FAST).file;
  it.each([
    ['not JSON', Buffer.from('{')],
    ['an array', bytes([])],
    ["a key ID that is not the public key's", bytes({ ...good, keyid: '0'.repeat(64) })],
    ['another key type', bytes({ ...good, keytype: 'rsa' })],
    ['no encrypted part', bytes({ ...good, encrypted: undefined })],
    ['another KDF', bytes({ ...good, encrypted: { ...good.encrypted, kdf: 'pbkdf2' } })],
    ['oversized', Buffer.alloc(17 * 1024, 0x20)],
  ])('throws TUF_KEY_INVALID for %s', (_, b) => expectCode(() => parseKeyFile(b, 'key file'), 'TUF_KEY_INVALID'));

  it('throws TUF_KEY_INVALID for non-canonical base64 when decrypting', () =>
    expectCode(
      () => decryptKey({ ...good, encrypted: { ...good.encrypted, iv: `${good.encrypted.iv}=` } }, PASS),
      'TUF_KEY_INVALID',
    ));
});

describe('parsePublicKeyFile', () => {
  const { key } = generateKey('acme', PASS, FAST);
  it('reads what publicKeyFile writes', () => {
    const parsed = parsePublicKeyFile(bytes(publicKeyFile('acme', key)), 'acme.pub.json');
    expect(parsed.role).toBe('acme');
    expect(parsed.key.keyID).toBe(key.keyID);
  });

  it('throws TUF_KEY_INVALID for a key file with a private key in it', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    return expectCode(
      () => parsePublicKeyFile(bytes({ ...publicKeyFile('acme', key), key: pem }), 'f'),
      'TUF_KEY_INVALID',
    );
  });

  it('throws TUF_KEY_INVALID for a mismatched key ID', () =>
    expectCode(
      () => parsePublicKeyFile(bytes({ ...publicKeyFile('acme', key), keyid: 'ab'.repeat(32) }), 'f'),
      'TUF_KEY_INVALID',
    ));

  it('tufPublicKey throws TUF_KEY_INVALID for uppercase hex', () =>
    expectCode(() => tufPublicKey('AB'.repeat(32)), 'TUF_KEY_INVALID'));
});
