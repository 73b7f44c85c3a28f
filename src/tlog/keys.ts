/**
 * Transparency-log public keys. A Rekor log is named by its log ID, the SHA-256 of the DER
 * SubjectPublicKeyInfo of its signing key; checkpoint signatures carry the first four bytes
 * of that hash as a key hint (Rekor `pkg/util/signed_note.go`). Only ECDSA P-256 with SHA-256
 * is accepted, the algorithm of Rekor v1 logs: a key of any other type is refused up front
 * rather than verified under a guessed algorithm.
 */
import { hexEncode } from '../core/b64.js';
import { sha256 } from '../core/digest.js';
import { P256PublicKey } from '../core/ecdsa-p256.js';
import { TlogError } from './errors.js';
import { pemDecode } from './pem.js';

const MAX_LOG_KEY_BYTES = 4096;
const LOG_ID = /^[0-9a-f]{64}$/;

/** A trusted log's public key, with its log ID and checkpoint key hint. */
export class LogPublicKey {
  /** DER SubjectPublicKeyInfo. */
  readonly spkiDer: Buffer;
  /** Lowercase hex SHA-256 of the SPKI DER (Rekor's `logID`). */
  readonly logId: string;
  /** First four bytes of the log ID: the key hint in checkpoint signature lines. */
  readonly keyHint: Buffer;
  readonly #key: P256PublicKey;

  private constructor(key: P256PublicKey) {
    this.#key = key;
    this.spkiDer = key.spkiDer;
    const id = sha256(key.spkiDer);
    this.logId = hexEncode(id);
    this.keyHint = id.subarray(0, 4);
  }

  /**
   * Reads a PEM `PUBLIC KEY` (as Rekor serves at `/api/v1/log/publicKey` and TUF ships in `tlog/<logID>.pem`).
   * @throws TlogError TLOG_KEY_INVALID
   */
  static fromPem(pem: string, what = 'transparency log public key'): LogPublicKey {
    return LogPublicKey.fromDer(pemDecode(pem, 'PUBLIC KEY', what, 'TLOG_KEY_INVALID', MAX_LOG_KEY_BYTES), what);
  }

  /**
   * Reads a DER SubjectPublicKeyInfo; it must be an EC key on P-256.
   * @throws TlogError TLOG_KEY_INVALID
   */
  static fromDer(spkiDer: Uint8Array, what = 'transparency log public key'): LogPublicKey {
    // The log ID hashes the SPKI as Go marshals it (named curve, uncompressed point), so only
    // that exact form is accepted (P256PublicKey checks it before OpenSSL sees the bytes).
    try {
      return new LogPublicKey(P256PublicKey.fromSpki(spkiDer, what));
    } catch (err) {
      throw new TlogError({
        code: 'TLOG_KEY_INVALID',
        cause: err,
        message: `${(err as Error).message}; Rekor v1 logs sign with ECDSA P-256, check the key file`,
      });
    }
  }

  /**
   * Verifies an ASN.1 DER ECDSA P-256 signature over SHA-256(data). Never throws: a signature
   * Node cannot parse is simply not valid.
   */
  verify(data: Uint8Array, signatureDer: Uint8Array): boolean {
    return this.#key.verify(data, signatureDer, 'der');
  }

  /** Public material only. */
  toJSON(): { logId: string } {
    return { logId: this.logId };
  }
}

/** Trusted logs by lowercase hex log ID. */
export type LogKeyring = ReadonlyMap<string, LogPublicKey>;

/** Builds a keyring from keys (duplicates collapse to one entry). */
export function createLogKeyring(keys: Iterable<LogPublicKey>): LogKeyring {
  return new Map([...keys].map((k) => [k.logId, k] as const));
}

/**
 * Builds a keyring from PEM files named by log ID (the TUF `tlog/<logID>.pem` layout), refusing
 * a file whose name is not the ID of the key inside it.
 * @throws TlogError TLOG_KEY_INVALID
 */
export function logKeyringFromPems(byLogId: Readonly<Record<string, string>>): LogKeyring {
  const keys: LogPublicKey[] = [];
  for (const [name, pem] of Object.entries(byLogId)) {
    if (!LOG_ID.test(name)) {
      throw new TlogError({
        code: 'TLOG_KEY_INVALID',
        message: `log key "${name.slice(0, 80)}": the name must be the 64-hex-character log ID`,
      });
    }
    const key = LogPublicKey.fromPem(pem, `log key ${name}`);
    if (key.logId !== name) {
      throw new TlogError({
        code: 'TLOG_KEY_INVALID',
        message: `log key ${name}: the key inside has log ID ${key.logId}; rename the file or replace the key`,
      });
    }
    keys.push(key);
  }
  return createLogKeyring(keys);
}
