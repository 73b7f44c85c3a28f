/**
 * The effective rules of a trust directory as lines (top-level rules, each delegated role's rules,
 * revocations), and a line diff between two states: `trust inspect` shows published → staged,
 * `trust publish` shows what it just changed, so no edit weakens the policy unseen.
 */
import type { Policy, PublishedPolicies } from '../policy/index.js';
import { safeText } from './terminal-text.js';
import { describeRules } from './trust-signer.js';

/** One line of a diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/** Most lines diffed (the LCS table is quadratic); beyond it the diff lists every line as changed. */
const MAX_DIFF_LINES = 4000;

/**
 * The effective rules as lines.
 * @throws never
 */
export function effectiveRuleLines(p: PublishedPolicies): string[] {
  const lines = [...describeRules(p.policy), ...revokedLines(p.policy, '')];
  for (const [role, fragment] of [...p.fragments].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(...describeRules(fragment, role), ...revokedLines(fragment, `${role}: `));
  return lines;
}

function revokedLines(policy: Policy, prefix: string): string[] {
  const r = policy.revoked;
  const why = (k: string) => (r.reasons && Object.hasOwn(r.reasons, k) ? `: ${safeText(r.reasons[k]!)}` : '');
  return [
    ...r.digests.map((d) => `  ${prefix}revoked image ${d}${why(d)}`),
    ...r.signers.map((s) => `  ${prefix}revoked signer ${safeText(s)}${why(s)}`),
    ...(r.scopes ?? []).map(
      (s) =>
        `  ${prefix}revoked scope ${safeText(s.scope)}${s.before ? ` (signatures logged before ${s.before})` : ''}${s.reason ? `: ${safeText(s.reason)}` : ''}`,
    ),
  ];
}

/**
 * A line diff (longest common subsequence) of two line lists.
 * @throws never
 */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  if (before.length > MAX_DIFF_LINES || after.length > MAX_DIFF_LINES)
    return [
      ...before.map((line) => ({ op: '-' as const, line })),
      ...after.map((line) => ({ op: '+' as const, line })),
    ];
  const n = before.length;
  const m = after.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: ' ', line: before[i++]! });
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push({ op: '+', line: after[j++]! });
    else out.push({ op: '-', line: before[i++]! });
  }
  return out;
}

/**
 * The diff as printed lines (`- ` removed, `+ ` added, `  ` kept), or one line saying nothing changed.
 * @throws never
 */
export function formatDiff(title: string, diff: readonly DiffLine[]): string[] {
  if (diff.every((d) => d.op === ' ')) return [`${title}: no change`];
  return [`${title}:`, ...diff.map((d) => `${d.op} ${d.line}`)];
}
