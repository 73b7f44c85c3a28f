/**
 * `opk-attest monitor --log URL --identity CLAIM=GLOB…`: watches a Rekor log for signatures by
 * the watched identities that the policy does not allow (docs/monitor.md). Exit 0 nothing to
 * report, 3 something reported, 1 the log could not be checked (inconsistent, unreachable),
 * 2 usage error.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  formatMonitorReport,
  MonitorError,
  monitorLog,
  monitorReportJson,
  parseIdentities,
  parseMonitorState,
  serializeMonitorState,
  type MonitorState,
  type WatchedIdentity,
} from '../monitor/index.js';
import { RekorClient } from '../tlog/index.js';
import { integer, runCommand, UsageError } from './args.js';
import { printable } from './terminal-text.js';
import { TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from './trust-options.js';

/** Exit status when the monitor reports a signature. */
export const MONITOR_REPORTED_EXIT = 3;

const USAGE = `usage: opk-attest monitor --log URL --identity CLAIM=GLOB… [options]

Reads the transparency log from the saved checkpoint onward: proves the log's new checkpoint is
consistent with the saved one, reads the new entries in batches, and reports every signature by a
watched identity that the policy does not allow (unknown repository, workflow or ref; revoked
signer). Exit status: 0 nothing reported, 3 something reported, 1 the log could not be checked,
2 usage error.

options:
  --log URL                  the Rekor log to watch, e.g. https://rekor.sigstore.dev
  --identity CLAIM=GLOB      watch signatures whose PK token claim matches, e.g. repository=acme/*;
                             repeatable (any one matches)
  --state FILE               the checkpoint and position of the last run; read, then updated after
                             every batch (without it, each run starts afresh at --start-index)
  --start-index N            first run only: the tree index to start at (default: the current tree
                             size, i.e. only entries logged from now on)
  --batch-size N             entries per request, 1 to 10 (default 10)
  --max-entries N            entries read per run at most (default 10000); the rest waits
  --timeout SECONDS          time budget of the run (default 300); no request starts after it
  --json                     print the report as JSON
${TRUST_USAGE}`;

const { 'transparency-log': _transparencyLog, ...TRUST } = TRUST_OPTIONS;

const SPEC = {
  name: 'monitor',
  usage: USAGE,
  positionals: { min: 0, max: 0 },
  options: {
    ...TRUST,
    log: { type: 'string' },
    identity: { type: 'string', multiple: true },
    state: { type: 'string' },
    'start-index': { type: 'string' },
    'batch-size': { type: 'string' },
    'max-entries': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;

/** Runs `monitor`. */
export function monitorCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v }) => {
    if (!v.log) throw new UsageError('--log URL is required: the Rekor log to watch');
    const identities = identitiesOf(v.identity ?? []);
    const timeoutMs = integer(v.timeout ?? '300', '--timeout', 1) * 1000;
    const batchSize = integer(v['batch-size'] ?? '10', '--batch-size', 1);
    if (batchSize > 10) throw new UsageError('--batch-size must be 1 to 10 (Rekor answers at most 10 per request)');
    const tuf = v['tuf-repository'] !== undefined || v['tuf-root'] !== undefined;
    const { trust, policy } = await trustFromFlags({ ...v, ...(tuf ? {} : { 'transparency-log': v.log }) });
    const state = v.state ? await readState(v.state) : undefined;
    if (!v.state)
      process.stderr.write(
        'opk-attest monitor: warning: no --state FILE: this run cannot resume, and the next starts afresh\n',
      );
    const report = await monitorLog({
      client: new RekorClient({
        url: v.log,
        totalTimeoutMs: Math.min(60_000, timeoutMs),
        timeoutMs: Math.min(20_000, timeoutMs),
      }),
      logs: trust.logs,
      trust,
      policy,
      identities,
      ...(state ? { state } : {}),
      ...(v['start-index'] !== undefined ? { startIndex: integer(v['start-index'], '--start-index', 0) } : {}),
      batchSize,
      maxEntries: integer(v['max-entries'] ?? '10000', '--max-entries', 1),
      deadline: Date.now() + timeoutMs,
      saveState: async (s) => (v.state ? writeState(v.state, s) : undefined),
    });
    process.stdout.write(`${v.json ? monitorReportJson(report) : printable(formatMonitorReport(report))}\n`);
    if (report.remaining > 0)
      process.stderr.write(
        `opk-attest monitor: warning: ${report.remaining} entries not read yet; the next run continues there\n`,
      );
    return report.findings.length > 0 ? MONITOR_REPORTED_EXIT : 0;
  });
}

/** A bad --identity is a usage error (exit 2), not a failed check. */
function identitiesOf(specs: readonly string[]): WatchedIdentity[] {
  try {
    return parseIdentities(specs);
  } catch (err) {
    if (!(err instanceof MonitorError)) throw err;
    throw new UsageError(err.message, err);
  }
}

async function readState(file: string): Promise<MonitorState | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    // No state yet: the first run creates it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseMonitorState(bytes, file);
}

/** Write-then-rename, so a run killed mid-write leaves the previous state intact. */
async function writeState(file: string, s: MonitorState): Promise<void> {
  await writeFile(`${file}.tmp`, serializeMonitorState(s));
  await rename(`${file}.tmp`, file);
}
