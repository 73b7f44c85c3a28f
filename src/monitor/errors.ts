/** Errors of the log monitor (the log's own faults keep their TLOG_ codes). */
import { OpkError } from '../core/errors.js';

/** Codes of the monitor. */
export type MonitorErrorCode =
  | 'MONITOR_STATE_INVALID' // the state file is not a monitor state, or is for another log
  | 'MONITOR_IDENTITY_INVALID' // an --identity that is not CLAIM=GLOB
  | 'MONITOR_LOG_UNTRUSTED' // the log signs with a key that is not among the trusted log keys
  | 'MONITOR_ENTRY_MISSING'; // the log did not return an entry its signed tree holds

/** Thrown by `src/monitor`. */
export class MonitorError extends OpkError<MonitorErrorCode> {}
