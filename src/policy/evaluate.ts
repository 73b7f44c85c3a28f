/**
 * Evaluating the trust policy (docs/formats.md, "`policy.json`") for one platform image: which
 * rule applies, which signer rules a verified signature satisfies, and the verdict — revocations,
 * log entries, a threshold of distinct signers, required predicate types. Pure.
 */
import type { Digest } from '../core/digest.js';
import { globMatch } from './glob.js';
import type { Policy, PolicyRule, SignerRule } from './model.js';
import { signerIdentity } from './signer-identity.js';

/** A verified signature, as the policy sees it. */
export interface VerifiedSignatureFacts {
  issuer: string;
  claims: Readonly<Record<string, unknown>>;
  predicateType: string;
  logged: boolean;
  /** The log's integrated time (seconds), when a verified log entry vouches for it. */
  integratedTime?: number;
}

/** The verdict for one platform image. */
export interface PolicyVerdict {
  rule: PolicyRule;
  /** Names of the distinct signer rules satisfied. */
  signers: string[];
  /** Signer rules that verified signatures match but that are revoked, with the reason. */
  revokedSigners?: { name: string; reason?: string }[];
  violations: string[];
  passed: boolean;
}

/**
 * The first rule whose scope matches `registry/repository`, if any (rules are ordered: put the
 * narrow scopes first).
 * @param image - `registry/repository`, e.g. `ghcr.io/acme/app`
 * @throws never
 */
export function ruleFor(policy: Policy, image: string): PolicyRule | undefined {
  return policy.rules.find((r) => globMatch(r.scope, image));
}

/**
 * Whether a verified signature satisfies a signer rule: same issuer, and every claim pattern
 * matches the token's own string claim of that name (inherited or non-string values never match).
 * @throws never
 */
export function signerMatches(rule: SignerRule, sig: VerifiedSignatureFacts): boolean {
  if (rule.issuer !== sig.issuer) return false;
  return Object.entries(rule.claims).every(([claim, pattern]) => {
    const v = Object.hasOwn(sig.claims, claim) ? sig.claims[claim] : undefined;
    return typeof v === 'string' && globMatch(pattern, v);
  });
}

/**
 * Applies a rule to the verified signatures of one platform image: revocations, log entries,
 * the threshold of distinct signers, required predicates.
 *
 * Distinct means distinct identities as well as distinct signer rules: each signer identity (issuer,
 * `sub`, and the workflow that ran, `job_workflow_ref` or `workflow_ref`) is counted toward at most
 * one signer rule, however many signatures it made and however many rules its claims satisfy
 * (a maximum matching), so replaying one identity's signatures never reaches a threshold of 2.
 * @param subject - the platform manifest digest, or it and the digests that contain it (the image
 *   index): any of them being revoked is a violation
 * @param sigs - the signatures that verified (DSSE, PK token, binding, subject, log entry if any)
 * @returns the verdict; `passed` is false whenever there is a violation, whatever the rule's level
 * @throws never
 */
export function evaluate(
  policy: Policy,
  rule: PolicyRule,
  subject: Digest | readonly Digest[],
  sigs: readonly VerifiedSignatureFacts[],
  image?: string,
): PolicyVerdict {
  const violations: string[] = [];
  const why = (key: string) => {
    const r =
      policy.revoked.reasons && Object.hasOwn(policy.revoked.reasons, key) ? policy.revoked.reasons[key] : undefined;
    return r ? `: ${r}` : '';
  };
  for (const d of typeof subject === 'string' ? [subject] : subject) {
    if (policy.revoked.digests.includes(d)) violations.push(`${d} is revoked${why(d)}`);
  }
  const scopes = image === undefined ? [] : (policy.revoked.scopes ?? []).filter((s) => globMatch(s.scope, image));
  for (const s of scopes.filter((x) => x.before === undefined))
    violations.push(`images in scope ${s.scope} are revoked${s.reason ? `: ${s.reason}` : ''}`);
  const cutoffs = scopes.filter((x) => x.before !== undefined);
  const revokedByTime = (s: VerifiedSignatureFacts) =>
    cutoffs.find((c) => s.integratedTime === undefined || s.integratedTime * 1000 < Date.parse(c.before!));
  const allowed = rule.signers.filter((r) => !policy.revoked.signers.includes(r.name));
  const matched = (s: VerifiedSignatureFacts) => allowed.filter((r) => signerMatches(r, s));
  const logged = sigs.filter((s) => rule.transparencyLog === 'optional' || s.logged);
  const usable = logged.filter((s) => !revokedByTime(s));
  const unlogged = sigs.length - logged.length;
  const timed = logged.length - usable.length;
  const notes = [
    unlogged > 0
      ? `${unlogged} signature(s) without a verified log entry do not count (transparencyLog: required)`
      : '',
    timed > 0
      ? `${timed} signature(s) logged before a scope revocation's cut-off do not count (${cutoffs.map((c) => `${c.scope} before ${c.before}${c.reason ? `: ${c.reason}` : ''}`).join('; ')})`
      : '',
  ].filter(Boolean);
  const note = notes.map((n) => `; ${n}`).join('');
  const revokedSigners = rule.signers
    .filter((r) => policy.revoked.signers.includes(r.name) && usable.some((s) => signerMatches(r, s)))
    .map((r) => ({ name: r.name, ...(why(r.name) ? { reason: why(r.name).slice(2) } : {}) }));
  const signers = distinctSigners(usable, matched);
  if (signers.length < rule.threshold) {
    const revokedNote = revokedSigners
      .map((r) => `signer ${r.name} is revoked${r.reason ? `: ${r.reason}` : ''}; `)
      .join('');
    violations.push(
      `${revokedNote}expected ${rule.threshold} distinct signer(s) of [${rule.signers.map((s) => s.name).join(', ')}], got ${signers.length}${signers.length ? ` (${signers.join(', ')})` : ''}${note}`,
    );
  }
  for (const required of rule.require) {
    if (!usable.some((s) => matched(s).length > 0 && globMatch(required, s.predicateType))) {
      violations.push(`no signature by an allowed signer covers predicate type ${required}${note}`);
    }
  }
  return {
    rule,
    signers,
    ...(revokedSigners.length ? { revokedSigners } : {}),
    violations,
    passed: violations.length === 0,
  };
}

/** The names of the signer rules in a maximum matching of identities to rules (Kuhn's algorithm). */
function distinctSigners(
  sigs: readonly VerifiedSignatureFacts[],
  matched: (s: VerifiedSignatureFacts) => SignerRule[],
): string[] {
  const rulesOf = new Map<string, Set<SignerRule>>();
  for (const s of sigs) {
    const id = signerIdentity(s.issuer, s.claims);
    const set = rulesOf.get(id) ?? new Set<SignerRule>();
    for (const r of matched(s)) set.add(r);
    if (set.size > 0) rulesOf.set(id, set);
  }
  const holder = new Map<SignerRule, string>();
  const assign = (id: string, visited: Set<SignerRule>): boolean => {
    for (const r of rulesOf.get(id)!) {
      if (visited.has(r)) continue;
      visited.add(r);
      const other = holder.get(r);
      if (other === undefined || assign(other, visited)) {
        holder.set(r, id);
        return true;
      }
    }
    return false;
  };
  for (const id of rulesOf.keys()) assign(id, new Set());
  return [...holder.keys()].map((r) => r.name).sort();
}
