/**
 * The attest-owned steps of verification (docs/architecture.md, "Verification order") for one envelope, in order:
 * parse → PK token (callback into the identity part) → DSSE signature with the token's upk
 * → att/atts binding → statement and its subject. Log and policy checks follow in the
 * verifier with what this returns.
 */
import { sha256, type Digest } from '../core/digest.js';
import type { AttProof } from './binding.js';
import { verifyBinding } from './binding.js';
import {
  envelopePae,
  parseEnvelope,
  verifyEnvelopeSignature,
  type Envelope,
  type TlogEntryJson,
  type UpkJwk,
} from './dsse.js';
import { parseStatement, requireSubject, type Statement } from './intoto.js';

/** The least a verified PK token must expose to this step. */
export interface EnvelopePkToken {
  /** The CIC `upk`: the ephemeral public key. */
  readonly upk: UpkJwk;
  /** The CIC protected header, carrying `att` or `atts`. */
  readonly cicClaims: Readonly<Record<string, unknown>>;
}

/** Options of `verifyAttestationEnvelope`. */
export interface VerifyAttestationOptions<T extends EnvelopePkToken> {
  /** Verifies the PK token JSON (CIC, GQ256, issuer, commitment) and throws if it is not valid. */
  readonly verifyPkToken: (pktJson: Buffer) => Promise<T>;
  /**
   * The platform manifest digest the statement must name. Omit only when the caller checks
   * the subject itself (e.g. `inspect`); a verifier must always pass it.
   */
  readonly expectedSubjectDigest?: Digest;
}

/** An envelope whose signature, PK token and binding verified. */
export interface VerifiedAttestation<T extends EnvelopePkToken> {
  readonly envelope: Envelope;
  readonly statement: Statement;
  readonly pae: Buffer;
  readonly paeSha256: Buffer;
  readonly sigDer: Buffer;
  /** The PK token JSON bytes exactly as carried (the log entry's certificate must hold these). */
  readonly pktJson: Buffer;
  /** What `verifyPkToken` returned. */
  readonly pkToken: T;
  readonly attProof?: AttProof;
  /** The transparency-log entry, still to be verified by the tlog part. */
  readonly tl?: TlogEntryJson;
}

/**
 * Verifies one attestation envelope up to (not including) its transparency-log entry.
 * @param envelopeBytes - the envelope JSON as fetched
 * @returns the verified parts, for the log and policy steps
 * @throws AttestError DSSE_* (parse, keyid, signature) | BIND_* (binding) | STMT_* (statement, subject);
 *   whatever `verifyPkToken` throws (PkTokenError PKT_*) is passed through unchanged
 */
export async function verifyAttestationEnvelope<T extends EnvelopePkToken>(
  envelopeBytes: Uint8Array,
  opts: VerifyAttestationOptions<T>,
): Promise<VerifiedAttestation<T>> {
  const envelope = parseEnvelope(envelopeBytes);
  const { pkt, attProof, tl } = envelope.signature.ext;
  const pkToken = await opts.verifyPkToken(pkt);
  verifyEnvelopeSignature(envelope, pkToken.upk);
  const paeBytes = envelopePae(envelope);
  verifyBinding(pkToken.cicClaims, paeBytes, attProof);
  const statement = parseStatement(envelope.payload);
  if (opts.expectedSubjectDigest !== undefined) requireSubject(statement, opts.expectedSubjectDigest);
  return {
    envelope,
    statement,
    pae: paeBytes,
    paeSha256: sha256(paeBytes),
    sigDer: envelope.signature.sig,
    pktJson: pkt,
    pkToken,
    ...(attProof === undefined ? {} : { attProof }),
    ...(tl === undefined ? {} : { tl }),
  };
}
