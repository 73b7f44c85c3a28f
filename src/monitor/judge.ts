/**
 * What the policy says about one signer seen in the log. A log entry names no image (the
 * hashedrekord holds only a digest), so the question is whether any signer rule of any policy
 * rule allows this identity: allowed, allowed only by revoked signer rules, or by none. For
 * "none" the reason names the closest miss (the signer rule of the same issuer that fails on
 * the fewest claims): an unknown repository, workflow or ref.
 */
import { signerMatches, type Policy, type SignerRule } from '../policy/index.js';

/** Why a signature is reported. */
export type FindingReason =
  'unknown-issuer' | 'unknown-repository' | 'unknown-workflow' | 'unknown-ref' | 'unknown-identity' | 'revoked-signer';

/** The judgement of one identity. */
export type Judgement =
  { allowed: true; signers: string[] } | { allowed: false; reason: FindingReason; detail: string };

/** Claims by what they identify; the first mismatching one names the reason. */
const KIND: Readonly<Record<string, FindingReason>> = {
  repository: 'unknown-repository',
  repository_owner: 'unknown-repository',
  repository_id: 'unknown-repository',
  repository_owner_id: 'unknown-repository',
  job_workflow_ref: 'unknown-workflow',
  workflow_ref: 'unknown-workflow',
  workflow: 'unknown-workflow',
  job_workflow_sha: 'unknown-workflow',
  ref: 'unknown-ref',
  ref_type: 'unknown-ref',
  base_ref: 'unknown-ref',
  environment: 'unknown-ref',
};
const ORDER: readonly FindingReason[] = ['unknown-repository', 'unknown-workflow', 'unknown-ref', 'unknown-identity'];

/**
 * Judges an identity (issuer and verified claims) against every signer rule of the policy.
 * @throws never
 */
export function judge(policy: Policy, issuer: string, claims: Readonly<Record<string, unknown>>): Judgement {
  const facts = { issuer, claims, predicateType: '', logged: true };
  const all = uniqueSigners(policy);
  const matching = all.filter((r) => signerMatches(r, facts));
  const live = matching.filter((r) => !policy.revoked.signers.includes(r.name));
  if (live.length > 0) return { allowed: true, signers: live.map((r) => r.name) };
  if (matching.length > 0) {
    return {
      allowed: false,
      reason: 'revoked-signer',
      detail: `signer ${matching.map((r) => `"${r.name}"`).join(', ')} is revoked in the policy`,
    };
  }
  const sameIssuer = all.filter((r) => r.issuer === issuer);
  if (sameIssuer.length === 0)
    return { allowed: false, reason: 'unknown-issuer', detail: `no signer rule trusts issuer ${issuer}` };
  const misses = sameIssuer
    .map((r) => ({ rule: r, failed: failedClaims(r, claims) }))
    .sort((a, b) => a.failed.length - b.failed.length);
  const closest = misses[0]!;
  const reasons = closest.failed.map((c) => KIND[c] ?? 'unknown-identity');
  const reason = ORDER.find((r) => reasons.includes(r)) ?? 'unknown-identity';
  const claim = closest.failed[reasons.indexOf(reason)]!;
  const value = typeof claims[claim] === 'string' ? `"${String(claims[claim]).slice(0, 200)}"` : 'missing';
  return {
    allowed: false,
    reason,
    detail: `${claim} ${value} is allowed by no signer rule (closest: "${closest.rule.name}" wants ${claim}=${closest.rule.claims[claim]})`,
  };
}

function failedClaims(rule: SignerRule, claims: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(rule.claims).filter(
    (c) =>
      !signerMatches(
        { ...rule, claims: { [c]: rule.claims[c]! } },
        { issuer: rule.issuer, claims, predicateType: '', logged: true },
      ),
  );
}

/** Signer rules of all policy rules; one rule's signers may repeat in another. */
function uniqueSigners(policy: Policy): SignerRule[] {
  const seen = new Map<string, SignerRule>();
  for (const rule of policy.rules)
    for (const s of rule.signers) seen.set(JSON.stringify([s.name, s.issuer, s.claims]), s);
  return [...seen.values()];
}
