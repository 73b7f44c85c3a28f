/**
 * Delegated policy fragments (docs/formats.md, "The trust repository": an organisation gets `ghcr.io/acme/**` delegated to its
 * own keys). The top-level targets role names each delegated role and its scope; the delegated
 * role signs `policy.d/<role>.json`, a policy.json of its own. The merge is:
 *
 * 1. Every rule of a fragment must have a scope *within* its delegation's scope (checked
 *    syntactically by `scopeWithin`, sound but conservative). A fragment that cannot be loaded
 *    (tampered, expired or unsigned role metadata), does not parse, or has one rule outside its
 *    scope is replaced by a deny rule for the whole delegated scope: the delegate fails closed for
 *    its own images and cannot affect anyone else's. A role that signs no fragment adds no rules.
 * 2. Fragments' rules come first, in delegation order, then the top-level rules: within its scope
 *    the delegate decides (the delegator can always withdraw the delegation), and top-level rules
 *    covering the same images apply only where no delegated rule matches.
 * 3. Signer names of a fragment are prefixed `<role>/`, and so are its revoked signer names, so a
 *    delegate can revoke only its own signers; the top level can revoke a delegate's signer by its
 *    prefixed name. Revoked digests are the union (revocation only ever makes verification fail).
 */
import type { Policy, PolicyRule } from '../model.js';
import { TufError } from '../errors.js';
import { quote } from '../../core/quote.js';

/** A delegation as the top-level targets role signs it. */
export interface Delegation {
  /** Role name: lowercase letters, digits and `-`. */
  role: string;
  /** Image scope (a policy glob) the role decides for. */
  scope: string;
}

/** A delegation's fragment as loaded: the parsed policy, or why there is none. */
export interface LoadedFragment {
  delegation: Delegation;
  policy?: Policy;
  problem?: string;
}

/** The merged policy and the delegations that were refused. */
export interface MergedPolicy {
  policy: Policy;
  warnings: string[];
}

/** Key of the policy.json target's signed `custom` object that indexes the delegations and log keys. */
export const TRUST_INDEX_KEY = 'opkAttest';

const ROLE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RESERVED_ROLES = new Set(['root', 'targets', 'snapshot', 'timestamp']);
/** Longest scope pattern compared (the comparison is quadratic in the lengths). */
const MAX_SCOPE_LENGTH = 1024;

/**
 * The target path of a delegated role's policy fragment.
 * @throws TufError TUF_DELEGATION_INVALID for a bad role name
 */
export function fragmentTargetPath(role: string): string {
  checkRoleName(role);
  return `policy.d/${role}.json`;
}

/**
 * Checks a delegated role name: 1–63 lowercase letters, digits and `-`, not a top-level role.
 * @throws TufError TUF_DELEGATION_INVALID
 */
export function checkRoleName(role: string): void {
  if (!ROLE_NAME.test(role) || RESERVED_ROLES.has(role)) {
    throw new TufError({
      code: 'TUF_DELEGATION_INVALID',
      message: `delegated role name ${quote(role, 80)} must be 1-63 lowercase letters, digits and "-", and not root, targets, snapshot or timestamp`,
    });
  }
}

/**
 * Whether every image name matched by glob `inner` is also matched by glob `outer` (same glob
 * language as policy scopes: `*` within a path segment, `**` across). Sound: true only when
 * containment holds; conservative: some contained pairs with unusual star placement answer false.
 * A dynamic programme aligning the outer pattern's tokens with groups of the inner pattern's:
 * an outer literal takes the same inner literal, an outer `*` any inner run of non-`/` literals
 * and `*`, an outer `**` any inner run.
 * @throws never
 */
export function scopeWithin(inner: string, outer: string): boolean {
  if (inner.length > MAX_SCOPE_LENGTH || outer.length > MAX_SCOPE_LENGTH) return false;
  const p = tokens(inner);
  const n = p.length;
  let reach = new Uint8Array(n + 1);
  reach[0] = 1;
  for (const d of tokens(outer)) {
    const next = new Uint8Array(n + 1);
    for (let j = 0; j <= n; j++) {
      if (d === STAR || d === ANY) {
        const absorbs =
          j > 0 && next[j - 1] === 1 && (d === ANY || p[j - 1] === STAR || (p[j - 1] !== ANY && p[j - 1] !== '/'));
        next[j] = reach[j] === 1 || absorbs ? 1 : 0;
      } else if (j > 0 && reach[j - 1] === 1 && p[j - 1] === d) {
        next[j] = 1;
      }
    }
    reach = next;
  }
  return reach[n] === 1;
}

/**
 * The rules of a fragment whose scope is not within its delegation's scope.
 * @returns one line per offending rule (empty when the fragment stays in its scope)
 * @throws never
 */
export function rulesOutsideScope(fragment: Policy, d: Delegation): string[] {
  return fragment.rules
    .filter((r) => !scopeWithin(r.scope, d.scope))
    .map(
      (r) =>
        `rule scope ${JSON.stringify(r.scope)} is not within the delegated scope ${JSON.stringify(d.scope)} of role ${d.role}`,
    );
}

/**
 * Merges the top-level policy with the delegated fragments (see the file comment for the rules).
 * @param top - the top-level policy
 * @param fragments - in delegation order
 * @returns the policy the verifier applies, and one warning per refused fragment
 * @throws never
 */
export function mergePolicies(top: Policy, fragments: readonly LoadedFragment[]): MergedPolicy {
  const rules: PolicyRule[] = [];
  const warnings: string[] = [];
  const digests = new Set(top.revoked.digests);
  const signers = new Set(top.revoked.signers);
  const scopes = [...(top.revoked.scopes ?? [])];
  const reasons: Record<string, string> = Object.assign(Object.create(null) as object, top.revoked.reasons);
  for (const f of fragments) {
    const d = f.delegation;
    const problems = f.policy ? rulesOutsideScope(f.policy, d) : [f.problem ?? 'no policy fragment'];
    if (!f.policy || problems.length > 0) {
      warnings.push(
        `delegated role ${d.role} (${d.scope}): ${problems.join('; ')}; images in its scope fail until it is fixed`,
      );
      rules.push(denyRule(d));
      continue;
    }
    const prefix = (name: string) => `${d.role}/${name}`;
    for (const r of f.policy.rules)
      rules.push({ ...r, signers: r.signers.map((s) => ({ ...s, name: prefix(s.name) })) });
    for (const x of f.policy.revoked.digests) digests.add(x);
    for (const x of f.policy.revoked.signers) signers.add(prefix(x));
    // A delegate may revoke within its own scope only.
    for (const x of f.policy.revoked.scopes ?? []) if (scopeWithin(x.scope, d.scope)) scopes.push(x);
    for (const [k, v] of Object.entries(f.policy.revoked.reasons ?? {}))
      if (!Object.hasOwn(reasons, k)) reasons[f.policy.revoked.signers.includes(k) ? prefix(k) : k] = v;
  }
  rules.push(...top.rules);
  const revoked: Policy['revoked'] = { digests: [...digests], signers: [...signers] };
  if (scopes.length) revoked.scopes = scopes;
  if (Object.keys(reasons).length) revoked.reasons = reasons;
  return { policy: { rules, revoked }, warnings };
}

/** A rule no signature can satisfy: its one signer has an empty issuer, which no token has. */
function denyRule(d: Delegation): PolicyRule {
  return {
    scope: d.scope,
    signers: [{ name: `${d.role}: delegated policy refused`, issuer: '', claims: {} }],
    threshold: 1,
    require: [],
    transparencyLog: 'required',
    level: 'enforce',
  };
}

const STAR = 0;
const ANY = 1;
type Token = string | typeof STAR | typeof ANY;

/** A pattern as literal characters, `*` and `**` (a run of two or more stars). */
function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length;) {
    if (pattern[i] !== '*') {
      out.push(pattern[i]!);
      i++;
      continue;
    }
    const start = i;
    while (pattern[i] === '*') i++;
    out.push(i - start === 1 ? STAR : ANY);
  }
  return out;
}
