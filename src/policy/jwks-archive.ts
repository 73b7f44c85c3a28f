/**
 * The archive of an OIDC provider's signing keys (`oidc/<issuer host>/jwks.json`, docs/formats.md):
 * every key ever seen in the provider's live JWKS, with its RFC 7638 thumbprint and when it was
 * first and last seen. Keys are never removed, so PK tokens verify after the provider rotates.
 * Parsing recomputes every thumbprint; lookup is by `kid` and, when the token names one, by the
 * collision-proof thumbprint `jkt`. Pure: fetching the live JWKS is the caller's job.
 */
import {
  jwkThumbprint,
  parsePublicJwk,
  PkTokenError,
  type Jwks,
  type KeyFinder,
  type PublicJwk,
} from '../identity/index.js';
import { PolicyError } from './errors.js';
import { isRecord } from '../core/guards.js';
import { parseJsonStrict } from '../core/json.js';
import { quote } from '../core/quote.js';

/** Largest archive file read. */
export const MAX_JWKS_ARCHIVE_BYTES = 4 * 1024 * 1024;
/** Most keys one archive may hold (providers rotate a few times a year). */
export const MAX_JWKS_ARCHIVE_KEYS = 2048;
const ARCHIVE_FIELDS = ['issuer', 'keys'];
const KEY_FIELDS = ['jwk', 'thumbprint', 'firstSeen', 'lastSeen', 'distrusted'];
const DISTRUST_FIELDS = ['reason', 'since'];
const MAX_REASON_LENGTH = 500;
/** RFC 3339 UTC with second precision, as the archive writes it. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const URL_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;

/** One archived provider key. */
export interface ArchivedKey {
  jwk: PublicJwk;
  /** RFC 7638 SHA-256 thumbprint, base64url (OpenPubkey's `jkt`). */
  thumbprint: string;
  /** RFC 3339 UTC, second precision. */
  firstSeen: string;
  lastSeen: string;
  /** Set by "trust jwks remove": the key stays listed, and every token it signed is refused with the reason. */
  distrusted?: { reason: string; since: string };
}

/** The archive of one issuer. */
export interface JwksArchive {
  issuer: string;
  keys: ArchivedKey[];
}

/** What a merge changed. */
export interface JwksMergeResult {
  archive: JwksArchive;
  /** Keys seen for the first time. */
  added: ArchivedKey[];
  /** Live keys already archived (their lastSeen moved to now). */
  seen: number;
  /** Live keys not archived because they are not usable OP keys (kid and reason). */
  skipped: { kid: string | undefined; reason: string }[];
}

/**
 * The target path of an issuer's archive: `oidc/<host>/jwks.json`, with the issuer URL's path
 * segments after the host when it has any (`https://login.example.com/realms/ci` →
 * `oidc/login.example.com/realms/ci/jwks.json`), so two issuers on one host never share a file.
 * @throws PolicyError POLICY_ARCHIVE_INVALID for an issuer that is not an http(s) URL with a plain host and path
 */
export function archiveTargetPath(issuer: string): string {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch (err) {
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      cause: err,
      message: `issuer ${quote(issuer, 200)} is not a URL; give the issuer exactly as in the tokens' iss`,
    });
  }
  const segments = u.pathname.split('/').filter((s) => s !== '');
  // The URL parser resolves `%2e%2e` and `..`; such issuers are refused so no two spellings share a path.
  const raw = /[%\\]|\/\.\.?(?:\/|$)/.test(issuer);
  if (
    raw ||
    (u.protocol !== 'https:' && u.protocol !== 'http:') ||
    u.username ||
    u.password ||
    u.search ||
    u.hash ||
    !HOST.test(u.host) ||
    !segments.every((s) => URL_SEGMENT.test(s) && s !== '.' && s !== '..')
  ) {
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      message: `issuer ${quote(issuer, 200)} is not an http(s) URL with a plain host and path; give the issuer exactly as in the tokens' iss`,
    });
  }
  return ['oidc', u.host, ...segments, 'jwks.json'].join('/');
}

/**
 * An empty archive for an issuer.
 * @throws PolicyError POLICY_ARCHIVE_INVALID when the issuer is not a usable URL
 */
export function emptyJwksArchive(issuer: string): JwksArchive {
  archiveTargetPath(issuer);
  return { issuer, keys: [] };
}

/**
 * Parses an archive, shape first, recomputing every thumbprint (a key whose stored thumbprint is
 * not its own is refused: lookups by `jkt` must be sound).
 * @param bytes - the file as read
 * @param what - names the file in messages
 * @throws PolicyError POLICY_ARCHIVE_INVALID naming the first bad field
 */
export function parseJwksArchive(bytes: Uint8Array, what = 'JWKS archive'): JwksArchive {
  if (bytes.length > MAX_JWKS_ARCHIVE_BYTES) throw invalid(what, `is larger than ${MAX_JWKS_ARCHIVE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseJsonStrict(bytes);
  } catch (err) {
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      cause: err,
      message: `${what}: not UTF-8 JSON; run "opk-attest trust jwks sync" again and publish`,
    });
  }
  if (!isRecord(doc)) throw invalid(what, 'is not a JSON object');
  onlyFields(doc, ARCHIVE_FIELDS, what);
  const { issuer, keys } = doc;
  if (typeof issuer !== 'string') throw invalid(what, '"issuer" is not a string');
  archiveTargetPath(issuer);
  if (!Array.isArray(keys) || keys.length > MAX_JWKS_ARCHIVE_KEYS)
    throw invalid(what, `"keys" is not an array of at most ${MAX_JWKS_ARCHIVE_KEYS}`);
  const parsed = keys.map((k, i) => parseArchivedKey(k, `${what} keys[${i}]`));
  if (new Set(parsed.map((k) => k.thumbprint)).size !== parsed.length) throw invalid(what, 'lists one key twice');
  return { issuer, keys: parsed };
}

/**
 * Serialises an archive (keys in the order first seen), as `trust jwks sync` writes it.
 * @throws never
 */
export function serializeJwksArchive(archive: JwksArchive): string {
  return `${JSON.stringify({ issuer: archive.issuer, keys: archive.keys }, null, 2)}\n`;
}

/**
 * Merges the provider's live JWKS into its archive: new keys are added (first and last seen now),
 * known keys get lastSeen now, and no key is ever removed. Keys the verifier could not use (not
 * RSA/EC P-256/Ed25519, private members, too short) are skipped and reported.
 * @param archive - the current archive (not modified)
 * @param live - the provider's JWKS as fetched
 * @param now - the time of the fetch
 * @returns the new archive and what changed
 * @throws PolicyError POLICY_ARCHIVE_INVALID when the archive would exceed MAX_JWKS_ARCHIVE_KEYS
 */
export function mergeJwksArchive(archive: JwksArchive, live: Jwks, now: Date): JwksMergeResult {
  const stamp = timestamp(now);
  const keys = archive.keys.map((k) => ({ ...k }));
  const byThumbprint = new Map(keys.map((k) => [k.thumbprint, k]));
  const added: ArchivedKey[] = [];
  const skipped: JwksMergeResult['skipped'] = [];
  let seen = 0;
  for (const input of live.keys) {
    const kid = typeof input.kid === 'string' ? input.kid : undefined;
    let jwk: PublicJwk;
    try {
      jwk = parsePublicJwk(input, `live key ${JSON.stringify(kid)}`, 'PKT_JWKS_INVALID');
    } catch (err) {
      // Providers may publish keys for other uses; such a key is reported, and the rest still archived.
      skipped.push({ kid, reason: (err as Error).message });
      continue;
    }
    const thumbprint = jwkThumbprint(jwk);
    const known = byThumbprint.get(thumbprint);
    if (known) {
      known.lastSeen = stamp;
      seen++;
      continue;
    }
    const entry = { jwk, thumbprint, firstSeen: stamp, lastSeen: stamp };
    keys.push(entry);
    byThumbprint.set(thumbprint, entry);
    added.push(entry);
  }
  if (keys.length > MAX_JWKS_ARCHIVE_KEYS)
    throw invalid(`archive of ${archive.issuer}`, `would hold more than ${MAX_JWKS_ARCHIVE_KEYS} keys`);
  return { archive: { issuer: archive.issuer, keys }, added, seen, skipped };
}

/**
 * A KeyFinder over archives: for the token's issuer, the archived key whose thumbprint is the
 * token's `jkt` (and whose kid is the token's kid, when both have one); without a `jkt`, the key
 * with that kid (when a provider reused a kid, the one seen last).
 * @param archives - one per issuer; a second archive of the same issuer is ignored
 * @throws never (the returned finder resolves undefined when it has no such key)
 */
export function archiveKeyFinder(archives: readonly JwksArchive[]): KeyFinder {
  const byIssuer = new Map<string, JwksArchive>();
  for (const a of archives) if (!byIssuer.has(a.issuer)) byIssuer.set(a.issuer, a);
  return async (issuer, kid, jkt) => {
    const keys = byIssuer.get(issuer)?.keys ?? [];
    // A distrusted key refuses the token whether or not the provider still serves it live.
    const bad = keys.find(
      (k) => k.distrusted && (jkt !== undefined ? k.thumbprint === jkt : kid !== undefined && k.jwk.kid === kid),
    );
    if (bad?.distrusted) {
      throw new PkTokenError({
        code: 'PKT_KEY_DISTRUSTED',
        message: `PK token from ${issuer}: OP key kid ${JSON.stringify(bad.jwk.kid ?? '')} (jkt ${bad.thumbprint}) is distrusted since ${bad.distrusted.since}: ${bad.distrusted.reason}`,
      });
    }
    const found = lookup(keys, kid, jkt);
    return found ? { ...found.jwk } : undefined;
  };
}

/**
 * Marks every archived key with this kid as distrusted (it stays listed: an archive never drops a
 * key, and a later sync must not bring it back as trusted).
 * @returns the new archive and the thumbprints marked
 * @throws PolicyError POLICY_ARCHIVE_INVALID when no archived key has the kid, or the reason is empty or too long
 */
export function distrustJwksKey(
  archive: JwksArchive,
  kid: string,
  reason: string,
  now: Date,
): { archive: JwksArchive; marked: string[] } {
  if (reason.trim() === '' || reason.length > MAX_REASON_LENGTH)
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      message: `--reason must be 1 to ${MAX_REASON_LENGTH} characters; say why the key is distrusted (it is shown to verifiers)`,
    });
  const marked: string[] = [];
  const keys = archive.keys.map((k) => {
    if (k.jwk.kid !== kid) return k;
    marked.push(k.thumbprint);
    return { ...k, distrusted: { reason, since: timestamp(now) } };
  });
  if (marked.length === 0)
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      message: `the archive of ${archive.issuer} has no key with kid ${JSON.stringify(kid)}; run "opk-attest trust jwks sync --issuer ${archive.issuer}" first, or check the kid with "trust inspect"`,
    });
  return { archive: { issuer: archive.issuer, keys }, marked };
}

function lookup(
  keys: readonly ArchivedKey[],
  kid: string | undefined,
  jkt: string | undefined,
): ArchivedKey | undefined {
  const kidMatches = (k: ArchivedKey) =>
    kid === undefined || kid === '' || k.jwk.kid === undefined || k.jwk.kid === kid;
  if (jkt !== undefined) return keys.find((k) => k.thumbprint === jkt && kidMatches(k));
  if (kid === undefined || kid === '') return keys.length === 1 ? keys[0] : undefined;
  return keys
    .filter((k) => k.jwk.kid === kid)
    .reduce<ArchivedKey | undefined>(
      (best, k) => (best === undefined || k.lastSeen > best.lastSeen ? k : best),
      undefined,
    );
}

function parseArchivedKey(k: unknown, what: string): ArchivedKey {
  if (!isRecord(k)) throw invalid(what, 'is not an object');
  onlyFields(k, KEY_FIELDS, what);
  let jwk: PublicJwk;
  try {
    jwk = parsePublicJwk(k.jwk, `${what} jwk`, 'PKT_JWKS_INVALID');
  } catch (err) {
    throw new PolicyError({
      code: 'POLICY_ARCHIVE_INVALID',
      cause: err,
      message: `${what}: ${(err as Error).message}`,
    });
  }
  const { thumbprint, firstSeen, lastSeen } = k;
  if (thumbprint !== jwkThumbprint(jwk)) throw invalid(what, '"thumbprint" is not the RFC 7638 thumbprint of its jwk');
  if (
    typeof firstSeen !== 'string' ||
    typeof lastSeen !== 'string' ||
    !TIMESTAMP.test(firstSeen) ||
    !TIMESTAMP.test(lastSeen) ||
    lastSeen < firstSeen
  ) {
    throw invalid(
      what,
      '"firstSeen" and "lastSeen" must be RFC 3339 UTC times (YYYY-MM-DDTHH:MM:SSZ), first not after last',
    );
  }
  const { distrusted } = k;
  if (distrusted === undefined) return { jwk, thumbprint, firstSeen, lastSeen };
  if (
    !isRecord(distrusted) ||
    typeof distrusted.reason !== 'string' ||
    distrusted.reason === '' ||
    distrusted.reason.length > MAX_REASON_LENGTH ||
    typeof distrusted.since !== 'string' ||
    !TIMESTAMP.test(distrusted.since)
  )
    throw invalid(what, `"distrusted" must be {reason (1-${MAX_REASON_LENGTH} characters), since (RFC 3339 UTC)}`);
  onlyFields(distrusted, DISTRUST_FIELDS, `${what} distrusted`);
  return { jwk, thumbprint, firstSeen, lastSeen, distrusted: { reason: distrusted.reason, since: distrusted.since } };
}

function timestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function onlyFields(o: Record<string, unknown>, known: readonly string[], what: string): void {
  const extra = Object.keys(o).find((k) => !known.includes(k));
  if (extra !== undefined)
    throw invalid(what, `${quote(extra, 40)} is not a known field (expected ${known.join(', ')})`);
}

function invalid(what: string, fault: string): PolicyError {
  return new PolicyError({
    code: 'POLICY_ARCHIVE_INVALID',
    message: `${what}: ${fault}; run "opk-attest trust jwks sync" and publish again`,
  });
}
