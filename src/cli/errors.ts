/** Errors of the command line itself, and how any error is shown to the user. */
import { OpkError } from '../core/errors.js';

/** Thrown for a command line that cannot be run as given; `runCommand` maps it to exit status 2. */
export class UsageError extends OpkError<'CLI_USAGE'> {
  constructor(message: string, cause?: unknown) {
    super({ code: 'CLI_USAGE', message, cause });
  }
}

/** Exit status of a usage error. */
export const USAGE_EXIT = 2;

/** One line for the user: message and code, never a stack (the message names the fix). */
export function formatError(err: unknown): string {
  if (err instanceof OpkError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
