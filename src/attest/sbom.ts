/** Recognises a user-supplied SBOM file (SPDX JSON or CycloneDX JSON) and names its predicate type. */
import { MAX_STATEMENT_BYTES } from '../core/limits.js';
import { AttestError } from './errors.js';
import { PREDICATE_CYCLONEDX, PREDICATE_SPDX } from './intoto.js';
import { parseJsonBytes } from './json-shape.js';
import { isJsonObject } from '../core/guards.js';

/** The SBOM formats we sign as predicates. */
export type SbomFormat = 'spdx' | 'cyclonedx';

/** A recognised SBOM: its format, in-toto predicate type, and the file bytes unchanged. */
export interface DetectedSbom {
  readonly format: SbomFormat;
  readonly predicateType: typeof PREDICATE_SPDX | typeof PREDICATE_CYCLONEDX;
  readonly bytes: Buffer;
}

const FIX =
  'supply an SPDX JSON document (with "spdxVersion") or a CycloneDX JSON BOM (with "bomFormat": "CycloneDX"); ' +
  'for any other predicate give its predicate type explicitly';

/**
 * Detects SPDX (`spdxVersion`) or CycloneDX (`bomFormat: "CycloneDX"`) JSON.
 * @param bytes - the file as read
 * @param what - the file name, for messages
 * @throws AttestError STMT_TOO_LARGE | STMT_SBOM_UNRECOGNISED
 */
export function detectSbom(bytes: Uint8Array, what = 'SBOM file'): DetectedSbom {
  if (bytes.length > MAX_STATEMENT_BYTES) {
    throw new AttestError({
      code: 'STMT_TOO_LARGE',
      message: `${what} has ${bytes.length} bytes, over the ${MAX_STATEMENT_BYTES}-byte statement cap`,
    });
  }
  if (Buffer.from(bytes.subarray(0, 12)).toString('latin1') === 'SPDXVersion:') {
    throw unrecognised(what, 'is SPDX tag-value, which in-toto cannot carry; convert it to SPDX JSON');
  }
  const doc = parseJsonBytes(bytes, 'STMT_SBOM_UNRECOGNISED', what, FIX);
  const isSpdx = isJsonObject(doc) && typeof doc['spdxVersion'] === 'string' && doc['spdxVersion'].startsWith('SPDX-');
  const isCdx = isJsonObject(doc) && doc['bomFormat'] === 'CycloneDX';
  if (isSpdx && isCdx) throw unrecognised(what, 'claims to be both SPDX and CycloneDX');
  if (isSpdx) return { format: 'spdx', predicateType: PREDICATE_SPDX, bytes: Buffer.from(bytes) };
  if (isCdx) return { format: 'cyclonedx', predicateType: PREDICATE_CYCLONEDX, bytes: Buffer.from(bytes) };
  throw unrecognised(what, 'is neither SPDX JSON nor CycloneDX JSON');
}

function unrecognised(what: string, fault: string): AttestError {
  return new AttestError({ code: 'STMT_SBOM_UNRECOGNISED', message: `${what} ${fault}; ${FIX}` });
}
