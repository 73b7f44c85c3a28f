/**
 * The human form of `opk-attest inspect`: for an image, one block per platform with its
 * attestations and signed artifacts; for a repository, one line per tag (tag, digest, status)
 * with a line per signer under it. Every value from the registry goes through `printable`.
 */
import type { AnnotatedSigner, InspectedTag, InspectReport, RepositoryReport } from '../verify/index.js';
import { printable } from './terminal-text.js';

/** Said under every repository listing: annotations are what the signer wrote, not a verdict. */
export const UNVERIFIED_NOTE =
  'Signers are as the signatures\' annotations name them, unverified: "opk-attest verify IMAGE" checks them.';

/**
 * An image report: one block per platform, two tables each.
 * @throws never
 */
export function renderImage(r: InspectReport): string {
  const out = [`Attestations and signatures for ${printable(r.image)}`, `Image digest: ${r.digest}`, ''];
  for (const p of r.platforms) {
    out.push(`Platform ${printable(p.platform)}  ${p.digest}`);
    out.push(
      ...(p.attestations.length === 0
        ? ['  No attestations.']
        : table(
            ['PREDICATE TYPE', 'STATEMENT DIGEST', 'STATUS'],
            p.attestations.map((a) => [
              printable(a.predicateType ?? 'unknown'),
              a.digest,
              a.signed ? 'signed' : 'unsigned',
            ]),
          )),
    );
    out.push('');
    out.push(
      ...(p.signatures.length === 0
        ? ['  No signed artifacts.']
        : table(
            ['SIGNED ARTIFACT', 'ARTIFACT TYPE', 'PREDICATE TYPE', 'SIGNER'],
            p.signatures.map((s) => [
              s.artifactDigest,
              printable(s.artifactType ?? '-'),
              printable(s.predicateType ?? '-'),
              signerText(s.signer),
            ]),
          )),
    );
    out.push('');
  }
  for (const n of r.notes) out.push(`Note: ${printable(n)}`);
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * A repository report: a header with the counts, then per tag `TAG  DIGEST  STATUS` and a
 * `by SIGNER: TYPES (PLATFORMS)` line per signer.
 * @throws never
 */
export function renderRepository(r: RepositoryReport): string {
  const out = [`Tags of ${printable(r.repository)}: ${countsText(r)}`, ''];
  const width = Math.max(0, ...r.tags.map((t) => t.tag.length));
  for (const t of r.tags) {
    out.push(`${t.tag.padEnd(width)}  ${tagLine(t)}`);
    for (const s of t.signers) {
      out.push(
        `${' '.repeat(width)}    by ${signerText(s.signer)}: ${printable(s.predicateTypes.join(', '))} (${printable(s.platforms.join(', '))})`,
      );
    }
  }
  const skipped = r.tags.find((t) => t.status === 'skipped');
  if (r.tags.length > 0) out.push('');
  if (skipped?.error) out.push(`Note: ${printable(skipped.error.message)}`);
  if (r.tags.some((t) => t.signers.length > 0)) out.push(UNVERIFIED_NOTE);
  return `${out.join('\n').trimEnd()}\n`;
}

function countsText(r: RepositoryReport): string {
  const left: string[] = [];
  if (r.filteredOut > 0) left.push(`${r.filteredOut} not matching --tags ${printable(JSON.stringify(r.filter))}`);
  if (r.hidden > 0) left.push(`${r.hidden} referrers fallback tag(s) hidden, --all shows them`);
  const shown = r.tags.length === 0 ? 'no tags shown' : `${r.tags.length} tag(s)`;
  return left.length === 0
    ? `${shown} (of ${r.listed} listed)`
    : `${shown} (of ${r.listed} listed; ${left.join('; ')})`;
}

function tagLine(t: InspectedTag): string {
  const digest = t.digest ?? '-';
  switch (t.status) {
    case 'error':
      return `${digest}  error: ${printable(t.error?.message ?? 'unknown')} [${t.error?.code}]`;
    case 'fallback':
      return `${digest}  referrers fallback tag: artifacts about ${t.subject}`;
    case 'skipped':
      return `${digest}  skipped: not read before the time budget ran out`;
    case 'partly-signed': {
      const signed = t.platforms.filter((p) => p.signatures.length > 0).length;
      return `${digest}  partly signed (${signed} of ${t.platforms.length} platforms)`;
    }
    default:
      return `${digest}  ${t.status}`;
  }
}

function signerText(s: AnnotatedSigner): string {
  const who = s.subject ?? 'unknown signer';
  const parts = [who, s.issuer && `(${s.issuer})`, s.repository, s.workflow].filter((x): x is string => Boolean(x));
  return printable(parts.join(' '));
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')}`;
  return [line(header), ...rows.map(line)];
}
