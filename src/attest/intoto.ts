/**
 * in-toto Statements (v1, and v0.1 as BuildKit still writes them): parse from the original
 * bytes, match subjects, classify predicate types, and create statements of our own.
 * The raw bytes are always kept beside the parsed view: they are what gets signed.
 */
import { digestHex, isDigest, type Digest } from '../core/digest.js';
import { MAX_STATEMENT_BYTES, MAX_STATEMENT_SUBJECTS, MAX_SUBJECT_DIGESTS } from '../core/limits.js';
import { AttestError } from './errors.js';
import { Issues, isLowerHex, parseJsonBytes } from './json-shape.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/guards.js';
import { quote } from '../core/quote.js';

/** `_type` of an in-toto Statement v1. */
export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
/** `_type` of an in-toto Statement v0.1 (BuildKit attestations). */
export const STATEMENT_TYPE_V01 = 'https://in-toto.io/Statement/v0.1';
/** OCI artifactType / layer media type of a DSSE envelope whose predicate kind is not one we name. */
export const DSSE_MEDIA_TYPE = 'application/vnd.in-toto+dsse';
/** Predicate types we produce or recognise by name. */
export const PREDICATE_SPDX = 'https://spdx.dev/Document';
export const PREDICATE_CYCLONEDX = 'https://cyclonedx.org/bom';
export const PREDICATE_SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
const SLSA_PROVENANCE_PREFIX = 'https://slsa.dev/provenance/';
const SLSA_VSA_PREFIX = 'https://slsa.dev/verification_summary/';

const MAX_PREDICATE_TYPE_CHARS = 1024;
const MAX_SUBJECT_NAME_CHARS = 4096;
const MAX_DIGEST_VALUE_CHARS = 256;
/** Algorithms whose digest values we check as fixed-length lowercase hex. */
const HEX_DIGEST_CHARS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const FIX =
  'the statement must be an in-toto Statement v1 JSON object with subject, predicateType and an object predicate';

/** The kinds that get their own artifactType (docs/formats.md, "OCI layout"). */
export type ArtifactKind = 'spdx' | 'cyclonedx' | 'provenance' | 'verification_summary';

const ARTIFACT_KINDS: readonly ArtifactKind[] = ['spdx', 'cyclonedx', 'provenance', 'verification_summary'];

/** One statement subject: an optional name and its digests by algorithm (lowercase hex values). */
export interface Subject {
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** A parsed statement; `raw` holds the exact bytes it was parsed from (and that get signed). */
export interface Statement {
  readonly raw: Buffer;
  readonly type: typeof STATEMENT_TYPE_V1 | typeof STATEMENT_TYPE_V01;
  readonly subjects: readonly Subject[];
  readonly predicateType: string;
  /** Absent means empty (in-toto v1); its schema belongs to the predicate type. */
  readonly predicate?: JsonObject;
}

/** A subject of a statement we create: a name and the sha256 OCI digest of the artifact. */
export interface SubjectInput {
  readonly name: string;
  readonly digest: Digest;
}

/**
 * Parses an in-toto statement from its original bytes, checking every field's shape.
 * Unknown top-level fields are ignored, as the in-toto parsing rules require.
 * @param bytes - the statement bytes exactly as signed or to be signed
 * @returns the parsed view with a copy of `bytes` as `raw`
 * @throws AttestError STMT_TOO_LARGE | STMT_MALFORMED | STMT_TYPE_UNSUPPORTED
 */
export function parseStatement(bytes: Uint8Array): Statement {
  if (bytes.length > MAX_STATEMENT_BYTES) {
    throw new AttestError({
      code: 'STMT_TOO_LARGE',
      message: `in-toto statement of ${bytes.length} bytes exceeds the ${MAX_STATEMENT_BYTES}-byte cap; split the predicate or sign a digest of it`,
    });
  }
  const raw = Buffer.from(bytes);
  const doc = parseJsonBytes(raw, 'STMT_MALFORMED', 'in-toto statement', FIX);
  const issues = new Issues();
  if (!isJsonObject(doc)) {
    issues.add('STMT_MALFORMED', '$', 'is not a JSON object');
    issues.throwIfAny('in-toto statement', FIX);
  }
  const obj = doc as JsonObject;
  const type = readType(obj['_type'], issues);
  const subjects = readSubjects(obj['subject'], issues);
  const predicateType = readPredicateType(obj['predicateType'], issues);
  const predicate = obj['predicate'];
  if (predicate !== undefined && !isJsonObject(predicate))
    issues.add('STMT_MALFORMED', '$.predicate', 'is not a JSON object');
  issues.throwIfAny('in-toto statement', FIX);
  return { raw, type: type!, subjects, predicateType, ...(isJsonObject(predicate) ? { predicate } : {}) };
}

function readType(v: JsonValue | undefined, issues: Issues): Statement['type'] | undefined {
  if (v === STATEMENT_TYPE_V1 || v === STATEMENT_TYPE_V01) return v;
  issues.add('STMT_TYPE_UNSUPPORTED', '$._type', `is ${quote(v)}, expected "${STATEMENT_TYPE_V1}" (or v0.1)`);
  return undefined;
}

function readPredicateType(v: JsonValue | undefined, issues: Issues): string {
  if (typeof v === 'string' && v.length > 0 && v.length <= MAX_PREDICATE_TYPE_CHARS) return v;
  issues.add(
    'STMT_MALFORMED',
    '$.predicateType',
    `must be a non-empty string of at most ${MAX_PREDICATE_TYPE_CHARS} characters`,
  );
  return '';
}

function readSubjects(v: JsonValue | undefined, issues: Issues): Subject[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_STATEMENT_SUBJECTS) {
    issues.add('STMT_MALFORMED', '$.subject', `must be an array of 1 to ${MAX_STATEMENT_SUBJECTS} subjects`);
    return [];
  }
  return v.map((s, i) => readSubject(s, `$.subject[${i}]`, issues));
}

function readSubject(v: JsonValue, path: string, issues: Issues): Subject {
  if (!isJsonObject(v)) {
    issues.add('STMT_MALFORMED', path, 'is not a JSON object');
    return { digest: {} };
  }
  const name = v['name'];
  if (name !== undefined && (typeof name !== 'string' || name.length > MAX_SUBJECT_NAME_CHARS)) {
    issues.add('STMT_MALFORMED', `${path}.name`, `must be a string of at most ${MAX_SUBJECT_NAME_CHARS} characters`);
  }
  const digest = readDigestSet(v['digest'], `${path}.digest`, issues);
  return typeof name === 'string' ? { name, digest } : { digest };
}

function readDigestSet(v: JsonValue | undefined, path: string, issues: Issues): Record<string, string> {
  const entries = isJsonObject(v) ? Object.entries(v) : [];
  if (entries.length === 0 || entries.length > MAX_SUBJECT_DIGESTS) {
    issues.add('STMT_MALFORMED', path, `must be an object of 1 to ${MAX_SUBJECT_DIGESTS} digests`);
    return {};
  }
  const good: [string, string][] = [];
  for (const [alg, value] of entries) {
    const hexChars = Object.hasOwn(HEX_DIGEST_CHARS, alg) ? HEX_DIGEST_CHARS[alg] : undefined;
    const ok =
      hexChars === undefined
        ? typeof value === 'string' && value.length > 0 && value.length <= MAX_DIGEST_VALUE_CHARS
        : isLowerHex(value, hexChars);
    if (ok) good.push([alg, value as string]);
    else
      issues.add(
        'STMT_MALFORMED',
        `${path}.${quote(alg)}`,
        hexChars === undefined ? 'must be a short non-empty string' : `must be ${hexChars} lowercase hex characters`,
      );
  }
  // fromEntries defines own properties, so an algorithm named "__proto__" stays plain data.
  return Object.fromEntries(good);
}

/** Whether any subject of the statement has the sha256 digest `digest`. */
export function subjectMatches(statement: Statement, digest: Digest): boolean {
  const hex = digestHex(digest);
  return statement.subjects.some((s) => s.digest['sha256'] === hex);
}

/**
 * Requires a subject naming `digest` (the platform manifest the signature is for).
 * @throws AttestError STMT_SUBJECT_MISMATCH
 */
export function requireSubject(statement: Statement, digest: Digest): void {
  if (subjectMatches(statement, digest)) return;
  const named = statement.subjects
    .slice(0, 3)
    .map((s) => s.digest['sha256'] ?? '(no sha256)')
    .join(', ');
  throw new AttestError({
    code: 'STMT_SUBJECT_MISMATCH',
    message:
      `in-toto statement (${statement.predicateType}) names sha256 ${named}${statement.subjects.length > 3 ? ', …' : ''} but not ${digest}; ` +
      'it describes another image or platform and must not be used for this one',
  });
}

/** The kind (docs/formats.md, "OCI layout") of a predicate type, or undefined for any other type. */
export function artifactKind(predicateType: string): ArtifactKind | undefined {
  if (isTypeOrVersion(predicateType, PREDICATE_SPDX)) return 'spdx';
  if (isTypeOrVersion(predicateType, PREDICATE_CYCLONEDX)) return 'cyclonedx';
  if (predicateType.startsWith(SLSA_PROVENANCE_PREFIX)) return 'provenance';
  if (predicateType.startsWith(SLSA_VSA_PREFIX)) return 'verification_summary';
  return undefined;
}

/** `https://spdx.dev/Document` and its versioned forms such as `https://spdx.dev/Document/v2.3`. */
function isTypeOrVersion(predicateType: string, base: string): boolean {
  return predicateType === base || predicateType.startsWith(`${base}/`);
}

/** The OCI artifactType (and layer media type) of a DSSE envelope carrying this predicate type. */
export function artifactTypeFor(predicateType: string): string {
  const kind = artifactKind(predicateType);
  return kind === undefined ? DSSE_MEDIA_TYPE : kindMediaType(kind);
}

/** Every artifactType `artifactTypeFor` can return: what verifiers look for among referrers. */
export const DSSE_ARTIFACT_TYPES: readonly string[] = [...ARTIFACT_KINDS.map(kindMediaType), DSSE_MEDIA_TYPE];

function kindMediaType(kind: ArtifactKind): string {
  return `application/vnd.in-toto.${kind}+dsse`;
}

/**
 * Creates the bytes of an in-toto Statement v1. The predicate bytes are embedded verbatim
 * (only surrounding JSON whitespace is dropped), so a user's SBOM is signed as written.
 * @param subjects - at least one subject, each with a sha256 OCI digest
 * @param predicateBytes - a JSON object
 * @returns the statement bytes; `parseStatement` accepts them
 * @throws AttestError STMT_MALFORMED | STMT_TOO_LARGE
 */
export function makeStatement(
  subjects: readonly SubjectInput[],
  predicateType: string,
  predicateBytes: Uint8Array,
): Buffer {
  checkSubjectInputs(subjects);
  const predicate = trimJsonWhitespace(predicateBytes);
  if (predicate.length > MAX_STATEMENT_BYTES) {
    throw new AttestError({
      code: 'STMT_TOO_LARGE',
      message: `predicate of ${predicate.length} bytes exceeds the ${MAX_STATEMENT_BYTES}-byte statement cap`,
    });
  }
  if (
    !isJsonObject(
      parseJsonBytes(predicate, 'STMT_MALFORMED', `predicate ${predicateType}`, 'a predicate must be one JSON object'),
    )
  ) {
    throw new AttestError({
      code: 'STMT_MALFORMED',
      message: `predicate ${predicateType} is not a JSON object; a predicate must be one JSON object`,
    });
  }
  const head = JSON.stringify({
    _type: STATEMENT_TYPE_V1,
    subject: subjects.map((s) => ({ name: s.name, digest: { sha256: digestHex(s.digest) } })),
    predicateType,
  });
  const bytes = Buffer.concat([Buffer.from(`${head.slice(0, -1)},"predicate":`), predicate, Buffer.from('}')]);
  return parseStatement(bytes).raw;
}

function checkSubjectInputs(subjects: readonly SubjectInput[]): void {
  const bad = subjects.find((s) => typeof s.name !== 'string' || !isDigest(s.digest));
  if (subjects.length === 0 || subjects.length > MAX_STATEMENT_SUBJECTS || bad !== undefined) {
    throw new AttestError({
      code: 'STMT_MALFORMED',
      message:
        `statement subjects must be 1 to ${MAX_STATEMENT_SUBJECTS} entries of {name, digest: "sha256:<64 hex>"}` +
        (bad === undefined ? '' : `; got digest ${quote(bad.digest)}`),
    });
  }
}

/** Drops the JSON whitespace (space, tab, LF, CR) around a document without copying it. */
function trimJsonWhitespace(bytes: Uint8Array): Buffer {
  const isWs = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
  let start = 0;
  let end = bytes.length;
  while (start < end && isWs(bytes[start])) start++;
  while (end > start && isWs(bytes[end - 1])) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
}
