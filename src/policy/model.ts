/**
 * The trust policy (DESIGN §4.5 `policy.json`): ordered rules by image scope — who may sign,
 * how many distinct signers, which predicates are required, whether log entries are required,
 * enforce or audit — plus revoked image digests and signer names. Parsing is shape-first and
 * reports every bad field; evaluation is pure.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { MAX_POLICY_BYTES } from '../core/limits.js';
import { PolicyError } from './errors.js';
import { globMatch } from './glob.js';

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

/** The whole policy. */
export interface Policy {
  rules: PolicyRule[];
  revoked: { digests: Digest[]; signers: string[] };
}

/** A verified signature, as the policy sees it. */
export interface VerifiedSignatureFacts {
  issuer: string;
  claims: Readonly<Record<string, unknown>>;
  predicateType: string;
  logged: boolean;
}

/** The verdict for one platform image. */
export interface PolicyVerdict {
  rule: PolicyRule;
  /** Names of the distinct signer rules satisfied. */
  signers: string[];
  violations: string[];
  passed: boolean;
}

const MAX_RULES = 1000;
const MAX_SIGNERS = 100;

/**
 * Parses policy.json.
 * @throws PolicyError POLICY_INVALID naming every bad field
 */
export function parsePolicy(bytes: Uint8Array, what = 'policy.json'): Policy {
  if (bytes.length > MAX_POLICY_BYTES) throw invalid(what, [`larger than ${MAX_POLICY_BYTES} bytes`]);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new PolicyError({ code: 'POLICY_INVALID', cause: err, message: `${what}: not JSON; fix the file and publish again` });
  }
  const bad: string[] = [];
  const o = isObject(doc) ? doc : (bad.push('top level must be an object'), {});
  const rulesIn = Array.isArray(o.rules) && o.rules.length <= MAX_RULES ? o.rules : (bad.push(`rules must be an array of at most ${MAX_RULES}`), []);
  const rules = rulesIn.map((r, i) => parseRule(r, `rules[${i}]`, bad));
  const revoked = parseRevoked(o.revoked, bad);
  if (bad.length > 0) throw invalid(what, bad);
  return { rules, revoked };
}

/** The first rule whose scope matches `registry/repository`, if any. */
export function ruleFor(policy: Policy, image: string): PolicyRule | undefined {
  return policy.rules.find((r) => globMatch(r.scope, image));
}

/** Whether a verified signature satisfies a signer rule. */
export function signerMatches(rule: SignerRule, sig: VerifiedSignatureFacts): boolean {
  if (rule.issuer !== sig.issuer) return false;
  return Object.entries(rule.claims).every(([claim, pattern]) => {
    const v = sig.claims[claim];
    return typeof v === 'string' && globMatch(pattern, v);
  });
}

/**
 * Applies a rule to the verified signatures of one platform image: distinct signers toward the
 * threshold, required predicates, log entries, revocations.
 */
export function evaluate(policy: Policy, rule: PolicyRule, subject: Digest, sigs: readonly VerifiedSignatureFacts[]): PolicyVerdict {
  const violations: string[] = [];
  if (policy.revoked.digests.includes(subject)) violations.push(`${subject} is revoked`);
  const usable = sigs.filter((s) => rule.transparencyLog === 'optional' || s.logged);
  if (usable.length < sigs.length) violations.push(`${sigs.length - usable.length} signature(s) without a verified log entry do not count (transparencyLog: required)`);
  const allowed = rule.signers.filter((r) => !policy.revoked.signers.includes(r.name));
  const matched = (s: VerifiedSignatureFacts) => allowed.filter((r) => signerMatches(r, s)).map((r) => r.name);
  const signers = [...new Set(usable.flatMap(matched))];
  if (signers.length < rule.threshold) {
    violations.push(`expected ${rule.threshold} distinct signer(s) of [${rule.signers.map((s) => s.name).join(', ')}], got ${signers.length}${signers.length ? ` (${signers.join(', ')})` : ''}`);
  }
  for (const required of rule.require) {
    if (!usable.some((s) => matched(s).length > 0 && globMatch(required, s.predicateType))) {
      violations.push(`no signature by an allowed signer covers predicate type ${required}`);
    }
  }
  return { rule, signers, violations, passed: violations.length === 0 };
}

function parseRule(r: unknown, at: string, bad: string[]): PolicyRule {
  if (!isObject(r)) {
    bad.push(`${at} must be an object`);
    return { scope: '', signers: [], threshold: 1, require: [], transparencyLog: 'required', level: 'enforce' };
  }
  const scope = str(r.scope, `${at}.scope`, bad);
  const signersIn = Array.isArray(r.signers) && r.signers.length > 0 && r.signers.length <= MAX_SIGNERS ? r.signers : (bad.push(`${at}.signers must list 1..${MAX_SIGNERS} signers`), []);
  const signers = signersIn.map((s, i) => parseSigner(s, `${at}.signers[${i}]`, bad));
  const threshold = r.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || (threshold as number) < 1 || (threshold as number) > Math.max(1, signers.length)) {
    bad.push(`${at}.threshold must be an integer from 1 to the number of signers`);
  }
  const require = r.require ?? [];
  if (!Array.isArray(require) || !require.every((x) => typeof x === 'string')) bad.push(`${at}.require must be an array of predicate type patterns`);
  const transparencyLog = r.transparencyLog ?? 'required';
  if (transparencyLog !== 'required' && transparencyLog !== 'optional') bad.push(`${at}.transparencyLog must be "required" or "optional"`);
  const level = r.level ?? 'enforce';
  if (level !== 'enforce' && level !== 'audit') bad.push(`${at}.level must be "enforce" or "audit"`);
  return { scope, signers, threshold: threshold as number, require: require as string[], transparencyLog: transparencyLog as PolicyRule['transparencyLog'], level: level as PolicyRule['level'] };
}

function parseSigner(s: unknown, at: string, bad: string[]): SignerRule {
  if (!isObject(s)) {
    bad.push(`${at} must be an object`);
    return { name: '', issuer: '', claims: {} };
  }
  const claims = s.claims ?? {};
  if (!isObject(claims) || !Object.values(claims).every((v) => typeof v === 'string')) bad.push(`${at}.claims must map claim names to strings`);
  return { name: str(s.name, `${at}.name`, bad), issuer: str(s.issuer, `${at}.issuer`, bad), claims: claims as Record<string, string> };
}

function parseRevoked(r: unknown, bad: string[]): Policy['revoked'] {
  if (r === undefined) return { digests: [], signers: [] };
  if (!isObject(r)) {
    bad.push('revoked must be an object {digests, signers}');
    return { digests: [], signers: [] };
  }
  const digests = r.digests ?? [];
  if (!Array.isArray(digests) || !digests.every(isDigest)) bad.push('revoked.digests must be sha256 digests');
  const signers = r.signers ?? [];
  if (!Array.isArray(signers) || !signers.every((x) => typeof x === 'string')) bad.push('revoked.signers must be signer names');
  return { digests: digests as Digest[], signers: signers as string[] };
}

function str(v: unknown, at: string, bad: string[]): string {
  if (typeof v === 'string' && v !== '') return v;
  bad.push(`${at} must be a non-empty string`);
  return '';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(what: string, bad: string[]): PolicyError {
  return new PolicyError({ code: 'POLICY_INVALID', message: `${what}: ${bad.join('; ')}; fix the policy and publish again` });
}
