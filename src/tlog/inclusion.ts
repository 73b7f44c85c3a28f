/**
 * Inclusion of a log entry: the RFC 6962 leaf hash of the logged body, walked up the proof's
 * sibling hashes (via `core/merkle`, which derives the expected proof length from index and
 * size), must reach the root hash that a checkpoint signed by the log commits to.
 */
import { hexDecode } from '../core/b64.js';
import { bytesEqual } from '../core/digest.js';
import { CoreError } from '../core/errors.js';
import { verifyInclusion } from '../core/merkle.js';
import { parseCheckpoint, verifyCheckpointSignature, type SignedCheckpoint } from './checkpoint.js';
import type { TlogInclusionProof } from './entry.js';
import { TlogError } from './errors.js';
import type { LogPublicKey } from './keys.js';

/**
 * Verifies the checkpoint signature, that the checkpoint commits to the proof's tree size and
 * root, and that `leaf` (a leaf hash) is at `proof.logIndex` in that tree.
 * @returns the verified checkpoint
 * @throws TlogError TLOG_CHECKPOINT_INVALID | TLOG_CHECKPOINT_SIGNATURE_INVALID | TLOG_CHECKPOINT_MISMATCH | TLOG_INCLUSION_PROOF_INVALID
 */
export function verifyInclusionProof(
  proof: TlogInclusionProof,
  leaf: Uint8Array,
  key: LogPublicKey,
  what = 'log entry',
): SignedCheckpoint {
  const checkpoint = parseCheckpoint(proof.checkpoint, `${what} checkpoint`);
  verifyCheckpointSignature(checkpoint, key, undefined, `${what} checkpoint`);
  const size = BigInt(proof.treeSize);
  const index = BigInt(proof.logIndex);
  const root = hexDecode(proof.rootHash, 32, `${what} inclusionProof.rootHash`);
  if (checkpoint.size !== size || !bytesEqual(checkpoint.rootHash, root)) {
    throw new TlogError({
      code: 'TLOG_CHECKPOINT_MISMATCH',
      message: `${what}: inclusion proof is for tree size ${size}, root ${proof.rootHash}, but the signed checkpoint says size ${checkpoint.size}, root ${checkpoint.rootHash.toString('hex')}`,
    });
  }
  if (index >= size) {
    throw new TlogError({
      code: 'TLOG_INCLUSION_PROOF_INVALID',
      message: `${what}: inclusion proof index ${index} is not inside a tree of size ${size}`,
    });
  }
  try {
    verifyInclusion(
      index,
      size,
      leaf,
      proof.hashes.map((h, i) => hexDecode(h, 32, `${what} inclusionProof.hashes[${i}]`)),
      root,
    );
  } catch (err) {
    if (!(err instanceof CoreError)) throw err;
    throw new TlogError({
      code: 'TLOG_INCLUSION_PROOF_INVALID',
      cause: err,
      message: `${what}: ${err.message}; the entry is not in the log the checkpoint describes`,
    });
  }
  return checkpoint;
}
