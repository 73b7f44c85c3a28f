/**
 * Checkpoints: the log's signed tree head as a signed note (transparency-dev `formats/log`,
 * Rekor `pkg/util/checkpoint.go` and `signed_note.go`):
 *
 *     <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n…]\n
 *     — <signer name> <base64(4-byte key hint ‖ DER signature)>\n…
 *
 * The signature covers the note text up to and including the newline before the blank line.
 * Rekor signs with ECDSA P-256 over SHA-256 of that text; the key hint is the first four bytes
 * of SHA-256 of the signer's SPKI DER, i.e. of the log ID. Signer names are compared as
 * literal strings only.
 */
import { b64Decode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_LINES } from '../core/limits.js';
import { TlogError } from './errors.js';
import type { LogPublicKey } from './keys.js';

/** One signature line. */
export interface CheckpointSignature {
  name: string;
  keyHint: Buffer;
  signature: Buffer;
}

/** A parsed (not yet verified) checkpoint. */
export interface SignedCheckpoint {
  /** The signed text, ending with its last newline. */
  note: string;
  origin: string;
  size: bigint;
  rootHash: Buffer;
  /** Lines after the root hash (Rekor v1 has used `Timestamp: <ns>`). */
  extensions: string[];
  signatures: CheckpointSignature[];
}

const EM_DASH_SPACE = '\u2014 ';
const MAX_UINT64 = (1n << 64n) - 1n;
const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;
// Control characters other than newline have no place in a note (and `\r` would let two
// readers split lines differently).
const FORBIDDEN =
  /[\u0000-\u0009\u000b-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses a signed checkpoint, bounded and strict (canonical base64, decimal size without
 * leading zeros, exactly one blank line, every signature line well formed).
 * @throws TlogError TLOG_CHECKPOINT_INVALID
 */
export function parseCheckpoint(text: string, what = 'checkpoint'): SignedCheckpoint {
  if (Buffer.byteLength(text, 'utf8') > MAX_CHECKPOINT_BYTES)
    throw cpError(what, `larger than ${MAX_CHECKPOINT_BYTES} bytes`);
  if (FORBIDDEN.test(text)) throw cpError(what, 'contains control characters or invalid Unicode');
  const split = text.indexOf('\n\n');
  if (split < 0 || text.lastIndexOf('\n\n') !== split)
    throw cpError(what, 'needs exactly one blank line between the note and its signatures');
  const note = text.slice(0, split + 1);
  const sigBlock = text.slice(split + 2);
  if (!sigBlock.endsWith('\n')) throw cpError(what, 'signature block must end with a newline');
  const lines = note.slice(0, -1).split('\n');
  const sigLines = sigBlock.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw cpError(what, `has ${lines.length} note line(s); origin, tree size and root hash are required`);
  if (lines.length + sigLines.length > MAX_CHECKPOINT_LINES)
    throw cpError(what, `has more than ${MAX_CHECKPOINT_LINES} lines`);
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) throw cpError(what, 'origin line is empty');
  if (!DECIMAL.test(sizeText) || BigInt(sizeText) > MAX_UINT64)
    throw cpError(what, 'tree size is not a decimal 64-bit number without leading zeros');
  const rootHash = decodeB64(rootText, what, 'root hash');
  if (rootHash.length !== 32) throw cpError(what, `root hash has ${rootHash.length} bytes, expected 32`);
  return {
    note,
    origin,
    size: BigInt(sizeText),
    rootHash,
    extensions: lines.slice(3),
    signatures: sigLines.map((l) => parseSignatureLine(l, what)),
  };
}

function parseSignatureLine(line: string, what: string): CheckpointSignature {
  if (!line.startsWith(EM_DASH_SPACE)) throw cpError(what, 'a signature line does not start with "— "');
  const parts = line.slice(EM_DASH_SPACE.length).split(' ');
  if (parts.length !== 2 || parts[0]!.length === 0 || parts[0]!.includes('+'))
    throw cpError(what, 'a signature line is not "— <name> <base64>"');
  const bytes = decodeB64(parts[1]!, what, 'signature');
  if (bytes.length < 5) throw cpError(what, 'a signature is shorter than its 4-byte key hint plus one byte');
  return { name: parts[0]!, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
}

/**
 * Verifies that at least one signature line was made by `key` (matched by key hint; lines of
 * other signers, such as witnesses, are ignored). With `signerName`, the line's name must equal
 * it exactly.
 * @throws TlogError TLOG_CHECKPOINT_SIGNATURE_INVALID
 */
export function verifyCheckpointSignature(
  checkpoint: SignedCheckpoint,
  key: LogPublicKey,
  signerName?: string,
  what = 'checkpoint',
): void {
  const note = Buffer.from(checkpoint.note, 'utf8');
  const candidates = checkpoint.signatures.filter(
    (s) => bytesEqual(s.keyHint, key.keyHint) && (signerName === undefined || s.name === signerName),
  );
  if (candidates.length === 0) {
    throw new TlogError({
      code: 'TLOG_CHECKPOINT_SIGNATURE_INVALID',
      message: `${what} of "${checkpoint.origin.slice(0, 100)}": no signature line for log key ${key.logId}; the checkpoint is from another log`,
    });
  }
  if (!candidates.some((s) => key.verify(note, s.signature))) {
    throw new TlogError({
      code: 'TLOG_CHECKPOINT_SIGNATURE_INVALID',
      message: `${what} of "${checkpoint.origin.slice(0, 100)}": the signature by log key ${key.logId} does not verify; the checkpoint was altered`,
    });
  }
}

const TIMESTAMP_LINE = /^Timestamp: (0|[1-9][0-9]{0,19})$/;

/**
 * The `Timestamp: <nanoseconds>` extension line Rekor v1 has written into checkpoints, in whole
 * seconds. Once the checkpoint's signature verified, it is a signed upper bound on when every
 * entry in the tree was logged; it is not the entry's integrated time (docs/time.md).
 * @returns the seconds, or undefined when the checkpoint has no such line
 * @throws TlogError TLOG_CHECKPOINT_INVALID for a malformed or repeated Timestamp line
 */
export function checkpointTimestamp(checkpoint: SignedCheckpoint, what = 'checkpoint'): number | undefined {
  const lines = checkpoint.extensions.filter((l) => l.startsWith('Timestamp:'));
  if (lines.length === 0) return undefined;
  const m = lines.length === 1 ? TIMESTAMP_LINE.exec(lines[0]!) : null;
  const ns = m ? BigInt(m[1]!) : -1n;
  if (ns < 0n || ns > MAX_UINT64) throw cpError(what, 'has a malformed or repeated "Timestamp: <nanoseconds>" line');
  return Number(ns / 1_000_000_000n);
}

function decodeB64(s: string, what: string, field: string): Buffer {
  try {
    return b64Decode(s, `${what} ${field}`);
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_CHECKPOINT_INVALID',
      cause: err,
      message: `${what}: ${field} is not canonical standard base64`,
    });
  }
}

function cpError(what: string, fault: string): TlogError {
  return new TlogError({
    code: 'TLOG_CHECKPOINT_INVALID',
    message: `${what}: ${fault}; it is not a signed checkpoint note`,
  });
}
