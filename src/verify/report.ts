/** Renders a verification report: a table per platform for people, JSON for machines. */
import type { VerifiedSignature, VerifyReport } from './verifier.js';

/**
 * The human-readable report (signers, predicates, log indexes, rejected artifacts with their
 * code, policy violations, per platform). Wire text is not escaped here: terminals and job
 * summaries escape it where they print it.
 * @throws never
 */
export function formatReport(r: VerifyReport): string {
  const lines = [`${r.image}  ${r.digest}`];
  lines.push(`  policy rule: ${r.rule === undefined ? 'none matches this image' : `scope ${r.rule}`}`);
  for (const t of r.trust ?? []) lines.push(`  trust: ${t.input}: ${t.source}`);
  for (const p of r.platforms) {
    lines.push('', `  ${p.platform}  ${p.digest}  ${p.passed ? 'PASS' : 'FAIL'}`);
    if (p.signatures.length === 0 && p.rejected.length === 0) lines.push('    no signatures found');
    for (const s of p.signatures) {
      const who = [s.signer.repository, s.signer.workflow].filter(Boolean).join(' ') || s.signer.subject;
      lines.push(`    ✓ ${s.predicateType.padEnd(36)} ${who}  log ${logText(s)}  ${s.artifactDigest.slice(0, 19)}`);
    }
    for (const x of p.rejected) lines.push(`    ✗ ${x.artifactDigest.slice(0, 19)}  ${x.code}: ${x.message}`);
    if (!p.verdict) lines.push('    policy: no rule matches this image; add a rule whose scope covers it');
    else for (const v of p.verdict.violations) lines.push(`    policy: ${v}`);
  }
  const outcome = r.passed
    ? r.level === 'audit' && r.platforms.some((p) => !p.passed)
      ? 'verified (audit: violations reported above)'
      : 'verified'
    : 'NOT verified';
  lines.push('', `${outcome}: ${r.platforms.length} platform(s)`);
  return lines.join('\n');
}

/** Log index and time; a time no SET vouches for is not printed, only marked (docs/time.md). */
function logText(s: VerifiedSignature): string {
  if (s.logIndex === undefined) return '-';
  if (s.integratedTime === undefined) return `${s.logIndex} (time unverified)`;
  return `${s.logIndex} at ${new Date(s.integratedTime * 1000).toISOString().replace('.000Z', 'Z')}`;
}

/**
 * The report as one JSON document (stable field names). The PK token claims are left out: the
 * signer summary says who signed, and the document may end up in public CI logs. A logged
 * signature carries `integratedTimeVerified`; `integratedTime` appears only when it is true.
 * @throws never
 */
export function reportJson(r: VerifyReport): string {
  return JSON.stringify(
    {
      image: r.image,
      digest: r.digest,
      passed: r.passed,
      level: r.level,
      rule: r.rule ?? null,
      trust: r.trust ?? [],
      platforms: r.platforms.map((p) => ({
        platform: p.platform,
        digest: p.digest,
        passed: p.passed,
        signatures: p.signatures.map(({ claims: _claims, ...s }) => s),
        rejected: p.rejected,
        violations: p.verdict ? p.verdict.violations : ['no policy rule matches this image'],
        signers: p.verdict?.signers ?? [],
      })),
    },
    null,
    2,
  );
}
