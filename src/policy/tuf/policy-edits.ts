/**
 * Edits of a staged policy, as the `trust` commands make them: each returns a new policy and
 * leaves the input alone; the caller stages the result, which parses it again (`stagePolicy`).
 * Rules are addressed by their exact scope string. A new rule goes before the first existing rule
 * whose scope contains it (rules are first-match: a narrow scope after a broad one never applies).
 */
import type { Digest } from '../../core/digest.js';
import { isHttpsOrLoopback } from '../../core/loopback.js';
import { PolicyError } from '../errors.js';
import type { Policy, PolicyRule, Revoked, RevokedScope, SignerRule } from '../model.js';
import { scopeWithin } from './delegations.js';

/**
 * Checks an issuer URL as a signer rule names it: `https://`, or plain `http://` only on a
 * loopback host (tests and demos). An issuer without a scheme can never equal a token's `iss`.
 * @throws PolicyError POLICY_INVALID naming the issuer and the fix
 */
export function checkIssuerUrl(issuer: string): void {
  let u: URL | undefined;
  try {
    u = new URL(issuer);
  } catch {
    // Not a URL at all: reported below with the same fix.
  }
  if (u === undefined || !isHttpsOrLoopback(u) || u.username || u.search || u.hash) {
    throw new PolicyError({
      code: 'POLICY_INVALID',
      message: `issuer ${JSON.stringify(issuer.slice(0, 200))} is not an https:// URL (plain http:// only for loopback); give it exactly as the tokens' iss, e.g. https://token.actions.githubusercontent.com`,
    });
  }
}

/**
 * Adds a signer to the rule of `scope`, creating the rule (threshold 1, no required predicates,
 * log required, enforce) when there is none.
 * @throws PolicyError POLICY_INVALID when the rule already has a signer of that name, or the issuer is not https://
 */
export function addSigner(policy: Policy, scope: string, signer: SignerRule): Policy {
  checkIssuerUrl(signer.issuer);
  const at = policy.rules.findIndex((r) => r.scope === scope);
  if (at >= 0) {
    const rule = policy.rules[at]!;
    if (rule.signers.some((s) => s.name === signer.name)) {
      throw new PolicyError({
        code: 'POLICY_INVALID',
        message: `rule ${scope} already has a signer named ${signer.name}; remove it first or pick another name`,
      });
    }
    return withRule(policy, at, { ...rule, signers: [...rule.signers, signer] });
  }
  const rule: PolicyRule = {
    scope,
    signers: [signer],
    threshold: 1,
    require: [],
    transparencyLog: 'required',
    level: 'enforce',
  };
  const broader = policy.rules.findIndex((r) => scopeWithin(scope, r.scope));
  const rules = [...policy.rules];
  rules.splice(broader >= 0 ? broader : rules.length, 0, rule);
  return { ...policy, rules };
}

/** What a signer removal changed besides the signer itself. */
export interface SignerRemoval {
  policy: Policy;
  /** Scopes of the rules removed because no signer was left. */
  removedRules: string[];
  /** Rules whose threshold was lowered to the signers left. */
  lowered: { scope: string; from: number; to: number }[];
}

/**
 * Removes a signer from the rule of `scope`, or from every rule when no scope is given. A removal
 * that leaves a rule with fewer signers than its threshold (or with none, which removes the rule)
 * weakens the policy, and is refused unless `lowerThreshold` is set.
 * @returns the policy, the rules removed and the thresholds lowered
 * @throws PolicyError POLICY_INVALID when no such signer exists; POLICY_NO_RULE when there is no rule of
 *   `scope`; POLICY_EDIT_REFUSED when a rule would fall below its threshold without `lowerThreshold`
 */
export function removeSigner(
  policy: Policy,
  name: string,
  scope?: string,
  o: { lowerThreshold?: boolean } = {},
): SignerRemoval {
  if (scope !== undefined) ruleIndex(policy, scope);
  const removedRules: string[] = [];
  const lowered: SignerRemoval['lowered'] = [];
  let found = false;
  const rules = policy.rules.flatMap((r) => {
    if ((scope !== undefined && r.scope !== scope) || !r.signers.some((s) => s.name === name)) return [r];
    found = true;
    const signers = r.signers.filter((s) => s.name !== name);
    if (signers.length < r.threshold) lowered.push({ scope: r.scope, from: r.threshold, to: signers.length });
    if (signers.length === 0) {
      removedRules.push(r.scope);
      return [];
    }
    return [{ ...r, signers, threshold: Math.min(r.threshold, signers.length) }];
  });
  if (!found)
    throw new PolicyError({
      code: 'POLICY_INVALID',
      message: `no signer named ${name}${scope ? ` in rule ${scope}` : ''}; see "opk-attest trust signer list"`,
    });
  if (lowered.length > 0 && !o.lowerThreshold) {
    const what = lowered
      .map((l) =>
        l.to === 0
          ? `rule ${l.scope} would have no signer left (and go)`
          : `rule ${l.scope} requires ${l.from} signer(s) and would have ${l.to}`,
      )
      .join('; ');
    throw new PolicyError({
      code: 'POLICY_EDIT_REFUSED',
      message: `removing signer ${name}: ${what}; add a signer first, or pass --lower-threshold to weaken the rule knowingly`,
    });
  }
  return { policy: { ...policy, rules }, removedRules, lowered };
}

/**
 * Sets how many distinct signers the rule of `scope` requires.
 * @throws PolicyError POLICY_NO_RULE (no rule of that scope) | POLICY_INVALID (more than its signers)
 */
export function setThreshold(policy: Policy, scope: string, threshold: number): Policy {
  const at = ruleIndex(policy, scope);
  const rule = policy.rules[at]!;
  if (threshold < 1 || threshold > rule.signers.length) {
    throw new PolicyError({
      code: 'POLICY_INVALID',
      message: `rule ${scope} has ${rule.signers.length} signer(s); the threshold must be from 1 to ${rule.signers.length} (add signers first)`,
    });
  }
  return withRule(policy, at, { ...rule, threshold });
}

/**
 * Sets the predicate types (globs) the rule of `scope` requires; an empty list requires none.
 * @throws PolicyError POLICY_NO_RULE
 */
export function setRequire(policy: Policy, scope: string, types: readonly string[]): Policy {
  const at = ruleIndex(policy, scope);
  return withRule(policy, at, { ...policy.rules[at]!, require: [...new Set(types)] });
}

/**
 * Adds an image digest to the block-list (a no-op when it is already there), with an optional reason.
 * @throws never
 */
export function revokeDigest(policy: Policy, digest: Digest, reason?: string): Policy {
  const digests = policy.revoked.digests.includes(digest)
    ? policy.revoked.digests
    : [...policy.revoked.digests, digest];
  return withReason({ ...policy, revoked: { ...policy.revoked, digests } }, digest, reason);
}

/**
 * Revokes a signer name in every rule, with an optional reason. Names of a delegated role's
 * signers (`role/name`) are accepted as they are; other names must exist in the policy (a typo
 * must not pass silently).
 * @throws PolicyError POLICY_INVALID for an unknown name
 */
export function revokeSigner(policy: Policy, name: string, reason?: string): Policy {
  if (!name.includes('/') && !policy.rules.some((r) => r.signers.some((s) => s.name === name))) {
    throw new PolicyError({
      code: 'POLICY_INVALID',
      message: `no signer named ${name}; see "opk-attest trust signer list"`,
    });
  }
  const signers = policy.revoked.signers.includes(name) ? policy.revoked.signers : [...policy.revoked.signers, name];
  return withReason({ ...policy, revoked: { ...policy.revoked, signers } }, name, reason);
}

/**
 * Revokes every image whose `registry/repository` matches `scope` (a repository or a namespace
 * glob), or with `before` only the signatures logged before that time. Replaces an earlier
 * revocation of the same scope.
 * @throws never
 */
export function revokeScope(policy: Policy, revoked: RevokedScope): Policy {
  const scopes = [...(policy.revoked.scopes ?? []).filter((s) => s.scope !== revoked.scope), revoked];
  return { ...policy, revoked: { ...policy.revoked, scopes } };
}

/** What `unrevoke` lifts: one digest, signer name or scope. */
export type Unrevoke = { digest: Digest } | { signer: string } | { scope: string };

/**
 * Lifts a revocation (and its reason).
 * @throws PolicyError POLICY_INVALID when nothing of that name is revoked
 */
export function unrevoke(policy: Policy, what: Unrevoke): Policy {
  const r = policy.revoked;
  let next: Revoked;
  let key: string;
  let found: boolean;
  if ('digest' in what) {
    key = what.digest;
    found = r.digests.includes(key as Digest);
    next = { ...r, digests: r.digests.filter((d) => d !== what.digest) };
  } else if ('signer' in what) {
    key = what.signer;
    found = r.signers.includes(key);
    next = { ...r, signers: r.signers.filter((s) => s !== what.signer) };
  } else {
    key = what.scope;
    const scopes = (r.scopes ?? []).filter((s) => s.scope !== what.scope);
    found = scopes.length !== (r.scopes ?? []).length;
    next = { ...r, scopes };
    if (scopes.length === 0) delete next.scopes;
  }
  if (!found)
    throw new PolicyError({
      code: 'POLICY_INVALID',
      message: `${key} is not revoked; see "opk-attest trust inspect"`,
    });
  return { ...policy, revoked: dropReason(next, key) };
}

function withReason(policy: Policy, key: string, reason: string | undefined): Policy {
  if (reason === undefined) return policy;
  const reasons = Object.assign(Object.create(null) as Record<string, string>, policy.revoked.reasons);
  Object.defineProperty(reasons, key, { value: reason, enumerable: true, writable: true, configurable: true });
  return { ...policy, revoked: { ...policy.revoked, reasons } };
}

function dropReason(r: Revoked, key: string): Revoked {
  if (!r.reasons || !Object.hasOwn(r.reasons, key)) return r;
  const reasons = Object.fromEntries(Object.entries(r.reasons).filter(([k]) => k !== key));
  const out: Revoked = { ...r, reasons };
  if (Object.keys(reasons).length === 0) delete out.reasons;
  return out;
}

function ruleIndex(policy: Policy, scope: string): number {
  const at = policy.rules.findIndex((r) => r.scope === scope);
  if (at < 0) {
    throw new PolicyError({
      code: 'POLICY_NO_RULE',
      message: `no rule has scope ${scope}; rules: ${policy.rules.map((r) => r.scope).join(', ') || 'none'} (add a signer with --scope to create one)`,
    });
  }
  return at;
}

function withRule(policy: Policy, at: number, rule: PolicyRule): Policy {
  const rules = [...policy.rules];
  rules[at] = rule;
  return { ...policy, rules };
}
