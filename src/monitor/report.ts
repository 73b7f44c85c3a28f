/** The monitor's report: a line per finding for people, one JSON document for machines. */
import type { MonitorReport } from './monitor.js';

/**
 * The human-readable report. Wire text (claims) is not escaped here: the CLI escapes it where it
 * prints it.
 * @throws never
 */
export function formatMonitorReport(r: MonitorReport): string {
  const lines = [`${r.log}  ${r.origin}  entries ${r.from}…${r.to} of ${r.treeSize}`];
  for (const f of r.findings) {
    const who = [f.repository, f.workflow].filter(Boolean).join(' ') || f.subject;
    const when = f.integratedTime !== undefined ? new Date(f.integratedTime * 1000).toISOString() : 'time unverified';
    lines.push(`  REPORT log ${f.logIndex} (${when})  ${f.reason}: ${who}; ${f.detail}`);
  }
  for (const u of r.unverifiable) {
    lines.push(
      `  ignored log ${u.logIndex}: claims ${u.repository ?? u.subject} but does not verify (${u.code}: ${u.message})`,
    );
  }
  lines.push(
    `${r.findings.length} signature(s) reported, ${r.allowed} allowed, ${r.unverifiable.length} unverifiable, of ${r.watched + r.unverifiable.length} watched`,
  );
  if (r.remaining > 0)
    lines.push(
      `${r.remaining} entr${r.remaining === 1 ? 'y' : 'ies'} left for the next run (${r.stoppedBy === 'timeout' ? 'time budget reached' : 'max entries per run reached'})`,
    );
  return lines.join('\n');
}

/**
 * The report as one JSON document (stable field names).
 * @throws never
 */
export function monitorReportJson(r: MonitorReport): string {
  return JSON.stringify(r, null, 2);
}
