/**
 * The binding of one PK token to the envelopes of one signing run (docs/formats.md, "The att/atts binding"):
 * CIC extra claim `att` = hex sha256(PAE) for one envelope, or `atts` = hex RFC 6962 root
 * over the raw 32-byte sha256(PAE_i) of n > 1 envelopes, each envelope carrying its
 * inclusion proof. A leaked ephemeral key therefore cannot sign anything beyond the run.
 */
import { hexDecode } from '../core/b64.js';
import { bytesEqual, sha256 } from '../core/digest.js';
import { inclusionProofs, leafHash, merkleRoot, rootFromInclusionProof } from '../core/merkle.js';
import { AttestError, type BindingErrorCode } from './errors.js';

/** CIC extra claim binding a single envelope (as openpubkey's signed-attestation uses it). */
export const ATT_CLAIM = 'att';
/** CIC extra claim binding several envelopes through a Merkle root. */
export const ATTS_CLAIM = 'atts';

/** An RFC 9162 inclusion proof of one envelope's sha256(PAE) under the `atts` root. */
export interface AttProof {
  readonly index: number;
  readonly size: number;
  /** Lowercase hex sibling hashes, leaf to root. */
  readonly hashes: readonly string[];
}

/** The CIC claims for a run and, per envelope in signing order, its proof (none with `att`). */
export interface RunBinding {
  readonly claims: { readonly att: string } | { readonly atts: string };
  readonly proofs: readonly (AttProof | undefined)[];
}

/**
 * Computes the CIC binding claims of a run from its PAEs in signing order.
 * @param paes - the DSSE PAE of every envelope of the run, in signing order
 * @returns `{att}` and no proofs for one PAE; `{atts}` and one proof per PAE otherwise
 * @throws AttestError BIND_RUN_EMPTY
 */
export function bindingClaims(paes: readonly Uint8Array[]): RunBinding {
  if (paes.length === 0) {
    throw new AttestError({
      code: 'BIND_RUN_EMPTY',
      message: 'no envelopes to bind: a signing run needs at least one statement',
    });
  }
  const digests = paes.map((p) => sha256(p));
  if (digests.length === 1) return { claims: { att: digests[0]!.toString('hex') }, proofs: [undefined] };
  const leaves = digests.map(leafHash);
  const proofs = inclusionProofs(leaves).map((hashes, index) => ({
    index,
    size: leaves.length,
    hashes: hashes.map((h) => h.toString('hex')),
  }));
  return { claims: { atts: merkleRoot(digests).toString('hex') }, proofs };
}

/**
 * Checks that the verified CIC claims of a PK token bind exactly this PAE.
 * @param cicClaims - the CIC protected header of a PK token that has already been verified
 * @param pae - the DSSE PAE of the envelope
 * @param attProof - the envelope's proof; required with `atts`, forbidden with `att`
 * @throws AttestError BIND_CLAIMS_MISSING | BIND_CLAIMS_CONFLICT | BIND_CLAIM_INVALID | BIND_ATT_MISMATCH |
 *   BIND_PROOF_UNEXPECTED | BIND_PROOF_MISSING | BIND_SIZE_INVALID | BIND_INDEX_OUT_OF_RANGE | BIND_PROOF_INVALID | BIND_ATTS_MISMATCH
 */
export function verifyBinding(
  cicClaims: Readonly<Record<string, unknown>>,
  pae: Uint8Array,
  attProof?: AttProof,
): void {
  const claim = readBindingClaim(cicClaims);
  const digest = sha256(pae);
  if (claim.name === ATT_CLAIM) verifyAtt(claim.value, digest, attProof);
  else verifyAtts(claim.value, digest, attProof);
}

function readBindingClaim(cic: Readonly<Record<string, unknown>>): { name: string; value: Buffer } {
  const hasAtt = Object.hasOwn(cic, ATT_CLAIM);
  const hasAtts = Object.hasOwn(cic, ATTS_CLAIM);
  if (hasAtt && hasAtts) {
    throw bindError(
      'BIND_CLAIMS_CONFLICT',
      'PK token CIC carries both "att" and "atts"; a run binds with exactly one of them',
    );
  }
  if (!hasAtt && !hasAtts) {
    throw bindError(
      'BIND_CLAIMS_MISSING',
      'PK token CIC carries neither "att" nor "atts"; it is not bound to any envelope and must not be accepted',
    );
  }
  const name = hasAtt ? ATT_CLAIM : ATTS_CLAIM;
  const value = cic[name];
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw bindError(
      'BIND_CLAIM_INVALID',
      `PK token CIC claim "${name}" is not 64 lowercase hex characters (a SHA-256)`,
    );
  }
  return { name, value: hexDecode(value, 32) };
}

function verifyAtt(att: Buffer, digest: Buffer, attProof: AttProof | undefined): void {
  if (attProof !== undefined) {
    throw bindError(
      'BIND_PROOF_UNEXPECTED',
      'envelope carries an attProof but its PK token binds one envelope with "att"; drop the proof or re-sign',
    );
  }
  if (!bytesEqual(att, digest)) {
    throw bindError(
      'BIND_ATT_MISMATCH',
      `PK token "att" is ${att.toString('hex')} but the envelope's sha256(PAE) is ${digest.toString('hex')}; the token was issued for another envelope`,
    );
  }
}

function verifyAtts(atts: Buffer, digest: Buffer, attProof: AttProof | undefined): void {
  if (attProof === undefined) {
    throw bindError(
      'BIND_PROOF_MISSING',
      'PK token binds several envelopes with "atts" but this envelope has no attProof; re-sign it',
    );
  }
  checkProofRange(attProof);
  const root = proofRoot(attProof, digest);
  if (!bytesEqual(root, atts)) {
    throw bindError(
      'BIND_ATTS_MISMATCH',
      `attProof for leaf ${attProof.index} of ${attProof.size} leads to root ${root.toString('hex')}, but the PK token "atts" is ${atts.toString('hex')}; the token was issued for other envelopes`,
    );
  }
}

function checkProofRange(p: AttProof): void {
  if (!Number.isSafeInteger(p.size) || p.size < 2) {
    throw bindError(
      'BIND_SIZE_INVALID',
      `attProof size ${p.size} is invalid with "atts": a run of one envelope binds with "att", more need size ≥ 2`,
    );
  }
  if (!Number.isSafeInteger(p.index) || p.index < 0 || p.index >= p.size) {
    throw bindError('BIND_INDEX_OUT_OF_RANGE', `attProof index ${p.index} is outside a run of ${p.size} envelopes`);
  }
}

function proofRoot(p: AttProof, digest: Buffer): Buffer {
  try {
    const hashes = p.hashes.map((h) => hexDecode(h, 32, 'attProof hash'));
    return rootFromInclusionProof(BigInt(p.index), BigInt(p.size), leafHash(digest), hashes);
  } catch (err) {
    throw new AttestError({
      code: 'BIND_PROOF_INVALID',
      cause: err,
      message: `attProof for leaf ${p.index} of ${p.size} is malformed (${(err as Error).message}); re-sign the run`,
    });
  }
}

function bindError(code: BindingErrorCode, message: string): AttestError {
  return new AttestError({ code, message });
}
