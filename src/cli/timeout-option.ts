/**
 * `--timeout DURATION`: the overall time budget of a command's network operations (registry,
 * log, OIDC, TUF), turned into the one `Deadline` the command passes to every client
 * (docs/faults.md).
 */
import { Deadline, formatDuration, parseDuration } from '../core/deadline.js';
import { UsageError } from './args.js';

/** The `parseArgs` option. */
export const TIMEOUT_OPTION = { timeout: { type: 'string' } } as const;

/** The usage line, with the command's default; `column` is where the command's descriptions start. */
export function timeoutUsage(defaultMs: number, column = 29): string {
  const text = `overall time budget of the network work, e.g. 90s, 5m (default ${formatDuration(defaultMs)})`;
  return `${'  --timeout DURATION'.padEnd(column)}${text}\n`;
}

/**
 * Starts the command's deadline from `--timeout` (or the default).
 * @throws UsageError CLI_USAGE when the value is not a positive duration
 */
export function deadlineFromFlag(value: string | undefined, defaultMs: number): Deadline {
  const ms = value === undefined ? defaultMs : parseDuration(value);
  if (ms === undefined) throw new UsageError('--timeout must be a positive duration such as 90s, 5m or 1m30s');
  return new Deadline(ms, { setting: '--timeout' });
}
