/** The transparency-log monitor: watch a Rekor log for signatures the policy does not allow. */
export { MonitorError, type MonitorErrorCode } from './errors.js';
export { parseIdentities, isWatched, type WatchedIdentity } from './identities.js';
export { judge, type FindingReason, type Judgement } from './judge.js';
export { inspectEntry, type EntryOutcome, type Finding, type Unverifiable } from './inspect-entry.js';
export { monitorLog, type MonitorOptions, type MonitorReport } from './monitor.js';
export { parseMonitorState, serializeMonitorState, type MonitorState } from './state.js';
export { formatMonitorReport, monitorReportJson } from './report.js';
