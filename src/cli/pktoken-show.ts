/**
 * Showing PK token contents on a terminal. Everything in a token is attacker-chosen text, so it
 * is printed either as plain printable ASCII or as JSON with every control, C1 and
 * bidirectional-formatting character escaped: a claim cannot move the cursor, recolour the
 * screen or reorder what the reader sees.
 */
import { decodeGqToken, GQ256, type JsonObject, type PkToken } from '../identity/index.js';
import { safeText } from './terminal-text.js';

/** Aligned `label  value` lines, each ending in a newline. */
export function fields(rows: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${indent}${`${label}:`.padEnd(width + 1)}${value}\n`).join('');
}

/** Claims holding Unix times, shown with their UTC date. */
const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf', 'auth_time']);

/** A claim's value for humans: times get their ISO date beside the number. */
export function claimText(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 1e11) {
    return `${value} (${new Date(value * 1000).toISOString()})`;
  }
  return safeText(value);
}

/** The OP signature's headers: for GQ256, the original RS256 header carried (base64url) in `kid`. */
export interface OpHeaders {
  readonly alg: string;
  /** The protected header of the OP signature, as in the token. */
  readonly header: JsonObject;
  /** GQ256 only: the OP's original header, decoded from the GQ header's `kid`. */
  readonly original: JsonObject | undefined;
  /** The OP key id: the original header's `kid` for GQ256, else the header's. */
  readonly kid: string | undefined;
  /** GQ256 only: the RFC 7638 thumbprint of the OP key, as the GQ header states it. */
  readonly jkt: string | undefined;
}

/**
 * Reads the OP signature's headers (no verification).
 * @throws PkTokenError PKT_GQ_INVALID | PKT_MALFORMED | PKT_BASE64_INVALID for a GQ256 header
 *   whose `kid` is not an encoded RS256 header
 */
export function opHeaders(pkt: PkToken): OpHeaders {
  const header = pkt.op.header;
  const alg = String(header.alg);
  if (alg !== GQ256) return { alg, header, original: undefined, kid: stringOf(header.kid), jkt: undefined };
  const original = decodeGqToken(pkt.token('op')).originalHeader;
  return { alg, header, original, kid: stringOf(original.kid), jkt: stringOf(header.jkt) };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
