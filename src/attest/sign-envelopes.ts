/**
 * The signing step of one run (docs/formats.md, "The att/atts binding"): PAEs of every statement, the att/atts claims,
 * ONE PK token for the whole run, and one ephemeral-key signature per envelope. The PK
 * token issuer is a callback so this part stays independent of the OIDC flow.
 */
import { sha256 } from '../core/digest.js';
import { MAX_PK_TOKEN_BYTES } from '../core/limits.js';
import type { EphemeralKey } from '../identity/ephemeral-key.js';
import { bindingClaims, type AttProof } from './binding.js';
import { buildEnvelope, envelopeSignatureVerifier, pae, type Envelope } from './dsse.js';
import { AttestError } from './errors.js';
import { parseStatement, type Statement } from './intoto.js';
import { IN_TOTO_MEDIA_TYPE } from '../core/in-toto.js';

/** Issues the run's PK token with these CIC extra claims; resolves to the PK token JSON bytes. */
export type IssuePkToken = (extraClaims: Readonly<Record<string, string>>) => Promise<Buffer>;

/** Inputs of one signing run. */
export interface SignEnvelopesOptions {
  /** The original statement bytes, in signing order (never re-serialised). */
  readonly statements: readonly Uint8Array[];
  /** The run's ephemeral key; it must be the key the issuer puts in the CIC `upk`. */
  readonly key: EphemeralKey;
  readonly issuePkToken: IssuePkToken;
}

/** One signed envelope and what the transparency-log step needs to log it. */
export interface SignedEnvelope {
  /** The envelope without a log entry; add one with `withTransparencyLogEntry`. */
  readonly envelope: Envelope;
  readonly statement: Statement;
  readonly pae: Buffer;
  readonly paeSha256: Buffer;
  readonly sigDer: Buffer;
  readonly attProof?: AttProof;
}

/**
 * Signs the statements of one run with one PK token (one OIDC round trip).
 * @returns one signed envelope per statement, in the given order
 * @throws AttestError STMT_* (a statement does not parse) | BIND_RUN_EMPTY | DSSE_EXTENSION_INVALID |
 *   DSSE_TOO_LARGE (unusable PK token) | DSSE_SIGNATURE_INVALID (the key did not produce a valid signature);
 *   whatever `issuePkToken` throws is passed through unchanged
 */
export async function signEnvelopes(opts: SignEnvelopesOptions): Promise<SignedEnvelope[]> {
  // Parse first: refuse garbage before spending the run's only OIDC round trip.
  const statements = opts.statements.map((s) => parseStatement(s));
  const paes = statements.map((s) => pae(IN_TOTO_MEDIA_TYPE, s.raw));
  const binding = bindingClaims(paes);
  const pkt = checkPkToken(await opts.issuePkToken(binding.claims));
  // The self-check's key is imported once for the run, not once per envelope.
  const selfCheck = envelopeSignatureVerifier(opts.key.publicJwk);
  return statements.map((statement, i) => signOne(opts.key, selfCheck, statement, paes[i]!, pkt, binding.proofs[i]));
}

function signOne(
  key: EphemeralKey,
  selfCheck: (e: Envelope) => void,
  statement: Statement,
  paeBytes: Buffer,
  pkt: Buffer,
  attProof: AttProof | undefined,
): SignedEnvelope {
  const sigDer = key.signDer(paeBytes);
  const envelope = buildEnvelope({
    payload: statement.raw,
    keyid: key.keyid,
    sig: sigDer,
    pkt,
    ...(attProof === undefined ? {} : { attProof }),
  });
  // Verify what we produced before it leaves the process (a faulty signature must never be published).
  selfCheck(envelope);
  return {
    envelope,
    statement,
    pae: paeBytes,
    paeSha256: sha256(paeBytes),
    sigDer,
    ...(attProof === undefined ? {} : { attProof }),
  };
}

function checkPkToken(pkt: unknown): Buffer {
  if (!Buffer.isBuffer(pkt) || pkt.length === 0) {
    throw new AttestError({
      code: 'DSSE_EXTENSION_INVALID',
      message: 'the PK token issuer returned no PK token bytes; check the OIDC provider configuration',
    });
  }
  if (pkt.length > MAX_PK_TOKEN_BYTES) {
    throw new AttestError({
      code: 'DSSE_TOO_LARGE',
      message: `the PK token issuer returned ${pkt.length} bytes, over the ${MAX_PK_TOKEN_BYTES}-byte cap verifiers enforce`,
    });
  }
  return pkt;
}
