/** SHA-2/SHA-3 digests, OCI digest strings and constant-time comparison. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { CoreError } from './errors.js';
import { quote } from './quote.js';

/** SHA-256 of the bytes. */
export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA3-256 of the bytes (OpenPubkey commitments and PK token hashes). */
export function sha3_256(data: Uint8Array | string): Buffer {
  return createHash('sha3-256').update(data).digest();
}

/** SHAKE256 with an output of `outputLength` bytes (GQ256's question function). */
export function shake256(data: Uint8Array, outputLength: number): Buffer {
  return createHash('shake256', { outputLength }).update(data).digest();
}

/** Constant-time equality; unequal lengths are simply unequal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An OCI content digest: `sha256:` followed by 64 lowercase hex characters. */
export type Digest = `sha256:${string}`;

/** The OCI digest string of some bytes. */
export function digestOf(data: Uint8Array | string): Digest {
  return `sha256:${sha256(data).toString('hex')}`;
}

/**
 * The 64 lowercase hex characters of a digest, without `sha256:` (in-toto subjects, referrers tags).
 * @throws never (a Digest is canonical by type)
 */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** Whether `s` is a canonical sha256 OCI digest (the only algorithm we accept). */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST.test(s);
}

/**
 * Returns `s` as a Digest or throws naming `what`.
 * @throws CoreError CORE_DIGEST_INVALID
 */
export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (!isDigest(s)) {
    throw new CoreError({
      code: 'CORE_DIGEST_INVALID',
      message: `${what} ${quote(String(s), 100)} is not "sha256:" followed by 64 lowercase hex characters`,
    });
  }
  return s;
}
