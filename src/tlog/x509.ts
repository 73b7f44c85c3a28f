/**
 * The self-signed X.509 certificate that carries a PK token into the transparency log, in the
 * layout of openpubkey's `cert.CreateX509Cert` (Go `x509.CreateCertificate` with that template):
 * serial 1, subject = issuer = CN=<sub>, validity now..+1 year, SPKI = the ephemeral key, and
 * extensions in Go's order — KeyUsage digitalSignature (critical), ExtKeyUsage codeSigning,
 * BasicConstraints CA:false (critical), SubjectKeyIdentifier = the whole PK token JSON,
 * SubjectAltName DNS:<sub>, and 1.3.6.1.4.1.57264.1.1 (Fulcio's OIDC issuer, v1) = raw issuer
 * bytes. Log monitors read who signed from it; our verifier reads the PK token back from the SKI.
 */
import { P256PublicKey } from '../core/ecdsa-p256.js';
import { MAX_CERTIFICATE_BYTES, MAX_PK_TOKEN_BYTES } from '../core/limits.js';
import {
  TAG,
  contextTag,
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derInteger,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derTime,
  derUtf8String,
  expectTag,
  isPrintableString,
  parseDer,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  readString,
  readTime,
  type DerNode,
} from './der.js';
import { TlogError } from './errors.js';
import { pemDecode, pemEncode } from './pem.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  /** Fulcio "OIDC issuer" (v1): the extension value is the raw issuer string, not DER. */
  oidcIssuerV1: '1.3.6.1.4.1.57264.1.1',
} as const;

const VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
const SAN_DNS_TAG = contextTag(2, false);

/** What can sign the certificate: `EphemeralKey` (src/identity/ephemeral-key.ts) fits. */
export interface CertificateSigner {
  /** DER SubjectPublicKeyInfo of the signing key (ECDSA P-256). */
  readonly spkiDer: Uint8Array;
  /** ECDSA P-256 over SHA-256(data), ASN.1 DER. */
  signDer(data: Uint8Array): Uint8Array;
}

/** Inputs of {@link createPkTokenCertificate}. */
export interface PkTokenCertificateOptions {
  key: CertificateSigner;
  /** The PK token JSON bytes exactly as carried in the envelope (`ext.pkt` decoded). */
  pkTokenJson: Uint8Array;
  /** The ID token's `sub`. */
  subject: string;
  /** The ID token's `iss`. */
  issuer: string;
  /** Start of validity (defaults to the current time); truncated to whole seconds. */
  now?: Date;
}

/** A certificate in both encodings. */
export interface EncodedCertificate {
  der: Buffer;
  /** Go-style PEM (what Rekor stores after canonicalisation). */
  pem: string;
}

/**
 * Makes the openpubkey-layout self-signed certificate for the ephemeral key and PK token.
 * @throws TlogError TLOG_CERT_INVALID (unusable subject/issuer/key, oversized token) | TLOG_CERT_SIGNATURE_INVALID (the key did not sign as its SPKI says)
 */
export function createPkTokenCertificate(options: PkTokenCertificateOptions): EncodedCertificate {
  const { key, pkTokenJson, subject, issuer } = options;
  checkCertificateInputs(options);
  const publicKey = publicKeyOf(key.spkiDer, 'certificate key');
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const name = derSequence(derSet(derSequence(derOid(OID.commonName), directoryString(subject))));
  const sigAlg = derSequence(derOid(OID.ecdsaWithSha256));
  const tbs = derSequence(
    derExplicit(0, derInteger(2n)),
    derInteger(1n),
    sigAlg,
    name,
    derSequence(derTime(now), derTime(new Date(now.getTime() + VALIDITY_MS))),
    name,
    Buffer.from(key.spkiDer),
    derExplicit(3, derSequence(...extensions(pkTokenJson, subject, issuer))),
  );
  const der = derSequence(tbs, sigAlg, derBitString(key.signDer(tbs)));
  // Check what we made: a signer whose signDer does not match its spkiDer must fail here, not in a verifier.
  if (!publicKey.verify(tbs, readSignature(der), 'der')) {
    throw new TlogError({
      code: 'TLOG_CERT_SIGNATURE_INVALID',
      message: 'PK token certificate: the signing key does not match its public key; use one EphemeralKey for both',
    });
  }
  return { der, pem: pemEncode(der, 'CERTIFICATE') };
}

function checkCertificateInputs({ pkTokenJson, subject, issuer, now }: PkTokenCertificateOptions): void {
  const bad = (message: string): TlogError =>
    new TlogError({ code: 'TLOG_CERT_INVALID', message: `PK token certificate: ${message}` });
  const year = now?.getUTCFullYear();
  if (year !== undefined && !(year >= 1950 && year <= 9998))
    throw bad('the validity start must be a real date between 1950 and 9998');
  if (pkTokenJson.length === 0 || pkTokenJson.length > MAX_PK_TOKEN_BYTES)
    throw bad(`PK token of ${pkTokenJson.length} bytes is empty or over the ${MAX_PK_TOKEN_BYTES}-byte limit`);
  // Go's x509 refuses a DNS SAN that is not IA5; openpubkey would fail the same way.
  if (subject.length === 0 || !/^[\x21-\x7e]+$/.test(subject))
    throw bad('the token subject must be non-empty printable ASCII to be a CN and DNS SAN');
  if (issuer.length === 0 || issuer.length > 1024)
    throw bad('the token issuer must be a non-empty string of at most 1024 characters');
}

/** Go's asn1 writes a string as PrintableString when it can, else UTF8String. */
function directoryString(s: string): Buffer {
  return isPrintableString(s) ? derPrintableString(s) : derUtf8String(s);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value));
}

function extensions(pkTokenJson: Uint8Array, subject: string, issuer: string): Buffer[] {
  return [
    // digitalSignature is bit 0: one byte 0x80 with 7 unused bits, as Go encodes it.
    extension(OID.keyUsage, true, derBitString(Buffer.from([0x80]), 7)),
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.codeSigning))),
    // cA FALSE is the DEFAULT, so DER omits it: an empty SEQUENCE.
    extension(OID.basicConstraints, true, derSequence()),
    extension(OID.subjectKeyIdentifier, false, derOctetString(pkTokenJson)),
    extension(OID.subjectAltName, false, derSequence(derIa5String(subject, SAN_DNS_TAG))),
    extension(OID.oidcIssuerV1, false, Buffer.from(issuer, 'utf8')),
  ];
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/** What a verifier needs from a PK token certificate. */
export interface PkTokenCertificate {
  /** The certificate DER exactly as given. */
  der: Buffer;
  /** DER SubjectPublicKeyInfo (ECDSA P-256). */
  spkiDer: Buffer;
  /** The SubjectKeyIdentifier bytes: the PK token JSON. */
  pkTokenJson: Buffer;
  /** The subject CN (the token's `sub`). */
  subject: string;
  /** The 1.3.6.1.4.1.57264.1.1 extension (the token's `iss`). */
  issuerExt: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Parses a PK token certificate (PEM or DER) and checks that it is self-signed by its own key.
 * @throws TlogError TLOG_CERT_INVALID | TLOG_DER_INVALID | TLOG_CERT_SIGNATURE_INVALID
 */
export function parsePkTokenCertificate(input: string | Uint8Array, what = 'PK token certificate'): PkTokenCertificate {
  const der =
    typeof input === 'string'
      ? pemDecode(input, 'CERTIFICATE', what, 'TLOG_CERT_INVALID', MAX_CERTIFICATE_BYTES)
      : Buffer.from(input);
  if (der.length > MAX_CERTIFICATE_BYTES)
    throw certError(what, `${der.length} bytes exceed the ${MAX_CERTIFICATE_BYTES}-byte limit`);
  const cert = parseDer(der, what);
  const [tbs, sigAlg, sigValue] = childrenOf(cert, TAG.SEQUENCE, 3, what, 'Certificate');
  checkSignatureAlgorithm(sigAlg!, what);
  const tbsFields = parseTbs(tbs!, what);
  const key = publicKeyOf(tbsFields.spkiDer, what);
  const signature = readBitString(expectTag(sigValue, TAG.BIT_STRING, what, 'signatureValue'), what);
  if (signature.unusedBits !== 0 || !key.verify(tbs!.raw, signature.bytes, 'der')) {
    throw new TlogError({
      code: 'TLOG_CERT_SIGNATURE_INVALID',
      message: `${what}: not signed by its own key; the certificate was altered`,
    });
  }
  return { der, ...tbsFields };
}

function parseTbs(tbs: DerNode, what: string): Omit<PkTokenCertificate, 'der'> {
  const f = expectTag(tbs, TAG.SEQUENCE, what, 'tbsCertificate').children;
  if (f.length !== 8)
    throw certError(what, `tbsCertificate has ${f.length} fields, expected 8 (v3 with extensions, no unique IDs)`);
  const version = expectTag(f[0], contextTag(0, true), what, 'version');
  if (
    version.children.length !== 1 ||
    readInteger(expectTag(version.children[0], TAG.INTEGER, what, 'version'), what) !== 2n
  ) {
    throw certError(what, 'not an X.509 v3 certificate');
  }
  readInteger(expectTag(f[1], TAG.INTEGER, what, 'serialNumber'), what);
  checkSignatureAlgorithm(f[2]!, what);
  const issuerName = commonNameOf(f[3]!, what, 'issuer');
  const [notBefore, notAfter] = childrenOf(f[4]!, TAG.SEQUENCE, 2, what, 'validity').map((t) => readTime(t, what)) as [
    Date,
    Date,
  ];
  const subject = commonNameOf(f[5]!, what, 'subject');
  if (issuerName !== subject) throw certError(what, 'issuer and subject differ; it is not self-signed');
  const spkiDer = Buffer.from(expectTag(f[6], TAG.SEQUENCE, what, 'subjectPublicKeyInfo').raw);
  const extensionsNode = expectTag(f[7], contextTag(3, true), what, 'extensions');
  if (extensionsNode.children.length !== 1) throw certError(what, 'extensions must be one SEQUENCE');
  const ext = readExtensions(extensionsNode.children[0]!, what);
  const ski = ext.get(OID.subjectKeyIdentifier);
  const iss = ext.get(OID.oidcIssuerV1);
  if (!ski) throw certError(what, 'no SubjectKeyIdentifier (the PK token)');
  if (!iss) throw certError(what, `no ${OID.oidcIssuerV1} extension (the token issuer)`);
  const pkTokenJson = Buffer.from(
    expectTag(parseDer(ski.value, `${what} SubjectKeyIdentifier`), TAG.OCTET_STRING, what, 'SubjectKeyIdentifier')
      .value,
  );
  if (pkTokenJson.length === 0) throw certError(what, 'SubjectKeyIdentifier is empty');
  checkSan(ext.get(OID.subjectAltName)?.value, subject, what);
  let issuerExt: string;
  try {
    issuerExt = new TextDecoder('utf-8', { fatal: true }).decode(iss.value);
  } catch (err) {
    throw new TlogError({ code: 'TLOG_CERT_INVALID', cause: err, message: `${what}: issuer extension is not UTF-8` });
  }
  return { spkiDer, pkTokenJson, subject, issuerExt, notBefore, notAfter };
}

interface Extension {
  critical: boolean;
  value: Buffer;
}

const UNDERSTOOD = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.extKeyUsage,
  OID.oidcIssuerV1,
]);

function readExtensions(seq: DerNode, what: string): Map<string, Extension> {
  const out = new Map<string, Extension>();
  for (const e of expectTag(seq, TAG.SEQUENCE, what, 'extensions').children) {
    const parts = expectTag(e, TAG.SEQUENCE, what, 'extension').children;
    if (parts.length !== 2 && parts.length !== 3) throw certError(what, 'an extension has the wrong number of fields');
    const oid = readOid(expectTag(parts[0], TAG.OID, what, 'extnID'), what);
    const critical = parts.length === 3 ? readBoolean(expectTag(parts[1], TAG.BOOLEAN, what, 'critical'), what) : false;
    // DER omits DEFAULT values: an explicit FALSE is not DER.
    if (parts.length === 3 && !critical)
      throw certError(what, `extension ${oid} encodes critical FALSE explicitly (not DER)`);
    const value = Buffer.from(expectTag(parts[parts.length - 1], TAG.OCTET_STRING, what, 'extnValue').value);
    if (out.has(oid)) throw certError(what, `extension ${oid} appears twice`);
    if (critical && !UNDERSTOOD.has(oid)) throw certError(what, `unknown critical extension ${oid}`);
    out.set(oid, { critical, value });
  }
  return out;
}

function checkSan(value: Buffer | undefined, subject: string, what: string): void {
  if (!value) throw certError(what, 'no SubjectAltName');
  const names = expectTag(parseDer(value, `${what} SubjectAltName`), TAG.SEQUENCE, what, 'SubjectAltName').children;
  const dns = names.filter((n) => n.tag === SAN_DNS_TAG).map((n) => readString(n, what, 'dNSName'));
  if (dns.length !== 1 || dns[0] !== subject)
    throw certError(what, 'the DNS SubjectAltName must be exactly the subject CN (the token `sub`)');
}

function commonNameOf(name: DerNode, what: string, field: string): string {
  const rdns = expectTag(name, TAG.SEQUENCE, what, field).children;
  const attrs = rdns.length === 1 ? expectTag(rdns[0], TAG.SET, what, field).children : [];
  if (attrs.length !== 1) throw certError(what, `${field} must be a single CN`);
  const [type, value] = childrenOf(attrs[0]!, TAG.SEQUENCE, 2, what, field);
  if (readOid(expectTag(type, TAG.OID, what, field), what) !== OID.commonName)
    throw certError(what, `${field} must be a single CN`);
  return readString(value!, what, `${field} CN`);
}

function checkSignatureAlgorithm(node: DerNode, what: string): void {
  const parts = expectTag(node, TAG.SEQUENCE, what, 'signatureAlgorithm').children;
  if (
    parts.length !== 1 ||
    readOid(expectTag(parts[0], TAG.OID, what, 'signatureAlgorithm'), what) !== OID.ecdsaWithSha256
  ) {
    throw certError(what, 'signature algorithm is not ecdsa-with-SHA256 without parameters');
  }
}

function childrenOf(node: DerNode, tag: number, count: number, what: string, field: string): DerNode[] {
  const children = expectTag(node, tag, what, field).children;
  if (children.length !== count) throw certError(what, `${field} has ${children.length} fields, expected ${count}`);
  return children;
}

/** Imports the certificate's key: ECDSA P-256 in the uncompressed form only (the ES256 ephemeral key). */
function publicKeyOf(spkiDer: Uint8Array, what: string): P256PublicKey {
  try {
    return P256PublicKey.fromSpki(spkiDer, `${what}: public key`);
  } catch (err) {
    throw new TlogError({
      code: 'TLOG_CERT_INVALID',
      cause: err,
      message: `${(err as Error).message} (the ES256 ephemeral key)`,
    });
  }
}

function readSignature(certDer: Buffer): Buffer {
  return readBitString(parseDer(certDer, 'new certificate').children[2]!, 'new certificate').bytes;
}

function certError(what: string, fault: string): TlogError {
  return new TlogError({
    code: 'TLOG_CERT_INVALID',
    message: `${what}: ${fault}; it is not an openpubkey PK token certificate`,
  });
}
