/**
 * DSSE envelopes with the OpenPubkey extension (docs/formats.md, "DSSE envelope"): the project's only
 * PAE, the exact envelope we write, a strict parser that keeps the raw payload bytes, and
 * the ECDSA P-256 signature check. A plain DSSE verifier given the ephemeral public key
 * verifies `sig`; everything OpenPubkey adds lives in `extension`.
 */
import { b64Decode, b64Encode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { MAX_ENVELOPE_BYTES, MAX_PK_TOKEN_BYTES, MAX_PROOF_HASHES, MAX_STATEMENT_BYTES } from '../core/limits.js';
import { es256Verifier, keyidOfJwk } from '../identity/ephemeral-key.js';
import type { AttProof } from './binding.js';
import { AttestError, type AttestErrorCode } from './errors.js';
import { IN_TOTO_MEDIA_TYPE } from '../core/in-toto.js';
import { Issues, isLowerHex, parseJsonBytes } from './json-shape.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/guards.js';
import { quote } from '../core/quote.js';

/** The DSSE v1 PAE prefix. */
export const DSSE_PAE_PREFIX = 'DSSEv1';
/** `extension.kind` of an OpenPubkey signature. */
export const OPK_EXTENSION_KIND = 'OPK';
/** A DER ECDSA P-256 signature: SEQUENCE of two INTEGERs of at most 33 bytes each. */
const MIN_DER_SIGNATURE_BYTES = 8;
const MAX_DER_SIGNATURE_BYTES = 72;
const FIX =
  'expected {"payloadType","payload","signatures":[{"keyid","sig","extension":{"kind":"OPK","ext":{"pkt",…}}}]} as written by opk-attest';

/** The transparency-log entry stored in `ext.tl`; its format belongs to the tlog part. */
export type TlogEntryJson = JsonObject;

/** What OpenPubkey adds to a DSSE signature. */
export interface OpkExtension {
  /** The PK token JSON bytes, exactly as carried (decoded from base64). */
  readonly pkt: Buffer;
  readonly attProof?: AttProof;
  readonly tl?: TlogEntryJson;
}

/** The single signature of one of our envelopes. */
export interface OpkSignature {
  /** Lowercase hex SHA-256 of the ephemeral key's SPKI DER. */
  readonly keyid: string;
  /** DER ECDSA P-256 over SHA-256(PAE). */
  readonly sig: Buffer;
  readonly ext: OpkExtension;
}

/** A DSSE envelope carrying one OpenPubkey signature; `payload` holds the raw statement bytes. */
export interface Envelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signature: OpkSignature;
}

/** A P-256 public JWK as a PK token's CIC carries it (`upk`). */
export interface UpkJwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly alg?: string;
  readonly x?: string;
  readonly y?: string;
}

/**
 * The DSSE pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body,
 * lengths being ASCII decimal byte counts.
 * @param payloadType - the envelope's payloadType (UTF-8)
 * @param payload - the raw payload bytes (for us: the statement bytes)
 * @returns the bytes that are signed; never throws
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`${DSSE_PAE_PREFIX} ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** The PAE an envelope's signature covers. */
export function envelopePae(envelope: Envelope): Buffer {
  return pae(envelope.payloadType, envelope.payload);
}

/**
 * An envelope of an in-toto statement with one OpenPubkey signature (no log entry unless given).
 * The inputs are the signer's own values; `serializeEnvelope` → `parseEnvelope` checks their form.
 * The envelope holds the given buffers, not copies: every envelope of a run shares the run's one
 * PK token (~8 KiB), so a fleet's envelopes cost their signatures, not a token each.
 * @returns the envelope; never throws
 */
export function buildEnvelope(parts: {
  payload: Buffer;
  keyid: string;
  sig: Buffer;
  pkt: Buffer;
  attProof?: AttProof;
  tl?: TlogEntryJson;
}): Envelope {
  const ext: OpkExtension = {
    pkt: parts.pkt,
    ...(parts.attProof === undefined ? {} : { attProof: parts.attProof }),
    ...(parts.tl === undefined ? {} : { tl: parts.tl }),
  };
  return {
    payloadType: IN_TOTO_MEDIA_TYPE,
    payload: parts.payload,
    signature: { keyid: parts.keyid, sig: parts.sig, ext },
  };
}

/** The same envelope with the transparency-log entry stored in `ext.tl` (replacing any). */
export function withTransparencyLogEntry(envelope: Envelope, tl: TlogEntryJson): Envelope {
  const { signature } = envelope;
  return { ...envelope, signature: { ...signature, ext: { ...signature.ext, tl } } };
}

/**
 * The envelope JSON, with keys in the order of docs/formats.md and no whitespace.
 * @throws AttestError DSSE_TOO_LARGE when the result would exceed what `parseEnvelope` accepts
 */
export function serializeEnvelope(envelope: Envelope): Buffer {
  const { keyid, sig, ext } = envelope.signature;
  const wireExt = {
    pkt: b64Encode(ext.pkt),
    ...(ext.attProof === undefined
      ? {}
      : { attProof: { index: ext.attProof.index, size: ext.attProof.size, hashes: [...ext.attProof.hashes] } }),
    ...(ext.tl === undefined ? {} : { tl: ext.tl }),
  };
  const out = Buffer.from(
    JSON.stringify({
      payloadType: envelope.payloadType,
      payload: b64Encode(envelope.payload),
      signatures: [{ keyid, sig: b64Encode(sig), extension: { kind: OPK_EXTENSION_KIND, ext: wireExt } }],
    }),
  );
  if (out.length > MAX_ENVELOPE_BYTES) {
    throw new AttestError({
      code: 'DSSE_TOO_LARGE',
      message: `DSSE envelope of ${out.length} bytes exceeds the ${MAX_ENVELOPE_BYTES}-byte cap; the statement is too large to sign`,
    });
  }
  return out;
}

/**
 * Parses one of our envelopes strictly: exactly the known fields, canonical base64 and hex,
 * exactly one signature of kind "OPK", every size bounded.
 * @param bytes - the envelope JSON (an OCI layer)
 * @throws AttestError DSSE_TOO_LARGE | DSSE_MALFORMED | DSSE_ENCODING_INVALID | DSSE_PAYLOAD_TYPE_INVALID |
 *   DSSE_SIGNATURE_COUNT | DSSE_EXTENSION_KIND | DSSE_EXTENSION_INVALID
 */
export function parseEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new AttestError({
      code: 'DSSE_TOO_LARGE',
      message: `DSSE envelope of ${bytes.length} bytes exceeds the ${MAX_ENVELOPE_BYTES}-byte cap; refusing to parse it`,
    });
  }
  const doc = parseJsonBytes(bytes, 'DSSE_MALFORMED', 'DSSE envelope', FIX);
  const issues = new Issues();
  if (!isJsonObject(doc)) {
    issues.add('DSSE_MALFORMED', '$', 'is not a JSON object');
    issues.throwIfAny('DSSE envelope', FIX);
  }
  const env = doc as JsonObject;
  issues.rejectUnknownKeys(env, ['payloadType', 'payload', 'signatures'], '$', 'DSSE_MALFORMED');
  if (env['payloadType'] !== IN_TOTO_MEDIA_TYPE) {
    issues.add(
      'DSSE_PAYLOAD_TYPE_INVALID',
      '$.payloadType',
      `is ${quote(env['payloadType'])}, expected "${IN_TOTO_MEDIA_TYPE}"`,
    );
  }
  const payload = readBase64(env['payload'], '$.payload', MAX_STATEMENT_BYTES, 'DSSE_MALFORMED', issues);
  const signature = readSignatures(env['signatures'], issues);
  issues.throwIfAny('DSSE envelope', FIX);
  return { payloadType: IN_TOTO_MEDIA_TYPE, payload: payload!, signature: signature! };
}

function readSignatures(v: JsonValue | undefined, issues: Issues): OpkSignature | undefined {
  if (!Array.isArray(v)) {
    issues.add('DSSE_MALFORMED', '$.signatures', 'is not an array');
    return undefined;
  }
  if (v.length !== 1) {
    // One PK token per run, one signature per envelope: copies must not count twice toward a threshold.
    issues.add('DSSE_SIGNATURE_COUNT', '$.signatures', `has ${v.length} entries, expected exactly 1`);
    return undefined;
  }
  return readSignature(v[0]!, '$.signatures[0]', issues);
}

function readSignature(v: JsonValue, path: string, issues: Issues): OpkSignature | undefined {
  if (!isJsonObject(v)) {
    issues.add('DSSE_MALFORMED', path, 'is not a JSON object');
    return undefined;
  }
  issues.rejectUnknownKeys(v, ['keyid', 'sig', 'extension'], path, 'DSSE_MALFORMED');
  const keyid = v['keyid'];
  if (!isLowerHex(keyid, 64))
    issues.add(
      typeof keyid === 'string' ? 'DSSE_ENCODING_INVALID' : 'DSSE_MALFORMED',
      `${path}.keyid`,
      'must be 64 lowercase hex characters',
    );
  const sig = readBase64(v['sig'], `${path}.sig`, MAX_DER_SIGNATURE_BYTES, 'DSSE_MALFORMED', issues);
  if (sig !== undefined && sig.length < MIN_DER_SIGNATURE_BYTES)
    issues.add('DSSE_MALFORMED', `${path}.sig`, 'is too short for a DER ECDSA signature');
  const ext = readExtension(v['extension'], `${path}.extension`, issues);
  return sig === undefined || ext === undefined ? undefined : { keyid: keyid as string, sig, ext };
}

function readExtension(v: JsonValue | undefined, path: string, issues: Issues): OpkExtension | undefined {
  if (!isJsonObject(v)) {
    issues.add(
      'DSSE_EXTENSION_INVALID',
      path,
      'is missing or not an object; an OpenPubkey signature carries its PK token there',
    );
    return undefined;
  }
  if (v['kind'] !== OPK_EXTENSION_KIND) {
    issues.add('DSSE_EXTENSION_KIND', `${path}.kind`, `is ${quote(v['kind'])}, expected "${OPK_EXTENSION_KIND}"`);
    return undefined;
  }
  issues.rejectUnknownKeys(v, ['kind', 'ext'], path, 'DSSE_EXTENSION_INVALID');
  return readOpkExt(v['ext'], `${path}.ext`, issues);
}

function readOpkExt(v: JsonValue | undefined, path: string, issues: Issues): OpkExtension | undefined {
  if (!isJsonObject(v)) {
    issues.add('DSSE_EXTENSION_INVALID', path, 'is not a JSON object');
    return undefined;
  }
  issues.rejectUnknownKeys(v, ['pkt', 'attProof', 'tl'], path, 'DSSE_EXTENSION_INVALID');
  const pkt = readBase64(v['pkt'], `${path}.pkt`, MAX_PK_TOKEN_BYTES, 'DSSE_EXTENSION_INVALID', issues);
  if (pkt !== undefined && pkt.length === 0) issues.add('DSSE_EXTENSION_INVALID', `${path}.pkt`, 'is empty');
  const attProof = v['attProof'] === undefined ? undefined : readAttProof(v['attProof'], `${path}.attProof`, issues);
  const tl = v['tl'];
  if (tl !== undefined && !isJsonObject(tl)) issues.add('DSSE_EXTENSION_INVALID', `${path}.tl`, 'is not a JSON object');
  if (pkt === undefined) return undefined;
  return { pkt, ...(attProof === undefined ? {} : { attProof }), ...(isJsonObject(tl) ? { tl } : {}) };
}

function readAttProof(v: JsonValue, path: string, issues: Issues): AttProof | undefined {
  if (!isJsonObject(v)) {
    issues.add('DSSE_EXTENSION_INVALID', path, 'is not a JSON object');
    return undefined;
  }
  issues.rejectUnknownKeys(v, ['index', 'size', 'hashes'], path, 'DSSE_EXTENSION_INVALID');
  const { index, size, hashes } = v;
  const before = issues.count;
  if (!isCount(index)) issues.add('DSSE_EXTENSION_INVALID', `${path}.index`, 'must be a non-negative safe integer');
  if (!isCount(size)) issues.add('DSSE_EXTENSION_INVALID', `${path}.size`, 'must be a non-negative safe integer');
  if (!Array.isArray(hashes) || hashes.length > MAX_PROOF_HASHES) {
    issues.add('DSSE_EXTENSION_INVALID', `${path}.hashes`, `must be an array of at most ${MAX_PROOF_HASHES} hashes`);
  } else {
    hashes.forEach((h, i) => {
      if (!isLowerHex(h, 64))
        issues.add('DSSE_EXTENSION_INVALID', `${path}.hashes[${i}]`, 'must be 64 lowercase hex characters');
    });
  }
  if (issues.count !== before) return undefined;
  return { index: index as number, size: size as number, hashes: hashes as string[] };
}

function isCount(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Decodes canonical standard base64 of at most `maxBytes` bytes, recording what is wrong. */
function readBase64(
  v: JsonValue | undefined,
  path: string,
  maxBytes: number,
  shapeCode: AttestErrorCode,
  issues: Issues,
): Buffer | undefined {
  if (typeof v !== 'string') {
    issues.add(shapeCode, path, 'must be a base64 string');
    return undefined;
  }
  if (v.length > Math.ceil(maxBytes / 3) * 4) {
    issues.add('DSSE_TOO_LARGE', path, `decodes to more than ${maxBytes} bytes`);
    return undefined;
  }
  let decoded: Buffer;
  try {
    decoded = b64Decode(v, path);
  } catch {
    // Recorded, not rethrown: every bad field of the envelope is reported together.
    issues.add('DSSE_ENCODING_INVALID', path, 'is not canonical padded standard base64');
    return undefined;
  }
  if (decoded.length <= maxBytes) return decoded;
  issues.add('DSSE_TOO_LARGE', path, `decodes to more than ${maxBytes} bytes`);
  return undefined;
}

/**
 * Checks the envelope's signature with the PK token's `upk`: the keyid must be that key's
 * and `sig` must be a DER ECDSA P-256 signature over SHA-256(PAE).
 * @param upk - the user public key from a verified PK token's CIC
 * @throws AttestError DSSE_KEY_INVALID | DSSE_KEYID_MISMATCH | DSSE_SIGNATURE_INVALID
 */
export function verifyEnvelopeSignature(envelope: Envelope, upk: UpkJwk): void {
  envelopeSignatureVerifier(upk)(envelope);
}

/**
 * `verifyEnvelopeSignature` for many envelopes of one key: the key is checked, its keyid
 * computed and the key imported once.
 * @returns a checker that throws AttestError DSSE_KEYID_MISMATCH | DSSE_SIGNATURE_INVALID
 * @throws AttestError DSSE_KEY_INVALID
 */
export function envelopeSignatureVerifier(upk: UpkJwk): (envelope: Envelope) => void {
  const keyid = keyidOfUpk(upk);
  const verify = es256Verifier(upk);
  return (envelope) => {
    if (!bytesEqual(Buffer.from(keyid), Buffer.from(envelope.signature.keyid))) {
      throw new AttestError({
        code: 'DSSE_KEYID_MISMATCH',
        message: `DSSE signature keyid ${envelope.signature.keyid} is not the PK token's key (${keyid}); the signature and the PK token do not belong together`,
      });
    }
    if (!verify(envelopePae(envelope), envelope.signature.sig, 'der')) {
      throw new AttestError({
        code: 'DSSE_SIGNATURE_INVALID',
        message: `DSSE signature by key ${keyid} does not verify over the envelope's PAE; the payload or signature was altered`,
      });
    }
  };
}

function keyidOfUpk(upk: UpkJwk): string {
  if (upk.kty !== 'EC' || upk.crv !== 'P-256' || (upk.alg !== undefined && upk.alg !== 'ES256')) {
    throw new AttestError({
      code: 'DSSE_KEY_INVALID',
      message: `PK token upk is ${quote(`${upk.kty}/${upk.crv}/${upk.alg}`)}, expected an EC P-256 ES256 key; DSSE signatures use ECDSA P-256`,
    });
  }
  try {
    return keyidOfJwk(upk);
  } catch (err) {
    throw new AttestError({
      code: 'DSSE_KEY_INVALID',
      cause: err,
      message: 'PK token upk is not a valid P-256 public key (bad coordinates); the PK token is unusable',
    });
  }
}
