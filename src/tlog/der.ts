/**
 * A minimal DER writer and a bounded DER reader: just enough ASN.1 for the openpubkey
 * self-signed certificate we put in Rekor and read back. The reader accepts only DER
 * (definite, minimal lengths; single-byte tags; canonical INTEGER, BOOLEAN, BIT STRING,
 * OID and time encodings), caps nesting, and rejects trailing bytes: a hostile log body
 * must not be able to smuggle a second reading past us.
 */
import { MAX_DER_DEPTH } from '../core/limits.js';
import { TlogError } from './errors.js';
import { quote } from '../core/quote.js';

/** Identifier octets of the universal types we use. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Identifier octet of a context-specific tag `[n]` (explicit tags are constructed).
 * @throws RangeError for n > 30 (the high-tag-number form is not supported) */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30)
    throw new RangeError(`context tag [${n}] needs the high-tag-number form`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

// ---------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------

/** One TLV with a minimal definite length. */
export function derTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** SEQUENCE of already-encoded items. */
export function derSequence(...items: Uint8Array[]): Buffer {
  return derTlv(TAG.SEQUENCE, Buffer.concat(items));
}

/** SET OF already-encoded items, sorted by encoding as DER requires. */
export function derSet(...items: Uint8Array[]): Buffer {
  const sorted = [...items].map((i) => Buffer.from(i)).sort(Buffer.compare);
  return derTlv(TAG.SET, Buffer.concat(sorted));
}

/** INTEGER in minimal two's complement. */
export function derInteger(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, v)));
    const done = v >= -128n && v <= 127n;
    v >>= 8n;
    if (done) break;
  }
  return derTlv(TAG.INTEGER, Buffer.from(bytes));
}

/** OBJECT IDENTIFIER from dotted decimal.
 * @throws RangeError for a malformed OID (a programming error: OIDs are constants) */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^(0|[1-9][0-9]*)$/.test(a)) throw new RangeError(`OID ${dotted} has a bad arc`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n))
    throw new RangeError(`OID ${dotted} is not valid`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return derTlv(TAG.OID, Buffer.from(out));
}

/** UTF8String. */
export function derUtf8String(s: string): Buffer {
  return derTlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const IA5 = /^[\x00-\x7f]*$/;

/** Whether `s` fits a PrintableString (X.680 §41.4). */
export function isPrintableString(s: string): boolean {
  return PRINTABLE.test(s);
}

/** PrintableString.
 * @throws RangeError for characters outside its repertoire */
export function derPrintableString(s: string): Buffer {
  if (!isPrintableString(s)) throw new RangeError('value is not a PrintableString');
  return derTlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
}

/** IA5String (ASCII) with the given tag (universal, or an implicit context tag).
 * @throws RangeError for non-ASCII characters */
export function derIa5String(s: string, tag: number = TAG.IA5_STRING): Buffer {
  if (!IA5.test(s)) throw new RangeError('value is not an IA5String');
  return derTlv(tag, Buffer.from(s, 'latin1'));
}

/** The RFC 5280 §4.1.2.5 time: UTCTime through 2049, GeneralizedTime after; whole seconds.
 * @throws RangeError for years before 1950 or after 9999 */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`year ${year} cannot be encoded in a certificate`);
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return year < 2050
    ? derTlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, 'latin1'))
    : derTlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'latin1'));
}

/** BIT STRING of whole bytes, or with `unusedBits` trailing zero bits in the last byte. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return derTlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** OCTET STRING. */
export function derOctetString(bytes: Uint8Array): Buffer {
  return derTlv(TAG.OCTET_STRING, bytes);
}

/** BOOLEAN (DER: 0xFF for true). */
export function derBoolean(value: boolean): Buffer {
  return derTlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

/** Explicit context tag `[n]` around one encoded item. */
export function derExplicit(n: number, item: Uint8Array): Buffer {
  return derTlv(contextTag(n, true), item);
}

// ---------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------

/** One parsed TLV. `raw` is the exact encoding (what a signature covers). */
export interface DerNode {
  tag: number;
  constructed: boolean;
  /** Content octets. */
  value: Buffer;
  /** Identifier, length and content exactly as read. */
  raw: Buffer;
  /** Parsed content of a constructed node; empty for primitive nodes. */
  children: DerNode[];
}

/**
 * Parses exactly one DER TLV covering all of `data`.
 * @param what - names the structure in error messages ("certificate in the log body")
 * @throws TlogError TLOG_DER_INVALID
 */
export function parseDer(data: Uint8Array, what: string, maxDepth = MAX_DER_DEPTH): DerNode {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const [node, end] = readNode(buf, 0, 1, maxDepth, what);
  if (end !== buf.length) throw derError(what, `${buf.length - end} trailing byte(s) after the DER structure`);
  return node;
}

function readNode(buf: Buffer, offset: number, depth: number, maxDepth: number, what: string): [DerNode, number] {
  if (depth > maxDepth) throw derError(what, `nesting deeper than ${maxDepth} levels`);
  if (offset >= buf.length) throw derError(what, 'truncated (missing tag)');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw derError(what, `high-tag-number form at byte ${offset} is not used in this format`);
  const [length, contentStart] = readLength(buf, offset + 1, what);
  const end = contentStart + length;
  if (end > buf.length) throw derError(what, `length ${length} at byte ${offset} runs past the end of the data`);
  const constructed = (tag & 0x20) !== 0;
  const children: DerNode[] = [];
  if (constructed) {
    let pos = contentStart;
    while (pos < end) {
      const [child, next] = readNode(buf.subarray(0, end), pos, depth + 1, maxDepth, what);
      children.push(child);
      pos = next;
    }
  }
  return [{ tag, constructed, value: buf.subarray(contentStart, end), raw: buf.subarray(offset, end), children }, end];
}

function readLength(buf: Buffer, offset: number, what: string): [number, number] {
  if (offset >= buf.length) throw derError(what, 'truncated (missing length)');
  const first = buf[offset]!;
  if (first < 0x80) return [first, offset + 1];
  const count = first & 0x7f;
  if (count === 0) throw derError(what, 'indefinite length is not DER');
  if (count > 4) throw derError(what, `a ${count}-byte length field is longer than any structure we accept`);
  if (offset + 1 + count > buf.length) throw derError(what, 'truncated (length field)');
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 1 + i]!;
  if (buf[offset + 1] === 0 || length < 0x80) throw derError(what, 'length is not minimally encoded (not DER)');
  return [length, offset + 1 + count];
}

function derError(what: string, fault: string): TlogError {
  return new TlogError({ code: 'TLOG_DER_INVALID', message: `${what}: ${fault}; the data is corrupt or not DER` });
}

/**
 * Returns `node` if it has `tag`, else throws naming `field`.
 * @throws TlogError TLOG_DER_INVALID
 */
export function expectTag(node: DerNode | undefined, tag: number, what: string, field: string): DerNode {
  if (node === undefined) throw derError(what, `${field} is missing`);
  if (node.tag !== tag)
    throw derError(what, `${field} has tag 0x${node.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return node;
}

/**
 * Reads a canonical (minimal two's complement) INTEGER.
 * @throws TlogError TLOG_DER_INVALID
 */
export function readInteger(node: DerNode, what: string): bigint {
  const v = node.value;
  if (v.length === 0) throw derError(what, 'empty INTEGER');
  if (v.length > 1 && ((v[0] === 0x00 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw derError(what, 'INTEGER is not minimally encoded');
  }
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return v[0]! >= 0x80 ? n - (1n << BigInt(v.length * 8)) : n;
}

/**
 * Reads an OBJECT IDENTIFIER as dotted decimal, rejecting non-minimal arcs.
 * @throws TlogError TLOG_DER_INVALID
 */
export function readOid(node: DerNode, what: string): string {
  const v = node.value;
  if (v.length === 0 || v.length > 64) throw derError(what, `OID of ${v.length} bytes`);
  if ((v[v.length - 1]! & 0x80) !== 0) throw derError(what, 'OID ends inside an arc');
  const arcs: bigint[] = [];
  let arc = 0n;
  let start = true;
  for (const b of v) {
    if (start && b === 0x80) throw derError(what, 'OID arc is not minimally encoded');
    arc = (arc << 7n) | BigInt(b & 0x7f);
    start = (b & 0x80) === 0;
    if (start) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/**
 * Reads a BIT STRING, requiring the unused bits to be zero as DER does.
 * @throws TlogError TLOG_DER_INVALID
 */
export function readBitString(node: DerNode, what: string): { bytes: Buffer; unusedBits: number } {
  const v = node.value;
  if (v.length === 0) throw derError(what, 'BIT STRING without its unused-bits octet');
  const unusedBits = v[0]!;
  const bytes = v.subarray(1);
  if (unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0))
    throw derError(what, `BIT STRING with ${unusedBits} unused bits`);
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0)
    throw derError(what, 'BIT STRING has non-zero unused bits');
  return { bytes, unusedBits };
}

/**
 * Reads a DER BOOLEAN (0x00 or 0xFF only).
 * @throws TlogError TLOG_DER_INVALID
 */
export function readBoolean(node: DerNode, what: string): boolean {
  if (node.value.length !== 1 || (node.value[0] !== 0x00 && node.value[0] !== 0xff))
    throw derError(what, 'BOOLEAN is not 0x00 or 0xFF');
  return node.value[0] === 0xff;
}

const UTC_TIME = /^([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z$/;
const GENERALIZED_TIME = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z$/;

/**
 * Reads a UTCTime or GeneralizedTime in the RFC 5280 profile (seconds, `Z`).
 * @throws TlogError TLOG_DER_INVALID
 */
export function readTime(node: DerNode, what: string): Date {
  const text = node.value.toString('latin1');
  const m =
    node.tag === TAG.UTC_TIME
      ? UTC_TIME.exec(text)
      : node.tag === TAG.GENERALIZED_TIME
        ? GENERALIZED_TIME.exec(text)
        : null;
  if (!m) throw derError(what, `time ${quote(text, 20)} is not UTCTime/GeneralizedTime in the RFC 5280 profile`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const year = node.tag === TAG.UTC_TIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    throw derError(what, `time ${text} is not a calendar time`);
  return date;
}

/**
 * Reads a character string (UTF8String, PrintableString or IA5String) and checks its repertoire.
 * @throws TlogError TLOG_DER_INVALID
 */
export function readString(node: DerNode, what: string, field: string): string {
  if (node.tag === TAG.UTF8_STRING) {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(node.value);
    } catch (err) {
      throw new TlogError({
        code: 'TLOG_DER_INVALID',
        cause: err,
        message: `${what}: ${field} is not valid UTF-8; the data is corrupt`,
      });
    }
  }
  const text = node.value.toString('latin1');
  if (node.tag === TAG.PRINTABLE_STRING && isPrintableString(text)) return text;
  if ((node.tag === TAG.IA5_STRING || (node.tag & 0xc0) === 0x80) && IA5.test(text)) return text;
  throw derError(what, `${field} is not a UTF8String, PrintableString or IA5String within its character set`);
}
