/**
 * Rekor `hashedrekord` v0.0.1 (docs/formats.md, "The log entry"), the entry kind both Rekor v1 and v2 accept:
 * `data.hash` = sha256(PAE), `signature.content` = the DSSE signature (DER ECDSA),
 * `signature.publicKey.content` = base64 of the PEM PK token certificate. This module builds the
 * proposed entry and reads a logged body back, checking it is the envelope's signature.
 */
import type { HashedRekorV001Schema } from '@sigstore/rekor-types';
import { b64Decode, b64Encode, hexEncode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { MAX_CERTIFICATE_BYTES, MAX_TLOG_RESPONSE_BYTES } from '../core/limits.js';
import { TlogError } from './errors.js';
import { parsePkTokenCertificate, type PkTokenCertificate } from './x509.js';

/** Entry kind and version we write and accept. */
export const HASHEDREKORD_KIND = 'hashedrekord';
export const HASHEDREKORD_API_VERSION = '0.0.1';

/** The proposed entry as POSTed to `/api/v1/log/entries`. */
export interface HashedRekordProposal {
  apiVersion: typeof HASHEDREKORD_API_VERSION;
  kind: typeof HASHEDREKORD_KIND;
  spec: HashedRekorV001Schema & {
    data: { hash: { algorithm: 'sha256'; value: string } };
    signature: { content: string; publicKey: { content: string } };
  };
}

/** Inputs of {@link buildHashedRekord}. */
export interface HashedRekordInput {
  /** SHA-256 of the DSSE PAE (32 bytes). */
  paeSha256: Uint8Array;
  /** The DSSE `sig`: ASN.1 DER ECDSA P-256 over SHA-256(PAE). */
  signatureDer: Uint8Array;
  /** PEM of the PK token certificate (see `createPkTokenCertificate`). */
  certificatePem: string;
}

/** What a logged entry must match: the envelope signature being verified. */
export interface ExpectedSignature {
  /** SHA-256 of the envelope's PAE. */
  paeSha256: Uint8Array;
  /** The envelope's signature bytes (DER). */
  signatureDer: Uint8Array;
  /** The PK token JSON bytes carried in the envelope (`ext.pkt` decoded). */
  pkTokenJson: Uint8Array;
  /** The ephemeral key's SPKI DER, when the caller has it (checked against the certificate key). */
  spkiDer?: Uint8Array;
}

/** A logged hashedrekord body, parsed. `raw` is the exact leaf bytes. */
export interface LoggedHashedRekord {
  raw: Buffer;
  hash: Buffer;
  signatureDer: Buffer;
  certificate: PkTokenCertificate;
}

const MAX_SIGNATURE_BYTES = 256;
/** Base64 of a PEM certificate of at most MAX_CERTIFICATE_BYTES (PEM framing and line breaks included). */
const MAX_PUBLIC_KEY_CHARS = Math.ceil(MAX_CERTIFICATE_BYTES / 3) * 4 + 4096;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Builds the proposed hashedrekord entry for one envelope signature.
 * @throws TlogError TLOG_BODY_INVALID when the hash is not 32 bytes or the signature is empty
 */
export function buildHashedRekord(input: HashedRekordInput): HashedRekordProposal {
  if (input.paeSha256.length !== 32)
    throw bodyError('proposed entry', `hash of ${input.paeSha256.length} bytes is not SHA-256`);
  if (input.signatureDer.length === 0 || input.signatureDer.length > MAX_SIGNATURE_BYTES)
    throw bodyError('proposed entry', 'signature is empty or too long');
  return {
    apiVersion: HASHEDREKORD_API_VERSION,
    kind: HASHEDREKORD_KIND,
    spec: {
      data: { hash: { algorithm: 'sha256', value: hexEncode(input.paeSha256) } },
      signature: { content: b64Encode(input.signatureDer), publicKey: { content: b64Encode(input.certificatePem) } },
    },
  };
}

/** A logged hashedrekord body read for its fields only: the certificate is not decoded. */
export interface HashedRekordFields {
  hash: Buffer;
  signatureDer: Buffer;
  /** `spec.signature.publicKey.content` as logged: base64 of a PEM certificate, not yet decoded. */
  publicKeyContent: string;
}

/**
 * Certificates parsed so far by one caller, by the body's `spec.signature.publicKey.content` as
 * logged: a signing run logs all its envelopes with one certificate, which is then parsed once.
 * Parsing depends on the bytes alone, so a memo can be shared by any calls.
 */
export type CertificateMemo = Map<string, PkTokenCertificate>;

/**
 * Parses a logged body (the bytes under the entry's base64 `body`), shape first, and parses the
 * certificate in it (self-signature checked), or takes it from `certificates` when parsed before.
 * @throws TlogError TLOG_BODY_INVALID | TLOG_CERT_INVALID | TLOG_CERT_SIGNATURE_INVALID | TLOG_DER_INVALID
 */
export function parseHashedRekordBody(
  raw: Uint8Array,
  what = 'log entry body',
  certificates?: CertificateMemo,
): LoggedHashedRekord {
  const fields = readHashedRekordFields(raw, what);
  let certificate = certificates?.get(fields.publicKeyContent);
  if (certificate === undefined) {
    certificate = parsePkTokenCertificate(hashedRekordCertificatePem(fields, what), `${what} certificate`);
    certificates?.set(fields.publicKeyContent, certificate);
  }
  return { raw: Buffer.from(raw), hash: fields.hash, signatureDer: fields.signatureDer, certificate };
}

/**
 * Reads a logged body's kind, version, hash, signature and public-key bytes, shape first, without
 * parsing the certificate: for comparing an entry with a proposal whose certificate we made
 * ourselves (byte equality then says all). Verifiers use `parseHashedRekordBody`.
 * @throws TlogError TLOG_BODY_INVALID
 */
export function readHashedRekordFields(raw: Uint8Array, what = 'log entry body'): HashedRekordFields {
  if (raw.length > MAX_TLOG_RESPONSE_BYTES)
    throw bodyError(what, `${raw.length} bytes exceed the ${MAX_TLOG_RESPONSE_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_BODY_INVALID',
      cause: err,
      message: `${what}: not JSON; the log returned a corrupt entry`,
    });
  }
  const body = field(json, [], what);
  if (
    field(body, ['kind'], what) !== HASHEDREKORD_KIND ||
    field(body, ['apiVersion'], what) !== HASHEDREKORD_API_VERSION
  ) {
    throw bodyError(
      what,
      `kind/apiVersion ${JSON.stringify(field(body, ['kind'], what))}/${JSON.stringify(field(body, ['apiVersion'], what))} is not hashedrekord/0.0.1`,
    );
  }
  const spec = field(body, ['spec'], what);
  if (field(spec, ['data', 'hash', 'algorithm'], what) !== 'sha256')
    throw bodyError(what, 'spec.data.hash.algorithm is not sha256');
  const hashHex = field(spec, ['data', 'hash', 'value'], what);
  if (typeof hashHex !== 'string' || !HEX64.test(hashHex))
    throw bodyError(what, 'spec.data.hash.value is not 64 lowercase hex characters');
  const signatureDer = b64Field(spec, ['signature', 'content'], what, MAX_SIGNATURE_BYTES);
  const publicKeyContent = field(spec, ['signature', 'publicKey', 'content'], what);
  if (
    typeof publicKeyContent !== 'string' ||
    publicKeyContent.length === 0 ||
    publicKeyContent.length > MAX_PUBLIC_KEY_CHARS
  ) {
    throw bodyError(what, 'spec.signature.publicKey.content is missing, empty or too long');
  }
  return { hash: Buffer.from(hashHex, 'hex'), signatureDer, publicKeyContent };
}

/**
 * The certificate PEM of a logged body: `spec.signature.publicKey.content`, strictly decoded.
 * @throws TlogError TLOG_BODY_INVALID
 */
export function hashedRekordCertificatePem(fields: HashedRekordFields, what = 'log entry body'): string {
  try {
    return b64Decode(fields.publicKeyContent, `${what} spec.signature.publicKey.content`).toString('utf8');
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_BODY_INVALID',
      cause: err,
      message: `${what}: spec.signature.publicKey.content is not canonical standard base64`,
    });
  }
}

/**
 * Checks that a logged body records exactly this envelope signature: same sha256(PAE), same
 * signature bytes, and a certificate carrying the same PK token (and key, when given).
 * @throws TlogError TLOG_BODY_HASH_MISMATCH | TLOG_BODY_SIGNATURE_MISMATCH | TLOG_BODY_CERT_MISMATCH
 */
export function checkHashedRekordMatches(
  logged: LoggedHashedRekord,
  expected: ExpectedSignature,
  what = 'log entry',
): void {
  if (!bytesEqual(logged.hash, expected.paeSha256)) {
    throw new TlogError({
      code: 'TLOG_BODY_HASH_MISMATCH',
      message: `${what}: logs hash ${hexEncode(logged.hash)}, but the envelope's sha256(PAE) is ${hexEncode(expected.paeSha256)}; the entry belongs to another envelope`,
    });
  }
  if (!bytesEqual(logged.signatureDer, expected.signatureDer)) {
    throw new TlogError({
      code: 'TLOG_BODY_SIGNATURE_MISMATCH',
      message: `${what}: logs a different signature than the envelope carries; the entry belongs to another signing`,
    });
  }
  if (!bytesEqual(logged.certificate.pkTokenJson, expected.pkTokenJson)) {
    throw new TlogError({
      code: 'TLOG_BODY_CERT_MISMATCH',
      message: `${what}: the logged certificate carries a different PK token than the envelope`,
    });
  }
  if (expected.spkiDer !== undefined && !bytesEqual(logged.certificate.spkiDer, expected.spkiDer)) {
    throw new TlogError({
      code: 'TLOG_BODY_CERT_MISMATCH',
      message: `${what}: the logged certificate is for a different key than the envelope's signer`,
    });
  }
}

/** Walks `path` in a JSON value, requiring objects on the way. */
function field(value: unknown, path: string[], what: string): unknown {
  let v = value;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length) return v;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw bodyError(what, `${['<body>', ...path.slice(0, i)].join('.')} is not an object`);
    v = (v as Record<string, unknown>)[path[i]!];
  }
  return v;
}

function b64Field(spec: unknown, path: string[], what: string, maxChars: number): Buffer {
  const v = field(spec, path, what);
  const name = `spec.${path.join('.')}`;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxChars)
    throw bodyError(what, `${name} is missing, empty or too long`);
  try {
    return b64Decode(v, `${what} ${name}`);
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_BODY_INVALID',
      cause: err,
      message: `${what}: ${name} is not canonical standard base64`,
    });
  }
}

function bodyError(what: string, fault: string): TlogError {
  return new TlogError({
    code: 'TLOG_BODY_INVALID',
    message: `${what}: ${fault}; it is not a hashedrekord v0.0.1 entry of an opk-attest signature`,
  });
}
