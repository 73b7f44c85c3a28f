/** `opk-attest trust inspect`: a human summary (or JSON) of a trust directory. */
import { readPublishedPolicies, summarizeRepository, type RepositorySummary } from '../policy/index.js';
import { runCommand } from './args.js';
import { effectiveRuleLines, formatDiff, lineDiff, type DiffLine } from './trust-diff.js';
import { safeJson, safeText } from './terminal-text.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, say } from './trust-dir.js';
import { describeRules } from './trust-signer.js';

const USAGE = `usage: opk-attest trust inspect [options]

Shows the policy (rules, signers, thresholds, required predicates), revocations, delegations,
archived OIDC provider keys, transparency-log keys, the published roles with their versions,
keys and expiry, and the staged changes not yet published, with the effective rules published
and staged as a diff.

options:
  --json                     print the summary as JSON
${DIR_USAGE}`;

const SPEC = { name: 'trust inspect', usage: USAGE, options: { ...DIR_OPTIONS, json: { type: 'boolean' } } } as const;

/** Runs `trust inspect`. */
export function inspectTrustCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v }) => {
    const s = await summarizeRepository(dirOf(v));
    const diff = lineDiff(
      effectiveRuleLines(await readPublishedPolicies(dirOf(v))),
      effectiveRuleLines({ policy: s.policy, fragments: s.fragments }),
    );
    if (v.json) process.stdout.write(`${safeJson({ ...(toJson(s) as object), ruleChanges: changed(diff) })}\n`);
    else say(...describe(s, new Date()), ...formatDiff('effective rules (- published, + staged)', diff));
    return 0;
  });
}

function describe(s: RepositorySummary, now: Date): string[] {
  return [
    `repository: ${s.repository} (serve this directory); newest root: ${s.rootFile}`,
    'roles:',
    ...s.roles.map(
      (r) =>
        `  ${r.role.padEnd(10)} v${String(r.version).padEnd(4)} expires ${r.expires}${expiryNote(r.expires, now)}  ${r.threshold} of ${r.keyids.length} key(s): ${r.keyids.map((k) => k.slice(0, 12)).join(', ')}`,
    ),
    ...describeRules(s.policy),
    `revoked digests: ${s.policy.revoked.digests.join(', ') || 'none'}`,
    `revoked signers: ${s.policy.revoked.signers.map(safeText).join(', ') || 'none'}`,
    `revoked scopes: ${(s.policy.revoked.scopes ?? []).map((x) => `${safeText(x.scope)}${x.before ? ` (logged before ${x.before})` : ''}`).join(', ') || 'none'}`,
    `delegations:${s.delegations.length === 0 ? ' none' : ''}`,
    ...s.delegations.flatMap((d) => [
      `  ${d.role}: scope ${safeText(d.scope)}, ${d.threshold} of ${d.keys.length} key(s)`,
      ...describeRules(s.fragments.get(d.role) ?? { rules: [], revoked: { digests: [], signers: [] } }, d.role).map(
        (l) => `  ${l}`,
      ),
    ]),
    `archived OIDC provider keys:${s.archives.length === 0 ? ' none (run "trust jwks sync")' : ''}`,
    ...s.archives.flatMap((a) => [
      `  ${safeText(a.issuer)}: ${a.keys.length} key(s)`,
      ...a.keys.map(
        (k) =>
          `    kid ${safeText(k.jwk.kid ?? '(none)')} ${k.jwk.kty} jkt ${k.thumbprint} first seen ${k.firstSeen}, last seen ${k.lastSeen}${k.distrusted ? `, DISTRUSTED since ${k.distrusted.since}: ${safeText(k.distrusted.reason)}` : ''}`,
      ),
    ]),
    `transparency-log keys: ${s.logIds.join(', ') || 'none'}`,
    `unpublished changes: ${s.unpublished.length ? `${s.unpublished.join(', ')} (run "opk-attest trust publish")` : 'none'}`,
  ];
}

/** The changed lines only, for JSON. */
function changed(diff: readonly DiffLine[]): DiffLine[] {
  return diff.filter((d) => d.op !== ' ');
}

function expiryNote(expires: string, now: Date): string {
  const left = Date.parse(expires) - now.getTime();
  if (left <= 0) return ' (EXPIRED: run "trust publish")';
  const hours = Math.floor(left / 3_600_000);
  return hours < 48 ? ` (in ${hours}h)` : ` (in ${Math.floor(hours / 24)}d)`;
}

function toJson(s: RepositorySummary): unknown {
  return {
    ...s,
    delegations: s.delegations.map((d) => ({
      role: d.role,
      scope: d.scope,
      threshold: d.threshold,
      keyids: d.keys.map((k) => k.keyID),
    })),
    fragments: Object.fromEntries(s.fragments),
  };
}
