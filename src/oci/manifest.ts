/**
 * OCI and Docker schema-2 manifests and indexes: types, a strict shape-first parser, and the
 * encoder for the manifests we build ourselves. Pure: no I/O. Callers keep the original bytes
 * beside the parsed object and hash those (never a re-serialisation).
 */
import { digestOf, isDigest, type Digest } from '../core/digest.js';
import { isRecord } from '../core/guards.js';
import { parseJsonStrict } from '../core/json.js';
import { MAX_INDEX_MANIFESTS, MAX_MANIFEST_BYTES } from '../core/limits.js';
import { OciError } from './errors.js';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  INDEX_TYPES,
  MANIFEST_TYPES,
  OCI_INDEX,
  OCI_MANIFEST,
} from './media-types.js';
import { quote } from '../core/quote.js';

/** Where an image runs. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A content descriptor. Fields we do not model survive parsing, so rewriting an index is faithful. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

/** An OCI image manifest or Docker schema-2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  /** Always set: from the document, else the Content-Type, else the shape. */
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  /** Always set: from the document, else the Content-Type, else the shape. */
  mediaType: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Either kind of manifest. */
export type Manifest = ImageManifest | ImageIndex;

/** Options of `parseManifest`. */
export interface ParseManifestOptions {
  /** The response's Content-Type; used when the document omits `mediaType`, and must agree otherwise. */
  contentType?: string | null;
  /** Names the document in errors, e.g. `127.0.0.1:5000/app@sha256:…`. */
  what?: string;
  /** Cap on descriptors in `manifests` or `layers` (referrers indexes use MAX_REFERRERS). */
  maxDescriptors?: number;
}

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const MAX_ISSUES_SHOWN = 5;

/** Whether a parsed manifest is an index (OCI index or Docker manifest list). */
export function isIndex(m: Manifest): m is ImageIndex {
  return INDEX_TYPES.includes(m.mediaType);
}

/**
 * Parses a manifest or index, shape first: bounded, UTF-8, JSON, known media type (document and
 * Content-Type must agree), schemaVersion 2, every descriptor canonical (sha256 digest, safe size).
 * Ambiguous documents (both `manifests` and `config`/`layers`) are refused.
 * @param raw - the bytes exactly as served
 * @returns the typed manifest; every bad field is named in one error
 * @throws OciError OCI_TOO_LARGE | OCI_MANIFEST_INVALID
 */
export function parseManifest(raw: Uint8Array, options: ParseManifestOptions = {}): Manifest {
  const what = options.what ?? 'manifest';
  if (raw.length > MAX_MANIFEST_BYTES) {
    throw new OciError({
      code: 'OCI_TOO_LARGE',
      message: `${what} is ${raw.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit; refusing it`,
    });
  }
  const doc = decodeJson(raw, what);
  const mediaType = resolveMediaType(doc, options.contentType, what);
  const issues = new Issues();
  if (doc.schemaVersion !== 2) issues.add('schemaVersion', 'must be 2');
  checkCommon(doc, issues);
  const max = options.maxDescriptors ?? MAX_INDEX_MANIFESTS;
  if (INDEX_TYPES.includes(mediaType)) checkIndex(doc, mediaType, max, issues);
  else checkImageManifest(doc, mediaType, max, issues);
  issues.throwIfAny(what);
  return { ...doc, mediaType } as unknown as Manifest;
}

/**
 * Parses a document that must be an index (OCI index or Docker manifest list).
 * @throws OciError OCI_TOO_LARGE | OCI_MANIFEST_INVALID
 */
export function parseIndex(raw: Uint8Array, options: ParseManifestOptions = {}): ImageIndex {
  const m = parseManifest(raw, options);
  if (!isIndex(m))
    throw invalid(options.what ?? 'index', `is an image manifest (${m.mediaType}), expected an image index`);
  return m;
}

/**
 * Parses a document that must be an image manifest (OCI or Docker schema 2).
 * @throws OciError OCI_TOO_LARGE | OCI_MANIFEST_INVALID
 */
export function parseImageManifest(raw: Uint8Array, options: ParseManifestOptions = {}): ImageManifest {
  const m = parseManifest(raw, options);
  if (isIndex(m))
    throw invalid(options.what ?? 'manifest', `is an image index (${m.mediaType}), expected an image manifest`);
  return m;
}

/**
 * Encodes a manifest we built as compact JSON (the bytes we push and hash).
 * @throws never
 */
export function encodeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/**
 * The descriptor of some bytes.
 * @param extra - optional fields (artifactType, annotations, platform) copied onto the descriptor
 * @throws never
 */
export function descriptorOf(
  bytes: Uint8Array,
  mediaType: string,
  extra: Partial<Omit<Descriptor, 'mediaType' | 'digest' | 'size'>> = {},
): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra };
}

/**
 * Validates one descriptor found outside a manifest (a referrers API page entry, a CLI input).
 * @throws OciError OCI_MANIFEST_INVALID
 */
export function parseDescriptor(value: unknown, what = 'descriptor'): Descriptor {
  const issues = new Issues();
  checkDescriptor(value, '', issues);
  issues.throwIfAny(what);
  return value as Descriptor;
}

/** Collects every bad field path, then throws once (sigstore-js `validate.ts` style). */
class Issues {
  private readonly list: string[] = [];
  add(path: string, fault: string): void {
    this.list.push(`${path || '(document)'} ${fault}`);
  }
  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, MAX_ISSUES_SHOWN).join('; ');
    const more = this.list.length > MAX_ISSUES_SHOWN ? `; and ${this.list.length - MAX_ISSUES_SHOWN} more` : '';
    throw invalid(what, `is malformed: ${shown}${more}`);
  }
}

type Obj = Record<string, unknown>;

function decodeJson(raw: Uint8Array, what: string): Obj {
  let doc: unknown;
  try {
    doc = parseJsonStrict(raw);
  } catch (err) {
    const start = Buffer.from(raw.subarray(0, 40))
      .toString('latin1')
      .replace(/[^\x20-\x7e]+/g, ' ');
    throw new OciError({
      code: 'OCI_MANIFEST_INVALID',
      cause: err,
      message: `${what} is not UTF-8 JSON (starts with ${JSON.stringify(start)}); a proxy or login page may be answering instead of the registry`,
    });
  }
  if (!isRecord(doc)) throw invalid(what, 'is JSON but not an object');
  return doc;
}

function resolveMediaType(doc: Obj, contentType: string | null | undefined, what: string): string {
  const declared = doc.mediaType;
  const header = normaliseContentType(contentType);
  const known = (t: string | undefined): t is string =>
    t !== undefined && (MANIFEST_TYPES.includes(t) || INDEX_TYPES.includes(t));
  if (
    doc.schemaVersion === 1 ||
    (typeof declared === 'string' && declared.startsWith('application/vnd.docker.distribution.manifest.v1'))
  ) {
    throw invalid(
      what,
      'is a Docker schema 1 manifest, which is deprecated and unsupported; re-push the image with a current client',
    );
  }
  if (declared !== undefined) {
    if (typeof declared !== 'string' || !known(declared)) {
      throw invalid(
        what,
        `has mediaType ${quote(declared, 120)}; expected one of ${[...INDEX_TYPES, ...MANIFEST_TYPES].join(', ')}`,
      );
    }
    if (known(header) && header !== declared) {
      throw invalid(what, `declares mediaType ${declared} but was served as ${header}; refusing the ambiguity`);
    }
    checkAgreesWithShape(doc, declared, what);
    return declared;
  }
  const inferred = known(header) ? header : inferFromShape(doc, what);
  checkAgreesWithShape(doc, inferred, what);
  return inferred;
}

function normaliseContentType(ct: string | null | undefined): string | undefined {
  if (ct === undefined || ct === null) return undefined;
  return ct.split(';')[0]!.trim().toLowerCase();
}

function inferFromShape(doc: Obj, what: string): string {
  if ('manifests' in doc && !('config' in doc) && !('layers' in doc)) return OCI_INDEX;
  if (!('manifests' in doc) && 'config' in doc) return OCI_MANIFEST;
  throw invalid(what, 'has no mediaType and its shape is neither an index (manifests) nor a manifest (config, layers)');
}

// A document readable as both kinds is a known confusion vector: two clients see two images.
function checkAgreesWithShape(doc: Obj, mediaType: string, what: string): void {
  const index = INDEX_TYPES.includes(mediaType);
  if (index && ('config' in doc || 'layers' in doc))
    throw invalid(what, `is typed ${mediaType} but carries config/layers; refusing the ambiguity`);
  if (!index && 'manifests' in doc)
    throw invalid(what, `is typed ${mediaType} but carries manifests; refusing the ambiguity`);
}

function checkCommon(doc: Obj, issues: Issues): void {
  if (doc.artifactType !== undefined) checkMediaTypeField(doc.artifactType, 'artifactType', issues);
  if (doc.subject !== undefined) checkDescriptor(doc.subject, 'subject', issues);
  if (doc.annotations !== undefined) checkStringRecord(doc.annotations, 'annotations', issues);
}

function checkIndex(doc: Obj, mediaType: string, max: number, issues: Issues): void {
  checkDescriptorList(doc.manifests, 'manifests', max, issues);
  if (mediaType === DOCKER_MANIFEST_LIST && doc.subject !== undefined)
    issues.add('subject', 'is not allowed in a Docker manifest list');
}

function checkImageManifest(doc: Obj, mediaType: string, max: number, issues: Issues): void {
  checkDescriptor(doc.config, 'config', issues);
  checkDescriptorList(doc.layers, 'layers', max, issues);
  if (mediaType === DOCKER_MANIFEST && doc.subject !== undefined)
    issues.add('subject', 'is not allowed in a Docker schema-2 manifest');
}

function checkDescriptorList(value: unknown, path: string, max: number, issues: Issues): void {
  if (!Array.isArray(value)) return issues.add(path, 'must be an array');
  if (value.length > max) return issues.add(path, `has ${value.length} entries, over the limit of ${max}`);
  value.forEach((d, i) => checkDescriptor(d, `${path}[${i}]`, issues));
}

function checkDescriptor(d: unknown, path: string, issues: Issues): void {
  if (!isRecord(d)) return issues.add(path, 'must be an object');
  checkMediaTypeField(d.mediaType, `${path}.mediaType`, issues);
  if (!isDigest(d.digest)) issues.add(`${path}.digest`, 'must be "sha256:" followed by 64 lowercase hex characters');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    issues.add(`${path}.size`, 'must be a non-negative safe integer');
  if (d.artifactType !== undefined) checkMediaTypeField(d.artifactType, `${path}.artifactType`, issues);
  if (d.annotations !== undefined) checkStringRecord(d.annotations, `${path}.annotations`, issues);
  if (d.platform !== undefined) checkPlatform(d.platform, `${path}.platform`, issues);
  if (d.urls !== undefined && !isStringArray(d.urls)) issues.add(`${path}.urls`, 'must be an array of strings');
  if (d.data !== undefined && typeof d.data !== 'string') issues.add(`${path}.data`, 'must be a base64 string');
}

function checkPlatform(p: unknown, path: string, issues: Issues): void {
  if (!isRecord(p)) return issues.add(path, 'must be an object');
  for (const key of ['architecture', 'os'] as const) {
    if (typeof p[key] !== 'string' || p[key] === '') issues.add(`${path}.${key}`, 'must be a non-empty string');
  }
  for (const key of ['variant', 'os.version'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') issues.add(`${path}.${key}`, 'must be a string');
  }
  if (p['os.features'] !== undefined && !isStringArray(p['os.features']))
    issues.add(`${path}.os.features`, 'must be an array of strings');
}

function checkMediaTypeField(v: unknown, path: string, issues: Issues): void {
  if (typeof v !== 'string' || !MEDIA_TYPE.test(v)) issues.add(path, 'must be a media type (type/subtype)');
}

function checkStringRecord(v: unknown, path: string, issues: Issues): void {
  if (!isRecord(v)) return issues.add(path, 'must be an object of strings');
  const bad = Object.keys(v).find((k) => typeof v[k] !== 'string');
  if (bad !== undefined) issues.add(`${path}.${bad}`, 'must be a string');
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function invalid(what: string, fault: string): OciError {
  return new OciError({ code: 'OCI_MANIFEST_INVALID', message: `${what} ${fault}` });
}
