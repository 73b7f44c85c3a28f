/**
 * TUF signing keys of a trust repository: Ed25519 key pairs whose private half is kept on disk
 * only encrypted (scrypt → AES-256-GCM, the key ID bound as associated data), public keys in the
 * TUF `Key` form of `@tufjs/models`, and the signer `Metadata.sign` calls. The private key lives in
 * a non-exported `KeyObject` field and is never serialised in the clear.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as nodeSign,
  type KeyObject,
} from 'node:crypto';
import { Key, Signature } from '@tufjs/models';
import { b64Decode, b64Encode, hexEncode } from '../../core/b64.js';
import { sha256 } from '../../core/digest.js';
import { TufError } from '../errors.js';
import { isRecord } from '../../core/guards.js';
import { parseJsonStrict } from '../../core/json.js';

/** Shortest passphrase accepted for new keys. */
export const MIN_PASSPHRASE_LENGTH = 12;
/** Largest key file read (a key file is about 600 bytes). */
const MAX_KEY_FILE_BYTES = 16 * 1024;
/** scrypt cost of new keys: 2^15 × 8 × 128 bytes = 32 MiB, ~0.1 s per key. */
const DEFAULT_SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Bounds on the scrypt cost a key file may ask for: weaker is refused, dearer could exhaust memory. */
const SCRYPT_MIN_N = 2 ** 14;
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
const KEY_FILE_TYPE = 'opk-attest-tuf-key';
const PUBLIC_FILE_TYPE = 'opk-attest-tuf-public-key';
/** Ed25519 SubjectPublicKeyInfo DER prefix; the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const HEX32 = /^[0-9a-f]{64}$/;

/** scrypt parameters of an encrypted key. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** A key file as written to `keys/<keyid>.json`: public half in the clear, private half encrypted. */
export interface EncryptedKeyFile {
  type: typeof KEY_FILE_TYPE;
  keyid: string;
  /** Informative: the role the key was made for. */
  role: string;
  keytype: 'ed25519';
  scheme: 'ed25519';
  /** Lowercase hex of the 32-byte public key. */
  public: string;
  encrypted: {
    kdf: 'scrypt';
    N: number;
    r: number;
    p: number;
    salt: string;
    cipher: 'aes-256-gcm';
    iv: string;
    tag: string;
    data: string;
  };
}

/** A public key file handed to a delegator (`trust delegate --key FILE`). */
export interface PublicKeyFile {
  type: typeof PUBLIC_FILE_TYPE;
  role: string;
  keyid: string;
  key: { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } };
}

/** Signs TUF metadata with a decrypted private key. */
export class TufSigner {
  readonly keyid: string;
  readonly #key: KeyObject;

  /** @internal use `decryptKey` or `generateKey` */
  constructor(keyid: string, key: KeyObject) {
    this.keyid = keyid;
    this.#key = key;
  }

  /** The signer `Metadata.sign` takes: Ed25519 over the canonical JSON bytes it is given. */
  readonly sign = (data: Buffer): Signature =>
    new Signature({ keyID: this.keyid, sig: nodeSign(null, data, this.#key).toString('hex') });
}

/**
 * The TUF key ID: hex SHA-256 of the key's canonical JSON. The key object has a fixed shape of
 * ASCII strings, for which canonical JSON is `JSON.stringify` with sorted keys.
 * @param publicHex - the 32-byte Ed25519 public key, lowercase hex
 * @throws never
 */
export function tufKeyId(publicHex: string): string {
  return hexEncode(sha256(`{"keytype":"ed25519","keyval":{"public":"${publicHex}"},"scheme":"ed25519"}`));
}

/**
 * The `@tufjs/models` key for an Ed25519 public key.
 * @throws TufError TUF_KEY_INVALID when `publicHex` is not 32 bytes of lowercase hex
 */
export function tufPublicKey(publicHex: string): Key {
  if (!HEX32.test(publicHex)) throw keyInvalid('public key', 'is not 64 lowercase hex characters (an Ed25519 key)');
  return new Key({ keyID: tufKeyId(publicHex), keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: publicHex } });
}

/**
 * Generates an Ed25519 key pair and encrypts its private half.
 * @param role - the role it is made for (recorded in the file, informative)
 * @param passphrase - at least MIN_PASSPHRASE_LENGTH characters
 * @param scrypt - KDF cost (default N=2^15, r=8, p=1)
 * @returns the public key, the key file to write, and a signer for immediate use
 * @throws TufError TUF_PASSPHRASE when the passphrase is too short
 */
export function generateKey(
  role: string,
  passphrase: string,
  scrypt: ScryptParams = DEFAULT_SCRYPT,
): { key: Key; file: EncryptedKeyFile; signer: TufSigner } {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new TufError({
      code: 'TUF_PASSPHRASE',
      message: `passphrase for the new ${role} key is shorter than ${MIN_PASSPHRASE_LENGTH} characters; set a longer OPK_ATTEST_TRUST_PASSPHRASE`,
    });
  }
  checkScrypt(scrypt, `new ${role} key`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicHex = hexEncode(publicKey.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length));
  const key = tufPublicKey(publicHex);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek(passphrase, salt, scrypt), iv);
  cipher.setAAD(Buffer.from(key.keyID, 'utf8'));
  const data = Buffer.concat([cipher.update(privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
  const file: EncryptedKeyFile = {
    type: KEY_FILE_TYPE,
    keyid: key.keyID,
    role,
    keytype: 'ed25519',
    scheme: 'ed25519',
    public: publicHex,
    encrypted: {
      kdf: 'scrypt',
      ...scrypt,
      salt: b64Encode(salt),
      cipher: 'aes-256-gcm',
      iv: b64Encode(iv),
      tag: b64Encode(cipher.getAuthTag()),
      data: b64Encode(data),
    },
  };
  return { key, file, signer: new TufSigner(key.keyID, privateKey) };
}

/**
 * Parses a key file, shape first.
 * @param bytes - the file as read
 * @param what - names the file in messages
 * @throws TufError TUF_KEY_INVALID
 */
export function parseKeyFile(bytes: Uint8Array, what: string): EncryptedKeyFile {
  const o = jsonObject(bytes, what);
  const e = o.encrypted;
  if (
    o.type !== KEY_FILE_TYPE ||
    o.keytype !== 'ed25519' ||
    o.scheme !== 'ed25519' ||
    typeof o.role !== 'string' ||
    typeof o.public !== 'string' ||
    !HEX32.test(o.public) ||
    o.keyid !== tufKeyId(o.public) ||
    !isRecord(e) ||
    e.kdf !== 'scrypt' ||
    e.cipher !== 'aes-256-gcm' ||
    ![e.N, e.r, e.p].every(Number.isSafeInteger) ||
    ![e.salt, e.iv, e.tag, e.data].every((s) => typeof s === 'string')
  ) {
    throw keyInvalid(
      what,
      `is not an opk-attest key file (${KEY_FILE_TYPE}, ed25519, scrypt + aes-256-gcm, key ID matching the public key)`,
    );
  }
  return o as unknown as EncryptedKeyFile;
}

/**
 * Decrypts a key file's private half and checks that it belongs to the public half.
 * @param file - a parsed key file
 * @param passphrase - the passphrase it was encrypted with
 * @returns a signer
 * @throws TufError TUF_PASSPHRASE when the passphrase is wrong (or the file was altered);
 *   TUF_KEY_INVALID when the file's parameters or key are bad
 */
export function decryptKey(
  file: EncryptedKeyFile,
  passphrase: string,
  what = `key ${file.keyid.slice(0, 16)}`,
): TufSigner {
  const e = file.encrypted;
  checkScrypt(e, what);
  let der: Buffer;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      kek(passphrase, strictB64(e.salt, what), e),
      strictB64(e.iv, what),
    );
    decipher.setAAD(Buffer.from(file.keyid, 'utf8'));
    decipher.setAuthTag(strictB64(e.tag, what));
    der = Buffer.concat([decipher.update(strictB64(e.data, what)), decipher.final()]);
  } catch (err) {
    if (err instanceof TufError) throw err;
    throw new TufError({
      code: 'TUF_PASSPHRASE',
      cause: err,
      message: `${what} (${file.role}): wrong passphrase, or the key file was altered; check OPK_ATTEST_TRUST_PASSPHRASE`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new TufError({
      code: 'TUF_KEY_INVALID',
      cause: err,
      message: `${what}: the decrypted private key does not parse; restore the key file from backup`,
    });
  }
  const publicHex =
    privateKey.asymmetricKeyType === 'ed25519'
      ? hexEncode(
          createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length),
        )
      : '';
  if (publicHex !== file.public)
    throw keyInvalid(
      what,
      'the private key does not match the public key in the file; restore the key file from backup',
    );
  return new TufSigner(file.keyid, privateKey);
}

/**
 * The public key file for a key (no secret in it).
 * @throws never
 */
export function publicKeyFile(role: string, key: Key): PublicKeyFile {
  return {
    type: PUBLIC_FILE_TYPE,
    role,
    keyid: key.keyID,
    key: { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: key.keyVal.public! } },
  };
}

/**
 * Parses a public key file written by `trust key generate`.
 * @returns the role it was made for and the key
 * @throws TufError TUF_KEY_INVALID
 */
export function parsePublicKeyFile(bytes: Uint8Array, what: string): { role: string; key: Key } {
  const o = jsonObject(bytes, what);
  const k = o.key;
  const pub = isRecord(k) && isRecord(k.keyval) ? k.keyval.public : undefined;
  if (
    o.type !== PUBLIC_FILE_TYPE ||
    typeof o.role !== 'string' ||
    !isRecord(k) ||
    k.keytype !== 'ed25519' ||
    k.scheme !== 'ed25519' ||
    typeof pub !== 'string' ||
    !HEX32.test(pub) ||
    o.keyid !== tufKeyId(pub)
  ) {
    throw keyInvalid(
      what,
      `is not an opk-attest public key file (${PUBLIC_FILE_TYPE}, ed25519); make one with "opk-attest trust key generate ROLE"`,
    );
  }
  return { role: o.role, key: tufPublicKey(pub) };
}

function kek(passphrase: string, salt: Buffer, p: ScryptParams): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), salt, 32, {
    N: p.N,
    r: p.r,
    p: p.p,
    maxmem: SCRYPT_MAX_MEMORY + 1024 * 1024,
  });
}

function checkScrypt(p: ScryptParams, what: string): void {
  const powerOfTwo = Number.isSafeInteger(p.N) && p.N > 1 && (p.N & (p.N - 1)) === 0;
  if (
    !powerOfTwo ||
    p.N < SCRYPT_MIN_N ||
    !(p.r >= 1 && p.r <= 64) ||
    !(p.p >= 1 && p.p <= 16) ||
    128 * p.N * p.r * p.p > SCRYPT_MAX_MEMORY
  ) {
    throw keyInvalid(
      what,
      `scrypt parameters N=${p.N} r=${p.r} p=${p.p} are out of bounds (N a power of two ≥ 2^14, at most 256 MiB)`,
    );
  }
}

function strictB64(s: string, what: string): Buffer {
  try {
    return b64Decode(s);
  } catch (err) {
    throw new TufError({
      code: 'TUF_KEY_INVALID',
      cause: err,
      message: `${what}: a base64 field of the key file is not canonical base64; restore the key file from backup`,
    });
  }
}

function jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw keyInvalid(what, `is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseJsonStrict(bytes);
  } catch (err) {
    throw new TufError({
      code: 'TUF_KEY_INVALID',
      cause: err,
      message: `${what}: not UTF-8 JSON; restore the key file from backup`,
    });
  }
  if (!isRecord(doc)) throw keyInvalid(what, 'is not a JSON object');
  return doc;
}

function keyInvalid(what: string, fault: string): TufError {
  return new TufError({ code: 'TUF_KEY_INVALID', message: `${what}: ${fault}` });
}
