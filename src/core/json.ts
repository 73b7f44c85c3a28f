/**
 * Parsing JSON from untrusted bytes, the one way every parser does it: capped (past the cap is an
 * error, never a truncation), strict UTF-8 (invalid bytes are an error, not U+FFFD) and with a
 * byte-order mark refused rather than skipped (JSON text never starts with one, RFC 8259 §8.1).
 */
import { CoreError } from './errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses `bytes` as one JSON text.
 * @param bytes - the document exactly as read
 * @param maxBytes - the named cap for this kind of document (default: none, for bytes already capped on read)
 * @param what - names the document in messages
 * @returns whatever `JSON.parse` returns; shape checks are the caller's
 * @throws CoreError CORE_TOO_LARGE (over `maxBytes`) | CORE_JSON_INVALID (not UTF-8, or not JSON)
 */
export function parseJsonStrict(bytes: Uint8Array, maxBytes = Number.POSITIVE_INFINITY, what = 'document'): unknown {
  if (bytes.length > maxBytes) {
    throw new CoreError({
      code: 'CORE_TOO_LARGE',
      message: `${what} is ${bytes.length} bytes, over the ${maxBytes}-byte limit`,
    });
  }
  try {
    return JSON.parse(UTF8.decode(bytes)) as unknown;
  } catch (err) {
    throw new CoreError({
      code: 'CORE_JSON_INVALID',
      cause: err,
      message: `${what} is not UTF-8 JSON (${(err as Error).message})`,
    });
  }
}
