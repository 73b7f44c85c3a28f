/**
 * PEM exactly as Go's `encoding/pem` writes it (64-character lines, no headers), because
 * Rekor re-encodes certificates that way when it canonicalises a hashedrekord; and a strict
 * reader for one block of an expected label.
 */
import { b64Decode, b64Encode } from '../core/b64.js';
import { TlogError, type TlogErrorCode } from './errors.js';

/** Encodes DER as one PEM block (`-----BEGIN <label>-----`, 64-char lines, final newline). */
export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = b64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * Decodes exactly one PEM block with `label`: no headers, no text around it, canonical base64.
 * @param code - the error code to throw (the caller knows what the PEM was meant to be)
 * @throws TlogError with `code`
 */
export function pemDecode(text: string, label: string, what: string, code: TlogErrorCode, maxBytes: number): Buffer {
  if (text.length > Math.ceil(maxBytes / 3) * 4 * 1.1 + 200) {
    throw new TlogError({ code, message: `${what}: PEM is larger than the ${maxBytes}-byte limit` });
  }
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  if (lines.length < 3 || lines[0] !== begin || lines[lines.length - 1] !== end) {
    throw new TlogError({ code, message: `${what}: expected exactly one PEM "${label}" block and nothing else` });
  }
  const body = lines.slice(1, -1);
  if (body.some((l) => l.length === 0 || l.length > 76)) {
    throw new TlogError({
      code,
      message: `${what}: PEM "${label}" block has empty or over-long lines (headers are not accepted)`,
    });
  }
  try {
    const der = b64Decode(body.join(''), `${what} (PEM body)`);
    if (der.length > maxBytes)
      throw new TlogError({ code, message: `${what}: ${der.length} bytes exceed the ${maxBytes}-byte limit` });
    return der;
  } catch (err) {
    if (err instanceof TlogError) throw err;
    throw new TlogError({ code, cause: err, message: `${what}: PEM "${label}" body is not canonical base64` });
  }
}
