/**
 * The trust policy (docs/formats.md, "`policy.json`"): ordered rules by image scope — who may sign,
 * how many distinct signers, which predicates are required, whether log entries are required,
 * enforce or audit — plus revoked image digests and signer names. Parsing is shape-first and
 * reports every bad field; evaluation is in `evaluate.ts`.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { MAX_POLICY_BYTES } from '../core/limits.js';
import { PolicyError } from './errors.js';
import { isRecord } from '../core/guards.js';
import { parseJsonStrict } from '../core/json.js';
import { quote } from '../core/quote.js';

/** An allowed signer: an OIDC issuer and claim patterns (exact or glob). */
export interface SignerRule {
  name: string;
  issuer: string;
  claims: Record<string, string>;
}

/** One rule, applying to images whose `registry/repository` matches `scope`. */
export interface PolicyRule {
  scope: string;
  signers: SignerRule[];
  threshold: number;
  /** Predicate type patterns that must each be covered by a verified signature. */
  require: string[];
  transparencyLog: 'required' | 'optional';
  level: 'enforce' | 'audit';
}

/** A revoked image scope: every image whose `registry/repository` matches, or only its signatures logged before a time. */
export interface RevokedScope {
  scope: string;
  /** RFC 3339 UTC: only signatures whose log time is before it (or unknown) are revoked. */
  before?: string;
  reason?: string;
}

/** The block-list: image digests, signer names, scopes, and why. */
export interface Revoked {
  digests: Digest[];
  signers: string[];
  /** Absent in policies that revoke no scope (so older files stay byte-identical). */
  scopes?: RevokedScope[];
  /** Why a digest or signer name was revoked, by digest or name. */
  reasons?: Record<string, string>;
}

/** The whole policy. */
export interface Policy {
  rules: PolicyRule[];
  revoked: Revoked;
}

const MAX_RULES = 1000;
const MAX_SIGNERS = 100;
/** Bad fields listed in one error message; the rest are counted (the message stays one line). */
const MAX_REPORTED = 20;
const POLICY_FIELDS = ['rules', 'revoked'] as const;
const RULE_FIELDS = ['scope', 'signers', 'threshold', 'require', 'transparencyLog', 'level'] as const;
const SIGNER_FIELDS = ['name', 'issuer', 'claims'] as const;
const REVOKED_FIELDS = ['digests', 'signers', 'scopes', 'reasons'] as const;
const SCOPE_FIELDS = ['scope', 'before', 'reason'] as const;
const MAX_REVOKED_SCOPES = 1000;
/** RFC 3339 UTC, second precision. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * Parses policy.json: shape first, every bad field reported at once. Unknown fields are refused
 * (a misspelt `threshold` or `revoked.digests` must not silently weaken the policy), and so are
 * duplicate signer names in a rule (names are what revocation and the verdict refer to).
 * @param bytes - the file as read (UTF-8 JSON, at most MAX_POLICY_BYTES)
 * @param what - how to name the file in messages
 * @returns the policy with defaults applied (threshold 1, require [], transparencyLog "required",
 *   level "enforce", revoked lists empty)
 * @throws PolicyError POLICY_INVALID naming every bad field
 */
export function parsePolicy(bytes: Uint8Array, what = 'policy.json'): Policy {
  if (bytes.length > MAX_POLICY_BYTES) throw invalid(what, [`larger than ${MAX_POLICY_BYTES} bytes`]);
  let doc: unknown;
  try {
    doc = parseJsonStrict(bytes);
  } catch (err) {
    throw new PolicyError({
      code: 'POLICY_INVALID',
      cause: err,
      message: `${what}: not UTF-8 JSON; fix the file and publish again`,
    });
  }
  const bad: string[] = [];
  const o = isRecord(doc) ? doc : (bad.push('top level must be an object'), {});
  unknownFields(o, POLICY_FIELDS, '', bad);
  const rulesIn = own(o, 'rules');
  const rulesList =
    Array.isArray(rulesIn) && rulesIn.length <= MAX_RULES
      ? rulesIn
      : (bad.push(`rules must be an array of at most ${MAX_RULES}`), []);
  const rules = rulesList.map((r, i) => parseRule(r, `rules[${i}]`, bad));
  const revoked = parseRevoked(own(o, 'revoked'), bad);
  if (bad.length > 0) throw invalid(what, bad);
  return { rules, revoked };
}

function parseRule(r: unknown, at: string, bad: string[]): PolicyRule {
  if (!isRecord(r)) {
    bad.push(`${at} must be an object`);
    return { scope: '', signers: [], threshold: 1, require: [], transparencyLog: 'required', level: 'enforce' };
  }
  unknownFields(r, RULE_FIELDS, `${at}.`, bad);
  const scope = str(own(r, 'scope'), `${at}.scope`, bad);
  const signersIn = own(r, 'signers');
  const signersList =
    Array.isArray(signersIn) && signersIn.length > 0 && signersIn.length <= MAX_SIGNERS
      ? signersIn
      : (bad.push(`${at}.signers must list 1..${MAX_SIGNERS} signers`), []);
  const signers = signersList.map((s, i) => parseSigner(s, `${at}.signers[${i}]`, bad));
  const names = signers.map((s) => s.name).filter((n) => n !== '');
  if (new Set(names).size !== names.length) bad.push(`${at}.signers must have distinct names`);
  const threshold = field(r, 'threshold', 1);
  if (
    !Number.isSafeInteger(threshold) ||
    (threshold as number) < 1 ||
    (threshold as number) > Math.max(1, signers.length)
  ) {
    bad.push(`${at}.threshold must be an integer from 1 to the number of signers`);
  }
  const require = field(r, 'require', []);
  if (!Array.isArray(require) || !require.every((x) => typeof x === 'string' && x !== ''))
    bad.push(`${at}.require must be an array of predicate type patterns`);
  const transparencyLog = field(r, 'transparencyLog', 'required');
  if (transparencyLog !== 'required' && transparencyLog !== 'optional')
    bad.push(`${at}.transparencyLog must be "required" or "optional"`);
  const level = field(r, 'level', 'enforce');
  if (level !== 'enforce' && level !== 'audit') bad.push(`${at}.level must be "enforce" or "audit"`);
  return {
    scope,
    signers,
    threshold: threshold as number,
    require: require as string[],
    transparencyLog: transparencyLog as PolicyRule['transparencyLog'],
    level: level as PolicyRule['level'],
  };
}

function parseSigner(s: unknown, at: string, bad: string[]): SignerRule {
  if (!isRecord(s)) {
    bad.push(`${at} must be an object`);
    return { name: '', issuer: '', claims: {} };
  }
  unknownFields(s, SIGNER_FIELDS, `${at}.`, bad);
  return {
    name: str(own(s, 'name'), `${at}.name`, bad),
    issuer: str(own(s, 'issuer'), `${at}.issuer`, bad),
    claims: parseClaims(field(s, 'claims', {}), `${at}.claims`, bad),
  };
}

/** Claim patterns, copied into a null-prototype record: a `__proto__` key stays a plain claim name. */
function parseClaims(c: unknown, at: string, bad: string[]): Record<string, string> {
  const claims = Object.create(null) as Record<string, string>;
  if (!isRecord(c) || !Object.values(c).every((v) => typeof v === 'string')) {
    bad.push(`${at} must map claim names to strings`);
    return claims;
  }
  for (const [k, v] of Object.entries(c))
    Object.defineProperty(claims, k, { value: v, enumerable: true, writable: true, configurable: true });
  return claims;
}

function parseRevoked(r: unknown, bad: string[]): Revoked {
  if (r === undefined) return { digests: [], signers: [] };
  if (!isRecord(r)) {
    bad.push('revoked must be an object {digests, signers}');
    return { digests: [], signers: [] };
  }
  unknownFields(r, REVOKED_FIELDS, 'revoked.', bad);
  const digests = field(r, 'digests', []);
  if (!Array.isArray(digests) || !digests.every(isDigest))
    bad.push('revoked.digests must be sha256 digests ("sha256:" and 64 lowercase hex characters)');
  const signers = field(r, 'signers', []);
  if (!Array.isArray(signers) || !signers.every((x) => typeof x === 'string' && x !== ''))
    bad.push('revoked.signers must be signer names');
  const out: Revoked = {
    digests: Array.isArray(digests) ? (digests as Digest[]) : [],
    signers: Array.isArray(signers) ? (signers as string[]) : [],
  };
  const scopes = own(r, 'scopes');
  if (scopes !== undefined) out.scopes = parseRevokedScopes(scopes, bad);
  const reasons = own(r, 'reasons');
  if (reasons !== undefined) {
    const parsed = parseClaims(reasons, 'revoked.reasons', bad);
    out.reasons = parsed;
  }
  return out;
}

function parseRevokedScopes(v: unknown, bad: string[]): RevokedScope[] {
  if (!Array.isArray(v) || v.length > MAX_REVOKED_SCOPES) {
    bad.push(`revoked.scopes must be an array of at most ${MAX_REVOKED_SCOPES}`);
    return [];
  }
  return v.map((x, i) => {
    const at = `revoked.scopes[${i}]`;
    if (!isRecord(x)) {
      bad.push(`${at} must be an object {scope, before?, reason?}`);
      return { scope: '' };
    }
    unknownFields(x, SCOPE_FIELDS, `${at}.`, bad);
    const s: RevokedScope = { scope: str(own(x, 'scope'), `${at}.scope`, bad) };
    const before = own(x, 'before');
    if (before !== undefined) {
      if (typeof before !== 'string' || !TIMESTAMP.test(before) || Number.isNaN(Date.parse(before)))
        bad.push(`${at}.before must be an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)`);
      else s.before = before;
    }
    const reason = own(x, 'reason');
    if (reason !== undefined) s.reason = str(reason, `${at}.reason`, bad);
    return s;
  });
}

function str(v: unknown, at: string, bad: string[]): string {
  if (typeof v === 'string' && v !== '') return v;
  bad.push(`${at} must be a non-empty string`);
  return '';
}

/** An optional field: absent is the default, but an explicit `null` is a value (and a bad one). */
function field(o: Record<string, unknown>, key: string, dflt: unknown): unknown {
  const v = own(o, key);
  return v === undefined ? dflt : v;
}

/** An own property only: a field is never read from the prototype chain. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function unknownFields(o: Record<string, unknown>, known: readonly string[], at: string, bad: string[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) bad.push(`${at}${quote(k, 40)} is not a known field (expected ${known.join(', ')})`);
  }
}

function invalid(what: string, bad: string[]): PolicyError {
  const shown =
    bad.length > MAX_REPORTED ? [...bad.slice(0, MAX_REPORTED), `and ${bad.length - MAX_REPORTED} more`] : bad;
  return new PolicyError({
    code: 'POLICY_INVALID',
    message: `${what}: ${shown.join('; ')}; fix the policy and publish again`,
  });
}
