/**
 * Strict encodings. Node's decoders skip characters they do not know; a verifier must not,
 * so every decoder here re-encodes and compares, which also rejects non-canonical trailing bits.
 */
import { CoreError } from './errors.js';

const B64URL = /^[A-Za-z0-9_-]*$/;
const B64STD = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^[0-9a-f]*$/;

/** Encodes bytes as base64url without padding (JOSE, OpenPubkey). */
export function b64urlEncode(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Decodes base64url without padding, rejecting padding, foreign characters and
 * non-canonical trailing bits (Go's `RawURLEncoding.Strict()`).
 * @throws CoreError CORE_BASE64_INVALID
 */
export function b64urlDecode(s: string, what = 'base64url value'): Buffer {
  if (!B64URL.test(s) || s.length % 4 === 1) {
    throw new CoreError({ code: 'CORE_BASE64_INVALID', message: `${what} is not unpadded base64url` });
  }
  const buf = Buffer.from(s, 'base64url');
  if (buf.toString('base64url') !== s) {
    throw new CoreError({
      code: 'CORE_BASE64_INVALID',
      message: `${what} is not canonical base64url (non-zero trailing bits)`,
    });
  }
  return buf;
}

/** Encodes bytes as standard base64 with padding (DSSE, Rekor). */
export function b64Encode(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64');
}

/**
 * Whether `s` is padded standard base64 by its alphabet and length (not its trailing bits).
 * A flat character class plus a length check: the grouped pattern that says the same
 * (`(?:[…]{4})*(?:…==|…=)?`) costs ~10× more on the ~20 KiB bodies of log entries.
 */
export function isPaddedBase64(s: string): boolean {
  return s.length % 4 === 0 && B64STD.test(s);
}

/**
 * Decodes standard padded base64, requiring the canonical encoding.
 * @throws CoreError CORE_BASE64_INVALID
 */
export function b64Decode(s: string, what = 'base64 value'): Buffer {
  // The round trip alone rejects every non-canonical input (Node drops foreign characters and
  // takes base64url's, so the re-encoding differs); the pattern only picks the message, off the
  // hot path: a regex pass over a ~20 KiB log entry body costs more than the decode in a cold process.
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64') !== s) {
    throw new CoreError({
      code: 'CORE_BASE64_INVALID',
      message: isPaddedBase64(s) ? `${what} is not canonical standard base64` : `${what} is not padded standard base64`,
    });
  }
  return buf;
}

/** Lowercase hex. */
export function hexEncode(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/**
 * Decodes lowercase hex, optionally of an exact byte length.
 * @throws CoreError CORE_HEX_INVALID
 */
export function hexDecode(s: string, bytes?: number, what = 'hex value'): Buffer {
  if (!HEX.test(s) || s.length % 2 !== 0 || (bytes !== undefined && s.length !== bytes * 2)) {
    throw new CoreError({
      code: 'CORE_HEX_INVALID',
      message: `${what} must be ${bytes === undefined ? '' : `${bytes * 2} characters of `}lowercase hex`,
    });
  }
  return Buffer.from(s, 'hex');
}
