/**
 * The compact JWS form (`header.payload.signature`) as OpenPubkey uses it: strict base64url
 * segments (Go's `RawURLEncoding.Strict()`), headers and payloads that are JSON objects in valid
 * UTF-8, bounded nesting. Segments are kept verbatim: every signature is checked over the
 * received bytes, never over a re-encoding.
 */
import { b64urlDecode } from '../core/b64.js';
import { CoreError } from '../core/errors.js';
import { MAX_JOSE_JSON_DEPTH, MAX_PK_TOKEN_BYTES } from '../core/limits.js';
import { PkTokenError, type PkTokenErrorCode } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/guards.js';

/** The three segments of a compact JWS, verbatim. */
export interface CompactJws {
  /** base64url of the protected header JSON. */
  readonly protected: string;
  /** base64url of the payload. */
  readonly payload: string;
  /** base64url of the signature. */
  readonly signature: string;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a compact JWS into its three segments, checking each is canonical unpadded base64url.
 * @param token - `header.payload.signature`
 * @param what - names the token in messages (e.g. `ID token`)
 * @param maxLength - cap on the token's length (default MAX_PK_TOKEN_BYTES)
 * @returns the three segments, verbatim
 * @throws PkTokenError PKT_TOO_LARGE | PKT_MALFORMED | PKT_BASE64_INVALID
 */
export function splitCompactJws(token: string, what: string, maxLength = MAX_PK_TOKEN_BYTES): CompactJws {
  if (typeof token !== 'string') {
    throw new PkTokenError({ code: 'PKT_MALFORMED', message: `${what} is not a string; pass the compact JWS text` });
  }
  if (token.length > maxLength) {
    throw new PkTokenError({
      code: 'PKT_TOO_LARGE',
      message: `${what} is ${token.length} characters, over the ${maxLength} limit`,
    });
  }
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '' || parts[2] === '') {
    throw new PkTokenError({
      code: 'PKT_MALFORMED',
      message: `${what} has ${parts.length} segments or an empty one; a compact JWS is exactly header.payload.signature`,
    });
  }
  const [protectedSeg, payload, signature] = parts as [string, string, string];
  for (const [seg, name] of [
    [protectedSeg, 'header'],
    [payload, 'payload'],
    [signature, 'signature'],
  ] as const) {
    checkB64url(seg, `${what} ${name}`);
  }
  return { protected: protectedSeg, payload, signature };
}

/**
 * Decodes strict base64url, mapping the core error to a PK token code.
 * @throws PkTokenError PKT_BASE64_INVALID
 */
export function decodeB64url(seg: string, what: string): Buffer {
  try {
    return b64urlDecode(seg, what);
  } catch (err) {
    if (err instanceof CoreError) {
      throw new PkTokenError({
        code: 'PKT_BASE64_INVALID',
        cause: err,
        message: `${err.message}; re-encode it as unpadded canonical base64url`,
      });
    }
    throw err;
  }
}

function checkB64url(seg: string, what: string): void {
  decodeB64url(seg, what);
}

/**
 * Decodes a base64url segment holding a JSON object (a JOSE header or a JWT payload).
 * @param code - the code for a segment that decodes but is not a JSON object
 * @throws PkTokenError PKT_BASE64_INVALID | `code`
 */
export function decodeJsonSegment(seg: string, what: string, code: PkTokenErrorCode = 'PKT_MALFORMED'): JsonObject {
  return parseJsonObject(decodeB64url(seg, what), what, code);
}

/**
 * Parses bytes as a JSON object: valid UTF-8, valid JSON, an object, nesting within MAX_JOSE_JSON_DEPTH.
 * @throws PkTokenError `code`
 */
export function parseJsonObject(bytes: Uint8Array, what: string, code: PkTokenErrorCode = 'PKT_MALFORMED'): JsonObject {
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch (err) {
    throw new PkTokenError({ code, cause: err, message: `${what} is not valid UTF-8` });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PkTokenError({ code, cause: err, message: `${what} is not valid JSON` });
  }
  if (!isJsonObject(value)) {
    throw new PkTokenError({ code, message: `${what} is JSON but not an object` });
  }
  if (!withinDepth(value, MAX_JOSE_JSON_DEPTH)) {
    throw new PkTokenError({ code, message: `${what} nests deeper than ${MAX_JOSE_JSON_DEPTH} levels` });
  }
  return value;
}

function withinDepth(value: JsonValue, budget: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (budget === 0) return false;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.every((c) => withinDepth(c, budget - 1));
}

/**
 * Checks the members every protected header we accept must satisfy: a string `alg`, a string
 * `typ` when present, and no `crit` or `b64` (they change how the signature must be checked,
 * and no OpenPubkey producer emits them).
 * @throws PkTokenError PKT_MALFORMED | PKT_ALG_INVALID
 */
export function checkProtectedHeader(header: JsonObject, what: string): { alg: string; typ: string | undefined } {
  const { alg, typ } = header;
  if (typeof alg !== 'string' || alg === '') {
    throw new PkTokenError({ code: 'PKT_ALG_INVALID', message: `${what} protected header has no string "alg"` });
  }
  if (typ !== undefined && typeof typ !== 'string') {
    throw new PkTokenError({ code: 'PKT_MALFORMED', message: `${what} protected header "typ" is not a string` });
  }
  for (const forbidden of ['crit', 'b64']) {
    if (forbidden in header) {
      throw new PkTokenError({
        code: 'PKT_MALFORMED',
        message: `${what} protected header carries "${forbidden}", which OpenPubkey never uses; refusing it`,
      });
    }
  }
  return { alg, typ };
}
